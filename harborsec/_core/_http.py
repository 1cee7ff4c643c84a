"""HTTP helpers shared by every operation: error mapping, request ids, safe URLs, no cookies.

Everything here is pure: it looks at requests and responses and returns values or raises
harborsec exceptions. `raise_for_status` is the one
place where HTTP error statuses become exceptions.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from harborsec._core._redact import redact, request_secrets
from harborsec._version import __version__
from harborsec.errors import (
    APIError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ErrorDetail,
    ForbiddenError,
    MalformedResponseError,
    MethodNotAllowedError,
    NotFoundError,
    PolicyViolationError,
    PreconditionFailedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "NoCookies",
    "NotGiven",
    "NOT_GIVEN",
    "aiter_bytes",
    "iter_bytes",
    "json_body",
    "new_request_id",
    "parse_error_details",
    "raise_for_status",
    "safe_url",
    "transport_error",
    "with_path",
]

USER_AGENT = f"harborsec/{__version__}"
"""The User-Agent header sent with every request."""

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""Default timeouts: 10 s to connect, 60 s for each read, write or pool wait."""


class NotGiven:
    """The type of `NOT_GIVEN`: "not passed", unlike `None`."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()
"""Sentinel for "use the client's default" in per-call options such as `timeout=`."""


class NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that never stores a cookie.

    Harbor sets a `sid` session cookie on API responses; a client that sends it back turns on
    Harbor's CSRF check and every later POST, PUT or DELETE fails with `403 CSRF token invalid`.
    """

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: urllib.request.Request) -> None:
        return None


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def new_request_id() -> str:
    """A new `X-Request-Id` value (a UUID4), one per logical call."""
    return str(uuid.uuid4())


# A path that httpx would keep as it is: unreserved characters, ":", "@", "/" and %XX escapes, and
# no "." or ".." segment (httpx would remove those).
_PLAIN_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))(?:[A-Za-z0-9._~:@-]|%[0-9A-Fa-f]{2})*)*")


def with_path(base: httpx.URL, path: str) -> httpx.URL:
    """`base` with its path replaced by `path`, and no query or fragment.

    The same URL as ``base.copy_with(path=path, query=None, fragment=None)`` (characters that
    cannot appear in a path are percent-encoded; `%XX` escapes are kept), about ten times faster for
    the paths the registry and Harbor operations build. `copy_with` validates and re-parses the
    whole URL (20 to 35 µs on this project's benchmark machine, a tenth of a `HEAD`'s client CPU
    time); a path made only of characters that httpx leaves as they are, with no dot segments,
    needs no parsing, so the path of the already parsed `base` is replaced instead. That uses
    httpx's parsed form (`URL._uri_reference`, a named tuple, in httpx 0.23 to 0.28); any other
    path, or an httpx without it, goes through `copy_with`. `tests/unit/core/test_http.py`
    checks that both give the same URL.

    Example:
        >>> str(with_path(httpx.URL("https://h.test:8443/base?x=1"), "/v2/a/b/manifests/1.0"))
        'https://h.test:8443/v2/a/b/manifests/1.0'
    """
    parsed = getattr(base, "_uri_reference", None)
    if _PLAIN_PATH.fullmatch(path) and path and hasattr(parsed, "_replace"):
        url = httpx.URL.__new__(httpx.URL)
        url._uri_reference = parsed._replace(path=path, query=None, fragment=None)  # type: ignore[union-attr]
        return url
    return base.copy_with(path=path, query=None, fragment=None)


def safe_url(url: httpx.URL | str) -> str:
    """The URL as text, without user-info (so no password can reach a message or a log)."""
    url = httpx.URL(url)
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return str(url)


def parse_error_details(response: httpx.Response) -> list[ErrorDetail]:
    """Read the `{"errors": [{"code", "message"}]}` body that Harbor and OCI registries send.

    Args:
        response: A read response.

    Returns:
        Every entry, in order; an empty list when the body has another shape.
    """
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return []
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    details = []
    for entry in body["errors"]:
        if isinstance(entry, dict):
            details.append(
                ErrorDetail(code=str(entry.get("code", "")), message=str(entry.get("message", "")))
            )
    return details


