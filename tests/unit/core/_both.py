"""Run one operation in either driver, with a fake monotonic clock that moves only on sleeps.

Tests take the `driver` fixture of `conftest.py` (parametrized "sync" and "async") and
``await driver.run(...)``: the synchronous driver runs with an `httpx.Client`, the asynchronous
one with an `httpx.AsyncClient`, both over an `httpx.MockTransport` of the same handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from harborsec._core._driver import Op, run_async, run_sync
from harborsec._core._http import raise_for_status
from harborsec._core._retry import RetryPolicy

__all__ = ["FAST", "URL", "Driver", "FakeTime", "fetch"]

FAST = RetryPolicy(retries=2, backoff=0.0, jitter=0.0)
URL = httpx.URL("https://registry.test/thing")


def fetch(url: httpx.URL | str = URL, method: str = "GET") -> Op[str]:
    """One request; the body's text (HTTP errors raised)."""
    response = yield httpx.Request(method, url)
    raise_for_status(response)
    return response.text


class FakeTime:
    """A monotonic clock that stands still except when slept on (or moved by a handler)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


class Driver:
    """One of the two drivers, with its fake time."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.time = FakeTime()

    def __repr__(self) -> str:
        return self.kind

    async def run(
        self,
        handler: Callable[[httpx.Request], httpx.Response],
        op: Op[Any],
        *,
        policy: RetryPolicy = FAST,
        real_time: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Run `op` against `handler` (fake time unless `real_time`)."""
        transport = httpx.MockTransport(handler)
        if self.kind == "sync":
            if not real_time:
                kwargs.update(clock=self.time.clock, sleep=self.time.sleep)
            with httpx.Client(transport=transport) as client:
                return run_sync(client, op, policy=policy, **kwargs)
        if not real_time:
            kwargs.update(clock=self.time.clock, sleep=self.time.asleep)
        async with httpx.AsyncClient(transport=transport) as client:
            return await run_async(client, op, policy=policy, **kwargs)
