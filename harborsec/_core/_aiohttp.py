"""The default asynchronous transport: aiohttp through httpx-aiohttp, plus a whole-response fetch.

`AiohttpTransport` is httpx-aiohttp's transport
(aiohttp's connection pool, which stays fast under concurrency where httpx's own does not) with
one addition, `fetch`: send a request whose
answer the caller wants whole, and return it already read. `AsyncRegistry` uses it for its GET
and HEAD requests. Going through `handle_async_request` instead would wrap aiohttp's response in
an httpx stream and read it back through two layers of async generators, which costs more CPU
than the rest of a `HEAD` on the client side.

This module imports aiohttp and httpx-aiohttp; import it only when the `harborsec[aiohttp]`
extra is installed.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport as _HttpxAiohttpTransport
from httpx_aiohttp.transport import AIOHTTP_EXC_MAP, map_aiohttp_exceptions

from harborsec._core._limits import Collected, checked_limit, read_body
from harborsec.errors import ResponseTooLargeError

__all__ = ["MAX_HEADER_LINE", "AiohttpTransport", "aiohttp_transport"]

_HTTP_11 = {"http_version": b"HTTP/1.1"}

MAX_HEADER_LINE = 100 * 1024
"""The longest response status or header line aiohttp reads (its default is 8190 bytes).

