"""Steps an operation asks its driver for: sleep and the clock, in both drivers; plan is pure."""

import time

import httpx
import pytest

import harborsec
from harborsec._core._driver import Send, plan
from harborsec._core._steps import Now, Op, Sleep, now, sleep
from tests.unit.core._both import FAST, URL, fetch


def nap(seconds: float) -> Op[float]:
    started = yield from now()
    yield from sleep(seconds)
    return (yield from now()) - started


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="ok")


async def test_the_driver_sleeps_and_tells_the_time(driver):
    assert await driver.run(ok, nap(7.5)) == 7.5
    assert driver.time.slept == [7.5]


async def test_without_a_clock_the_driver_uses_the_monotonic_clock(driver):
    def reading() -> Op[float]:
        return (yield from now())

    before = time.monotonic()
    seen = await driver.run(ok, reading(), real_time=True)
    assert before <= seen <= time.monotonic()


async def test_without_a_sleep_the_driver_really_sleeps(driver):
    started = time.monotonic()
    waited = await driver.run(ok, nap(0.05), real_time=True)
    assert waited >= 0.05 and time.monotonic() - started >= 0.05


async def test_steps_and_requests_mix_in_one_operation(driver):
    def both() -> Op[tuple[str, float]]:
        text = yield from fetch()
        waited = yield from nap(2.0)
        return text, waited

    assert await driver.run(ok, both()) == ("ok", 2.0)


async def test_a_negative_sleep_is_refused(driver):
    with pytest.raises(harborsec.InvalidPolicyError):
        await driver.run(ok, nap(-1.0))
    assert driver.time.slept == []


async def test_something_else_yielded_is_a_type_error(driver):
    def confused() -> Op[None]:
        yield "GET /thing"  # type: ignore[misc]

    with pytest.raises(TypeError, match="GET /thing"):
        await driver.run(ok, confused())


def test_plan_passes_sleep_and_now_to_the_driver_and_their_answers_back():
    steps = plan(nap(3.0), policy=FAST)
    assert next(steps) == Now()
    assert steps.send(10.0) == Sleep(3.0)
    assert steps.send(None) == Now()
    with pytest.raises(StopIteration) as stop:
        steps.send(13.5)
    assert stop.value.value == 3.5


def test_plan_gives_the_request_its_id_and_a_retry_sleep_between_tries():
    steps = plan(fetch(), policy=FAST)
    first = next(steps)
    assert isinstance(first, Send) and first.request.headers["X-Request-Id"]
    failed = httpx.Response(503, request=first.request)
    assert steps.send(failed) == Sleep(0.0)
    assert steps.send(None) == first
    with pytest.raises(StopIteration) as stop:
        steps.send(httpx.Response(200, text="fine", request=first.request))
    assert stop.value.value == "fine"
    assert first.request.url == URL
