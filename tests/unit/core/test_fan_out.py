"""Fan-out: sub-operations run by the driver (concurrently in async), results in input order."""

import inspect

import httpx
import pytest

import harborsec
from harborsec._core._steps import Op, fan_out, sleep
from tests.unit.core._both import URL, fetch


class Server:
    """Answers `/n` with `n`; `/missing` with 404, `/flaky` with 503 once. Keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.flaked = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = request.url.path.strip("/")
        if name == "missing":
            return httpx.Response(404)
        if name == "flaky" and not self.flaked:
            self.flaked = True
            return httpx.Response(503)
        return httpx.Response(200, text=name)


class Tracker:
    """Sub-operations that count how many run at once and record how each one ended."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.ended: dict[str, str] = {}

    def op(self, name: str, naps: int = 2) -> Op[str]:
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            for _ in range(naps):
                yield from sleep(1.0)
            text = yield from fetch(URL.copy_with(path=f"/{name}"))
        except GeneratorExit:
            self.ended[name] = "closed"
            raise
        except Exception as exc:
            self.ended[name] = type(exc).__name__
            raise
        finally:
            self.active -= 1
        self.ended[name] = "returned"
        return text


async def test_results_come_in_input_order(driver):
    tracker = Tracker()
    names = [str(n) for n in range(7)]

    def all_of() -> Op[list[str]]:
        return (yield from fan_out([tracker.op(n, naps=7 - int(n)) for n in names], limit=3))

    assert await driver.run(Server(), all_of()) == names
    assert set(tracker.ended.values()) == {"returned"}


async def test_async_runs_up_to_the_limit_at_once_and_sync_one_at_a_time(driver):
    tracker = Tracker()

    def all_of() -> Op[list[str]]:
        return (yield from fan_out([tracker.op(str(n)) for n in range(10)], limit=4))

    await driver.run(Server(), all_of())
    assert tracker.most == (4 if driver.kind == "async" else 1)


async def test_sub_operations_share_the_call_request_id_timeout_and_retries(driver):
    server = Server()

    def parent() -> Op[list[str]]:
        own = yield from fetch(URL.copy_with(path="/parent"))
        subs = yield from fan_out([fetch(URL.copy_with(path=p)) for p in ("/a", "/flaky")], limit=2)
        return [own, *subs]

    assert await driver.run(server, parent(), timeout=4.0) == ["parent", "a", "flaky"]
    assert len(server.requests) == 4  # /flaky was retried after its 503
    assert len({r.headers["X-Request-Id"] for r in server.requests}) == 1
    assert {r.extensions["timeout"]["read"] for r in server.requests} == {4.0}


async def test_the_first_failure_is_raised_inside_the_operation_and_the_others_are_closed(driver):
    tracker = Tracker()
    names = ["0", "missing", "2", "3"]
    subs = [tracker.op(name, naps=0 if name == "missing" else 3) for name in names]

    def parent() -> Op[str]:
        try:
            yield from fan_out(subs, limit=2)
        except harborsec.NotFoundError as exc:
            return f"caught {exc.status_code}"
        return "no error"  # pragma: no cover

    assert await driver.run(Server(), parent()) == "caught 404"
    assert tracker.ended["missing"] == "NotFoundError"
    if driver.kind == "async":
        assert tracker.ended["0"] == "closed"  # was running: stopped at its sleep
    else:
        assert tracker.ended["0"] == "returned"  # ran before, in order
    assert "2" not in tracker.ended and "3" not in tracker.ended  # never started
    assert all(inspect.getgeneratorstate(sub) == inspect.GEN_CLOSED for sub in subs)
    assert tracker.active == 0


async def test_an_uncaught_failure_leaves_the_driver_typed(driver):
    def parent() -> Op[list[str]]:
        return (yield from fan_out([fetch(URL.copy_with(path="/missing"))], limit=1))

    with pytest.raises(harborsec.NotFoundError):
        await driver.run(Server(), parent())


async def test_fan_outs_nest(driver):
    def pair(prefix: str) -> Op[list[str]]:
        paths = [f"/{prefix}1", f"/{prefix}2"]
        return (yield from fan_out([fetch(URL.copy_with(path=p)) for p in paths], limit=2))

    def outer() -> Op[list[list[str]]]:
        return (yield from fan_out([pair("a"), pair("b")], limit=2))

    assert await driver.run(Server(), outer()) == [["a1", "a2"], ["b1", "b2"]]


async def test_nothing_to_run_sends_nothing(driver):
    server = Server()

    def empty() -> Op[list[str]]:
        return (yield from fan_out([], limit=3))

    assert await driver.run(server, empty()) == []
    assert server.requests == []


async def test_a_limit_below_one_is_refused_and_nothing_runs(driver):
    server = Server()
    sub = fetch()

    def bad() -> Op[list[str]]:
        return (yield from fan_out([sub], limit=0))

    with pytest.raises(harborsec.InvalidPolicyError, match="limit"):
        await driver.run(server, bad())
    assert server.requests == [] and inspect.getgeneratorstate(sub) == inspect.GEN_CLOSED
