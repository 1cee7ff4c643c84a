"""A TCP proxy on 127.0.0.1 that adds a fixed latency to every round trip.

Run as ``python benchmarks/latency_proxy.py --upstream 127.0.0.1:5000 --delay-ms 20``. It binds a
free port (or ``--port``), prints ``LISTENING <port>`` on stdout and forwards every connection to
the upstream until it is terminated (SIGTERM, SIGINT, or its stdin closing).

The latency model (what ``docs/performance.md`` calls "+20 ms"):

* every chunk the client sends is forwarded to the upstream `delay` seconds after it arrived (a
  delay line of timer callbacks: chunks are not serialised behind each other's delays, so
  throughput is not capped); the upstream's answers are forwarded at once. A request/response
  exchange therefore takes `delay` longer, as on a link with a round-trip time of `delay`;
* a new connection costs one more round trip before its first byte is forwarded, as a TCP
  handshake over such a link would (there is no TLS: the registry speaks plain HTTP).

The proxy runs in its own process so that its CPU time is not charged to the client under test
(the machine has 2 cores; the proxy, the registry and the client share them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys

__all__ = ["main", "serve"]

_CHUNK = 1 << 16


async def _forward(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    delay: float,
    not_before: float,
) -> None:
    """Copy `reader` to `writer`, each chunk `delay` seconds after it arrived.

    No chunk is sent before `not_before` + `delay` (the simulated handshake). Delayed chunks are
    written by timer callbacks (no task per chunk), in arrival order; returns once the last one,
    and the end of the stream, have been passed on.
    """
    loop = asyncio.get_running_loop()
    last_due = 0.0

    def send(data: bytes) -> None:
        if writer.is_closing():
            return
        with contextlib.suppress(OSError, RuntimeError):
            if data:
                writer.write(data)
            elif writer.can_write_eof():
                writer.write_eof()

    try:
        while True:
            data = await reader.read(_CHUNK)
            if delay > 0:
                # Strictly increasing due times keep the chunks in order on the timer heap.
                last_due = max(max(loop.time(), not_before) + delay, last_due + 1e-6)
                loop.call_at(last_due, send, data)
            else:
                send(data)
                if data:
                    await writer.drain()
            if not data:
                break
    except (ConnectionError, OSError):
        pass
    wait = last_due - loop.time()
    if wait > 0:
        await asyncio.sleep(wait)


async def _handle(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    *,
    upstream: tuple[str, int],
    delay: float,
) -> None:
    loop = asyncio.get_running_loop()
    accepted = loop.time()
    try:
        server_reader, server_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(
            _forward(client_reader, server_writer, delay=delay, not_before=accepted + delay),
            _forward(server_reader, client_writer, delay=0.0, not_before=accepted),
        )
    finally:
        for writer in (server_writer, client_writer):
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()


async def serve(upstream: tuple[str, int], delay: float, port: int = 0) -> None:
    """Serve until cancelled, SIGTERM/SIGINT, or stdin closing; print ``LISTENING <port>``."""

    # asyncio keeps only weak references to the handler tasks once a client has gone; keep
    # strong ones, or a task still forwarding the server's side could be garbage-collected.
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            handlers.add(task)
        try:
            await _handle(reader, writer, upstream=upstream, delay=delay)
        except asyncio.CancelledError:  # at shutdown
            pass
        finally:
            if task is not None:
                handlers.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    bound = server.sockets[0].getsockname()[1]
    print(f"LISTENING {bound}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish)

    def stdin_closed() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            finish()

    with contextlib.suppress(OSError, ValueError, NotImplementedError):
        loop.add_reader(sys.stdin.fileno(), stdin_closed)
    async with server:
        await stop


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="added round-trip time")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    args = parser.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    asyncio.run(serve((host, int(port)), args.delay_ms / 1000.0, args.port))


if __name__ == "__main__":
    main()
