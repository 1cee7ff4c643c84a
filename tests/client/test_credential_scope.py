"""Credentials go to the registry's origin and to the token realm of its own challenge only.

A registry that redirects blob downloads to storage on another host (S3, a CDN) must not make the
SDK hand that host the user's credentials, whatever the host answers: here the storage host
answers `401` with a challenge of its own. Real servers on 127.0.0.1, for `Registry` and
`AsyncRegistry` (aiohttp's direct path, and httpx's transport).
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import harborsec
from harborsec.oci import compute_digest
from tests._tls import server_context

from ._both import call, close

ADMIN = ("admin", "Harbor12345")
BASIC = "Basic " + base64.b64encode(b"admin:Harbor12345").decode()
REDIRECTED = b"bytes kept in object storage"
DIRECT = b"bytes the registry serves itself"
STORAGE_TOKEN = "storage-token"
REGISTRY_TOKEN = "registry-token"


class _Server:
    """A small HTTP server on 127.0.0.1 in a thread, recording every request it receives."""

    def __init__(self, answer: Any, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[tuple[str, str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                self._skip_body()
                auth = self.headers.get("Authorization")
                server.seen.append((self.command, self.path, auth))
                status, headers, body = answer(self.command, self.path, auth)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = _handle

            def _skip_body(self) -> None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        self.rfile.read(size + 2)
                        if size == 0:
                            return
                self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def _storage(scheme: str) -> _Server:
    """Object storage that challenges every request it gets without its own token."""

    def answer(method: str, path: str, auth: str | None) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/token"):
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps({"token": STORAGE_TOKEN, "expires_in": 300}).encode(),
            )
        if auth == f"Bearer {STORAGE_TOKEN}":
            return 200, {}, REDIRECTED
        if scheme == "bearer":
            challenge = f'Bearer realm="{storage.url}/token",service="storage"'
        else:
            challenge = 'Basic realm="storage"'
        return 401, {"WWW-Authenticate": challenge}, b""

    storage = _Server(answer)
    return storage


def _registry(storage: _Server) -> _Server:
    """A token-auth registry that redirects one blob to `storage` and serves another itself."""

    def answer(method: str, path: str, auth: str | None) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/token"):
            if auth != BASIC:
                return 401, {}, b""
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps({"token": REGISTRY_TOKEN, "expires_in": 300}).encode(),
            )
        if auth != f"Bearer {REGISTRY_TOKEN}":
            challenge = (
                f'Bearer realm="{registry.url}/token",service="registry",'
                'scope="repository:library/app:pull"'
            )
            return 401, {"WWW-Authenticate": challenge}, b""
        if path.endswith(compute_digest(REDIRECTED)):
            return 307, {"Location": f"{storage.url}/blobs/1?sig=abc"}, b""
        if path.endswith(compute_digest(DIRECT)):
            return 200, {}, DIRECT
        return 404, {}, b""

    registry = _Server(answer)
    return registry


@pytest.fixture(params=["bearer", "basic"])
def servers(request: pytest.FixtureRequest) -> Iterator[tuple[_Server, _Server]]:
    storage = _storage(request.param)
    registry = _registry(storage)
    try:
        yield registry, storage
    finally:
        registry.close()
        storage.close()


def _open(kind: str, url: str) -> Any:
    if kind == "sync":
        return harborsec.Registry(url, auth=ADMIN, retries=0)
    if kind == "async-httpx":
        return harborsec.AsyncRegistry(
            url, auth=ADMIN, retries=0, transport=httpx.AsyncHTTPTransport()
        )
    return harborsec.AsyncRegistry(url, auth=ADMIN, retries=0)  # aiohttp, the default


async def _read(registry: Any, digest: str, how: str) -> bytes:
    if how == "get":
        return bytes(await call(registry.get_blob("library/app", digest)))
    if isinstance(registry, harborsec.AsyncRegistry):
        async with registry.stream_blob("library/app", digest) as chunks:
            return b"".join([chunk async for chunk in chunks])
    with registry.stream_blob("library/app", digest) as chunks:
        return b"".join(chunks)


@pytest.mark.parametrize("how", ["get", "stream"])
@pytest.mark.parametrize("kind", ["sync", "async", "async-httpx"])
async def test_a_redirect_target_that_asks_for_credentials_gets_none(servers, kind, how):
    registry_server, storage = servers
    registry = _open(kind, registry_server.url)
    try:
        if kind == "async":
            assert registry._runner._direct and registry._runner._fetch is not None
        # first with no token yet, then with the registry's token cached (sent at once)
        for _ in range(2):
            with pytest.raises(harborsec.UnauthorizedError, match="not the registry") as caught:
                await _read(registry, compute_digest(REDIRECTED), how)
            assert caught.value.status_code == 401
            assert caught.value.url.startswith(storage.url)
            # the registry's own token is intact: this download needs no new token
            assert await _read(registry, compute_digest(DIRECT), how) == DIRECT
        assert registry._runner.settings.auth.token_requests == 1
    finally:
        await close(registry)
    assert storage.seen, "the registry did redirect to storage"
    assert [auth for _, _, auth in storage.seen] == [None] * len(storage.seen)
    assert not any(path.startswith("/token") for _, path, _ in storage.seen)
    assert any(auth == BASIC for _, _, auth in registry_server.seen)  # credentials were in use


@pytest.mark.parametrize("auth", [ADMIN, ("<token>", "an identity token")])
@pytest.mark.parametrize("kind", ["sync", "async", "async-httpx"])
async def test_a_plain_http_realm_of_an_https_registry_gets_no_credentials(tmp_path, kind, auth):
    realm = _Server(lambda method, path, auth: (200, {}, b'{"token": "t"}'))

    def answer(method: str, path: str, auth: str | None) -> tuple[int, dict[str, str], bytes]:
        if path == "/v2/":
            return 200, {}, b"{}"
        challenge = f'Bearer realm="{realm.url}/token",service="registry"'
        return 401, {"WWW-Authenticate": challenge}, b""

    registry_server = _Server(answer, tls=server_context(tmp_path))
    ca = tmp_path / "cert.pem"
    # one connection: a refusal that kept its response open would leave none for the next call
    options: dict[str, Any] = {"auth": auth, "ca_bundle": ca, "timeout": 5, "retries": 0}
    if kind == "sync":
        registry: Any = harborsec.Registry(registry_server.url, max_connections=1, **options)
    elif kind == "async-httpx":
        transport = httpx.AsyncHTTPTransport(
            verify=ssl.create_default_context(cafile=ca), limits=httpx.Limits(max_connections=1)
        )
        registry = harborsec.AsyncRegistry(registry_server.url, transport=transport, **options)
    else:
        registry = harborsec.AsyncRegistry(registry_server.url, max_connections=1, **options)
    try:
        for _ in range(2):
            with pytest.raises(harborsec.CredentialsError, match="plain HTTP"):
                await call(registry.resolve(f"{registry.host}/library/app:1.0"))
        assert await call(registry.ping())
    finally:
        await close(registry)
        registry_server.close()
        realm.close()
    assert registry_server.seen  # the registry was asked, over TLS
    assert realm.seen == []
