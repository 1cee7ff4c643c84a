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
from collections.abc import Iterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport as _HttpxAiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions

__all__ = ["AiohttpTransport", "aiohttp_transport"]

_HTTP_11 = {"http_version": b"HTTP/1.1"}


@contextlib.contextmanager
def _refused_is_not_a_timeout(request: httpx.Request) -> Iterator[None]:
    """A connection that could not be made is `httpx.ConnectError`.

    httpx-aiohttp's mapping (0.2) turns aiohttp's `ClientConnectorError` (refused, unreachable,
    no such host) into `httpx.ConnectTimeout`, and the error message would then say "timed out".
    """
    try:
        yield
    except aiohttp.ClientProxyConnectionError:
        raise  # httpx-aiohttp maps it to httpx.ProxyError
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except httpx.ConnectTimeout as exc:  # already mapped, by httpx-aiohttp's own method
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientConnectorError) and not isinstance(
            cause, aiohttp.ClientProxyConnectionError
        ):
            raise httpx.ConnectError(str(exc), request=request) from cause
        raise


class AiohttpTransport(_HttpxAiohttpTransport):
    """httpx-aiohttp's transport, plus a `fetch` for requests whose response is wanted whole."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send a request, returning its response unread (httpx calls this)."""
        with _refused_is_not_a_timeout(request):
            return await super().handle_async_request(request)

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
        with map_aiohttp_exceptions(), _refused_is_not_a_timeout(request):
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
                body = await answer.read()
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
            response.read()  # decoded as httpx decodes
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
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    # The same context object, so that the transport does not build (and load CAs into) another.
    return AiohttpTransport(verify=context, client=session)
