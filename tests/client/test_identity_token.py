"""An identity token (docker's `identitytoken`) is exchanged for a bearer token by every client.

The token service takes it as a form `POST` (`grant_type=refresh_token`). `AsyncRegistry`'s
direct aiohttp path sends GET and HEAD requests only: the auth flow's `POST` goes through the
transport's ordinary path (before, it raised `ValueError: fetch() sends requests without a body`).
A real registry and token service on 127.0.0.1; `Registry` and `AsyncRegistry`.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest

from harborsec import AsyncRegistry, Registry
from harborsec.oci import Credentials
from tests._hostile import Request, hostile_server
from tests.client._both import call, close

REFRESH = "refresh-token-1"
BEARER = "bearer-token-1"


async def _answer(request: Request, writer: asyncio.StreamWriter) -> None:
    if request.path == "/token":
        form = urllib.parse.parse_qs(request.body.decode())
        ok = request.method == "POST" and form.get("refresh_token") == [REFRESH]
        status, body = ("200 OK", {"token": BEARER}) if ok else ("401 No", {})
        headers = ""
    elif request.headers.get("authorization") == f"Bearer {BEARER}":
        status, body, headers = "200 OK", {"name": "team/app", "tags": ["1.0"]}, ""
    else:
        realm = f"http://{request.headers['host']}/token"
        status, body = "401 Unauthorized", {}
        headers = f'WWW-Authenticate: Bearer realm="{realm}",service="reg"\r\n'
    data = json.dumps(body).encode()
    writer.write(
        f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(data)}\r\n\r\n".encode() + data
    )
    await writer.drain()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_an_identity_token_gets_a_bearer_token(kind: str) -> None:
    with hostile_server(_answer) as server:
        cls = Registry if kind == "sync" else AsyncRegistry
        client = cls(server.url, auth=Credentials("<token>", REFRESH))
        try:
            assert await call(client.list_tags("team/app")) == ["1.0"]
        finally:
            await close(client)
    assert [(r.method, r.path.partition("?")[0]) for r in server.seen] == [
        ("GET", "/v2/team/app/tags/list"),
        ("POST", "/token"),
        ("GET", "/v2/team/app/tags/list"),
    ]
