"""capture_responses(): status and headers of every exchange, in both drivers, nothing secret."""

import asyncio
import urllib.request

import httpx
import pytest

import harborsec
from harborsec._core._capture import REDACTED
from harborsec._core._steps import Op, fan_out
from harborsec.testing import HarborEmulator
from tests._guides import run_guide
from tests.unit.core._both import URL, fetch


def answer(status: int = 200, **headers: str):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, text="ok")

    return handler


async def test_one_record_per_exchange_with_status_headers_request_id_and_elapsed(driver):
    def handler(request: httpx.Request) -> httpx.Response:
        driver.time.now += 0.25  # the server takes a quarter of a second
        return httpx.Response(200, headers={"X-Total-Count": "42", "X-Request-Id": "srv-1"})

    with harborsec.capture_responses() as responses:
        await driver.run(handler, fetch(URL.copy_with(query=b"page=2")))
    [captured] = responses
    assert (captured.method, captured.url, captured.status_code) == (
        "GET",
        "https://registry.test/thing?page=2",
        200,
    )
    assert captured.headers["x-total-count"] == "42" and captured.total_count == 42
    assert captured.request_id == "srv-1" and captured.elapsed == 0.25


async def test_without_a_server_request_id_the_one_sent_is_recorded(driver):
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["X-Request-Id"])
        return httpx.Response(204)

    with harborsec.capture_responses() as responses:
        await driver.run(handler, fetch())
    assert [r.request_id for r in responses] == sent and responses[0].total_count is None


async def test_every_try_of_a_retried_request_is_recorded_but_not_a_failed_connection(driver):
    answers = [httpx.ConnectError("refused"), httpx.Response(503), httpx.Response(200)]

    def handler(request: httpx.Request) -> httpx.Response:
        next_answer = answers.pop(0)
        if isinstance(next_answer, Exception):
            raise next_answer
        return next_answer

    with harborsec.capture_responses() as responses:
        await driver.run(handler, fetch(), policy=harborsec.RetryPolicy(retries=3, backoff=0))
    assert [r.status_code for r in responses] == [503, 200]


async def test_errors_are_recorded_before_they_are_raised(driver):
    with harborsec.capture_responses() as responses:
        with pytest.raises(harborsec.NotFoundError) as info:
            await driver.run(answer(404, **{"X-Request-Id": "srv-404"}), fetch())
    assert responses[0].status_code == 404
    assert responses[0].request_id == info.value.request_id == "srv-404"


async def test_no_credential_is_recorded(driver):
    handler = answer(**{"Set-Cookie": "sid=session-secret; Path=/", "Www-Authenticate": "Basic"})
    with harborsec.capture_responses() as responses:
        await driver.run(handler, fetch("https://robot:Passw0rd@registry.test/thing"))
    [captured] = responses
    assert captured.url == "https://registry.test/thing"
    assert captured.headers["Set-Cookie"] == REDACTED
    assert captured.headers["WWW-Authenticate"] == "Basic"  # a challenge holds no secret
    assert "Passw0rd" not in repr(captured) and "session-secret" not in repr(captured)


async def test_fanned_out_exchanges_are_recorded_too(driver):
    def three() -> Op[list[str]]:
        return (yield from fan_out([fetch(URL.copy_with(path=f"/{n}")) for n in "abc"], limit=3))

    with harborsec.capture_responses() as responses:
        await driver.run(answer(), three())
    assert sorted(r.url for r in responses) == [f"https://registry.test/{n}" for n in "abc"]


async def test_captures_nest_and_end_with_their_block(driver):
    with harborsec.capture_responses() as outer:
        await driver.run(answer(), fetch(URL.copy_with(path="/1")))
        with harborsec.capture_responses() as inner:
            await driver.run(answer(), fetch(URL.copy_with(path="/2")))
        await driver.run(answer(), fetch(URL.copy_with(path="/3")))
    await driver.run(answer(), fetch(URL.copy_with(path="/4")))
    assert [r.url[-1] for r in outer] == ["1", "2", "3"]
    assert [r.url[-1] for r in inner] == ["2"]


async def test_outside_a_capture_nothing_is_recorded(driver, monkeypatch):
    def must_not_run(*args: object) -> None:
        raise AssertionError("recorded outside a capture")

    monkeypatch.setattr("harborsec._core._driver.record", must_not_run)
    assert await driver.run(answer(), fetch()) == "ok"


DIGESTS = {name: "sha256:" + digit * 64 for name, digit in (("one", "1"), ("two", "2"))}


async def test_concurrent_tasks_see_only_their_own_captures():
    transport = HarborEmulator().transport()
    async with harborsec.AsyncRegistry("https://harbor.test", auth=None, transport=transport) as r:

        async def captured() -> list[harborsec.CapturedResponse]:
            with harborsec.capture_responses() as responses:
                await asyncio.sleep(0)  # let the other task run meanwhile
                await r.blob_exists("library/app", DIGESTS["one"])
            return responses

        responses, _ = await asyncio.gather(
            captured(), r.blob_exists("library/app", DIGESTS["two"])
        )
    assert [r.url.rsplit("/", 1)[-1] for r in responses] == [DIGESTS["one"]]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_both_registries_record_every_call_including_the_direct_async_path(kind, monkeypatch):
    monkeypatch.setattr(urllib.request, "getproxies", dict)  # the async direct path is on
    through_client = []
    original = httpx.AsyncClient.send

    async def spy(self, request, **kwargs):
        through_client.append(request.method)
        return await original(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", spy)
    emulator = HarborEmulator()
    cls = harborsec.Registry if kind == "sync" else harborsec.AsyncRegistry
    registry = cls(
        "https://harbor.test", auth=("admin", "Harbor12345"), transport=emulator.transport()
    )
    with harborsec.capture_responses() as responses:
        results = [
            registry.ping(),
            registry.blob_exists("library/app", DIGESTS["one"]),
            registry.projects().first_page(),
        ]
        if kind == "async":
            results = [await result for result in results]
    if kind == "async":
        await registry.aclose()
        assert through_client == []  # GET and HEAD went straight to the transport
    else:
        registry.close()
    page = results[2]
    assert [(r.method, r.status_code) for r in responses] == [
        ("GET", 200),
        ("HEAD", 404),
        ("GET", 200),
    ]
    assert responses[-1].total_count == page.total == 1  # library
    assert len({r.request_id for r in responses}) == 3  # one per call
    assert all("Harbor12345" not in repr(r) for r in responses)


def test_the_raw_responses_guide_runs(capsys):
    namespace = run_guide("guides/raw-responses.md", min_blocks=2)
    assert namespace["last"].total_count == namespace["page"].total
    assert namespace["statuses"] == [200]
    assert "X-Request-Id" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["9" * 5000, "1e3", "-1", "4 2", ""])
def test_a_total_count_that_is_not_a_plain_number_reads_as_none(value):
    captured = harborsec.CapturedResponse(
        "GET", "https://h/x", 200, httpx.Headers({"X-Total-Count": value}), None, 0.0
    )
    assert captured.total_count is None
