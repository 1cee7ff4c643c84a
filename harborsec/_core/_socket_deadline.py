"""Socket reads and writes of the synchronous client that stop at the call's deadline.

httpx's read timeout starts again with every byte, so a server that drips its response *head*
one byte at a time holds a synchronous call for as long as it likes: the driver can check the
clock between the chunks of a body (`_limits.read_body`), but the head is read inside
`client.send`. The asynchronous driver bounds the whole exchange with `asyncio.wait_for`; this
module gives the synchronous one the same bound, one level lower.

`bound_sockets(client)` wraps the network backend of the client's connection pool. Each read
and write of its connections takes, as its timeout, the smaller of httpcore's (the request's
read or write timeout) and the time left before the deadline of the request being sent, which
the driver sets for the current context with `sending(deadline, clock)`; once that has passed,
the read raises `httpcore.ReadTimeout` at once (httpx turns it into `httpx.ReadTimeout`, and
the driver into `DeadlineExceededError`). Without a deadline in the context, nothing changes.

The backend is reached through httpx's and httpcore's private attributes (`Client._transport`,
`HTTPTransport._pool`, `ConnectionPool._network_backend`); `bound_sockets` says whether it
could, and `tests/unit/core/test_socket_deadline.py` fails if a new httpx moves them.
"""

from __future__ import annotations

import contextlib
import ssl
import typing
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar

import httpcore
import httpx

__all__ = ["bound_sockets", "sending"]

_SENDING: ContextVar[tuple[float, Callable[[], float]] | None] = ContextVar(
    "harborsec_sending_deadline", default=None
)


@contextlib.contextmanager
def sending(at: float | None, clock: Callable[[], float]) -> Iterator[None]:
    """Bound socket reads and writes made in this context to `at` on `clock` (None: no bound)."""
    token = _SENDING.set(None if at is None else (at, clock))
    try:
        yield
    finally:
        _SENDING.reset(token)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    current = _SENDING.get()
    if current is None:
        return timeout
    at, clock = current
    left = at - clock()
    if left <= 0:
        raise error("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(
            self.inner.connect_tcp(
                host, port, timeout, local_address=local_address, socket_options=socket_options
            )
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self.inner.connect_unix_socket(path, timeout, socket_options=socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def bound_sockets(client: httpx.Client) -> bool:
    """Make the sockets of `client`'s default transport stop at the deadline set by `sending`.

    Returns:
        Whether the client's transport could be reached (False for another transport, such as
        one given to `Registry(transport=...)`, or an httpx whose internals moved).
    """
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool):
        return False
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    if not isinstance(backend, _Backend):
        pool._network_backend = _Backend(backend)
    return True
