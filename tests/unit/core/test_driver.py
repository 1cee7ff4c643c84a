import httpx
import pytest

import harborsec
from harborsec._core._driver import Op, run_async, run_sync
from harborsec._core._http import raise_for_status
from harborsec._core._retry import RetryPolicy

FAST = RetryPolicy(retries=2, backoff=0.0, jitter=0.0)
URL = httpx.URL("https://registry.test/thing")


def fetch(method: str = "GET", url: httpx.URL = URL) -> Op[bytes]:
    response = yield httpx.Request(method, url)
    raise_for_status(response)
    return response.content


def two_requests() -> Op[tuple[str, str]]:
    first = yield httpx.Request("GET", URL)
    second = yield httpx.Request("GET", URL)
    return first.text, second.text


class Flaky:
    """Answers `failures` then 200, recording what it received."""

    def __init__(self, failures: list[int | Exception]):
        self.failures = list(failures)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, json={"errors": [{"code": "X", "message": "again"}]})
        return httpx.Response(200, content=b"ok")


def run(handler, op, policy=FAST, **kwargs):
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return run_sync(client, op, policy=policy, **kwargs)


async def arun(handler, op, policy=FAST, **kwargs):
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return await run_async(client, op, policy=policy, **kwargs)


def test_sync_retries_then_succeeds():
    handler = Flaky([503, 502])
    assert run(handler, fetch()) == b"ok"
    assert len(handler.requests) == 3


async def test_async_retries_then_succeeds():
    handler = Flaky([504, httpx.ConnectError("refused")])
    assert await arun(handler, fetch()) == b"ok"
    assert len(handler.requests) == 3


def test_the_last_failure_is_raised_when_retries_run_out():
    handler = Flaky([503, 503, 503, 503])
    with pytest.raises(harborsec.ServerError):
        run(handler, fetch())
    assert len(handler.requests) == 3


def test_a_post_that_may_have_taken_effect_is_never_retried():
    handler = Flaky([503])
    with pytest.raises(harborsec.ServerError):
        run(handler, fetch("POST"))
    assert len(handler.requests) == 1


def test_transport_errors_become_harborsec_errors():
    handler = Flaky([httpx.ReadError("reset")] * 5)
    with pytest.raises(harborsec.TransportError) as info:
        run(handler, fetch())
    assert not isinstance(info.value, httpx.HTTPError)
    assert "reset" in str(info.value)


async def test_timeouts_become_request_timeout_errors():
    handler = Flaky([httpx.ReadTimeout("slow")] * 5)
    with pytest.raises(harborsec.RequestTimeoutError):
        await arun(handler, fetch())


def test_one_request_id_per_call_kept_across_retries_and_steps():
    handler = Flaky([503])
    run(handler, two_requests())
    ids = {r.headers["X-Request-Id"] for r in handler.requests}
    assert len(handler.requests) == 3 and len(ids) == 1
    run(handler, two_requests())
    assert len({r.headers["X-Request-Id"] for r in handler.requests}) == 2


def test_per_call_timeout_reaches_the_request():
    handler = Flaky([])
    run(handler, fetch(), timeout=3.5)
    assert handler.requests[0].extensions["timeout"]["read"] == 3.5


def test_an_operation_without_requests_returns_at_once():
    def nothing() -> Op[int]:
        return 42
        yield  # pragma: no cover

    assert run(Flaky([]), nothing()) == 42


def test_the_sleep_between_tries_is_the_policys(monkeypatch):
    slept = []
    monkeypatch.setattr("harborsec._core._driver.time.sleep", slept.append)
    policy = RetryPolicy(retries=2, backoff=0.25, jitter=0.0)
    run(Flaky([503, 503]), fetch(), policy=policy)
    assert slept == [0.25, 0.5]


def test_the_clients_default_headers_complete_bare_requests():
    handler = Flaky([])
    with httpx.Client(
        transport=httpx.MockTransport(handler), headers={"User-Agent": "harborsec/test"}
    ) as client:
        run_sync(client, fetch(), policy=FAST)
    assert handler.requests[0].headers["User-Agent"] == "harborsec/test"


def test_retry_after_is_what_gets_slept(monkeypatch):
    slept = []
    monkeypatch.setattr("harborsec._core._driver.time.sleep", slept.append)
    answers = [
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, content=b"ok"),
    ]
    with httpx.Client(transport=httpx.MockTransport(lambda r: answers.pop(0))) as client:
        assert run_sync(client, fetch(), policy=RetryPolicy(retries=2)) == b"ok"
    assert slept == [2.0]


async def test_async_sleeps_without_blocking(monkeypatch):
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr("harborsec._core._driver.asyncio.sleep", fake_sleep)
    handler = Flaky([503, 503])
    assert (
        await arun(handler, fetch(), policy=RetryPolicy(retries=2, backoff=0.1, jitter=0.0))
        == b"ok"
    )
    assert slept == [0.1, 0.2]
