"""Size and time limits: a hostile server can make a call neither hold a huge body nor last.

A real asyncio TCP server on 127.0.0.1 (in a thread of its own, so that the synchronous client
can be tested from the same test) answers each request from a route table: a status, headers,
and a body that is either given or endless (chunked, until the client hangs up), or a huge
`Content-Length` with no body at all. Each test runs with `Registry`, `AsyncRegistry` on its
default aiohttp transport, and `AsyncRegistry` on httpx's own transport. The server counts the
bytes it managed to send: far fewer than the body it offered. A dripping answer (one byte every
0.2 s, in the headers or the body) must not stretch a call past its `deadline=`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy, deadline
from harborsec._core._limits import DEFAULT_MAX_BODY, MANIFEST_MAX_BODY, TOKEN_MAX_BODY
from harborsec.errors import (
    DeadlineExceededError,
    InvalidPolicyError,
    NotFoundError,
    ResponseTooLargeError,
    UnauthorizedError,
)
from tests.client._both import ADMIN, call, close

NO_RETRY = RetryPolicy(retries=0, backoff=0.0, jitter=0.0)
HUGE = 200 * 1024 * 1024
CHUNK = b" " * 65536
MANIFEST = "p/a:t"
MANIFEST_PATH = "/v2/p/a/manifests/t"
DRIP = 0.2


@attrs.frozen
class Answer:
    """What the server answers: `body`, or `endless` chunked bytes, or `declared` and silence."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    body: bytes = b""
    endless: bool = False
    declared: int | None = None
    drip: bool = False
    """Send the status line, then one byte every `DRIP` seconds (`declared`: of the body)."""


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
                if answer.drip:
                    if answer.declared is not None:
                        writer.write(f"{status}Content-Length: {answer.declared}\r\n\r\n".encode())
                    else:
                        writer.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(100):
                        await writer.drain()
                        await asyncio.sleep(DRIP)
                        writer.write(b"{" if answer.declared is not None else b"X")
                    return
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
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for handler in handlers:  # those still dripping
                handler.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def open_client(kind: str, server: Hostile, **options: Any) -> Any:
    """A `Registry` ("sync") or an `AsyncRegistry` on aiohttp ("aiohttp") or on httpx's pool."""
    options = {"auth": ADMIN, "retries": NO_RETRY, "timeout": 10, **options}
    if kind == "sync":
        registry: Any = Registry(server.url, **options)
    elif kind == "aiohttp":
        registry = AsyncRegistry(server.url, **options)  # the default transport
    else:
        registry = AsyncRegistry(server.url, transport=httpx.AsyncHTTPTransport(), **options)
    return registry


KINDS = ["sync", "aiohttp", "httpx"]


@pytest.fixture(params=KINDS)
async def client(request: pytest.FixtureRequest, server: Hostile) -> Any:
    registry = open_client(request.param, server)
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


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["body", "headers"])
async def test_a_dripping_answer_does_not_outlast_the_deadline(
    server: Hostile, kind: str, where: str
) -> None:
    declared = 100 if where == "body" else None
    server.routes[MANIFEST_PATH] = Answer(headers=MANIFEST_HEADERS, declared=declared, drip=True)
    registry = open_client(kind, server, deadline=1)
    started = time.monotonic()
    try:
        with pytest.raises(DeadlineExceededError) as caught:
            await call(registry.get_manifest(MANIFEST))
    finally:
        await close(registry)
    assert time.monotonic() - started < 1.5
    assert caught.value.deadline == 1
    assert caught.value.url == f"{server.url}{MANIFEST_PATH}"
    assert "deadline of 1 s" in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_retries_and_their_waits_stay_within_the_deadline(server: Hostile, kind: str) -> None:
    server.routes[MANIFEST_PATH] = Answer(503, body=b"{}")
    retries = RetryPolicy(retries=10, backoff=0.3, jitter=0.0)
    registry = open_client(kind, server, retries=retries, deadline=1)
    started = time.monotonic()
    try:
        with pytest.raises(DeadlineExceededError):
            await call(registry.get_manifest(MANIFEST))
    finally:
        await close(registry)
    assert time.monotonic() - started < 1.2  # it does not sleep when no time would be left


@pytest.mark.parametrize("kind", KINDS)
async def test_a_deadline_block_bounds_calls_together(server: Hostile, kind: str) -> None:
    server.routes[MANIFEST_PATH] = Answer(headers=MANIFEST_HEADERS, declared=100, drip=True)
    registry = open_client(kind, server)
    started = time.monotonic()
    try:
        with deadline(0.6), pytest.raises(DeadlineExceededError) as caught:
            await call(registry.get_manifest(MANIFEST))
    finally:
        await close(registry)
    assert time.monotonic() - started < 1.1
    assert caught.value.deadline == 0.6


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "1"])
def test_a_deadline_is_a_positive_finite_number(bad: Any) -> None:
    with pytest.raises(InvalidPolicyError):
        Registry("https://harbor.test", auth=None, deadline=bad)
    with pytest.raises(InvalidPolicyError), deadline(bad):
        pass


@pytest.mark.parametrize("status", [401, 307])
async def test_an_endless_challenge_or_redirect_body_is_cut(
    client: Any, server: Hostile, status: int
) -> None:
    """httpx reads a 401 before the auth flow goes on, and a redirect before following it."""
    realm = f'Bearer realm="{server.url}/token",service="s",scope="repository:p/a:pull"'
    if status == 401:
        server.routes[MANIFEST_PATH] = Answer(401, (("WWW-Authenticate", realm),), endless=True)
        server.routes["/token"] = Answer(body=b'{"token": "t"}')
    else:
        where = (("Location", "/v2/p/a/manifests/elsewhere"),)
        server.routes[MANIFEST_PATH] = Answer(307, where, endless=True)
    with pytest.raises((UnauthorizedError, NotFoundError)):  # the server still refuses
        await call(client.get_manifest(MANIFEST))
    assert server.sent < 16 * 1024 * 1024
