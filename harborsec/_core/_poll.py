"""Waiting: repeat a check until it says done, sleeping in between, up to a deadline.

Scans and SBOM generation run on the server; harborsec waits for them by asking again.
`poll` is that loop, written once as an operation, so it runs in both drivers::

    def wait_for_scan(ref: str) -> Op[ScanReport]:
        return (
            yield from poll(
                lambda: get_scan_report(ref),
                until=lambda report: report.status in ("Success", "Error"),
                what=f"the scan of {ref}",
                timeout=600,
            )
        )

The waiting (`sleep`) and the deadline's clock (`now`) are driver steps (`_steps.py`): the
synchronous driver sleeps with `time.sleep`, the asynchronous one with `asyncio.sleep`, and both
read `time.monotonic()`, unless given another clock and sleep (`run_sync(..., clock=, sleep=)`),
which is how the tests wait ten minutes in no time.

Delays grow: `interval`, then times `backoff` after each check, up to `max_interval`; the last
sleep is cut short so that one last check happens at the deadline. After it, the wait ends with
`WaitTimeoutError` (what was waited for, for how long, the last state). An error raised by the
check, by `until` or by `progress` ends the wait at once, with that error. Cancelling the call
(an asyncio task's cancellation, `KeyboardInterrupt`) stops it during a check or a sleep; the
drivers close the operation and any open response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

from harborsec._core._steps import Op, now, sleep
from harborsec.errors import InvalidPolicyError, WaitTimeoutError

__all__ = ["PollProgress", "poll"]

S = TypeVar("S")

_STATE_IN_MESSAGE = 200  # characters of the last state's repr in the timeout message


@attrs.frozen
class PollProgress(Generic[S]):
    """Where a wait stands, after one check (what a `progress` callback receives)."""

    attempt: int
    """How many checks were made, this one included (from 1)."""
    elapsed: float
    """Seconds since the wait started."""
    state: S
    """What this check found."""
    done: bool
    """Whether this state ends the wait."""
    next_delay: float | None
    """Seconds until the next check, or None when there is none (done, or out of time)."""


def poll(
    check: Callable[[], Op[S]],
    *,
    until: Callable[[S], bool],
    what: str,
    timeout: float,
    interval: float = 2.0,
    backoff: float = 1.5,
    max_interval: float = 30.0,
    progress: Callable[[PollProgress[S]], object] | None = None,
) -> Op[S]:
    """Run `check()` until `until(state)` is true, sleeping in between, for at most `timeout`.

    Args:
        check: Makes the operation that reads the state (called once per check).
        until: Whether a state ends the wait. It may raise to end it with an error (a failed
            scan, say).
        what: What is waited for, for the timeout's message (`the scan of library/app:1.0`).
        timeout: How long to wait at most, in seconds, from the first check (`math.inf`: no
            limit).
        interval: The first delay between checks, in seconds.
        backoff: What each delay is multiplied by for the next one (1: a fixed interval).
        max_interval: The longest delay between checks, in seconds.
        progress: Called after every check with a `PollProgress`; what it raises ends the wait.

    Returns:
        The first state `until` accepted.

    Raises:
        WaitTimeoutError: The state was still not done at the deadline's check.
        InvalidPolicyError: A negative timeout, an interval that is not positive, a backoff
            below 1 or a `max_interval` below `interval`.
    """
    _check_schedule(timeout, interval, backoff, max_interval)
    started = yield from now()
    delay = interval
    attempt = 0
    while True:
        attempt += 1
        state = yield from check()
        done = until(state)
        elapsed = (yield from now()) - started
        remaining = timeout - elapsed
        next_delay = None if done or remaining <= 0 else min(delay, remaining)
        if progress is not None:
            progress(PollProgress(attempt, elapsed, state, done, next_delay))
        if done:
            return state
        if next_delay is None:
            raise _timed_out(what, timeout, elapsed, attempt, state)
        yield from sleep(next_delay)
        delay = min(delay * backoff, max_interval)


def _check_schedule(timeout: float, interval: float, backoff: float, max_interval: float) -> None:
    if not timeout >= 0:
        raise InvalidPolicyError(f"a wait's timeout must be 0 or more seconds, not {timeout!r}")
    if not interval > 0:
        raise InvalidPolicyError(f"a wait's interval must be above 0 seconds, not {interval!r}")
    if not backoff >= 1:
        raise InvalidPolicyError(f"a wait's backoff must be 1 or more, not {backoff!r}")
    if not max_interval >= interval:
        raise InvalidPolicyError(
            f"a wait's max_interval ({max_interval!r}) must be at least its interval ({interval!r})"
        )


def _timed_out(
    what: str, timeout: float, elapsed: float, attempts: int, state: object
) -> Exception:
    shown = repr(state)
    if len(shown) > _STATE_IN_MESSAGE:
        shown = shown[: _STATE_IN_MESSAGE - 3] + "..."
    checks = "check" if attempts == 1 else "checks"
    return WaitTimeoutError(
        f"{what} was not ready after {elapsed:.1f} s ({attempts} {checks}; timeout {timeout:g} s);"
        f" last state: {shown}. It may still finish: wait again with a longer timeout, or check"
        " on it later.",
        what=what,
        timeout=timeout,
        elapsed=elapsed,
        attempts=attempts,
        last_state=state,
    )
