"""How much of a response body harborsec reads: the size limits, and the bounded reads.

Every body read whole has a limit, so that a misbehaving server (or whatever answers in its
place) cannot make a call hold hundreds of megabytes in memory:

* `DEFAULT_MAX_BODY` (16 MiB): a success answer, unless the request says otherwise. Harbor's
  JSON pages (100 items at most) are far below it; a blob read whole sets its own.
* `MANIFEST_MAX_BODY` (4 MiB): manifests and indexes, the limit CNCF Distribution applies.
* `TOKEN_MAX_BODY` (1 MiB): a token service's answer (a token is a few kilobytes).
* `ERROR_MAX_BODY` (64 KiB): an error answer (status 400 and up, or a 3xx read whole) is read
  up to this many bytes, and only those are parsed; it is never an error in itself, so the
  status is still mapped to its `APIError`.

An operation sets a request's limit with the `MAX_BODY` request extension (bytes, or None for
no limit). A `Content-Length` over the limit is refused before reading anything; a body
without one (chunked) is read in chunks, and the connection is closed as soon as it passes the
limit. Streamed responses (`STREAM`) are the operation's to read, and are not limited here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx

from harborsec._core._deadline import Deadline
from harborsec._core._http import safe_url
from harborsec.errors import ResponseTooLargeError

__all__ = [
    "DEFAULT_MAX_BODY",
    "cut_body_hook",
    "cut_body_hook_async",
    "ERROR_MAX_BODY",
    "MANIFEST_MAX_BODY",
    "MAX_BODY",
    "TOKEN_MAX_BODY",
    "aread_body",
    "body_limit",
    "Collected",
    "checked_limit",
    "read_body",
    "too_large",
]

MAX_BODY = "harborsec.max_body"
"""Request extension: the most bytes of a success answer's body to read (None: no limit)."""

DEFAULT_MAX_BODY = 16 * 1024 * 1024
MANIFEST_MAX_BODY = 4 * 1024 * 1024
TOKEN_MAX_BODY = 1024 * 1024
ERROR_MAX_BODY = 64 * 1024


def body_limit(request: httpx.Request, status: int) -> tuple[int | None, bool]:
    """The limit for this response's body, and whether it is cut there (True) or refused."""
    if status >= 300:
        return ERROR_MAX_BODY, True
    limit = request.extensions.get(MAX_BODY, DEFAULT_MAX_BODY)
    return (limit if isinstance(limit, int) else None), False


def too_large(request: httpx.Request, limit: int, declared: int | None) -> ResponseTooLargeError:
    """The error for a body over `limit` bytes (`declared`: its `Content-Length`, if any)."""
    method, url = request.method, safe_url(request.url)
    size = f"declares {declared} bytes" if declared is not None else "sent more"
    return ResponseTooLargeError(
        f"{method} {url} answered a body that {size}, over the limit of {limit} bytes for this "
        "kind of answer; the connection was closed without reading it. No registry answers "
        "that much here: check that the URL is the registry's (not a proxy's or a portal's).",
        limit=limit,
        method=method,
        url=url,
    )


def _declared(response: httpx.Response) -> int | None:
    """`Content-Length` as a number (one too long to be a real size counts as huge)."""
    value = response.headers.get("content-length")
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value) if len(value) < 19 else 1 << 62


def checked_limit(
    request: httpx.Request, status: int, declared: int | None
) -> tuple[int | None, bool]:
    """The limit of a response's body, and whether it is cut there (True) or refused.

    A `declared` size (its `Content-Length`) over a limit that refuses is refused at once.

    Raises:
        ResponseTooLargeError: `declared` is over the limit of a success answer.
    """
    if request.method == "HEAD" or status in (204, 304):
        return None, False  # no body, whatever Content-Length says
    limit, cut = body_limit(request, status)
    if limit is not None and not cut and declared is not None and declared > limit:
        raise too_large(request, limit, declared)
    return limit, cut


