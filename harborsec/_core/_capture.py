"""Raw responses: the status and headers of every HTTP exchange made inside a `with` block.

harborsec's methods return models, not responses. To read what the server said besides the body
(`X-Request-Id` to find a call in Harbor's logs, `X-Total-Count`, rate-limit headers), wrap the
calls in `capture_responses()`::

    with harborsec.capture_responses() as responses:
        registry.ping()
    responses[-1].status_code, responses[-1].request_id

Both drivers record into it (`run_sync` and `run_async`, including `AsyncRegistry`'s direct
path), one `CapturedResponse` per response they receive: every try of a retried request, and
every request of a multi-step call or a fan-out. Requests that got no response (a refused
connection) are not recorded; neither are the exchanges httpx makes inside one send (a bearer
token fetched by the auth flow, a redirect followed), whose final response is the one recorded.

The capture lives in a context variable, so the same `with` block works around `await` calls
(in the task that entered it and the tasks it starts after entering), and concurrent tasks each
see only their own captures. Blocks nest: an exchange is recorded in every enclosing capture.
Outside any capture, a driver pays one `ContextVar.get()` per call.

Nothing secret is recorded: the URL loses its user-info, request headers are not kept at all
(so no `Authorization`), and the values of the response headers that can carry a credential
(`Set-Cookie`, and `Authorization` or `Proxy-Authorization` should a server echo one) are
replaced by `[redacted]`, as is, in any other header value, a secret the request carried
(`_redact.request_secrets`) that the server echoed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import httpx

from harborsec._core._http import safe_url
from harborsec._core._redact import REDACTED, redact_forms, request_secrets, secret_forms

__all__ = ["REDACTED", "CapturedResponse", "capture_responses", "current_sinks", "record"]


_SECRET_HEADERS = frozenset({"set-cookie", "authorization", "proxy-authorization", "cookie"})

Sink = list["CapturedResponse"]

_SINKS: contextvars.ContextVar[tuple[Sink, ...]] = contextvars.ContextVar(
    "harborsec_capture", default=()
)


@attrs.frozen(eq=False)
class CapturedResponse:
    """One HTTP exchange: what was asked, and the status and headers of the answer."""

    method: str
    """The request method."""
    url: str
    """The request URL, without user-info."""
    status_code: int
    """The response status."""
    headers: httpx.Headers
    """A copy of the response headers (secret values replaced by `[redacted]`)."""
    request_id: str | None
    """The server's `X-Request-Id`, or else the one harborsec sent."""
    elapsed: float
    """Seconds from sending the request to having the response (its headers, when streamed)."""

    @property
    def total_count(self) -> int | None:
        """`X-Total-Count` as a number (Harbor's listings), or None."""
        value = self.headers.get("X-Total-Count", "")
        ok = value.isascii() and value.isdigit() and len(value) <= 18  # no 5,000-digit parsing
        return int(value) if ok else None


@contextmanager
def capture_responses() -> Iterator[list[CapturedResponse]]:
    """Record the status and headers of every HTTP exchange harborsec makes inside the block.

    Works around synchronous calls and around `await` calls alike (it is a plain `with`, kept in
    a context variable). The list fills as calls are made, in the order responses arrive.

    Yields:
        The list of `CapturedResponse` records.

    Example:
        >>> import harborsec
        >>> from harborsec.testing import HarborEmulator
        >>> with harborsec.Registry("https://harbor.test", auth=("admin", "Harbor12345"),
        ...                         transport=HarborEmulator().transport()) as registry:
        ...     with harborsec.capture_responses() as responses:
        ...         registry.ping()
        True
        >>> for response in responses:
        ...     print(response.method, response.url, response.status_code)
        GET https://harbor.test/v2/ 200
    """
    sink: Sink = []
    token = _SINKS.set((*_SINKS.get(), sink))
    try:
        yield sink
    finally:
        _SINKS.reset(token)


current_sinks = _SINKS.get
"""The captures open in this context (usually none): the drivers' one check per call."""


def record(
    sinks: tuple[Sink, ...], request: httpx.Request, response: httpx.Response, elapsed: float
) -> None:
    """Append a record of this exchange to every capture in `sinks`."""
    forms = secret_forms(request_secrets(request))
    headers = httpx.Headers(
        [
            (
                name,
                REDACTED if name.lower() in _SECRET_HEADERS else redact_forms(value, forms),
            )
            for name, value in response.headers.multi_items()
        ]
    )
    request_id = response.headers.get("X-Request-Id") or request.headers.get("X-Request-Id")
    captured = CapturedResponse(
        method=request.method,
        url=safe_url(request.url),
        status_code=response.status_code,
        headers=headers,
        request_id=redact_forms(request_id, forms) if request_id else request_id,
        elapsed=elapsed,
    )
    for sink in sinks:
        sink.append(captured)
