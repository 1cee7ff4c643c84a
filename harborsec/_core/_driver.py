"""Operations and the two drivers that run them.

An *operation* (`Op[T]`, see `_steps.py`) is a generator that yields `httpx.Request` objects,
receives each response (read, unless the request asked to stream), and returns a typed value: the
protocol logic of one API call, with no I/O::

    def get_thing(base: httpx.URL) -> Op[str]:
        response = yield httpx.Request("GET", base.join("/thing"))
        raise_for_status(response)
        return response.text

It may also ask for what only a driver can do, with ``yield from`` a helper of `_steps.py`:
`sleep(seconds)`, `now()` (the driver's monotonic clock) and `fan_out(ops, limit=n)` (run
sub-operations, concurrently in the asynchronous driver). `_poll.py` builds waiting on them.

`plan` wraps an operation with what every call needs (one `X-Request-Id` per call, shared by
its sub-operations; per-call timeouts; retries with backoff; transport errors mapped to
harborsec exceptions) and turns it into a sequence of *driver steps*: `Send` this request,
`Sleep` this long, tell the time (`Now`), or `RunAll` these planned sub-operations. `plan` is
pure: it can be stepped by hand, as the tests do.

`run_sync` and `run_async` are the only code that exists twice: each takes those steps with its
own client, clock and sleep (both replaceable, for tests: `clock=`, `sleep=`), and nothing else:

* `Send`: send through the client (or `run_async`'s `send=`), read the response unless it is
  streamed, within its size limit (`_limits.py`: a success body over it raises
  `ResponseTooLargeError`, an error body is cut), and record it in any open
  `capture_responses()` block (`_capture.py`).
* `Sleep` and `Now`: `time.sleep`/`asyncio.sleep`, and `time.monotonic()`.
* `RunAll`: the synchronous driver runs the sub-operations one after the other, in order (a
  thread pool would need a client per thread or a lock around httpx's pool, for what is a
  sequence of short calls on one connection anyway); the asynchronous driver runs up to `limit`
  of them at a time as asyncio tasks. The first failure stops and closes the others, and is
  raised inside the operation that fanned out.

Whatever ends a call (its result, an exception, `KeyboardInterrupt`, the cancellation of an
asyncio task), the drivers close the steps in a `finally`, which closes the operation
(`GeneratorExit` at its current ``yield``, so its own `finally` blocks run) and its unfinished
sub-operations; on any exception they also close the responses still open: streamed ones handed
to the operation, and one being read. A streamed response the operation returns is the caller's
to close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from typing import Any, TypeVar, cast

import attrs
import httpx

from harborsec._core._capture import Sink, current_sinks, record
from harborsec._core._deadline import Deadline, cap_timeouts
from harborsec._core._http import NOT_GIVEN, NotGiven, new_request_id, transport_error
from harborsec._core._limits import aread_body, read_body
from harborsec._core._retry import RetryPolicy, decide
from harborsec._core._socket_deadline import sending
from harborsec._core._steps import STREAM, FanOut, Now, Op, Sleep

__all__ = [
    "STREAM",
    "AsyncSend",
    "Now",
    "Op",
    "RunAll",
    "Send",
    "Sleep",
    "Steps",
    "plan",
    "run_async",
    "run_sync",
]

T = TypeVar("T")


@attrs.frozen
class Send:
    """Driver step: send this request (unread response when `stream`)."""

    request: httpx.Request
    stream: bool = False
    deadline: Deadline | None = None
    """The call's deadline: the driver refuses to start past it, caps the request's timeouts
    to the time left, and stops reading the body (or, async, the whole exchange) at it."""


@attrs.frozen
class RunAll:
    """Driver step: run these planned sub-operations, at most `limit` at a time.

    The driver answers the list of their results, in order, or the first exception one raised.
    """

    plans: tuple[Steps[Any], ...]
    limit: int


Step = Send | Sleep | Now | RunAll
Outcome = httpx.Response | Exception | float | list[Any] | None
"""What a driver sends back: a response or the httpx exception raised instead (`Send`), None
(`Sleep`), its clock's reading (`Now`), the results or the first exception (`RunAll`)."""

