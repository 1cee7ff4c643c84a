"""A real HTTP/1.1 server on a socket, in front of an in-process handler.

`serve` runs a threaded `http.server` that turns every request into an `httpx.Request`, passes
it to the handler, and writes the `httpx.Response` back. Request bodies may come with
`Content-Length` or `Transfer-Encoding: chunked` (skopeo and other Go clients stream uploads
chunked). Connections are kept alive. On exit, the server stops accepting, closes the open
connections and waits for its threads.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["serve"]

_log = logging.getLogger("harborsec.testing")

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer"})
_MAX_CHUNK_LINE = 1024


class _BadRequest(Exception):
    pass


class _Server(ThreadingHTTPServer):
    """Tracks open connections so that `close_connections` can end idle keep-alive threads."""

    daemon_threads = True
    block_on_close = True

    def __init__(self, address: tuple[str, int], app: Callable[[httpx.Request], httpx.Response]):
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 120  # seconds a kept-alive connection may stay idle
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(f"bad chunk size line {line!r}") from None
            if size == 0:
                while self.rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: ignored
                return bytes(body)
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BadRequest("connection closed inside a chunk")
            body += chunk
            self.rfile.readline(_MAX_CHUNK_LINE)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.isdigit():
            raise _BadRequest(f"bad Content-Length {length!r}")
        body = self.rfile.read(int(length))
        if len(body) != int(length):
            raise _BadRequest("connection closed inside the body")
        return body

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as error:
            self.send_error(400, str(error))
            self.close_connection = True
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        target = self.path
        if not target.startswith("/"):  # absolute-form request target
            parts = urllib.parse.urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length"
        ]
        request = httpx.Request(
            self.command, f"http://{host}{target}", headers=headers, content=body
        )
        response = self.server.app(request)
        self.send_response(response.status_code, response.reason_phrase)
        no_body = self.command == "HEAD" or response.status_code in (204, 304)
        for name, value in response.headers.multi_items():
            if name.lower() in _HOP_BY_HOP:
                continue
            if name.lower() == "content-length" and response.status_code in (204, 304):
                continue
            self.send_header(name, value)
        if "content-length" not in response.headers and not no_body:
            self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        if not no_body:
            self.wfile.write(response.content)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


@contextlib.contextmanager
def serve(
    app: Callable[[httpx.Request], httpx.Response], host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Serve `app` on `host:port` (0 picks a free port) while the context is open.

    Yields:
        The base URL, `http://HOST:PORT`.
    """
    server = _Server((host, port), app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    try:
        yield f"http://{bound_host!s}:{bound_port}"
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
