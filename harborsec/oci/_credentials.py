"""Registry credentials: from the environment, or from Docker's configuration and helpers.

`docker_credentials` finds the credentials `docker login`
stored for a registry, the way the Docker CLI does:

1. `DOCKER_AUTH_CONFIG`, when set, is a config document (`{"auths": {...}}`) consulted first.
2. The config file: `config_path`, else `$DOCKER_CONFIG/config.json`, else
   `~/.docker/config.json`. A missing file means no credentials.
3. If `credHelpers` names a helper for the registry, or else `credsStore` names a default
   helper, the helper is run as `docker-credential-<name> get` with the server URL on stdin,
   and answers `{"ServerURL": ..., "Username": ..., "Secret": ...}`. As in Docker, the
   `auths` entries are then not used. A helper answering "credentials not found" means no
   credentials.
4. Otherwise the `auths` entry for the registry: `auth` (base64 of `username:password`), or
   `username` and `password`, or `identitytoken`.

Keys are matched as Docker matches them: first exactly (`https://index.docker.io/v1/` for Docker
Hub, the bare `host[:port]` for other registries), then by host, ignoring any `http://` or
`https://` scheme and any path (`https://harbor.example.com/v1/` matches
`harbor.example.com`). Docker Hub also matches `docker.io`, `index.docker.io` and
`registry-1.docker.io` keys.

Identity tokens (OAuth refresh tokens, stored as `identitytoken` or returned by a helper with
the username `<token>`) come back as `Credentials("<token>", token)`; see
`Credentials.is_identity_token`.

Passwords never appear in `repr()`, `str()`, logs or exception messages.

Example:
    >>> from harborsec.oci import Credentials, credentials_from_env
    >>> creds = Credentials("robot$ci", "s3cr3t")
    >>> creds
    Credentials(username='robot$ci', password=<hidden>)
    >>> credentials_from_env({"HARBOR_URL": "https://harbor.example.com"})
    ('https://harbor.example.com', None)
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from harborsec._core._redact import mask_untrusted
from harborsec.errors import CredentialsError

__all__ = [
    "IDENTITY_TOKEN_USERNAME",
    "Credentials",
    "credentials_from_env",
    "harbor_url_from_env",
    "docker_credentials",
]

_log = logging.getLogger(__name__)

IDENTITY_TOKEN_USERNAME = "<token>"  # noqa: S105 - a marker, not a secret
"""The username that marks an identity (OAuth refresh) token, as Docker's helpers use it."""

_DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HELPER_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NOT_FOUND = "credentials not found"
_DEFAULT_HELPER_TIMEOUT = 30.0


@attrs.frozen(repr=False)
class Credentials:
    """A username and password (or token) for a registry.

    The password is kept out of `repr()` and `str()`, which show the username only.
    """

    username: str
    """The user or robot account name, or `<token>` for an identity token."""
    password: str = attrs.field(repr=False)
    """The password, robot secret or token. Never printed."""

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"

    @property
    def is_identity_token(self) -> bool:
        """Whether `password` is an identity token (an OAuth2 refresh token).

        Docker stores such tokens as `identitytoken` and its helpers return them with the
        username `<token>`. A registry's token service takes them as
        `grant_type=refresh_token`, not as a Basic password.
        """
        return self.username == IDENTITY_TOKEN_USERNAME


def harbor_url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """Read `HARBOR_URL` (surrounding whitespace removed; empty counts as unset).

    Args:
        environ: The environment to read; `os.environ` by default.
    """
    env = os.environ if environ is None else environ
    return (env.get("HARBOR_URL") or "").strip() or None


def credentials_from_env(
    environ: Mapping[str, str] | None = None,
) -> tuple[str | None, Credentials | None]:
    """Read `HARBOR_URL`, `HARBOR_USERNAME` and `HARBOR_PASSWORD`.

    Empty variables count as unset. Surrounding whitespace is removed from the URL and the
    username, not from the password.

    Args:
        environ: The environment to read; `os.environ` by default.

    Returns:
        The URL (or `None`) and the credentials (or `None` when neither username nor password
        is set).

    Raises:
        CredentialsError: Only one of `HARBOR_USERNAME` and `HARBOR_PASSWORD` is set.
    """
    env = os.environ if environ is None else environ
    url = harbor_url_from_env(env)
    username = (env.get("HARBOR_USERNAME") or "").strip()
    password = env.get("HARBOR_PASSWORD") or ""
    if username and password:
        return url, Credentials(username, password)
    if username:
        raise CredentialsError("HARBOR_USERNAME is set but HARBOR_PASSWORD is not")
    if password:
        raise CredentialsError("HARBOR_PASSWORD is set but HARBOR_USERNAME is not")
    return url, None


