"""Credentials are bound to the scheme, host and port they were configured for.

`HARBOR_USERNAME`/`HARBOR_PASSWORD` belong to the registry `HARBOR_URL` names: configured for
`https://h`, they are not sent to `http://h` (a downgrade to plain text). A `HARBOR_URL` without a
scheme means what the client would make of it (`https://`, or `http://` with `insecure=True`).
Docker config entries name a host, not a scheme (`auths` keys are `host[:port]`): as Docker does,
they are sent over plain HTTP only to a registry explicitly marked insecure (`insecure=True`) or on
a loopback address, and always over HTTPS. A real server on 127.0.0.1 (plain HTTP) answers `/v2/`
with a Basic challenge and records what it receives; `Registry` and `AsyncRegistry`.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest

from harborsec import AsyncRegistry, Registry
from harborsec._facades._settings import client_settings
from tests._hostile import HostileServer, Request, hostile_server
from tests.client._both import call, close

USER, SECRET = "admin", "s3cr3t-Pa55"


async def _challenge(request: Request, writer: asyncio.StreamWriter) -> None:
    if "authorization" in request.headers:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    else:
        writer.write(
            b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="r"\r\n'
            b"Content-Length: 0\r\n\r\n"
        )
    await writer.drain()


def _env(harbor_url: str) -> dict[str, str]:
    return {"HARBOR_URL": harbor_url, "HARBOR_USERNAME": USER, "HARBOR_PASSWORD": SECRET}


async def _ping(kind: str, url: str, environ: dict[str, str], **options: Any) -> None:
    cls = Registry if kind == "sync" else AsyncRegistry
    client = cls(url, environ=environ, **options)
    try:
        await call(client.ping())
    finally:
        await close(client)


def _sent(server: HostileServer) -> list[str | None]:
    return [request.headers.get("authorization") for request in server.seen]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_https_credentials_are_not_sent_over_http(kind: str) -> None:
    with hostile_server(_challenge) as server:
        https = server.url.replace("http://", "https://")
        await _ping(kind, server.url, _env(https))
    assert _sent(server) == [None]  # the challenge went unanswered


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_http_credentials_are_sent_over_http(kind: str) -> None:
    with hostile_server(_challenge) as server:
        await _ping(kind, server.url, _env(server.url))
    basic = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    assert _sent(server) == [None, basic]


@pytest.mark.parametrize(
    ("harbor_url", "url", "insecure", "sent"),
    [
        ("https://h.test", "https://h.test", False, True),
        ("https://h.test", "http://h.test", False, False),
        ("https://h.test", "http://h.test", True, False),  # insecure= does not widen HARBOR_URL
        ("https://h.test:443", "https://h.test", False, True),  # the default port
        ("https://h.test", "https://h.test:8443", False, False),
        ("http://h.test", "https://h.test", False, False),
        ("h.test", "https://h.test", False, True),  # no scheme: https
        ("h.test", "http://h.test", False, False),
        ("h.test", "http://h.test", True, True),  # ...or http, when the client is insecure
        ("HTTPS://H.TEST/", "https://h.test", False, True),
    ],
)
def test_harbor_url_credentials_are_bound_to_its_origin(
    harbor_url: str, url: str, insecure: bool, sent: bool
) -> None:
    settings = client_settings(url, insecure=insecure, timeout=None, environ=_env(harbor_url))
    assert (settings.username == USER) is sent


@pytest.mark.parametrize(
    ("url", "insecure", "sent"),
    [
        ("https://h.test:5000", False, True),
        ("http://h.test:5000", False, False),  # plain HTTP to a registry nobody marked insecure
        ("http://h.test:5000", True, True),  # marked insecure, as docker's insecure-registries
        ("http://127.0.0.1:5000", False, True),  # loopback: docker treats it as insecure too
    ],
)
def test_docker_config_credentials_over_plain_http(
    tmp_path: Path, url: str, insecure: bool, sent: bool
) -> None:
    host = url.split("://")[1]
    auth = base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    environ = {"DOCKER_CONFIG": str(tmp_path), "HOME": str(tmp_path)}
    settings = client_settings(url, insecure=insecure, timeout=None, environ=environ)
    assert (settings.username == USER) is sent
