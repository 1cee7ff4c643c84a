"""Waiting with poll(): checks, growing sleeps, the deadline on the driver's clock, progress."""

import asyncio
import inspect

import httpx
import pytest

import harborsec
from harborsec._core._driver import run_async
from harborsec._core._poll import PollProgress, poll
from harborsec._core._steps import Op
from tests.unit.core._both import FAST, URL, fetch


class Job:
    """A server-side job: `/job` answers "running" until it was asked `ready_after` times."""

    def __init__(self, ready_after: int, *, missing_at: int | None = None) -> None:
        self.ready_after = ready_after
        self.missing_at = missing_at
        self.asked = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        if self.asked == self.missing_at:
            return httpx.Response(404)
        return httpx.Response(200, text="done" if self.asked >= self.ready_after else "running")


def wait(**options) -> Op[str]:
    schedule = {"what": "the job", "timeout": 60.0, "interval": 2.0, "backoff": 1.5}
    schedule.update(options)
    return (yield from poll(lambda: fetch(URL), until=lambda s: s == "done", **schedule))


async def test_checks_until_done_with_growing_capped_sleeps(driver):
    seen: list[PollProgress[str]] = []
    job = Job(ready_after=6)
    result = await driver.run(job, wait(max_interval=5.0, progress=seen.append))
    assert result == "done" and job.asked == 6
    assert driver.time.slept == [2.0, 3.0, 4.5, 5.0, 5.0]
    assert [p.attempt for p in seen] == [1, 2, 3, 4, 5, 6]
    assert [p.elapsed for p in seen] == [0.0, 2.0, 5.0, 9.5, 14.5, 19.5]
    assert [p.state for p in seen] == ["running"] * 5 + ["done"]
    assert [p.done for p in seen] == [False] * 5 + [True]
    assert [p.next_delay for p in seen] == [2.0, 3.0, 4.5, 5.0, 5.0, None]


async def test_done_at_once_means_no_sleep(driver):
    assert await driver.run(Job(ready_after=1), wait()) == "done"
    assert driver.time.slept == []


async def test_the_deadline_gets_one_last_check_then_a_wait_timeout_error(driver):
    job = Job(ready_after=100)
    with pytest.raises(harborsec.WaitTimeoutError) as info:
        await driver.run(job, wait(timeout=10.0))
    assert driver.time.slept == [2.0, 3.0, 4.5, 0.5]  # the last sleep ends at the deadline
    error = info.value
    assert (error.what, error.timeout, error.elapsed) == ("the job", 10.0, 10.0)
    assert (error.attempts, error.last_state) == (5, "running") and job.asked == 5
    message = str(error)
    assert "the job was not ready after 10.0 s (5 checks; timeout 10 s)" in message
    assert "'running'" in message and "longer timeout" in message


async def test_time_spent_in_checks_counts_against_the_deadline(driver):
    def slow(request: httpx.Request) -> httpx.Response:
        driver.time.now += 4.0  # each answer takes 4 s
        return httpx.Response(200, text="running")

    with pytest.raises(harborsec.WaitTimeoutError) as info:
        await driver.run(slow, wait(timeout=10.0, backoff=1.0))
    assert driver.time.slept == [2.0]  # checks end at 4, 10: then no time left
    assert info.value.attempts == 2 and info.value.elapsed == 10.0


async def test_a_zero_timeout_checks_once(driver):
    with pytest.raises(harborsec.WaitTimeoutError, match=r"1 check;"):
        await driver.run(Job(ready_after=2), wait(timeout=0.0))
    assert driver.time.slept == []


async def test_a_long_state_is_cut_short_in_the_message(driver):
    def long(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="x" * 1000)

    with pytest.raises(harborsec.WaitTimeoutError) as info:
        await driver.run(long, wait(timeout=0.0))
    assert len(info.value.last_state) == 1000
    assert "xxx..." in str(info.value) and len(str(info.value)) < 400


async def test_a_failed_check_ends_the_wait_with_its_error(driver):
    job = Job(ready_after=100, missing_at=3)
    with pytest.raises(harborsec.NotFoundError):
        await driver.run(job, wait())
    assert job.asked == 3 and driver.time.slept == [2.0, 3.0]


async def test_until_and_progress_may_end_the_wait_by_raising(driver):
    class Failed(Exception):
        pass

    def scan_failed(state: str) -> bool:
        raise Failed(state)

    with pytest.raises(Failed, match="running"):
        await driver.run(
            Job(ready_after=5), poll(lambda: fetch(), until=scan_failed, what="x", timeout=9)
        )

    def stop(progress: PollProgress[str]) -> None:
        if progress.attempt == 2:
            raise KeyError("enough")

    job = Job(ready_after=5)
    with pytest.raises(KeyError):
        await driver.run(job, wait(progress=stop))
    assert job.asked == 2


@pytest.mark.parametrize(
    ("option", "value"),
    [("timeout", -1.0), ("interval", 0.0), ("backoff", 0.5), ("max_interval", 1.0),
     ("timeout", float("nan"))],
)  # fmt: skip
async def test_a_schedule_that_makes_no_sense_is_refused_before_any_check(driver, option, value):
    job = Job(ready_after=1)
    with pytest.raises(harborsec.InvalidPolicyError, match=option):
        await driver.run(job, wait(**{option: value}))
    assert job.asked == 0


async def test_no_limit_waits_as_long_as_it_takes(driver):
    assert (
        await driver.run(Job(ready_after=40), wait(timeout=float("inf"), max_interval=30)) == "done"
    )
    assert max(driver.time.slept) == 30.0


async def test_cancelling_an_async_wait_stops_it_during_its_sleep():
    asked = asyncio.Event()
    checks = []

    def handler(request: httpx.Request) -> httpx.Response:
        checks.append(request)
        asked.set()
        return httpx.Response(200, text="running")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        waiting = wait(interval=3600.0, max_interval=3600.0)
        task = asyncio.ensure_future(run_async(client, waiting, policy=FAST))
        await asyncio.wait_for(asked.wait(), 5.0)
        await asyncio.sleep(0)  # into its sleep
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(checks) == 1
    assert inspect.getgeneratorstate(waiting) == inspect.GEN_CLOSED