def docker_credentials(
    registry: str,
    *,
    config_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = _DEFAULT_HELPER_TIMEOUT,
) -> Credentials | None:
    """Find the credentials Docker would use for `registry`.

    The lookup order is described in the module documentation. This may run a credential
    helper (a subprocess, blocking up to `timeout` seconds): call it from a worker thread in
    async code.

    Args:
        registry: The registry host, with its port if any (`harbor.example.com`,
            `localhost:5000`, `docker.io`); a URL such as `https://harbor.example.com` is
            accepted too.
        config_path: The config file to read instead of Docker's default location.
        environ: The environment (`DOCKER_CONFIG`, `DOCKER_AUTH_CONFIG`, `HOME`, `PATH`);
            `os.environ` by default. A credential helper runs with this environment.
        timeout: Seconds to wait for a credential helper.

    Returns:
        The credentials, or `None` when there are none for this registry.

    Raises:
        CredentialsError: The config is unreadable or malformed, a configured helper is
            missing, fails or times out. The message never contains a secret.
        ValueError: `registry` is empty.
    """
    env = os.environ if environ is None else environ
    host = _host_of(registry)
    if not host:
        raise ValueError(f"no registry host in {registry!r}")
    is_hub = host in _DOCKER_HUB_HOSTS
    server_url = _DOCKER_HUB_KEY if is_hub else host
    hosts = _DOCKER_HUB_HOSTS if is_hub else frozenset({host})

    inline = env.get("DOCKER_AUTH_CONFIG")
    if inline:
        env_config = _parse_config(inline, "DOCKER_AUTH_CONFIG")
        found = _from_auths(env_config, server_url, hosts, "DOCKER_AUTH_CONFIG")
        if found is not None:
            return found

    path = _config_file(config_path, env)
    config = _read_config(path)
    if config is None:
        return None
    helper = _helper_for(config, server_url, hosts, str(path))
    if helper:
        return _run_helper(helper, server_url, env if environ is not None else None, timeout)
    return _from_auths(config, server_url, hosts, str(path))


def _host_of(registry: str) -> str:
    """Docker's key normalisation: drop an http(s) scheme and any path, and lowercase."""
    text = registry.strip()
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
            break
    return text.split("/", 1)[0].lower()


