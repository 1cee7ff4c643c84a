"""Fuzzed server answers: the transport layer raises only harborsec errors, in bounded time.

A real server on 127.0.0.1 answers each request with bytes hypothesis builds: a status line
(any status, or garbage), headers (odd names and values, wrong or repeated `Content-Length`,
`Transfer-Encoding: chunked` with broken chunks, long lines), a body cut anywhere, then a hang-up
(FIN or RST) or nothing. `Registry` and `AsyncRegistry` (aiohttp's direct path and its streamed
path) ping, read a blob whole and stream it: each call returns or raises a `HarborsecError`,
within the read timeout's reach. Only calls whose parsing is the transport's and the digest's are
used, so that what is tested is the mapping of what goes wrong on the wire.

Sized for CI (25 answers a client); `HARBORSEC_FUZZ_EXAMPLES=400` hunts longer (400 a client
passed when this test was written, about 100 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec.errors import HarborsecError
from harborsec.oci import compute_digest
from tests._hostile import HostileServer, Request, hang_up, hostile_server

BLOB = b"0123456789abcdef" * 4
DIGEST = compute_digest(BLOB)
TIMEOUT = 0.15


class _Script:
    raw: bytes = b""
    ending: str = "keep"


_script = _Script()


async def _answer(_: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(_script.raw)
    await writer.drain()
    if _script.ending == "keep":
        await asyncio.sleep(2 * TIMEOUT)  # longer than the read timeout, then hang up
    hang_up(writer, reset=_script.ending == "reset")


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with hostile_server(_answer) as running:
        yield running


_token = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
    min_size=1,
    max_size=12,
)
_value = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
    st.integers(-5, 10**30).map(str),
    st.just("a" * 20_000),
)
_extra_header = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "Content-Length",
                "Transfer-Encoding",
                "Content-Encoding",
                "Content-Type",
                "X-Request-Id",
            ]
        ),
        _value,
    ),
    st.tuples(_token, _value),
    st.tuples(st.just("Transfer-Encoding"), st.just("chunked")),
    st.tuples(st.just("Content-Encoding"), st.sampled_from(["gzip", "deflate", "br", "zstd"])),
)
_status = st.one_of(
    st.just("HTTP/1.1 200 OK"),  # mostly a plausible answer, so that the body is read
    st.integers(100, 599).map(lambda code: f"HTTP/1.1 {code} X"),
    st.sampled_from(["HTTP/1.0 200 OK", "HTTP/2 200", "HTTP/1.1 200", "ICY 200 OK"]),
    st.text(max_size=30),
)
_body = st.one_of(
    st.just(BLOB),
    st.binary(max_size=200),
    st.sampled_from([b"5\r\nabc", b"zz\r\nabc\r\n0\r\n\r\n", b"40\r\n" + BLOB + b"\r\n0\r\n\r\n"]),
)


@st.composite
def _responses(draw: Any) -> tuple[bytes, str]:
    """A plausible answer, then broken: odd parts, and cut anywhere (mostly in the body)."""
    status = draw(_status)
    body = draw(_body)
    headers = [("Content-Length", str(len(body)))] if draw(st.booleans()) else []
    headers += draw(st.lists(_extra_header, max_size=3))
    head = (status + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n").encode(
        "latin-1", "replace"
    )
    raw = head + body
    cut = draw(st.one_of(st.none(), st.integers(len(head), len(raw)), st.integers(0, len(raw))))
    return (raw if cut is None else raw[:cut]), draw(st.sampled_from(["keep", "close", "reset"]))


def _calls(kind: str, url: str) -> list[Any]:
    options: dict[str, Any] = {"auth": None, "timeout": TIMEOUT, "retries": RetryPolicy(retries=0)}
    if kind == "sync":

        def stream() -> None:
            with Registry(url, **options) as client, client.stream_blob("p/a", DIGEST) as chunks:
                for _ in chunks:
                    pass

        def whole(method: str) -> Any:
            with Registry(url, **options) as client:
                return getattr(client, method)(*(() if method == "ping" else ("p/a", DIGEST)))

        return [lambda: whole("ping"), lambda: whole("get_blob"), stream]

    async def astream() -> None:
        async with AsyncRegistry(url, **options) as client:
            async with client.stream_blob("p/a", DIGEST) as chunks:
                async for _ in chunks:
                    pass

    async def awhole(method: str) -> Any:
        async with AsyncRegistry(url, **options) as client:
            return await getattr(client, method)(*(() if method == "ping" else ("p/a", DIGEST)))

    return [
        lambda: asyncio.run(awhole("ping")),
        lambda: asyncio.run(awhole("get_blob")),
        lambda: asyncio.run(astream()),
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
@settings(
    max_examples=int(os.environ.get("HARBORSEC_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(response=_responses(), which=st.integers(0, 2))
def test_a_fuzzed_answer_raises_only_harborsec_errors(
    server: HostileServer, kind: str, response: tuple[bytes, str], which: int
) -> None:
    _script.raw, _script.ending = response
    started = time.monotonic()
    with contextlib.suppress(HarborsecError):
        _calls(kind, server.url)[which]()
    # one read timeout, and connect/write slack: never the 2 x TIMEOUT wait repeated
    assert time.monotonic() - started < 10 * TIMEOUT