def raise_for_status(response: httpx.Response) -> None:
    """Raise the harborsec exception for an error status; do nothing for 1xx, 2xx and 3xx.

    Args:
        response: A read response.

    The server's words (the error entries, the reason phrase, the `X-Request-Id`) are quoted
    with the secrets the request carried redacted (see `_redact.request_secrets`): a token
    service that echoes the `Authorization` header it received does not put it in the exception.

    Raises:
        APIError: The subclass for the status (412 `PROJECTPOLICYVIOLATION` gives
            `PolicyViolationError`, 5xx `ServerError`), carrying every error entry of the body,
            the `X-Request-Id` and the request's method and URL.
    """
    status = response.status_code
    if status < 400:
        return
    details = parse_error_details(response)
    request = response.request
    method, url = request.method, safe_url(request.url)
    request_id = response.headers.get("X-Request-Id") or request.headers.get("X-Request-Id")
    reason = response.reason_phrase
    secrets = request_secrets(request)
    if secrets:
        details = [
            ErrorDetail(code=redact(d.code, secrets), message=redact(d.message, secrets))
            for d in details
        ]
        reason = redact(reason, secrets)
        request_id = redact(request_id, secrets) if request_id else request_id
    if details:
        text = "; ".join(f"{d.code}: {d.message}" if d.code else d.message for d in details)
    else:
        text = reason or "error"
    message = f"{method} {url} failed with {status}: {text}"
    if request_id:
        message += f" (request id {request_id})"
    cls: type[APIError]
    if status >= 500:
        cls = ServerError
    elif status == 412 and any(d.code == "PROJECTPOLICYVIOLATION" for d in details):
        cls = PolicyViolationError
    else:
        cls = _STATUS_ERRORS.get(status, APIError)
    kwargs: dict[str, Any] = {
        "status_code": status,
        "errors": details,
        "request_id": request_id,
        "method": method,
        "url": url,
    }
    if cls is RateLimitError:
        from harborsec._core._retry import parse_retry_after

        raise RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    raise cls(message, **kwargs)


def transport_error(error: httpx.HTTPError, request: httpx.Request) -> TransportError:
    """Turn an httpx exception into the harborsec transport exception (without credentials).

    The reason may quote what the server sent (aiohttp quotes the start of a header line it
    refused): the secrets the request carried are redacted from it.
    """
    method, url = request.method, safe_url(request.url)
    cls = RequestTimeoutError if isinstance(error, httpx.TimeoutException) else TransportError
    reason = str(error) or type(error).__name__
    secrets = request_secrets(request)
    if secrets:
        reason = redact(reason, secrets)
    return cls(f"{method} {url} failed: {reason}{_hint(error, request)}", method=method, url=url)


def iter_bytes(response: httpx.Response, chunk_size: int | None = None) -> Iterator[bytes]:
    """`response.iter_bytes(chunk_size)`, its transport errors raised as harborsec's.

    A body streamed to the caller is read outside the driver, which maps the errors of the
    requests it sends; a truncated body, a reset or a stall while it is read would otherwise
    reach the caller as httpx's `RemoteProtocolError`, `ReadError` or `ReadTimeout`.

    Raises:
        TransportError: The body could not be read whole (`RequestTimeoutError` for a timeout).
        ClientClosedError: The stream was read after it was closed (after its `with` block).
    """
    try:
        yield from response.iter_bytes(chunk_size)
    except httpx.HTTPError as exc:
        raise transport_error(exc, response.request) from None
    except httpx.StreamError:
        raise _stream_closed(response) from None


async def aiter_bytes(
    response: httpx.Response, chunk_size: int | None = None
) -> AsyncIterator[bytes]:
    """The async form of `iter_bytes`."""
    try:
        async for chunk in response.aiter_bytes(chunk_size):
            yield chunk
    except httpx.HTTPError as exc:
        raise transport_error(exc, response.request) from None
    except httpx.StreamError:
        raise _stream_closed(response) from None


def _stream_closed(response: httpx.Response) -> ClientClosedError:
    request = response.request
    return ClientClosedError(
        f"the body of {request.method} {safe_url(request.url)} was read after its stream was "
        "closed: read a streamed blob inside its `with` block"
    )


_PLAIN_HTTP_SIGNS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST")
"""OpenSSL's reasons when a TLS handshake gets a plain-HTTP answer."""


def _hint(error: httpx.HTTPError, request: httpx.Request) -> str:
    """What to do about a TLS failure, if that is what `error` is (else nothing)."""
    if request.url.scheme != "https":
        return ""
    text = " ".join(str(e) for e in (error, error.__cause__, error.__context__) if e is not None)
    if any(sign in text for sign in _PLAIN_HTTP_SIGNS):
        return (
            " (the server seems to speak plain HTTP: use an http:// URL, or insecure=True; "
            "on the command line, --insecure)"
        )
    if "Hostname mismatch" in text or "IP address mismatch" in text:
        return (
            " (the server's certificate was not issued for this host name: use the name it was "
            "issued for in the URL)"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            " (the server's certificate is not trusted: pass ca_bundle= with its CA; for a test "
            "instance only, insecure=True or --insecure on the command line)"
        )
    return ""


def json_body(response: httpx.Response) -> Any:
    """The response body parsed as JSON.

    Raises:
        MalformedResponseError: The body is not JSON.
    """
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:  # a 5,000-digit number is a ValueError too
        raise MalformedResponseError(
            f"{response.request.method} {safe_url(response.request.url)} answered "
            f"{response.status_code} with a body that is not JSON: {exc}"
        ) from None
    except RecursionError:
        raise MalformedResponseError(
            f"{response.request.method} {safe_url(response.request.url)} answered "
            f"{response.status_code} with JSON nested too deeply"
        ) from None
