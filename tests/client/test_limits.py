"""Bodies read whole are bounded: a hostile server cannot make a call hold a huge body.

A real asyncio TCP server on 127.0.0.1 (in a thread of its own, so that the synchronous client
can be tested from the same test) answers each request from a route table: a status, headers,
and a body that is either given or endless (chunked, until the client hangs up), or a huge
`Content-Length` with no body at all. Each test runs with `Registry`, `AsyncRegistry` on its
default aiohttp transport, and `AsyncRegistry` on httpx's own transport. The server counts the
bytes it managed to send: far fewer than the body it offered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec._core._limits import DEFAULT_MAX_BODY, MANIFEST_MAX_BODY, TOKEN_MAX_BODY
from harborsec.errors import NotFoundError, ResponseTooLargeError
from tests.client._both import ADMIN, call, close

NO_RETRY = RetryPolicy(retries=0, backoff=0.0, jitter=0.0)
HUGE = 200 * 1024 * 1024
CHUNK = b" " * 65536
MANIFEST = "p/a:t"
MANIFEST_PATH = "/v2/p/a/manifests/t"


@attrs.frozen
class Answer:
    """What the server answers: `body`, or `endless` chunked bytes, or `declared` and silence."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    body: bytes = b""
    endless: bool = False
    declared: int | None = None


@attrs.define
class Hostile:
    """The server: answers by path, counts the body bytes it sent."""

    routes: dict[str, Answer] = attrs.field(factory=dict)
    sent: int = 0
    url: str = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.decode("latin-1").split(" ", 2)[1].partition("?")[0]
                answer = self.routes.get(path, Answer(404, body=b'{"errors":[]}'))
                headers = "".join(f"{n}: {v}\r\n" for n, v in answer.headers)
                status = f"HTTP/1.1 {answer.status} X\r\n{headers}"
                if answer.declared is not None:
                    writer.write(f"{status}Content-Length: {answer.declared}\r\n\r\n".encode())
                    await writer.drain()
                    await reader.read()  # silence, until the client hangs up
                    return
                if answer.endless:
                    writer.write(f"{status}Transfer-Encoding: chunked\r\n\r\n".encode())
                    while self.sent < HUGE:
                        writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                        await writer.drain()
                        self.sent += len(CHUNK)
                    return
                body = answer.body
                writer.write(f"{status}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
def server() -> Iterator[Hostile]:
    hostile = Hostile()
    loop = asyncio.new_event_loop()
    server: asyncio.Server | None = None

    async def start() -> None:
        nonlocal server
        server = await asyncio.start_server(hostile._serve, "127.0.0.1", 0)
        hostile.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield hostile
    finally:

        async def stop() -> None:
            assert server is not None
            server.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(params=["sync", "aiohttp", "httpx"])
async def client(request: pytest.FixtureRequest, server: Hostile) -> Any:
    options: dict[str, Any] = {"auth": ADMIN, "retries": NO_RETRY, "timeout": 10}
    if request.param == "sync":
        registry: Any = Registry(server.url, **options)
    elif request.param == "aiohttp":
        registry = AsyncRegistry(server.url, **options)  # the default transport
    else:
        registry = AsyncRegistry(server.url, transport=httpx.AsyncHTTPTransport(), **options)
    yield registry
    await close(registry)


MANIFEST_HEADERS = (("Content-Type", "application/vnd.oci.image.manifest.v1+json"),)


async def test_a_huge_declared_manifest_is_refused_unread(client: Any, server: Hostile) -> None:
    server.routes[MANIFEST_PATH] = Answer(headers=MANIFEST_HEADERS, declared=HUGE)
    with pytest.raises(ResponseTooLargeError) as caught:
        await call(client.get_manifest(MANIFEST))
    assert caught.value.limit == MANIFEST_MAX_BODY
    assert caught.value.url == f"{server.url}{MANIFEST_PATH}"
    assert f"declares {HUGE} bytes" in str(caught.value)


async def test_an_endless_manifest_is_cut_at_its_limit(client: Any, server: Hostile) -> None:
    server.routes[MANIFEST_PATH] = Answer(headers=MANIFEST_HEADERS, endless=True)
    with pytest.raises(ResponseTooLargeError) as caught:
        await call(client.get_manifest(MANIFEST))
    assert caught.value.limit == MANIFEST_MAX_BODY
    assert server.sent < MANIFEST_MAX_BODY + 16 * 1024 * 1024  # the limit and socket buffers


async def test_an_endless_json_answer_is_cut_at_the_default_limit(
    client: Any, server: Hostile
) -> None:
    server.routes["/api/v2.0/users/current"] = Answer(endless=True)
    server.routes["/api/v2.0/users/current/permissions"] = Answer(endless=True)
    with pytest.raises(ResponseTooLargeError) as caught:
        await call(client.whoami())
    assert caught.value.limit == DEFAULT_MAX_BODY
    assert server.sent < DEFAULT_MAX_BODY + 16 * 1024 * 1024


async def test_a_huge_declared_json_answer_is_refused_unread(client: Any, server: Hostile) -> None:
    server.routes["/api/v2.0/users/current"] = Answer(declared=HUGE)
    server.routes["/api/v2.0/users/current/permissions"] = Answer(declared=HUGE)
    with pytest.raises(ResponseTooLargeError, match="users/current"):
        await call(client.whoami())


@pytest.mark.parametrize("endless", [True, False])
async def test_a_huge_error_body_still_maps_to_its_status(
    client: Any, server: Hostile, endless: bool
) -> None:
    long = b'{"errors":[{"code":"NOT_FOUND","message":"gone"}]}' + b" " * 200_000
    server.routes[MANIFEST_PATH] = Answer(404, endless=True) if endless else Answer(404, body=long)
    with pytest.raises(NotFoundError) as caught:
        await call(client.get_manifest(MANIFEST))
    assert server.sent < 16 * 1024 * 1024
    if not endless:
        assert caught.value.errors[0].message == "gone"  # the first 64 KiB are parsed


async def test_an_endless_token_answer_is_refused(client: Any, server: Hostile) -> None:
    realm = f'Bearer realm="{server.url}/token",service="s",scope="repository:p/a:pull"'
    server.routes[MANIFEST_PATH] = Answer(401, headers=(("WWW-Authenticate", realm),))
    server.routes["/token"] = Answer(endless=True)
    with pytest.raises(ResponseTooLargeError) as caught:
        await call(client.get_manifest(MANIFEST))
    assert caught.value.limit == TOKEN_MAX_BODY
    assert "/token" in caught.value.url
    assert server.sent < TOKEN_MAX_BODY + 16 * 1024 * 1024


async def test_a_huge_declared_token_answer_is_refused_unread(client: Any, server: Hostile) -> None:
    realm = f'Bearer realm="{server.url}/token",service="s",scope="repository:p/a:pull"'
    server.routes[MANIFEST_PATH] = Answer(401, headers=(("WWW-Authenticate", realm),))
    server.routes["/token"] = Answer(declared=HUGE)
    with pytest.raises(ResponseTooLargeError, match="/token"):
        await call(client.get_manifest(MANIFEST))
