"""A real HTTP/1.1 server on a socket, in front of an in-process handler.

`serve` runs a threaded `http.server` that turns every request into an `httpx.Request`, passes
it to the handler, and writes the `httpx.Response` back. Request bodies may come with
`Content-Length` or `Transfer-Encoding: chunked` (skopeo and other Go clients stream uploads
chunked). Connections are kept alive. On exit, the server stops accepting, closes the open
connections and waits for its threads.

A request the server cannot read (a bad request line, header, `Host`, `Content-Length` or
chunk, a body past `MAX_BODY`, an unknown method) is answered with a JSON error body in
Harbor's and the distribution spec's shape, `{"errors":[{"code","message"}]}`, and a 4xx
status; the connection is then closed. An app may raise `Abort` to end a connection on purpose
(the fault proxy does).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import struct
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["MAX_BODY", "Abort", "serve"]

_log = logging.getLogger("harborsec.testing")

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer"})
_MAX_CHUNK_LINE = 1024
_READ_SLICE = 1 << 20
_DECIMAL = re.compile(r"[0-9]{1,19}")
_HEX = re.compile(r"[0-9A-Fa-f]{1,16}")
_HOST = re.compile(r"[A-Za-z0-9!$%&'()*+,\-.:;=\[\]_~]*")  # what Go's net/http accepts

MAX_BODY = 1 << 30
"""The largest request body read (1 GiB); a larger one is refused with 413."""

# What http.server answers by itself, turned into client errors: it says 501 for a method it has
# no handler for, and 505 for a protocol version it does not speak.
_STATUS_FOR_CLIENT = {501: 405, 505: 400}
_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "TIMEOUT",
    411: "LENGTH_REQUIRED",
    413: "REQUEST_ENTITY_TOO_LARGE",
    414: "BAD_REQUEST",
    431: "BAD_REQUEST",
}


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Abort(Exception):
    """Raised by an app to end the connection instead of answering normally.

    Args:
        response: What to write first, if anything: its status line and headers, then the
            first `body_bytes` bytes of its body (all of it when None).
        body_bytes: How much of the body to write.
        reset: Close with a TCP reset (RST) instead of an orderly close (FIN).
    """

    def __init__(
        self,
        response: httpx.Response | None = None,
        *,
        body_bytes: int | None = None,
        reset: bool = True,
    ) -> None:
        super().__init__("connection aborted on purpose")
        self.response = response
        self.body_bytes = body_bytes
        self.reset = reset


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

    def parse_request(self) -> bool:
        """Read the request line and headers; refuse an empty line and HTTP/0.9 as Go does."""
        raw: bytes = getattr(self, "raw_requestline", b"")
        self.path = ""  # not the previous request's, should this one's line be unreadable
        self.command = None  # type: ignore[assignment]
        self.requestline = raw.decode("latin-1").rstrip("\r\n")
        if not self.requestline.split():  # as http.server splits it: it would answer nothing
            self.send_error(400, "malformed HTTP request")
            return False
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(400, "malformed HTTP request: no HTTP version")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer an unreadable request with a JSON error body (never Python's HTML page)."""
        code = _STATUS_FOR_CLIENT.get(code, code)
        text = message or self.responses.get(code, ("Bad Request",))[0]
        if code >= 500:  # the app failed: Harbor's and Distribution's code for that
            error_code = "UNKNOWN"
        elif str(getattr(self, "path", "")).startswith("/v2"):  # the distribution spec's codes
            error_code = "SIZE_INVALID" if code == 413 else "UNSUPPORTED"
        else:
            error_code = _CODES.get(code, "BAD_REQUEST")
        body = (
            json.dumps(
                {"errors": [{"code": error_code, "message": text}]},
                separators=(",", ":"),
            ).encode()
            + b"\n"
        )
        self.close_connection = True
        # A request line that could not be read leaves the HTTP/0.9 default, which would make
        # `send_response` skip the status line: answer as HTTP/1.1 whatever was asked.
        self.request_version = "HTTP/1.1"
        with contextlib.suppress(OSError):
            self.send_response(code, self.responses.get(code, ("Error",))[0])
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()

    def _read_exactly(self, size: int) -> bytes:
        """Read `size` bytes in slices, so that a huge declared size allocates nothing upfront."""
        body = bytearray()
        while len(body) < size:
            piece = self.rfile.read(min(_READ_SLICE, size - len(body)))
            if not piece:
                raise _BadRequest("connection closed inside the body")
            body += piece
        return bytes(body)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            size_text = line.split(b";", 1)[0].strip().decode("latin-1")
            if not _HEX.fullmatch(size_text):
                raise _BadRequest(f"bad chunk size line {line[:64]!r}")
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: ignored
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise _BadRequest("request body too large", 413)
            body += self._read_exactly(size)
            if self.rfile.readline(_MAX_CHUNK_LINE).strip():
                raise _BadRequest("chunk longer than its size line says")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(lengths)) != 1 or not _DECIMAL.fullmatch(lengths[0].strip()):
            raise _BadRequest(f"bad Content-Length {lengths[0][:64]!r}")
        length = int(lengths[0].strip())
        if length > MAX_BODY:
            raise _BadRequest("request body too large", 413)
        return self._read_exactly(length)

    def _request(self, body: bytes) -> httpx.Request:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1:
            raise _BadRequest("too many Host headers")
        target = self.path
        if not target.startswith("/"):  # absolute-form request target
            parts = urllib.parse.urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = hosts[0] if hosts else "{}:{}".format(*self.server.server_address[:2])
        if not _HOST.fullmatch(host):
            raise _BadRequest("malformed Host header")
        try:
            url = httpx.URL(f"http://{host}{target}")
        except (httpx.InvalidURL, ValueError):
            raise _BadRequest("malformed Host header or request target") from None
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length"
        ]
        return httpx.Request(self.command, url, headers=headers, content=body)

    def _handle(self) -> None:
        try:
            body = self._read_body()
            request = self._request(body)
        except _BadRequest as error:
            self.send_error(error.status, str(error))
            return
        try:
            response = self.server.app(request)
        except Abort as abort:
            self._abort(abort)
            return
        except Exception:  # a bug in the app: say so, rather than drop the connection
            _log.exception("the app failed on %s %s", request.method, request.url)
            self.send_error(500, "internal server error")
            return
        self._write(response)

    def _write(self, response: httpx.Response, body_bytes: int | None = None) -> None:
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
            self.wfile.write(response.content[:body_bytes])
        self.wfile.flush()

    def _abort(self, abort: Abort) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            if abort.response is not None:
                self._write(abort.response, abort.body_bytes)
            if abort.reset:  # SO_LINGER with a zero timeout: close() sends RST
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

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
