"""What an operation may yield: a request, or a step only the driver can take.

An operation (`Op[T]`) is a generator that yields `httpx.Request` objects and receives each
response. Some protocol logic also needs to wait, to know how long it has waited, or to run
several sub-operations at once (waiting for a scan, checking the signatures of ten artifacts).
Those are I/O and clock reads, which operations leave to the driver, so an operation asks for
them by yielding a *step* through one of the helpers here, always with ``yield from``::

    def wait_a_little() -> Op[float]:
        started = yield from now()
        yield from sleep(0.5)
        return (yield from now()) - started

    def fetch_all(urls: list[httpx.URL]) -> Op[list[bytes]]:
        return (yield from fan_out([fetch(url) for url in urls], limit=4))

* `sleep(seconds)` yields `Sleep`: the synchronous driver calls `time.sleep`, the asynchronous
  one `asyncio.sleep` (both can be replaced, for tests, with the drivers' `sleep=`).
* `now()` yields `Now`: the driver answers with its monotonic clock (`time.monotonic`, or the
  drivers' `clock=`), so deadlines can be tested with a fake clock and no real waiting.
* `fan_out(ops, limit=n)` yields `FanOut`: the driver runs the sub-operations, each with the
  call's request id, timeout and retries, and answers the list of their results in input order.
  The asynchronous driver runs up to `limit` of them at a time; the synchronous one runs them one
  after the other. The first failure is raised at the ``yield from``, inside the operation (so it
  may catch it), after the other sub-operations have been stopped and closed.

Typing: `Op[T]`'s send type stays `httpx.Response`, so ``response = yield request`` keeps its
type. The driver answers a step with another value (None, a float, a list); only the helpers
below receive those answers, and each turns its answer back into its declared type. Yield steps
only through them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any, Generic, TypeVar, cast

import attrs
import httpx

from harborsec.errors import InvalidPolicyError

__all__ = ["STREAM", "FanOut", "Now", "Op", "Sleep", "fan_out", "now", "sleep"]

T = TypeVar("T")

STREAM = "harborsec.stream"
"""Request extension: when true, the operation receives the response unread, to stream it."""


@attrs.frozen
class Sleep:
    """Step: wait this many seconds (the driver sleeps, and answers None)."""

    seconds: float


@attrs.frozen
class Now:
    """Step: read the driver's monotonic clock (the driver answers its reading, in seconds)."""


@attrs.frozen
class FanOut(Generic[T]):
    """Step: run these sub-operations, at most `limit` at a time; answer their results in order."""

    ops: tuple[Op[T], ...]
    limit: int


Op = Generator[httpx.Request | Sleep | Now | FanOut[Any], httpx.Response, T]
"""An operation: yields requests (or steps), receives responses, returns a `T`."""


def sleep(seconds: float) -> Op[None]:
    """Ask the driver to wait.

    Raises:
        InvalidPolicyError: `seconds` is negative or not a number.
    """
    if not seconds >= 0:
        raise InvalidPolicyError(f"cannot sleep {seconds!r} seconds")
    yield Sleep(seconds)


def now() -> Op[float]:
    """Ask the driver for its monotonic clock's reading, in seconds (only differences mean much)."""
    answer = yield Now()
    return cast(float, answer)  # the driver answers a Now with a float


def fan_out(ops: Iterable[Op[T]], *, limit: int) -> Op[list[T]]:
    """Run sub-operations, up to `limit` at a time (asynchronous driver) or in order (sync).

    Args:
        ops: The sub-operations (not started yet).
        limit: How many may run at the same time, at least 1.

    Returns:
        Their results, in the order of `ops`.

    Raises:
        InvalidPolicyError: `limit` is below 1 (the sub-operations are closed, not run).
        Exception: The first failure of a sub-operation; the others are stopped and closed.
    """
    ops = tuple(ops)
    if limit < 1:
        for op in ops:
            op.close()
        raise InvalidPolicyError(f"a fan-out needs a limit of at least 1, not {limit}")
    if not ops:
        return []
    answer = yield FanOut(ops, limit)
    return cast(list[T], answer)  # the driver answers a FanOut with the list of results
