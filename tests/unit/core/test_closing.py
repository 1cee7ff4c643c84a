"""The drivers close the operation, its sub-operations and open responses however a call ends."""

import asyncio
import inspect

import httpx
import pytest

import harborsec
from harborsec._core._driver import STREAM, run_async, run_sync
from harborsec._core._steps import Op, fan_out, sleep
from tests.unit.core._both import FAST, URL, fetch


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that records whether it was closed (both kinds of stream)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.closed = False
        self.fail = fail

    def __iter__(self):
        yield b"chunk"
        if self.fail:
            raise httpx.ReadError("reset")

    async def __aiter__(self):
        yield b"chunk"
        if self.fail:
            raise httpx.ReadError("reset")

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class Ending:
    """An operation that records how it ended (`GeneratorExit` means the driver closed it)."""

    def __init__(self) -> None:
        self.how: str | None = None

    def op(self, inner: Op[object]) -> Op[object]:
        try:
            return (yield from inner)
        except GeneratorExit:
            self.how = "closed"
            raise
        except BaseException as exc:
            self.how = type(exc).__name__
            raise


def streamed(url: httpx.URL = URL) -> Op[httpx.Response]:
    request = httpx.Request("GET", url)
    request.extensions[STREAM] = True
    response = yield request
    return response


def stream_then_fail() -> Op[None]:
    yield from streamed()
    raise harborsec.InvalidDocumentError("not what was expected")


async def test_an_error_after_a_stream_was_opened_closes_the_stream(driver):
    body = Body()
    with pytest.raises(harborsec.InvalidDocumentError):
        await driver.run(lambda r: httpx.Response(200, stream=body), stream_then_fail())
    assert body.closed


async def test_a_streamed_response_the_operation_returns_stays_open_for_the_caller(driver):
    body = Body()
    response = await driver.run(lambda r: httpx.Response(200, stream=body), streamed())
    assert not body.closed and not response.is_closed


async def test_a_body_that_fails_mid_read_is_closed_and_retried(driver):
    bodies = [Body(fail=True), Body()]
    answers = iter(bodies)
    assert await driver.run(lambda r: httpx.Response(200, stream=next(answers)), fetch()) == "chunk"
    assert bodies[0].closed


async def test_an_operation_that_raises_is_finished_not_left_suspended(driver):
    ending = Ending()
    op = ending.op(fetch())
    with pytest.raises(harborsec.NotFoundError):
        await driver.run(lambda r: httpx.Response(404), op)
    assert ending.how == "NotFoundError" and inspect.getgeneratorstate(op) == inspect.GEN_CLOSED


def test_sync_keyboard_interrupt_mid_request_closes_the_operation_and_the_open_stream():
    body = Body()
    ending = Ending()

    def two_steps() -> Op[str]:
        yield from streamed()
        return (yield from fetch())

    answers = iter([httpx.Response(200, stream=body)])

    def handler(request: httpx.Request) -> httpx.Response:
        for answer in answers:
            return answer
        raise KeyboardInterrupt

    op = ending.op(two_steps())
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(KeyboardInterrupt) as info:  # its traceback keeps the frames alive
            run_sync(client, op, policy=FAST)
    assert ending.how == "closed" and body.closed and info.traceback
    assert inspect.getgeneratorstate(op) == inspect.GEN_CLOSED


def test_sync_keyboard_interrupt_mid_sleep_closes_the_operation():
    ending = Ending()

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    def waits() -> Op[None]:
        yield from sleep(60.0)

    op = ending.op(waits())  # kept referenced: closing must not wait for garbage collection
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        with pytest.raises(KeyboardInterrupt) as info:
            run_sync(client, op, policy=FAST, sleep=interrupted)
    assert ending.how == "closed" and info.traceback


async def test_async_cancellation_mid_request_closes_the_operation_and_the_open_stream():
    body = Body()
    ending = Ending()
    hanging = asyncio.Event()
    answered = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if not answered:
            answered.append(request)
            return httpx.Response(200, stream=body)
        hanging.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")  # pragma: no cover

    def two_steps() -> Op[str]:
        yield from streamed()
        return (yield from fetch())

    op = ending.op(two_steps())
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        task = asyncio.ensure_future(run_async(client, op, policy=FAST))
        await hanging.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert ending.how == "closed" and body.closed
    assert inspect.getgeneratorstate(op) == inspect.GEN_CLOSED


async def test_async_cancellation_mid_fan_out_closes_every_sub_operation():
    endings = [Ending() for _ in range(5)]
    parent = Ending()
    started = asyncio.Event()

    def waits() -> Op[None]:
        yield from sleep(3600.0)

    async def slow_sleep(seconds: float) -> None:
        started.set()
        await asyncio.sleep(seconds)

    subs = [e.op(waits()) for e in endings]

    def fanned() -> Op[list[object]]:
        return (yield from fan_out(subs, limit=3))

    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as c:
        task = asyncio.ensure_future(
            run_async(c, parent.op(fanned()), policy=FAST, sleep=slow_sleep)
        )
        await started.wait()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert parent.how == "closed"
    assert [e.how for e in endings] == ["closed"] * 3 + [None] * 2  # two never started
    assert len(asyncio.all_tasks()) == 1  # no worker left behind: only this test's task


async def test_async_timeout_mid_sleep_closes_the_operation():
    ending = Ending()

    def waits() -> Op[None]:
        yield from sleep(3600.0)

    op = ending.op(waits())
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as c:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(run_async(c, op, policy=FAST), 0.05)
    assert ending.how == "closed"
