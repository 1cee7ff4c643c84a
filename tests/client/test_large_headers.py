"""Responses with large headers: sync and async accept the same, and refuse with a typed error.

httpx's own transport (through httpcore and h11) reads a response head of about 100 KiB (h11
refuses once more than 100 KiB of an unfinished head is buffered: 100 to 150 KiB, depending on how
the bytes arrive); aiohttp, by default, refuses any header line over 8190 bytes with its own
`ClientResponseError`. The default async transport allows 100 KiB per line, and anything aiohttp
still refuses is a `TransportError` (no usable HTTP response was received), as it is for httpx.
A real server on 127.0.0.1 sends the headers; `Registry` and `AsyncRegistry` (aiohttp's direct
path for a GET, its streamed path for a blob, and httpx's own async transport).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec.errors import TransportError
from harborsec.oci import compute_digest
from tests._hostile import Request, hostile_server
from tests.client._both import call, close

BLOB = b"blob"
DIGEST = compute_digest(BLOB)


def _answer(header_size: int) -> Any:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        body = BLOB if "/blobs/" in request.path else json.dumps({"tags": ["1.0"]}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"X-Large: " + b"a" * header_size + b"\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
        await writer.drain()

    return answer


def _client(kind: str, url: str) -> Any:
    options: dict[str, Any] = {"auth": None, "retries": RetryPolicy(retries=0)}
    if kind == "sync":
        return Registry(url, **options)
    if kind == "async-httpx":
        return AsyncRegistry(url, transport=httpx.AsyncHTTPTransport(), **options)
    return AsyncRegistry(url, **options)


async def _read(client: Any, what: str) -> Any:
    if what == "list_tags":
        return await call(client.list_tags("team/app"))
    if isinstance(client, AsyncRegistry):
        async with client.stream_blob("team/app", DIGEST) as chunks:
            return b"".join([chunk async for chunk in chunks])
    with client.stream_blob("team/app", DIGEST) as chunks:
        return b"".join(chunks)


KINDS = ["sync", "async-aiohttp", "async-httpx"]


@pytest.mark.parametrize("what", ["list_tags", "stream_blob"])
@pytest.mark.parametrize("kind", KINDS)
async def test_a_10_kb_header_is_read_by_every_client(kind: str, what: str) -> None:
    with hostile_server(_answer(10 * 1024)) as server:
        client = _client(kind, server.url)
        try:
            result = await _read(client, what)
        finally:
            await close(client)
    assert result == (["1.0"] if what == "list_tags" else BLOB)


@pytest.mark.parametrize("what", ["list_tags", "stream_blob"])
@pytest.mark.parametrize("kind", KINDS)
async def test_a_200_kib_header_is_a_transport_error(kind: str, what: str) -> None:
    with hostile_server(_answer(200 * 1024)) as server:
        client = _client(kind, server.url)
        try:
            with pytest.raises(TransportError) as caught:
                await _read(client, what)
        finally:
            await close(client)
    assert caught.value.method == "GET"
    assert caught.value.url is not None and caught.value.url.startswith(
        server.url + "/v2/team/app/"
    )