Steps = Generator[Step, Outcome, T]
"""A planned operation: yields driver steps, receives their outcomes, returns a `T`."""


def plan(
    op: Op[T],
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    deadline: Deadline | None = None,
) -> Steps[T]:
    """Turn an operation into driver steps, adding request ids, timeouts and retries.

    Args:
        op: The operation.
        policy: When to retry.
        timeout: A timeout for every request of this call, instead of the client's.
        headers: Default headers (the client's, such as `User-Agent`): operations build bare
            `httpx.Request` objects, which the client does not complete.
        request_id: The call's `X-Request-Id` (default: a new one); sub-operations share it.
        deadline: When the whole call must end, on the driver's clock (None: no bound);
            sub-operations share it.

    Returns:
        A generator of steps; send it each outcome; its return value is the operation's. Closing
        it closes the operation.

    Raises:
        TransportError: A request failed without a response and will not be retried.
        DeadlineExceededError: The deadline passed, or would pass during a wait.
        TypeError: The operation yielded something that is neither a request nor a step.
    """
    request_id = request_id or new_request_id()
    answer: Any = None
    failure: Exception | None = None
    try:
        while True:
            try:
                request = op.send(answer) if failure is None else op.throw(failure)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            failure = None
            if not isinstance(request, httpx.Request):
                answer, failure = yield from _driver_step(
                    request,
                    policy=policy,
                    timeout=timeout,
                    headers=headers,
                    request_id=request_id,
                    deadline=deadline,
                )
                continue
            present = set(request.headers.keys())  # lower-cased; one pass over the headers
            if "x-request-id" not in present:
                request.headers["X-Request-Id"] = request_id
            for name, value in (headers or {}).items():
                if name.lower() not in present:
                    request.headers[name] = value
            if not isinstance(timeout, NotGiven):
                request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
            attempt = 0
            while True:
                outcome = yield Send(request, bool(request.extensions.get(STREAM)), deadline)
                if isinstance(outcome, httpx.HTTPError):
                    if deadline is not None and cast(float, (yield Now())) >= deadline.at:
                        raise deadline.error(request) from None  # a capped timeout fired
                    delay = decide(policy, method=request.method, attempt=attempt, error=outcome)
                    if delay is None:
                        raise transport_error(outcome, request) from None
                else:
                    assert isinstance(outcome, httpx.Response)
                    delay = decide(policy, method=request.method, attempt=attempt, response=outcome)
                    if delay is None:
                        break
                if deadline is not None and cast(float, (yield Now())) + delay >= deadline.at:
                    raise deadline.error(request)  # no time left to wait and try again
                yield Sleep(delay)
                attempt += 1
            answer = outcome
    finally:
        op.close()


def _driver_step(
    step: object,
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None,
    headers: Mapping[str, str] | None,
    request_id: str,
    deadline: Deadline | None,
) -> Generator[Step, Outcome, tuple[Any, Exception | None]]:
    """Pass a step other than a request to the driver; return (its answer, or its failure)."""
    if isinstance(step, FanOut):
        subs = tuple(
            plan(
                sub,
                policy=policy,
                timeout=timeout,
                headers=headers,
                request_id=request_id,
                deadline=deadline,
            )
            for sub in step.ops
        )
        try:
            answer = yield RunAll(subs, step.limit)
        finally:
            for sub in step.ops:  # those never started, or stopped
                sub.close()
        if isinstance(answer, Exception):
            return None, answer
        return answer, None
    if (
        isinstance(step, Sleep)
        and deadline is not None
        and cast(float, (yield Now())) + step.seconds >= deadline.at
    ):
        return None, deadline.error(None)  # raised in the operation, at its wait
    if isinstance(step, Sleep | Now):
        return (yield step), None
    raise TypeError(f"an operation yielded {step!r}, not a request or a step")


