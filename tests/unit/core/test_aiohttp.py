"""The default async transport's `fetch` gives what `handle_async_request` + `aread()` give."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import socket
import sys
import threading
from collections.abc import Iterator

import aiohttp
import httpx
import multidict
import pytest
import yarl

from harborsec import AsyncRegistry
from harborsec._core._aiohttp import AiohttpTransport, _mapped, aiohttp_transport

BODY = b'{"schemaVersion": 2}'


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _answer(self, send_body: bool) -> None:
        if self.path == "/gzip":
            body, headers = gzip.compress(BODY), {"Content-Encoding": "gzip"}
        elif self.path == "/redirect":
            body, headers = b"", {"Location": "/plain"}
        elif self.path == "/echo-headers":
            seen = sorted(f"{k.lower()}: {v}" for k, v in self.headers.items())
            body, headers = "\n".join(seen).encode(), {}
        else:
            body, headers = BODY, {"Docker-Content-Digest": "sha256:" + "0" * 64}
        self.send_response(302 if self.path == "/redirect" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _both(request: httpx.Request) -> tuple[httpx.Response, httpx.Response]:
    async def run() -> tuple[httpx.Response, httpx.Response]:
        transport = aiohttp_transport(True, 4)
        try:
            fetched = await transport.fetch(request)
            streamed = await transport.handle_async_request(request)
            await streamed.aread()
            return fetched, streamed
        finally:
            await transport.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["/plain", "/gzip", "/redirect"])
def test_fetch_answers_as_the_streaming_path_does(server: str, method: str, path: str) -> None:
    fetched, streamed = _both(httpx.Request(method, server + path))
    assert fetched.status_code == streamed.status_code
    assert fetched.headers.multi_items() == streamed.headers.multi_items()
    assert fetched.content == streamed.content
    assert fetched.http_version == "HTTP/1.1"
    assert fetched.request.url == httpx.URL(server + path)
    if method == "GET" and path != "/redirect":
        assert fetched.content == BODY  # gzip is decoded, as httpx decodes it
    if path == "/redirect":
        assert fetched.is_redirect  # not followed: the caller decides (and drops credentials)


def test_fetch_sends_the_request_headers_as_they_are(server: str) -> None:
    request = httpx.Request(
        "GET", server + "/echo-headers", headers={"Authorization": "Bearer t", "X-Request-Id": "r"}
    )
    fetched, _ = _both(request)
    lines = fetched.text.splitlines()
    assert "authorization: Bearer t" in lines
    assert "x-request-id: r" in lines


def test_fetch_refuses_a_request_with_a_body(server: str) -> None:
    with pytest.raises(ValueError, match="without a body"):
        _both(httpx.Request("GET", server + "/plain", content=b"x"))


@pytest.mark.parametrize("method", ["fetch", "handle_async_request"])
def test_a_refused_connection_is_a_connect_error_not_a_timeout(method: str) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again: nothing listens there

    async def run() -> None:
        transport = aiohttp_transport(True, 1)
        try:
            await getattr(transport, method)(httpx.Request("GET", f"http://127.0.0.1:{port}/v2/"))
        finally:
            await transport.aclose()

    with pytest.raises(httpx.ConnectError) as caught:
        asyncio.run(run())
    assert not isinstance(caught.value, httpx.TimeoutException)


def test_without_the_extra_the_default_is_httpxs_own_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "harborsec._core._aiohttp", None)  # import fails

    async def run() -> None:
        async with AsyncRegistry("http://127.0.0.1:1", auth=None) as registry:
            assert isinstance(registry._runner._transport, httpx.AsyncHTTPTransport)
            assert registry._runner._fetch is None

    asyncio.run(run())


def test_async_registry_uses_fetch_by_default_and_not_with_a_given_transport() -> None:
    async def run() -> None:
        async with AsyncRegistry("http://127.0.0.1:1", auth=None) as registry:
            assert isinstance(registry._runner._transport, AiohttpTransport)
            assert registry._runner._fetch == registry._runner._transport.fetch
        given = httpx.AsyncHTTPTransport()
        async with AsyncRegistry("http://127.0.0.1:1", auth=None, transport=given) as registry:
            assert registry._runner._fetch is None

    asyncio.run(run())


_INFO = aiohttp.RequestInfo(
    yarl.URL("http://127.0.0.1/"), "GET", multidict.CIMultiDictProxy(multidict.CIMultiDict())
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ClientError("an error httpx-aiohttp does not know"), httpx.ReadError),
        (aiohttp.ClientPayloadError("cut short"), httpx.ReadError),
        (aiohttp.SocketTimeoutError("slow"), httpx.ReadTimeout),
        (
            aiohttp.ClientResponseError(_INFO, (), message="line too long"),
            httpx.RemoteProtocolError,
        ),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
    ],
)
def test_no_aiohttp_error_gets_through(error: Exception, expected: type[Exception]) -> None:
    # Whatever aiohttp raises becomes an httpx error, which the drivers map to harborsec's.
    request = httpx.Request("GET", "http://127.0.0.1/")
    with pytest.raises(expected) as caught, _mapped(request):
        raise error
    assert type(caught.value) is expected
    assert caught.value.request is request
