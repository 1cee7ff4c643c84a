"""A connection reset after the request was written: a POST is sent once, a GET once an attempt.

A real asyncio TCP server on 127.0.0.1 (in a thread of its own, so that the synchronous client
can be tested from the same test) reads each request whole, counts it, then closes the
connection without answering: plainly (FIN) or with a reset (RST). `Registry` (httpx's own
transport) and `AsyncRegistry` (the default aiohttp transport) must both raise a typed
`TransportError`, send a POST exactly once (it may have reached the server: it is never sent
again) and a GET exactly `1 + retries` times, one request an attempt.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec._core._aiohttp import aiohttp_transport
from harborsec.errors import TransportError
from harborsec.harbor._immutability import ImmutabilityRule
from tests.client._both import ADMIN, call, close

NO_WAIT = RetryPolicy(retries=2, backoff=0.0, jitter=0.0)


@attrs.define
class HangUp:
    """A server that reads each request, records its method and path (no query), hangs up."""

    reset: bool
    partial: bool = False
    """Answer a status line, headers and half the body before hanging up."""
    seen: list[tuple[str, str]] = attrs.field(factory=list)
    url: str = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        self.seen.append((method, path.partition("?")[0]))
        if self.partial:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"{" * 50)
            await writer.drain()
        sock = writer.get_extra_info("socket")
        if self.reset:  # SO_LINGER 0: close() sends an RST instead of a FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    def requests(self, method: str) -> list[str]:
        """The paths of the requests received with `method`."""
        return [path for seen, path in self.seen if seen == method]


@pytest.fixture(params=["close", "reset"])
def server(request: pytest.FixtureRequest) -> Iterator[HangUp]:
    hang_up = HangUp(reset=request.param == "reset")
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server: asyncio.Server | None = None

    async def start() -> None:
        nonlocal server
        server = await asyncio.start_server(hang_up._serve, "127.0.0.1", 0)
        hang_up.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    started.wait(10)
    try:
        yield hang_up
    finally:

        async def stop() -> None:
            assert server is not None
            server.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, server: HangUp) -> Any:
    cls = Registry if request.param == "sync" else AsyncRegistry
    registry = cls(server.url, auth=ADMIN, retries=NO_WAIT)  # the default transport
    yield registry
    await close(registry)


async def test_a_post_is_sent_once(client: Any, server: HangUp) -> None:
    with pytest.raises(TransportError) as caught:
        await call(client.create_project("team"))
    assert caught.value.method == "POST"
    assert server.requests("POST") == ["/api/v2.0/projects"]
    assert server.seen == [("POST", "/api/v2.0/projects")]


async def test_an_immutability_rule_is_posted_once(client: Any, server: HangUp) -> None:
    rules = client.project("team").immutability
    with pytest.raises(TransportError):
        await call(rules.create(ImmutabilityRule(tags="v*"), enforce_limit=False))
    assert server.seen == [("POST", "/api/v2.0/projects/team/immutabletagrules")]


@pytest.mark.parametrize(
    ("method", "args", "path"),
    [("ping", (), "/v2/"), ("list_tags", ("team/app",), "/v2/team/app/tags/list")],
)
async def test_a_get_is_sent_once_an_attempt(
    client: Any, server: HangUp, method: str, args: tuple[str, ...], path: str
) -> None:
    with pytest.raises(TransportError) as caught:
        await call(getattr(client, method)(*args))
    assert caught.value.method == "GET"
    assert server.seen == [("GET", path)] * (1 + NO_WAIT.retries)


# -- the default async transport alone ------------------------------------------------------


def _send(method: str, url: str, *, fetch: bool = False) -> BaseException:
    async def run() -> BaseException:
        transport = aiohttp_transport(True, 4)
        request = httpx.Request(method, url, content=b"{}" if method == "POST" else b"")
        try:
            if fetch:
                await transport.fetch(request)
            else:
                response = await transport.handle_async_request(request)
                await response.aread()
        except httpx.HTTPError as exc:
            return exc
        finally:
            await transport.aclose()
        raise AssertionError("no error")

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("method", "fetch"), [("POST", False), ("GET", False), ("GET", True), ("HEAD", True)]
)
def test_a_hang_up_after_the_request_may_have_been_sent(
    server: HangUp, method: str, fetch: bool
) -> None:
    error = _send(method, server.url + "/api/v2.0/projects", fetch=fetch)
    # Not ConnectError/ConnectTimeout, which mean "never sent" and let even a POST be retried.
    assert isinstance(error, httpx.ReadError | httpx.RemoteProtocolError), repr(error)
    assert server.seen == [(method, "/api/v2.0/projects")]  # aiohttp itself sent it once


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_hang_up_in_the_middle_of_the_body_is_a_read_error(server: HangUp, method: str) -> None:
    server.partial = True
    error = _send(method, server.url + "/api/v2.0/projects")
    assert isinstance(error, httpx.ReadError | httpx.RemoteProtocolError), repr(error)
    assert server.seen == [(method, "/api/v2.0/projects")]


def test_a_refused_connection_is_still_never_sent() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again: nothing listens there
    error = _send("POST", f"http://127.0.0.1:{port}/api/v2.0/projects")
    assert isinstance(error, httpx.ConnectError), repr(error)
