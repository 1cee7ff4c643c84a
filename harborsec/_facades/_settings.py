"""Client settings shared by `Registry` and `AsyncRegistry`, read once from their arguments.

Pure: URL and credential resolution, TLS verification and retry settings; no connection.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from harborsec._core._deadline import checked_deadline
from harborsec._core._http import NOT_GIVEN, USER_AGENT, NoCookies, NotGiven, safe_url
from harborsec._core._retry import RetryPolicy
from harborsec.errors import CredentialsError, InvalidReferenceError
from harborsec.oci._auth import RegistryAuth
from harborsec.oci._credentials import (
    Credentials,
    credentials_from_env,
    docker_credentials,
    harbor_url_from_env,
)
from harborsec.oci._models import Platform
from harborsec.oci._reference import ImageReference

__all__ = ["AuthArg", "ClientSettings", "client_settings", "locate", "platform_arg"]

AuthArg = Credentials | tuple[str, str] | None | NotGiven
"""`auth=`: credentials, a `(username, password)` pair, None for anonymous, or not given to look
them up (the `HARBOR_USERNAME`/`HARBOR_PASSWORD` environment variables, then docker's config)."""


@attrs.frozen
class ClientSettings:
    """Everything a client's constructor arguments resolve to."""

    url: httpx.URL
    host: str
    insecure: bool
    credentials: Credentials | None
    auth: RegistryAuth
    policy: RetryPolicy
    timeout: httpx.Timeout | float | None
    verify: ssl.SSLContext | bool
    deadline: float | None = None
    """Seconds each call may take in all (None: no bound), see `_core/_deadline.py`."""

    @property
    def username(self) -> str | None:
        """The username the client sends, or None (anonymous)."""
        return self.credentials.username if self.credentials else None

    def client_options(self, max_connections: int) -> dict[str, Any]:
        """Keyword arguments for `httpx.Client` and `httpx.AsyncClient`."""
        return {
            "auth": self.auth,
            "timeout": self.timeout,
            "follow_redirects": True,
            "cookies": NoCookies(),
            "headers": {"User-Agent": USER_AGENT},
            "verify": self.verify,
            "limits": httpx.Limits(max_connections=max_connections),
        }


def client_settings(
    url: str | None,
    *,
    auth: AuthArg = NOT_GIVEN,
    insecure: bool = False,
    ca_bundle: str | os.PathLike[str] | None = None,
    timeout: httpx.Timeout | float | None,
    retries: int | RetryPolicy = 2,
    environ: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> ClientSettings:
    """Resolve a client's arguments (see `Registry`).

    Raises:
        ValueError: No URL, or not an http(s) URL, or one with credentials in it.
        CredentialsError: `auth` is not a pair of strings, or the environment is half set.
    """
    env_url = harbor_url_from_env(environ)
    text = url or env_url
    if not text:
        raise ValueError("no registry URL: pass one, or set HARBOR_URL")
    if "://" not in text:
        text = ("http://" if insecure else "https://") + text
    parsed = httpx.URL(text)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"invalid registry URL {safe_url(parsed)!r}: expected https://host[:port]")
    if parsed.userinfo:
        raise ValueError("put credentials in auth=, not in the registry URL")
    base = parsed.copy_with(path=parsed.path.rstrip("/") or "/", query=None, fragment=None)
    host = base.netloc.decode("ascii")
    credentials = _find_credentials(auth, base, host, env_url, environ, insecure=insecure)
    verify: ssl.SSLContext | bool
    if insecure:
        verify = False
    elif ca_bundle is not None:
        verify = ssl.create_default_context(cafile=os.fspath(ca_bundle))
    else:
        verify = True
    return ClientSettings(
        url=base,
        host=host,
        insecure=insecure,
        credentials=credentials,
        auth=RegistryAuth(base, credentials),
        policy=retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries=retries),
        timeout=timeout,
        verify=verify,
        deadline=None if deadline is None else checked_deadline(deadline),
    )


def _find_credentials(
    auth: AuthArg,
    base: httpx.URL,
    host: str,
    env_url: str | None,
    environ: Mapping[str, str] | None,
    *,
    insecure: bool,
) -> Credentials | None:
    """The credentials to use for the registry at `base`.

    Looked-up credentials are bound to where they were configured for, so that none goes over
    plain HTTP unless asked:

    * `HARBOR_USERNAME`/`HARBOR_PASSWORD` go only to the scheme, host and port of `HARBOR_URL`
      (a default port counts as given): set for `https://h`, they are not sent to `http://h`. A
      `HARBOR_URL` without a scheme means what the client makes of it: `https://`, or `http://`
      with `insecure=True`. Without `HARBOR_URL` they go to the URL the client was given.
    * Docker config entries name a host (`auths` keys are `host[:port]`, any scheme ignored, as
      Docker ignores it): they go over HTTPS, and over plain HTTP only to a registry marked
      insecure (`insecure=True`, as Docker's `insecure-registries`) or on a loopback address
      (which Docker treats as insecure too).

    Credentials passed as `auth=` are the caller's choice and are used as they are.
    """
    if isinstance(auth, Credentials) or auth is None:
        return auth
    if isinstance(auth, tuple):
        if len(auth) != 2 or not all(isinstance(x, str) for x in auth):
            raise CredentialsError("auth= must be a (username, password) pair of strings")
        return Credentials(username=auth[0], password=auth[1])
    _, env_credentials = credentials_from_env(environ)  # only when they would be used
    if env_credentials is not None:
        if env_url is None:
            return env_credentials
        scheme = "" if "://" in env_url else ("http://" if insecure else "https://")
        try:
            configured = httpx.URL(scheme + env_url)
        except httpx.InvalidURL:
            configured = None
        if configured is not None and _origin(configured) == _origin(base):
            return env_credentials
    if base.scheme == "http" and not (insecure or _is_loopback(base.host)):
        return None
    return docker_credentials(host, environ=environ)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port (None for the scheme's default), as httpx normalises them."""
    return (url.scheme, url.host, url.port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def locate(host: str, reference: str) -> tuple[str, str]:
    """Split a reference on the registry `host` into (repository, tag or digest).

    Raises:
        InvalidReferenceError: The reference is empty, does not parse, or names another registry.
    """
    if not isinstance(reference, str) or not reference:
        raise InvalidReferenceError("empty image reference")
    ref = ImageReference.parse(reference, default_registry=host)
    return ref.repository, ref.reference


def platform_arg(platform: Platform | str | None) -> Platform | None:
    """`platform=` as a `Platform` (parsed when given as text)."""
    return Platform.parse(platform) if isinstance(platform, str) else platform