class Collected:
    """The chunks of a body read so far, against its limit (one definition for every reader).

    `add` keeps a chunk and says whether the body has gone past its limit; the reader then
    closes the connection and calls `past_limit`, which raises for a limit that refuses and
    returns for one that cuts.
    """

    def __init__(self, request: httpx.Request, limit: int | None, cut: bool) -> None:
        self._request = request
        self._limit = limit
        self._cut = cut
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> bool:
        """Keep `chunk`; True when the body is now over its limit (stop reading)."""
        self._chunks.append(chunk)
        self._size += len(chunk)
        return self._limit is not None and self._size > self._limit

    def past_limit(self) -> None:
        """After `add` said stop: raise if the limit refuses, else return (the body is cut).

        Raises:
            ResponseTooLargeError: The limit refuses a larger body.
        """
        if not self._cut:
            assert self._limit is not None
            raise too_large(self._request, self._limit, None)

    def content(self) -> bytes:
        """The body, cut at the limit."""
        body = b"".join(self._chunks)
        return body[: self._limit] if self._limit is not None else body


class _Cut(httpx.SyncByteStream):
    """A body that ends after `limit` bytes (the rest is not read: the connection is closed)."""

    def __init__(self, stream: httpx.SyncByteStream, limit: int) -> None:
        self._stream = stream
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        left = self._limit
        for chunk in self._stream:
            yield chunk[:left]
            left -= len(chunk)
            if left <= 0:
                self._stream.close()
                return

    def close(self) -> None:
        self._stream.close()


class _AsyncCut(httpx.AsyncByteStream):
    """`_Cut`, asynchronous."""

    def __init__(self, stream: httpx.AsyncByteStream, limit: int) -> None:
        self._stream = stream
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        left = self._limit
        async for chunk in self._stream:
            yield chunk[:left]
            left -= len(chunk)
            if left <= 0:
                await self._stream.aclose()
                return

    async def aclose(self) -> None:
        await self._stream.aclose()


def _cut_here(response: httpx.Response) -> bool:
    return response.status_code >= 300 and response.request.method != "HEAD"


def cut_body_hook(response: httpx.Response) -> None:
    """Response hook of an `httpx.Client`: cut a redirect's or an error's body at `ERROR_MAX_BODY`.

    httpx reads a redirect's body before following it, and a `401` before the auth flow goes
    on, with no limit; the hook runs before both, for every response of a call.
    """
    if _cut_here(response) and isinstance(response.stream, httpx.SyncByteStream):
        response.stream = _Cut(response.stream, ERROR_MAX_BODY)


async def cut_body_hook_async(response: httpx.Response) -> None:
    """`cut_body_hook`, for an `httpx.AsyncClient`."""
    if _cut_here(response) and isinstance(response.stream, httpx.AsyncByteStream):
        response.stream = _AsyncCut(response.stream, ERROR_MAX_BODY)


def read_body(
    response: httpx.Response,
    deadline: Deadline | None = None,
    clock: Callable[[], float] | None = None,
) -> None:
    """Read a response (sync) within its limit, as `response.read()` would.

    With a `deadline` (and the `clock` it is on), the clock is checked after each chunk: a
    server dripping a byte at a time cannot stretch a call past it.

    Raises:
        DeadlineExceededError: The deadline passed while reading (the response is closed).
        ResponseTooLargeError: A success answer's body is over its limit (the response is
            closed). An error answer's body is cut at `ERROR_MAX_BODY` instead.
        httpx.HTTPError: Reading failed.
    """
    if hasattr(response, "_content"):
        return  # already read
    try:
        limit, cut = checked_limit(response.request, response.status_code, _declared(response))
    except ResponseTooLargeError:
        response.close()
        raise
    if limit is None and deadline is None:
        response.read()
        return
    body = Collected(response.request, limit, cut)
    for chunk in response.iter_bytes():
        over = body.add(chunk)
        if deadline is not None and clock is not None and clock() >= deadline.at:
            response.close()
            raise deadline.error(response.request)
        if over:
            response.close()
            body.past_limit()
            break
    # What `read()` stores (httpx keeps the body there; `_aiohttp.py` relies on it too).
    response._content = body.content()


async def aread_body(response: httpx.Response) -> None:
    """Read a response (async) within its limit, as `response.aread()` would.

    Raises:
        ResponseTooLargeError: A success answer's body is over its limit (the response is
            closed). An error answer's body is cut at `ERROR_MAX_BODY` instead.
        httpx.HTTPError: Reading failed.
    """
    if hasattr(response, "_content"):
        return  # already read
    try:
        limit, cut = checked_limit(response.request, response.status_code, _declared(response))
    except ResponseTooLargeError:
        await response.aclose()
        raise
    if limit is None:
        await response.aread()
        return
    body = Collected(response.request, limit, cut)
    async for chunk in response.aiter_bytes():
        if body.add(chunk):
            await response.aclose()
            body.past_limit()
            break
    response._content = body.content()
