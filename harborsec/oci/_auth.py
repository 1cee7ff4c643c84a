"""Registry authentication: Basic credentials and the OCI bearer-token flow, as an `httpx.Auth`.

`RegistryAuth` is a plain generator flow (httpx's `auth_flow`), so
the same code serves the sync and the async client. On `/v2/`:

1. a token cached for the request's scope (`repository:<name>:<actions>`) is sent at once, so a
   resolution costs one request once the repository's token is cached;
2. a `401` with `WWW-Authenticate: Bearer realm=...,service=...,scope=...` makes it fetch a token
   from the realm (`GET`, with Basic credentials when it has some), cache it per scope until it
   expires, and send the request again;
3. a `401` with `Basic` after sending a token means the token expired (Harbor answers so): it
   fetches a new one, once;
4. a `401` with `Basic` after sending nothing means the registry wants Basic credentials (htpasswd
   registries): it sends them, and keeps doing so for that registry.

Everything else (Harbor's `/api/v2.0`) gets Basic credentials directly. Credentials (and tokens)
go only to the registry's own origin (scheme, host and port) and to the token realm named by a
challenge of that origin, never over plain HTTP unless the registry itself is plain HTTP. httpx
drops the `Authorization` header on cross-origin redirects (blob downloads redirected to object
storage), and this flow never adds it back: a `401` from another origin (storage reached by a
redirect, asking for credentials of its own) is not answered, the flow raises `UnauthorizedError`
saying that host is not the registry. Only `401` answers are looked at, so a request that
succeeds costs nothing more.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import datetime

import attrs
import httpx

from harborsec._core._http import USER_AGENT, json_body, raise_for_status, safe_url
from harborsec._core._limits import MAX_BODY, TOKEN_MAX_BODY, aread_body, read_body
from harborsec._core._redact import SECRETS_EXTENSION, watch
from harborsec.errors import CredentialsError, MalformedResponseError, UnauthorizedError
from harborsec.oci._credentials import Credentials

__all__ = [
    "Challenge",
    "RegistryAuth",
    "Token",
    "parse_token_response",
    "parse_www_authenticate",
    "scope_for_request",
]

_SCOPE_PATHS = [
    re.compile(r"^/v2/(?P<name>.+)/manifests/[^/]+$"),
    re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/?[^/]*$"),
    re.compile(r"^/v2/(?P<name>.+)/blobs/[^/]+$"),
    re.compile(r"^/v2/(?P<name>.+)/tags/list$"),
    re.compile(r"^/v2/(?P<name>.+)/referrers/[^/]+$"),
]
_AUTH_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')
_TOKEN_REQUEST = "harborsec.token_request"  # noqa: S105 - an extension name
_MIN_TOKEN_LIFETIME = 60
"""Tokens without `expires_in` live 60 s, as the distribution token spec says."""


@attrs.frozen
class Challenge:
    """One challenge of a `WWW-Authenticate` header."""

    scheme: str
    """The scheme, lower-cased (`bearer`, `basic`)."""
    params: dict[str, str]
    """Its parameters (`realm`, `service`, `scope`...), names lower-cased."""


@attrs.frozen
class Token:
    """A registry bearer token."""

    value: str = attrs.field(repr=False)
    """The token itself (never shown)."""
    expires_at: float
    """When to stop using it, on the `time.monotonic()` clock (a margin is already taken off)."""


def parse_www_authenticate(values: list[str]) -> list[Challenge]:
    """Parse `WWW-Authenticate` header values into challenges.

    Example:
        >>> parse_www_authenticate(['Bearer realm="https://h/token",service="registry"'])
        [Challenge(scheme='bearer', params={'realm': 'https://h/token', 'service': 'registry'})]
    """
    challenges = []
    for value in values:
        rest = value.strip()
        while rest:
            match = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", rest)
            if not match:
                break
            scheme = match.group(1).lower()
            rest = rest[match.end() :]
            params: dict[str, str] = {}
            while rest:
                param = _AUTH_PARAM.match(rest)
                if not param or (rest[param.end(1) :].lstrip()[:1] != "="):
                    break
                raw = param.group(2)
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                params[param.group(1).lower()] = raw
                rest = rest[param.end() :]
            challenges.append(Challenge(scheme=scheme, params=params))
            rest = rest.lstrip(", ")
    return challenges


def scope_for_request(method: str, path: str) -> str | None:
    """The token scope a registry will ask for, for a request on `/v2/<name>/...`.

    `pull` for GET and HEAD, `delete` for DELETE, `pull,push` otherwise; None for paths that do
    not name a repository (such as `/v2/` itself).

    Example:
        >>> scope_for_request("HEAD", "/v2/library/nginx/manifests/latest")
        'repository:library/nginx:pull'
    """
    for pattern in _SCOPE_PATHS:
        match = pattern.match(path)
        if match:
            method = method.upper()
            if method in ("GET", "HEAD"):
                actions = "pull"
            elif method == "DELETE":
                actions = "delete"
            else:
                actions = "pull,push"
            return f"repository:{match.group('name')}:{actions}"
    return None


def parse_token_response(response: httpx.Response, *, now: float) -> Token:
    """Read a token service's answer (`token` or `access_token`, `expires_in`).

    Raises:
        APIError: The token service answered with an error status.
        MalformedResponseError: The answer has no token.
    """
    raise_for_status(response)
    body = json_body(response)
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise MalformedResponseError(
            f"token service {safe_url(response.request.url)} answered without a token"
        )
    lifetime = body.get("expires_in")
    if not isinstance(lifetime, int | float) or lifetime <= 0:
        lifetime = _MIN_TOKEN_LIFETIME
    issued_at = body.get("issued_at")
    age = 0.0
    if isinstance(issued_at, str):
        try:
            issued = datetime.fromisoformat(issued_at.replace("Z", "+00:00"))
            age = max(0.0, time.time() - issued.timestamp())
        except ValueError:
            age = 0.0
    margin = min(30.0, lifetime / 10)
    return Token(value=token, expires_at=now + lifetime - age - margin)


def _basic(credentials: Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class RegistryAuth(httpx.Auth):
    """Authentication for one registry: Basic, or bearer tokens from its token service.

    Args:
        origin: The registry's URL; credentials are only ever sent to this origin and to the
            token realm named by its own challenges. A `401` from any other origin (a storage
            host a download was redirected to) raises `UnauthorizedError` instead.
        credentials: Username and password (or robot name and secret), or None for anonymous.
        clock: A monotonic clock (for tests).

    Example:
        >>> import httpx
        >>> auth = RegistryAuth(httpx.URL("https://harbor.example.com"), None)
        >>> client = httpx.Client(auth=auth)
    """

    def __init__(
        self,
        origin: httpx.URL | str,
        credentials: Credentials | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.origin = httpx.URL(origin)
        self._credentials = credentials
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._bearer: Challenge | None = None
        self._basic_registry = False
        self.token_requests = 0
        """How many tokens were fetched (for tests and benchmarks)."""
        watch(self)  # httpx's and httpcore's log records quote what servers send

    def secrets(self) -> list[str]:
        """The secrets in play, for redaction (`_core._redact`); never shown.

        The password, `user:password` (whose base64 is the Basic credential) and the tokens.
        """
        found = [token.value for token in list(self._tokens.values())]
        if self._credentials is not None:
            user, password = self._credentials.username, self._credentials.password
            found += [password, f"{user}:{password}"]
        return found

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"RegistryAuth(origin={str(self.origin)!r}, username={user!r})"

    # httpx reads every response before giving it to a flow only when `requires_response_body` is
    # set, which would pull whole blobs into memory; these two read token answers only.
    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Run the flow for a sync client, reading token service answers (httpx calls this)."""
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if request.extensions.get(_TOKEN_REQUEST):
                read_body(response)
            try:
                request = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Run the flow for an async client, reading token service answers (httpx calls this)."""
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if request.extensions.get(_TOKEN_REQUEST):
                await aread_body(response)
            try:
                request = flow.send(response)
            except StopIteration:
                return

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Authenticate one request (httpx calls this)."""
        if _origin(request.url) != _origin(self.origin):
            yield request  # another host: never send it credentials
            return
        path = request.url.path
        if not path.startswith("/v2/"):
            if self._credentials is not None:
                request.headers["Authorization"] = _basic(self._credentials)
            yield request
            return
        scope = scope_for_request(request.method, path)
        token = self._cached(scope)
        if token is not None:
            request.headers["Authorization"] = f"Bearer {token.value}"
        elif self._basic_registry and self._credentials is not None:
            request.headers["Authorization"] = _basic(self._credentials)
        sent = request.headers.get("Authorization")
        response = yield request
        if response.status_code != 401:
            return
        self._refuse_foreign_challenge(response)
        challenges = parse_www_authenticate(response.headers.get_list("WWW-Authenticate"))
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        if bearer is not None and "realm" in bearer.params:
            self._bearer = bearer
            wanted = bearer.params.get("scope") or scope or ""
        elif any(c.scheme == "basic" for c in challenges):
            if sent is not None and sent.startswith("Bearer ") and self._bearer is not None:
                wanted = scope or ""  # the token expired or was revoked: fetch a new one, once
                self._tokens.pop(wanted, None)
            elif sent is None and self._credentials is not None:
                self._basic_registry = True
                request.headers["Authorization"] = _basic(self._credentials)
                response = yield request
                if response.status_code == 401:
                    self._refuse_foreign_challenge(response)
                return
            else:
                return
        else:
            return
        if not wanted and self._credentials is None:
            return  # an anonymous probe of `/v2/`: no token to ask for
        token = yield from self._fetch_token(self._bearer, wanted, request)
        self._tokens[wanted] = token
        if scope and scope != wanted:
            self._tokens[scope] = token
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401:
            self._refuse_foreign_challenge(response)

    def _refuse_foreign_challenge(self, response: httpx.Response) -> None:
        """Raise `UnauthorizedError` for a `401` that another origin than the registry's sent.

        httpx follows redirects inside one step of this flow, so the `401` may come from the
        storage host a blob download was redirected to: its challenge (and the realm it names)
        is not the registry's, and gets no credentials.
        """
        url = response.request.url
        if _origin(url) == _origin(self.origin):
            return
        method = response.request.method
        request_id = response.headers.get("X-Request-Id") or response.request.headers.get(
            "X-Request-Id"
        )
        raise UnauthorizedError(
            f"{method} {safe_url(url)} answered 401 asking for credentials, but "
            f"{url.scheme}://{url.netloc.decode('ascii')} is not the registry "
            f"{safe_url(self.origin)} (a redirect led there): harborsec sends credentials "
            "only to the registry and to the token realm its own challenge names",
            status_code=401,
            request_id=request_id,
            method=method,
            url=safe_url(url),
        )

    def _cached(self, scope: str | None) -> Token | None:
        if scope is None:
            return None
        token = self._tokens.get(scope)
        if token is not None and token.expires_at <= self._clock():
            self._tokens.pop(scope, None)
            return None
        return token

    def _fetch_token(
        self, challenge: Challenge, scope: str, original: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, Token]:
        realm = httpx.URL(challenge.params["realm"])
        if realm.scheme not in ("http", "https"):
            raise CredentialsError(f"the registry named an unusable token realm {safe_url(realm)}")
        params: list[tuple[str, str | int | float | bool | None]] = []
        if "service" in challenge.params:
            params.append(("service", challenge.params["service"]))
        headers = {
            "X-Request-Id": original.headers.get("X-Request-Id", ""),
            "User-Agent": original.headers.get("User-Agent", USER_AGENT),
        }
        creds = self._credentials
        if creds is not None and realm.scheme == "http" and self.origin.scheme == "https":
            raise CredentialsError(
                "refusing to send credentials over plain HTTP to the token realm "
                f"{safe_url(realm)} "
                f"of the HTTPS registry {safe_url(self.origin)}"
            )
        scopes = scope.split()
        if creds is not None and creds.username == "<token>":
            # A docker identity token is an OAuth2 refresh token (docker login's `identitytoken`).
            form = [*params, ("scope", " ".join(scopes))]
            form += [("grant_type", "refresh_token"), ("refresh_token", creds.password)]
            form += [("client_id", "harborsec")]
            request = httpx.Request("POST", realm, data=dict(form), headers=headers)
        else:
            params += [("scope", s) for s in scopes]
            request = httpx.Request("GET", realm.copy_merge_params(params), headers=headers)
            if creds is not None:
                request.headers["Authorization"] = _basic(creds)
        request.extensions[_TOKEN_REQUEST] = True
        if creds is not None:  # redacted from any message about the answer
            request.extensions[SECRETS_EXTENSION] = (creds.password,)
        request.extensions[MAX_BODY] = TOKEN_MAX_BODY
        response = yield request
        self.token_requests += 1
        return parse_token_response(response, now=self._clock())
