"""Deadlines: a bound on a whole call, where `timeout=` bounds each phase of one request.

httpx's timeouts (`timeout=`) are per phase: connecting, each read, each write, waiting for a
connection from the pool. A server that drips one byte a second never trips a read timeout,
and retries and their waits add up, so `timeout=` alone does not bound how long a call takes.
A deadline does: the drivers check it before each request (and cap the request's timeouts to
the time left), between the chunks of a body they read (the asynchronous driver also bounds the
whole exchange with `asyncio.wait_for`; the synchronous one bounds each socket read of its
default transport, `_socket_deadline.py`), before each wait (backoff, polling), and in each
sub-operation of a fan-out; past it, the call raises `DeadlineExceededError`.

A deadline comes from the client (`Registry(deadline=30)`: each call gets 30 s) or from a
`deadline(seconds)` block, which bounds every call made inside it, together; the tighter wins.
A streamed blob returned to the caller is the caller's to read: the deadline ends with the call.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar

import attrs
import httpx

from harborsec._core._http import safe_url
from harborsec.errors import DeadlineExceededError, InvalidPolicyError

__all__ = ["Deadline", "call_deadline", "cap_timeouts", "checked_deadline", "deadline"]


@attrs.frozen
class Deadline:
    """When a call must end: `at` on the driver's monotonic clock; `seconds` as it was given."""

    at: float
    seconds: float

    def error(self, request: httpx.Request | None) -> DeadlineExceededError:
        """The error to raise once it has passed (`request`: the one under way, if any)."""
        method = request.method if request is not None else ""
        url = safe_url(request.url) if request is not None else ""
        where = f"{method} {url}: " if request is not None else ""
        return DeadlineExceededError(
            f"{where}the call's deadline of {self.seconds:g} s passed (retries, waits and slow "
            "answers included); give it more time with `deadline=`, or check the server",
            deadline=self.seconds,
            method=method,
            url=url,
        )


_BLOCK: ContextVar[Deadline | None] = ContextVar("harborsec_deadline", default=None)


def checked_deadline(seconds: float) -> float:
    """`seconds` as a deadline's float.

    Raises:
        InvalidPolicyError: `seconds` is not a positive finite number.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise InvalidPolicyError(f"a deadline is a positive number of seconds, not {seconds!r}")
    if not math.isfinite(seconds):
        raise InvalidPolicyError(f"a deadline is a finite number of seconds, not {seconds!r}")
    return float(seconds)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every harborsec call made inside the block, together, to `seconds` from now.

    Calls still running when it passes raise `DeadlineExceededError`. Blocks nest (the
    tighter deadline wins), and a client's own `deadline=` still applies to each call.
    In asyncio, tasks created inside the block inherit it (as context variables go).

    Example:
        >>> from harborsec import deadline
        >>> with deadline(30):
        ...     pass  # registry.resolve(...), registry.get_manifest(...)

    Raises:
        InvalidPolicyError: `seconds` is not a positive finite number.
    """
    seconds = checked_deadline(seconds)
    mine = Deadline(time.monotonic() + seconds, seconds)
    outer = _BLOCK.get()
    token = _BLOCK.set(mine if outer is None or mine.at < outer.at else outer)
    try:
        yield
    finally:
        _BLOCK.reset(token)


def call_deadline(seconds: float | None) -> Deadline | None:
    """The deadline of a call starting now: the client's (`seconds`) or the block's, the tighter."""
    block = _BLOCK.get()
    if seconds is None:
        return block
    mine = Deadline(time.monotonic() + seconds, seconds)
    return mine if block is None or mine.at < block.at else block


def cap_timeouts(request: httpx.Request, default: httpx.Timeout, remaining: float) -> None:
    """Cap the request's timeouts (or the client's `default`) to the `remaining` seconds."""
    current = request.extensions.get("timeout") or default.as_dict()
    request.extensions["timeout"] = {
        name: remaining if value is None else min(value, remaining)
        for name, value in current.items()
    }
