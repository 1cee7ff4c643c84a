"""Operations and the two drivers that run them.

An *operation* is a generator that yields `httpx.Request` objects, receives each response (read,
unless the request asked to stream), and returns a typed value: the protocol logic of one API call,
with no I/O::

    def get_thing(base: httpx.URL) -> Op[str]:
        response = yield httpx.Request("GET", base.join("/thing"))
        raise_for_status(response)
        return response.text

`plan` wraps an operation with what every call needs (one
`X-Request-Id` per call, per-call timeouts, retries with backoff, transport errors mapped to
harborsec exceptions) and turns it into a sequence of steps: *send this request* or *sleep this
long*. `run_sync` and
`run_async` are the only code that exists twice: each
performs those steps with its own client and clock, and nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import TypeVar

import attrs
import httpx

from harborsec._core._http import NOT_GIVEN, NotGiven, new_request_id, transport_error
from harborsec._core._retry import RetryPolicy, decide

__all__ = ["STREAM", "AsyncSend", "Op", "Send", "Sleep", "plan", "run_async", "run_sync"]

T = TypeVar("T")

Op = Generator[httpx.Request, httpx.Response, T]
"""An operation: yields requests, receives responses, returns a `T`."""

STREAM = "harborsec.stream"
"""Request extension: when true, the operation receives the response unread, to stream it."""


@attrs.frozen
class Send:
    """Step: send this request (unread response when `stream`)."""

    request: httpx.Request
    stream: bool = False


@attrs.frozen
class Sleep:
    """Step: wait this many seconds."""

    seconds: float


Step = Send | Sleep
Outcome = httpx.Response | httpx.HTTPError | None


def plan(
    op: Op[T],
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
    headers: Mapping[str, str] | None = None,
) -> Generator[Step, Outcome, T]:
    """Turn an operation into steps, adding request ids, timeouts and retries.

    Args:
        op: The operation.
        policy: When to retry.
        timeout: A timeout for every request of this call, instead of the client's.
        headers: Default headers (the client's, such as `User-Agent`): operations build bare
            `httpx.Request` objects, which the client does not complete.

    Returns:
        A generator of steps; send it each outcome (the response, or the httpx exception raised
        instead); its return value is the operation's.

    Raises:
        TransportError: A request failed without a response and will not be retried.
    """
    request_id = new_request_id()
    try:
        request = next(op)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    while True:
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
            outcome = yield Send(request, stream=bool(request.extensions.get(STREAM)))
            if isinstance(outcome, httpx.HTTPError):
                delay = decide(policy, method=request.method, attempt=attempt, error=outcome)
                if delay is None:
                    raise transport_error(outcome, request) from None
            else:
                assert outcome is not None
                delay = decide(policy, method=request.method, attempt=attempt, response=outcome)
                if delay is None:
                    break
            yield Sleep(delay)
            attempt += 1
        try:
            request = op.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def run_sync(
    client: httpx.Client,
    op: Op[T],
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
) -> T:
    """Run an operation with a synchronous httpx client."""
    steps = plan(op, policy=policy, timeout=timeout, headers=client.headers)
    outcome: Outcome = None
    try:
        while True:
            step = steps.send(outcome)
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                outcome = None
                continue
            try:
                outcome = client.send(step.request, stream=step.stream)
                if not step.stream or outcome.is_error:
                    outcome.read()
            except httpx.HTTPError as exc:
                outcome = exc
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


AsyncSend = Callable[[httpx.Request, bool], Awaitable[httpx.Response]]
"""Sends one request (`stream` or not) and returns the response."""


async def run_async(
    client: httpx.AsyncClient,
    op: Op[T],
    *,
    policy: RetryPolicy,
    timeout: httpx.Timeout | float | NotGiven | None = NOT_GIVEN,
    send: AsyncSend | None = None,
) -> T:
    """Run an operation with an asynchronous httpx client (or `send`, which stands for it)."""
    steps = plan(op, policy=policy, timeout=timeout, headers=client.headers)
    outcome: Outcome = None
    try:
        while True:
            step = steps.send(outcome)
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                outcome = None
                continue
            try:
                if send is None:
                    outcome = await client.send(step.request, stream=step.stream)
                else:
                    outcome = await send(step.request, step.stream)
                if not step.stream or outcome.is_error:
                    await outcome.aread()
            except httpx.HTTPError as exc:
                outcome = exc
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
