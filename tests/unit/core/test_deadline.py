"""A call's deadline in both drivers, on a fake clock: waits, retries and fan-outs stop at it."""

from __future__ import annotations

import httpx
import pytest

from harborsec._core._deadline import Deadline, call_deadline, deadline
from harborsec._core._retry import RetryPolicy
from harborsec._core._steps import Op, fan_out, sleep
from harborsec.errors import DeadlineExceededError
from tests.unit.core._both import Driver, fetch


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="ok")


def waits_forever(interval: float) -> Op[None]:
    """Polls for ever: fetches, then waits."""
    while True:
        yield from fetch()
        yield from sleep(interval)


async def test_a_polling_operation_stops_at_the_deadline(driver: Driver) -> None:
    limit = Deadline(driver.time.now + 2.0, 2.0)
    with pytest.raises(DeadlineExceededError) as caught:
        await driver.run(ok, waits_forever(0.5), deadline=limit)
    assert caught.value.deadline == 2.0
    assert sum(driver.time.slept) < 2.0  # no wait that would end past it was started
    assert driver.time.slept == [0.5, 0.5, 0.5]


async def test_sub_operations_share_the_deadline(driver: Driver) -> None:
    limit = Deadline(driver.time.now + 1.0, 1.0)

    def fans_out() -> Op[list[None]]:
        return (yield from fan_out([waits_forever(0.3) for _ in range(3)], limit=3))

    with pytest.raises(DeadlineExceededError):
        await driver.run(ok, fans_out(), deadline=limit)
    assert driver.time.now < 1001.0


async def test_no_retry_wait_runs_past_the_deadline(driver: Driver) -> None:
    sent: list[int] = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        return httpx.Response(503)

    policy = RetryPolicy(retries=5, backoff=0.4, jitter=0.0)
    limit = Deadline(driver.time.now + 1.0, 1.0)
    with pytest.raises(DeadlineExceededError, match=r"GET https://registry\.test/thing"):
        await driver.run(unavailable, fetch(), policy=policy, deadline=limit)
    assert driver.time.slept == [0.4]  # 0.4 then 0.8 would end at 1.2, past the deadline
    assert len(sent) == 2


async def test_a_call_without_a_deadline_is_not_bounded(driver: Driver) -> None:
    assert await driver.run(ok, fetch(), deadline=None) == "ok"


def test_the_tighter_of_the_block_and_the_client_wins() -> None:
    assert call_deadline(None) is None
    with deadline(5):
        assert call_deadline(None).seconds == 5  # type: ignore[union-attr]
        assert call_deadline(1).seconds == 1  # type: ignore[union-attr]
        assert call_deadline(10).seconds == 5  # type: ignore[union-attr]
        with deadline(60):
            assert call_deadline(None).seconds == 5  # type: ignore[union-attr]
    assert call_deadline(None) is None
