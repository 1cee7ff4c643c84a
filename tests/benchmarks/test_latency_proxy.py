"""The benchmark's latency proxy (`benchmarks/latency_proxy.py`), run as the benchmark runs it.

The "+20 ms" rows of docs/performance.md are only as honest as this proxy: it must pass every
byte on, in order, both ways, add the delay to each exchange (and one more round trip to a new
connection), and keep half-closed connections working.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PROXY = Path(__file__).resolve().parents[2] / "benchmarks" / "latency_proxy.py"
# The proxy is started with --delay-ms 100: large next to loopback round trips, small next to the
# test's patience.
DELAY = 0.1


class EchoServer:
    """Echoes every byte back; on the client's end of stream, sends ``b"<EOF>"`` and closes."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(connection,), daemon=True).start()

    @staticmethod
    def _echo(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(65536):
                connection.sendall(data)
            connection.sendall(b"<EOF>")


def _start(upstream_port: int) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROXY),
            "--upstream",
            f"127.0.0.1:{upstream_port}",
            "--delay-ms",
            "100",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("LISTENING "), line
    return process, int(line.split()[1])


def _stop(process: subprocess.Popen[str]) -> None:
    """Close its stdin (which stops it) and wait; kill it if it does not stop."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.socket.close()


@pytest.fixture(scope="module")
def proxy(echo: EchoServer) -> Iterator[int]:
    """The proxy's port, forwarding to an echo server with `DELAY` added."""
    process, port = _start(echo.port)
    try:
        yield port
    finally:
        _stop(process)


def _receive(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


def test_exchanges_take_the_delay_and_new_connections_one_more_round_trip(proxy: int) -> None:
    with socket.create_connection(("127.0.0.1", proxy)) as connection:
        started = time.perf_counter()
        connection.sendall(b"first")
        assert _receive(connection, 5) == b"first"
        first = time.perf_counter() - started
        timings = []
        for index in range(3):
            started = time.perf_counter()
            connection.sendall(b"again%d" % index)
            assert _receive(connection, 6) == b"again%d" % index
            timings.append(time.perf_counter() - started)
    assert 2 * DELAY <= first < 2 * DELAY + 0.5  # the handshake's round trip, then the exchange
    assert all(DELAY <= t < DELAY + 0.5 for t in timings), timings


def test_bytes_pass_intact_both_ways_and_half_close_is_kept(proxy: int) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB: more than any socket buffer, so flow control
    received = bytearray()
    with socket.create_connection(("127.0.0.1", proxy)) as connection:
        reader = threading.Thread(
            target=lambda: received.extend(_receive(connection, len(payload) + 5))
        )
        reader.start()
        connection.sendall(payload)
        connection.shutdown(socket.SHUT_WR)  # the echo server answers the end of stream
        reader.join(timeout=30)
    assert not reader.is_alive()
    assert bytes(received) == payload + b"<EOF>"


def test_chunks_are_not_serialised_behind_each_others_delays(proxy: int) -> None:
    with socket.create_connection(("127.0.0.1", proxy)) as connection:
        connection.sendall(b"warm")
        assert _receive(connection, 4) == b"warm"
        started = time.perf_counter()
        for index in range(10):  # ten chunks sent at once arrive after one delay, not ten
            connection.sendall(b"%d" % index)
            time.sleep(0.002)
        assert _receive(connection, 10) == b"0123456789"
        elapsed = time.perf_counter() - started
    assert DELAY <= elapsed < 3 * DELAY


def test_it_stops_when_stdin_closes_even_with_connections_open(echo: EchoServer) -> None:
    process, port = _start(echo.port)
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"open")
        assert _receive(connection, 4) == b"open"
        started = time.perf_counter()
        _stop(process)  # raises if it is still running after 10 s
        assert time.perf_counter() - started < 5
        assert process.returncode == 0
