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


class _Upstream(asyncio.Protocol):
    """The proxy's connection to the upstream: its answers go back to the client at once."""

    def __init__(self, client: _Client) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.finished = False  # the upstream sent its end of stream

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.client.transport.is_closing():
            self.client.transport.write(data)

    def eof_received(self) -> bool:
        self.finished = True
        client = self.client.transport
        if not client.is_closing() and client.can_write_eof():
            client.write_eof()
        # Both ways done: close (which closes the client's side too). Else keep the connection
        # open for what the client is still sending.
        return not self.client.finished

    def connection_lost(self, exc: Exception | None) -> None:
        self.client.transport.close()

    # The upstream reads slower than the client sends: stop reading the client meanwhile.
    def pause_writing(self) -> None:
        self.client.transport.pause_reading()

    def resume_writing(self) -> None:
        self.client.transport.resume_reading()


class _Client(asyncio.Protocol):
    """One client connection: what it sends reaches the upstream `delay` seconds later.

    Each chunk is passed on by a timer callback (a delay line: chunks are not serialised behind
    each other's delays). Nothing is passed on before the connection is `delay` old (the
    simulated handshake). Plain protocol callbacks, no streams and no task per chunk: the proxy's
    own CPU time per request stays small next to the registry's and the client's.
    """

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream_address = upstream
        self.delay = delay
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport
        self.upstream: _Upstream | None = None
        self.not_before = 0.0
        self.last_due = 0.0
        self.waiting: list[bytes | None] = []  # due before the upstream connection was up
        self.finished = False  # the client's end of stream was passed on
        self.connecting: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.not_before = self.loop.time() + self.delay
        self.connecting = self.loop.create_task(self._connect())  # a strong reference

    async def _connect(self) -> None:
        try:
            _, upstream = await self.loop.create_connection(
                lambda: _Upstream(self), *self.upstream_address
            )
        except OSError:
            self.transport.close()
            return
        self.upstream = upstream
        for data in self.waiting:
            self._pass_on(data)
        self.waiting.clear()
        if self.transport.is_closing():  # the client left while this connection was made
            self.connection_lost(None)

    def _schedule(self, data: bytes | None) -> None:
        # Strictly increasing due times keep the chunks in order on the timer heap.
        self.last_due = max(
            max(self.loop.time(), self.not_before) + self.delay, self.last_due + 1e-6
        )
        self.loop.call_at(self.last_due, self._pass_on, data)

    def _pass_on(self, data: bytes | None) -> None:
        """Send a chunk upstream (None: the client's end of stream)."""
        upstream = self.upstream
        if upstream is None:
            self.waiting.append(data)
            return
        transport = upstream.transport
        if transport is None or transport.is_closing():
            return
        if data is None:
            self.finished = True
            if upstream.finished:  # both ways done
                transport.close()
            elif transport.can_write_eof():
                transport.write_eof()
        else:
            transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._schedule(data)

    def eof_received(self) -> bool:
        self._schedule(None)
        return True  # keep the connection open for the upstream's answers

    def connection_lost(self, exc: Exception | None) -> None:
        upstream = self.upstream
        if upstream is not None and upstream.transport is not None:
            self.loop.call_at(self.last_due + 1e-6, upstream.transport.close)

    # The client reads slower than the upstream answers: stop reading the upstream meanwhile.
    def pause_writing(self) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.resume_reading()


async def serve(upstream: tuple[str, int], delay: float, port: int = 0) -> None:
    """Serve until cancelled, SIGTERM/SIGINT, or stdin closing; print ``LISTENING <port>``."""

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Client(upstream, delay), "127.0.0.1", port, backlog=512
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"LISTENING {bound}", flush=True)
    stop = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish)

    def stdin_closed() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())  # at its end, stdin stays readable: stop
            finish()

    with contextlib.suppress(OSError, ValueError, NotImplementedError):
        loop.add_reader(sys.stdin.fileno(), stdin_closed)
    await stop
    # Stop listening and leave at once: waiting for the open connections to close (what
    # `Server.wait_closed` does since Python 3.12) could wait for clients that keep theirs open.
    server.close()


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
