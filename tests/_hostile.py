"""A small hostile HTTP/1.1 server for tests: real sockets, scripted misbehaviour.

`hostile_server(answer)` runs an asyncio TCP server on 127.0.0.1 in a thread of its own (so the
synchronous client can be tested from the same test). For each request it reads the head and any
`Content-Length` body, records it, then calls `answer(request, writer)`, a coroutine that writes
whatever it likes (or nothing) and may hang up: `hang_up(writer, reset=True)` sends an RST.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import attrs

__all__ = ["HostileServer", "Request", "hang_up", "hostile_server"]


@attrs.frozen
class Request:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes = b""


Answer = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@attrs.define
class HostileServer:
    """The running server: its URL, and what it received."""

    url: str = ""
    seen: list[Request] = attrs.field(factory=list)
    connections: int = 0
    """How many connections were accepted (TLS handshakes included, failed or not)."""


def hang_up(writer: asyncio.StreamWriter, *, reset: bool = False) -> None:
    """Close the connection now: with a FIN, or an RST when `reset`."""
    if reset:  # SO_LINGER 0: close() sends an RST instead of a FIN
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextmanager
def hostile_server(answer: Answer, *, tls: ssl.SSLContext | None = None) -> Iterator[HostileServer]:
    """Run a server that answers each request with `answer` (see the module docstring)."""
    state = HostileServer()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(length) if length else b""
                request = Request(method, path, headers, body)
                state.seen.append(request)
                await answer(request, writer)
                if writer.transport.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, OSError):
            pass
        except asyncio.CancelledError:  # the server stops
            pass
        finally:
            writer.transport.abort()

    def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Awaitable[None]:
        state.connections += 1
        return serve(reader, writer)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(count, "127.0.0.1", 0, ssl=tls)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    scheme = "https" if tls is not None else "http"
    state.url = f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:

        async def stop() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