def run_sync(
    client: httpx.Client,
    op: Op[T],
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], object] | None = None,
    deadline: Deadline | None = None,
) -> T:
    """Run an operation with a synchronous httpx client.

    Args:
        client: The client that sends the requests.
        op: The operation.
        policy: When to retry.
        timeout: A timeout for every request of this call, instead of the client's.
        clock: The monotonic clock answering `now()` (default `time.monotonic`).
        sleep: What waits (default `time.sleep`).
        deadline: When the whole call must end, on `clock` (None: no bound).
    """
    steps = plan(op, policy=policy, timeout=timeout, headers=client.headers, deadline=deadline)
    return _drive_sync(steps, client, clock or time.monotonic, sleep or time.sleep, current_sinks())


def _drive_sync(
    steps: Steps[T],
    client: httpx.Client,
    clock: Callable[[], float],
    sleep: Callable[[float], object],
    sinks: tuple[Sink, ...],
) -> T:
    outcome: Outcome = None
    response: httpx.Response | None = None
    streamed: list[httpx.Response] = []
    try:
        while True:
            step = steps.send(outcome)
            if isinstance(step, Send):
                started = clock() if sinks else 0.0
                if step.deadline is not None:
                    remaining = step.deadline.at - clock()
                    if remaining <= 0:
                        raise step.deadline.error(step.request)
                    cap_timeouts(step.request, client.timeout, remaining)
                at = step.deadline.at if step.deadline is not None else None
                try:
                    response = None
                    with sending(at, clock):  # the head's socket reads stop at the deadline too
                        response = client.send(step.request, stream=True)  # read below
                        if step.stream and not response.is_error:
                            streamed.append(response)
                        else:
                            read_body(response, step.deadline, clock)
                except httpx.HTTPError as exc:
                    if response is not None:
                        response.close()
                    outcome = exc
                    continue
                if sinks:
                    record(sinks, step.request, response, clock() - started)
                outcome = response
            elif isinstance(step, Sleep):
                sleep(step.seconds)
                outcome = None
            elif isinstance(step, Now):
                outcome = clock()
            else:
                outcome = _run_all_sync(step, client, clock, sleep, sinks)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    except BaseException:
        for opened in (*streamed, response):
            if opened is not None:
                opened.close()
        raise
    finally:
        steps.close()


def _run_all_sync(
    step: RunAll,
    client: httpx.Client,
    clock: Callable[[], float],
    sleep: Callable[[float], object],
    sinks: tuple[Sink, ...],
) -> list[Any] | Exception:
    """Run the sub-operations in order; stop at the first failure and return it."""
    try:
        return [_drive_sync(sub, client, clock, sleep, sinks) for sub in step.plans]
    except Exception as exc:
        return exc
    finally:
        for sub in step.plans:
            sub.close()


AsyncSend = Callable[[httpx.Request, bool], Awaitable[httpx.Response]]
"""Sends one request (`stream` or not) and returns the response: unread, or read within its
size limit (`_limits.py`); the driver reads what is left unread, within that limit."""


def run_async(
    client: httpx.AsyncClient,
    op: Op[T],
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
    send: AsyncSend | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
    deadline: Deadline | None = None,
) -> Coroutine[Any, Any, T]:
    """Run an operation with an asynchronous httpx client (or `send`, which stands for it).

    A plain function returning the coroutine to await (one coroutine per call, not two: this
    is every async call's path).

    Args:
        client: The client that sends the requests (and gives the default headers).
        op: The operation.
        policy: When to retry.
        timeout: A timeout for every request of this call, instead of the client's.
        send: Sends a request instead of `client.send`.
        clock: The monotonic clock answering `now()` (default `time.monotonic`).
        sleep: What waits (default `asyncio.sleep`).
        deadline: When the whole call must end, on `clock` (None: no bound).
    """
    steps = plan(op, policy=policy, timeout=timeout, headers=client.headers, deadline=deadline)
    return _drive_async(
        steps, client, send, clock or time.monotonic, sleep or asyncio.sleep, current_sinks()
    )


