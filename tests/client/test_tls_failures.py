"""A TLS failure is raised at once: it is not transient, so the handshake is tried only once.

An untrusted certificate, a certificate for another name, and a plain-HTTP server answering the
handshake fail the same way on every try; the retry policy (which retries a connection that could
not be opened) must not try again. Real servers on 127.0.0.1 count the connections they accept;
`Registry` and `AsyncRegistry` (the default aiohttp transport, and httpx's own), a GET and a POST.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec.errors import TransportError
from tests._tls import server_context
from tests.client._both import call, close

RETRY_AT_ONCE = RetryPolicy(retries=2, backoff=0.0, jitter=0.0)


class _Counter:
    def __init__(self) -> None:
        self.accepted = 0
        self.url = ""


@contextmanager
def tls_server(context: ssl.SSLContext | None) -> Iterator[_Counter]:
    """A TLS server that counts the connections it accepts and answers `200 {}` to each request.

    Without a context, a plain-HTTP server that answers `400` as soon as a client connects.
    """
    counter = _Counter()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    counter.url = f"https://127.0.0.1:{port}"
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            counter.accepted += 1
            conn.settimeout(5)
            if context is None:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                    )
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield counter
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _client(kind: str, url: str, **options: Any) -> Any:
    options.update(auth=("admin", "Harbor12345"), retries=RETRY_AT_ONCE, timeout=5)
    if kind == "sync":
        return Registry(url, **options)
    if kind == "async-httpx":  # httpx's own transport, verifying as the client would
        bundle = options.get("ca_bundle")
        verify = ssl.create_default_context(cafile=bundle) if bundle else True
        transport = httpx.AsyncHTTPTransport(verify=verify)
        return AsyncRegistry(url, transport=transport, **options)
    return AsyncRegistry(url, **options)


async def _attempt(client: Any, method: str) -> TransportError:
    attempt = client.ping if method == "GET" else lambda: client.create_project("team")
    try:
        with pytest.raises(TransportError) as caught:
            await call(attempt())
    finally:
        await close(client)
    assert caught.value.method == method
    return caught.value


KINDS = ["sync", "async-aiohttp", "async-httpx"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("failure", ["untrusted", "wrong-name"])
async def test_a_certificate_failure_is_not_retried(
    tmp_path: Path, kind: str, method: str, failure: str
) -> None:
    with tls_server(server_context(tmp_path)) as server:
        url = server.url
        options: dict[str, Any] = {}
        if failure == "wrong-name":  # trusted, but issued for 127.0.0.1, not for localhost
            url = url.replace("127.0.0.1", "localhost")
            options["ca_bundle"] = tmp_path / "cert.pem"
        error = await _attempt(_client(kind, url, **options), method)
        assert server.accepted == 1
    hint = "not issued for this host name" if failure == "wrong-name" else "not trusted"
    assert hint in str(error)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", KINDS)
async def test_a_plain_http_answer_to_the_handshake_is_not_retried(kind: str, method: str) -> None:
    with tls_server(None) as server:
        error = await _attempt(_client(kind, server.url), method)
        assert server.accepted == 1
    assert "seems to speak plain HTTP" in str(error)


async def test_the_tls_server_works(tmp_path: Path) -> None:
    """The control: with its CA, the same server answers, and a failure above is TLS's."""
    with tls_server(server_context(tmp_path)) as server:
        client = Registry(server.url, ca_bundle=tmp_path / "cert.pem", auth=None)
        try:
            client.ping()
        finally:
            client.close()
        assert server.accepted == 1
