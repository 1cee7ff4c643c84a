"""What a user iterating `stream_blob` sees when the body goes wrong: typed errors only.

A real server on 127.0.0.1 answers a blob GET with a status line, headers and half the body, then
hangs up (FIN), resets (RST) or stalls past the read timeout. The error raised while iterating is
`TransportError` (`RequestTimeoutError` for the stall), naming the method and the URL, for
`Registry`, and `AsyncRegistry` with its default aiohttp transport and with httpx's own. A full
body that does not hash to the digest still raises `DigestMismatchError` at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec.errors import (
    ClientClosedError,
    DigestMismatchError,
    RequestTimeoutError,
    TransportError,
)
from harborsec.oci import compute_digest
from harborsec.testing import HarborEmulator
from tests._hostile import HostileServer, Request, hang_up, hostile_server
from tests.client._both import ADMIN, close

BLOB = b"0123456789" * 10
DIGEST = compute_digest(BLOB)
PATH = f"/v2/team/app/blobs/{DIGEST}"


async def _half_then(how: str, writer: asyncio.StreamWriter) -> None:
    body = b"not the blob, same size " * 5 if how == "mismatch" else BLOB[:50]
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BLOB) + body[: len(BLOB)])
    await writer.drain()
    if how == "stall":
        await asyncio.sleep(30)
    elif how in ("close", "reset"):
        hang_up(writer, reset=how == "reset")


@pytest.fixture(params=["close", "reset", "stall", "mismatch"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, HostileServer]]:
    how: str = request.param

    async def answer(_: Request, writer: asyncio.StreamWriter) -> None:
        await _half_then(how, writer)

    with hostile_server(answer) as running:
        yield how, running


def _client(kind: str, url: str) -> Any:
    options: dict[str, Any] = {"auth": None, "timeout": 0.25, "retries": RetryPolicy(retries=0)}
    if kind == "sync":
        return Registry(url, **options)
    if kind == "async-httpx":
        return AsyncRegistry(url, transport=httpx.AsyncHTTPTransport(), **options)
    return AsyncRegistry(url, **options)


@pytest.mark.parametrize("kind", ["sync", "async-aiohttp", "async-httpx"])
def test_iterating_a_broken_blob_raises_a_typed_error(
    server: tuple[str, HostileServer], kind: str
) -> None:
    how, running = server
    client = _client(kind, running.url)

    async def read_async() -> None:
        async with client, client.stream_blob("team/app", DIGEST) as chunks:
            async for _ in chunks:
                pass

    def read() -> None:
        if kind == "sync":
            with client, client.stream_blob("team/app", DIGEST) as chunks:
                for _ in chunks:
                    pass
        else:
            asyncio.run(read_async())

    expected = {"stall": RequestTimeoutError, "mismatch": DigestMismatchError}
    with pytest.raises(expected.get(how, TransportError)) as caught:
        read()
    if how != "mismatch":
        assert caught.value.method == "GET"  # type: ignore[attr-defined]
        assert caught.value.url == running.url + PATH  # type: ignore[attr-defined]
        assert f"GET {running.url}{PATH} failed" in str(caught.value)


@pytest.mark.parametrize("kind", ["sync", "async-aiohttp", "async-httpx"])
def test_reading_a_broken_blob_whole_raises_a_typed_error(
    server: tuple[str, HostileServer], kind: str
) -> None:
    """`get_blob` reads in the driver (aiohttp's direct path for the async default): the same."""
    how, running = server
    client = _client(kind, running.url)

    async def read_async() -> bytes:
        async with client:
            return await client.get_blob("team/app", DIGEST)  # type: ignore[no-any-return]

    def read() -> bytes:
        if kind == "sync":
            with client:
                return client.get_blob("team/app", DIGEST)  # type: ignore[no-any-return]
        return asyncio.run(read_async())

    expected = {"stall": RequestTimeoutError, "mismatch": DigestMismatchError}
    with pytest.raises(expected.get(how, TransportError)):
        read()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_blob_stream_read_after_its_block_is_a_typed_error(kind: str) -> None:
    # httpx raised its own `StreamClosed` (a RuntimeError outside the HarborsecError tree).
    emulator = HarborEmulator()
    emulator.create_project("team")
    with emulator.serve() as url:
        cls = Registry if kind == "sync" else AsyncRegistry
        registry: Any = cls(url, auth=ADMIN)
        try:
            if kind == "sync":
                digest = registry.push_blob("team/app", b"x" * 100).digest
                with registry.stream_blob("team/app", digest) as chunks:
                    pass
                with pytest.raises(ClientClosedError, match="inside its `with` block"):
                    list(chunks)
            else:
                digest = (await registry.push_blob("team/app", b"x" * 100)).digest
                async with registry.stream_blob("team/app", digest) as achunks:
                    pass
                with pytest.raises(ClientClosedError, match="inside its `with` block"):
                    [chunk async for chunk in achunks]
        finally:
            await close(registry)