httpx's own transport reads a response head of about 100 KiB in all (httpcore's h11 limit on an
unfinished head: 100 to 150 KiB depending on how the bytes arrive), so a registry answering with
one long header (a large `Link`, a long `WWW-Authenticate`) works the same with `Registry` and
`AsyncRegistry`; beyond that both raise `TransportError`. The limits differ in shape: aiohttp
has no limit on the whole head but allows 128 header lines (its default), so it takes heads
httpx refuses (several long lines, up to 128 x 100 KiB) and refuses some httpx takes (more than
128 short lines). Both shapes bound the memory a response head can take; no registry comes near
either.
"""


def _sent_or_not(exc: aiohttp.ClientError) -> type[httpx.TransportError] | None:
    """The httpx error for an aiohttp connection error: was the request possibly sent?

    httpx-aiohttp's mapping (0.2) turns every `ClientConnectionError` into
    `httpx.ConnectTimeout`, which says "never sent" (the retry policy then sends even a POST
    again), and its subclass `ClientConnectorError` (refused, unreachable, no such host) into
    the same, whose message would say "timed out". Only a connection that could not be made is
    a connect error; a disconnection or a reset once connected may come after the request was
    written. A response aiohttp could not parse (`ClientResponseError`: a header line over
    `MAX_HEADER_LINE`, a bad status line), which httpx-aiohttp lets through unmapped, is
    `httpx.RemoteProtocolError`, what h11 raises for the same. None: httpx-aiohttp's own mapping
    is right (proxies, read timeouts, payloads).
    """
    if isinstance(exc, aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return None  # httpx.ProxyError
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return None  # httpx.ReadTimeout, or httpx.TimeoutException
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError  # what httpx's own pool raises there
    if isinstance(exc, aiohttp.ClientConnectionError):
        return httpx.ReadError  # a reset, or another socket error once connected
    return None


def _by_table(exc: aiohttp.ClientError) -> type[httpx.TransportError]:
    """httpx-aiohttp's own mapping of an aiohttp error (its most specific match).

    `httpx.ReadError` for an error it does not know: it may come after the request was written.
    """
    found: type[httpx.TransportError] | None = None
    for source, target in AIOHTTP_EXC_MAP.items():
        if isinstance(exc, source) and (found is None or issubclass(target, found)):
            found = target
    return found or httpx.ReadError


@contextlib.contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """Translate aiohttp's connection errors to httpx's, telling "never sent" from "maybe sent".

    Both aiohttp's errors and httpx-aiohttp's mapping of them (by their cause) are translated;
    no `aiohttp.ClientError` gets through (the drivers map httpx's errors to harborsec's).
    """
    try:
        yield
    except aiohttp.ClientError as exc:
        error = _sent_or_not(exc) or _by_table(exc)
        raise error(str(exc), request=request) from exc
    except httpx.TransportError as exc:
        cause = exc.__cause__
        mapped = _sent_or_not(cause) if isinstance(cause, aiohttp.ClientError) else None
        if mapped is None or isinstance(exc, mapped):
            raise
        raise mapped(str(exc), request=request) from cause


class _MappedStream(httpx.AsyncByteStream):
    """A response body from httpx-aiohttp, its read errors translated by `_mapped`."""

    def __init__(self, stream: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with _mapped(self._request):
            await self._stream.aclose()


async def _read_limited(answer: aiohttp.ClientResponse, request: httpx.Request) -> bytes:
    """Read aiohttp's response body within the request's limit (see `_limits.py`).

    Raises:
        ResponseTooLargeError: A success answer's body is over its limit (the connection is
            closed). An error answer's body is cut at the limit instead.
    """
    try:
        limit, cut = checked_limit(request, answer.status, answer.content_length)
    except ResponseTooLargeError:
        answer.close()
        raise
    if limit is None or (answer.content_length is not None and answer.content_length <= limit):
        return await answer.read()  # no limit, or aiohttp stops at Content-Length
    body = Collected(request, limit, cut)
    async for chunk in answer.content.iter_any():
        if body.add(chunk):
            answer.close()
            body.past_limit()
            break
    return body.content()


class AiohttpTransport(_HttpxAiohttpTransport):
    """httpx-aiohttp's transport, plus a `fetch` for requests whose response is wanted whole."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send a request, returning its response unread (httpx calls this)."""
        with _mapped(request):
            response = await super().handle_async_request(request)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _MappedStream(response.stream, request)
        return response

    def get_client(self) -> aiohttp.ClientSession:
        """The aiohttp session, its own resending of requests turned off (httpx-aiohttp calls this).

        aiohttp sends an idempotent request a second time when the connection drops before the
        response (`ClientSession._retry_connection`, private, without a public switch): with
        harborsec's retry policy on top, each attempt would be two requests on the wire, and
        `RetryPolicy.retries` would not count them. The policy alone decides.
        """
        session = super().get_client()
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        return session

    def _session(self) -> aiohttp.ClientSession:
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        return self.client

    async def fetch(self, request: httpx.Request) -> httpx.Response:
        """Send a request without a body and return its response, read.

        The same request options as `handle_async_request` (the `timeout` and `sni_hostname`
        extensions, no redirects, no decompression), and aiohttp's errors become httpx's.

        Raises:
            ValueError: The request has a body (use `handle_async_request`).
            httpx.HTTPError: The request failed.
        """
        if request.content:
            raise ValueError("fetch() sends requests without a body")
        timeout = request.extensions.get("timeout", {})
        with map_aiohttp_exceptions(), _mapped(request):
            async with self._session().request(
                request.method,
                str(request.url),
                headers=[
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in request.headers.raw
                ],
                allow_redirects=False,
                auto_decompress=False,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                    connect=timeout.get("pool"),
                ),
                server_hostname=request.extensions.get("sni_hostname"),
            ) as answer:
                body = await _read_limited(answer, request)
        extensions = dict(_HTTP_11)
        if answer.reason:
            extensions["reason_phrase"] = answer.reason.encode()
        response = httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions=extensions,
        )
        if "Content-Encoding" in answer.headers:
            read_body(response)  # decoded as httpx decodes, within the same limit
        else:
            # What `read()` would store, without passing the body through httpx's decoder and
            # chunker generators (about 20 µs a response, a tenth of a HEAD's client CPU time).
            # Should httpx rename the attribute, `aread()` reads the same bytes from the stream:
            # only the speed depends on it.
            response._content = body
        return response


def aiohttp_transport(verify: ssl.SSLContext | bool, max_connections: int) -> AiohttpTransport:
    """The default asynchronous transport: aiohttp's pool, cookies refused, `verify` for TLS."""
    context = httpx.create_ssl_context(verify=verify)

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=context, limit=max_connections)
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            max_line_size=MAX_HEADER_LINE,
            max_field_size=MAX_HEADER_LINE,
        )

    # The same context object, so that the transport does not build (and load CAs into) another.
    return AiohttpTransport(verify=context, client=session)