def _config_file(config_path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    if config_path is not None:
        return Path(config_path)
    directory = env.get("DOCKER_CONFIG")
    if directory:
        return Path(directory) / "config.json"
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".docker" / "config.json"


def _read_config(path: Path) -> dict[str, Any] | None:
    """The parsed config file, or None when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        _log.debug("no docker config at %s", path)
        return None
    except OSError as exc:
        raise CredentialsError(
            f"cannot read docker config {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CredentialsError(f"docker config {path} is not UTF-8 text") from None
    return _parse_config(text, f"docker config {path}")


def _parse_config(text: str, source: str) -> dict[str, Any]:
    if not text.strip():
        return {}  # Docker accepts an empty file
    problem: str | None = None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg says what was expected, never the content
        problem = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    except ValueError:  # a number of more than 4,300 digits: the message is not quoted
        problem = "a number too long to read"
    except RecursionError:
        problem = "nested too deeply"
    if problem is not None:
        raise CredentialsError(f"{source} is not valid JSON ({problem})")
    if not isinstance(data, dict):
        raise CredentialsError(f"{source} is not a JSON object")
    return data


def _section(config: Mapping[str, Any], name: str, source: str) -> dict[str, Any]:
    value = config.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CredentialsError(f'"{name}" in {source} is not an object')
    return value


def _lookup(section: Mapping[str, Any], server_url: str, hosts: frozenset[str]) -> str | None:
    """The key for this registry: the exact server URL first, then any key with its host."""
    if server_url in section:
        return server_url
    for key in section:
        if isinstance(key, str) and _host_of(key) in hosts:
            return key
    return None


def _helper_for(
    config: Mapping[str, Any], server_url: str, hosts: frozenset[str], source: str
) -> str | None:
    helpers = _section(config, "credHelpers", source)
    key = _lookup(helpers, server_url, hosts)
    name = helpers[key] if key is not None else config.get("credsStore")
    if name is None or name == "":
        return None
    if not isinstance(name, str) or not _HELPER_NAME_RE.fullmatch(name):
        raise CredentialsError(f"invalid credential helper name {name!r} in {source}")
    return name


def _from_auths(
    config: Mapping[str, Any], server_url: str, hosts: frozenset[str], source: str
) -> Credentials | None:
    auths = _section(config, "auths", source)
    key = _lookup(auths, server_url, hosts)
    if key is None:
        return None
    entry = auths[key]
    where = f"the {key!r} entry of {source}"
    if not isinstance(entry, dict):
        raise CredentialsError(f"{where} is not an object")

    token = _string_field(entry, "identitytoken", where)
    if token:
        _log.debug("using the identity token in %s", where)
        return Credentials(IDENTITY_TOKEN_USERNAME, token)
    encoded = _string_field(entry, "auth", where)
    if encoded:
        username, password = _decode_auth(encoded, where)
    else:
        username = _string_field(entry, "username", where)
        password = _string_field(entry, "password", where)
    if not username and not password:
        return None
    _log.debug("using credentials for user %r from %s", username, where)
    return Credentials(username, password)


def _string_field(entry: Mapping[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CredentialsError(f'"{name}" in {where} is not a string')
    return value


def _decode_auth(encoded: str, where: str) -> tuple[str, str]:
    """Decode Docker's `auth` field: base64 of `username:password`."""
    problem = f'the "auth" value in {where} is not base64 of "username:password"'
    try:
        decoded = base64.b64decode("".join(encoded.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise CredentialsError(problem) from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise CredentialsError(problem)
    return username, password.strip("\x00")


def _run_helper(
    name: str, server_url: str, environ: Mapping[str, str] | None, timeout: float
) -> Credentials | None:
    """Run `docker-credential-<name> get` and read its answer."""
    program = f"docker-credential-{name}"
    search_path = None if environ is None else environ.get("PATH", os.defpath)
    executable = shutil.which(program, path=search_path)
    if executable is None:
        raise CredentialsError(
            f"credential helper {program} is not installed (not found on PATH); "
            "it is named by the docker config"
        )
    _log.debug("asking credential helper %s for %s", program, server_url)
    # Errors are raised outside the except blocks so that no exception holding the helper's
    # output (subprocess.TimeoutExpired.output) is chained to them.
    failure: str | None = None
    result: subprocess.CompletedProcess[bytes] | None = None
    try:
        result = subprocess.run(  # noqa: S603 - a docker-credential-* program found on PATH
            [executable, "get"],
            input=server_url.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            env=None if environ is None else dict(environ),
            check=False,
        )
    except subprocess.TimeoutExpired:
        failure = f"credential helper {program} did not answer within {timeout:g} seconds"
    except OSError as exc:
        failure = f"cannot run credential helper {program}: {exc.strerror or type(exc).__name__}"
    if failure is not None or result is None:
        raise CredentialsError(failure or f"cannot run credential helper {program}")

    stdout = result.stdout.decode("utf-8", "replace").strip()
    stderr = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0:
        if _NOT_FOUND in stdout.lower() or _NOT_FOUND in stderr.lower():
            _log.debug("credential helper %s has no credentials for %s", program, server_url)
            return None
        detail = _safe_detail(stdout) or _safe_detail(stderr)
        raise CredentialsError(
            f"credential helper {program} failed with exit status {result.returncode}"
            + (f": {detail}" if detail else "")
        )
    return _parse_helper_answer(stdout, program, server_url)


def _parse_helper_answer(stdout: str, program: str, server_url: str) -> Credentials | None:
    if _NOT_FOUND in stdout.lower() and not stdout.startswith("{"):
        return None
    try:
        answer = json.loads(stdout)
    except (ValueError, RecursionError):  # not JSON, a 5,000-digit number, deep nesting
        answer = None
    if not isinstance(answer, dict):
        raise CredentialsError(f"credential helper {program} did not answer with a JSON object")
    username = answer.get("Username") or ""
    secret = answer.get("Secret") or ""
    if not isinstance(username, str) or not isinstance(secret, str):
        raise CredentialsError(
            f"credential helper {program} answered with a non-string Username or Secret"
        )
    if not secret:
        _log.debug("credential helper %s returned no secret for %s", program, server_url)
        return None
    return Credentials(username, secret)


def _safe_detail(text: str) -> str:
    """A helper's error message, fit to quote.

    One line, short, never a JSON document, and every word that could be a secret masked
    (`_core._redact.mask_untrusted`): the helper may print the secret it holds.
    """
    line = text.splitlines()[0].strip() if text else ""
    if not line or line.startswith(("{", "[")):
        return ""
    return mask_untrusted(line[:200])