async def _drive_async(
    steps: Steps[T],
    client: httpx.AsyncClient,
    send: AsyncSend | None,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]],
    sinks: tuple[Sink, ...],
) -> T:
    outcome: Outcome = None
    response: httpx.Response | None = None
    streamed: list[httpx.Response] = []
    try:
        while True:
            step = steps.send(outcome)
            if isinstance(step, Send):
                started = clock() if sinks else 0.0
                if step.deadline is not None:
                    response = None
                    try:
                        response = await _exchange_before(step, client, send, clock)
                    except httpx.HTTPError as exc:
                        outcome = exc
                        continue
                    if step.stream and not response.is_error:
                        streamed.append(response)
                    if sinks:
                        record(sinks, step.request, response, clock() - started)
                    outcome = response
                    continue
                try:
                    response = None
                    if send is None:
                        response = await client.send(step.request, stream=True)
                    else:
                        response = await send(step.request, step.stream)
                    if step.stream and not response.is_error:
                        streamed.append(response)
                    else:
                        await aread_body(response)
                except httpx.HTTPError as exc:
                    if response is not None:
                        await response.aclose()
                    outcome = exc
                    continue
                if sinks:
                    record(sinks, step.request, response, clock() - started)
                outcome = response
            elif isinstance(step, Sleep):
                await sleep(step.seconds)
                outcome = None
            elif isinstance(step, Now):
                outcome = clock()
            else:
                outcome = await _run_all_async(step, client, send, clock, sleep, sinks)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    except BaseException:
        for opened in (*streamed, response):
            if opened is not None:
                await opened.aclose()
        raise
    finally:
        steps.close()


async def _exchange_before(
    step: Send, client: httpx.AsyncClient, send: AsyncSend | None, clock: Callable[[], float]
) -> httpx.Response:
    """Send and read (unless streamed) within the step's deadline, whatever the server does."""
    assert step.deadline is not None
    remaining = step.deadline.at - clock()
    if remaining <= 0:
        raise step.deadline.error(step.request)
    cap_timeouts(step.request, client.timeout, remaining)

    async def exchange() -> httpx.Response:
        response: httpx.Response | None = None
        try:
            if send is None:
                response = await client.send(step.request, stream=True)
            else:
                response = await send(step.request, step.stream)
            if not step.stream or response.is_error:
                await aread_body(response)
            return response
        except BaseException:
            if response is not None:
                await response.aclose()
            raise

    try:
        return await asyncio.wait_for(exchange(), remaining)
    except asyncio.TimeoutError:
        raise step.deadline.error(step.request) from None


async def _run_all_async(
    step: RunAll,
    client: httpx.AsyncClient,
    send: AsyncSend | None,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]],
    sinks: tuple[Sink, ...],
) -> list[Any] | Exception:
    """Run the sub-operations as up to `limit` tasks; at the first failure, cancel the rest."""
    results: list[Any] = [None] * len(step.plans)
    queue = iter(enumerate(step.plans))

    async def work() -> None:
        for index, sub in queue:  # one shared iterator: each plan is taken by one worker
            results[index] = await _drive_async(sub, client, send, clock, sleep, sinks)

    workers = [asyncio.ensure_future(work()) for _ in range(min(step.limit, len(step.plans)))]
    try:
        await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        for worker in workers:
            if worker.done() and not worker.cancelled() and worker.exception() is not None:
                error = worker.exception()
                if not isinstance(error, Exception):
                    raise cast(BaseException, error)
                return error
        return results
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for sub in step.plans:
            sub.close()
