import httpx
import pytest

import harborsec
from harborsec._core import _paging
from harborsec._core._driver import run_async, run_sync
from harborsec._core._paging import AsyncPager, Page, Pager, harbor_page, merge_params
from harborsec._core._retry import RetryPolicy

URL = httpx.URL("https://harbor.test/api/v2.0/projects")
POLICY = RetryPolicy(retries=0)


class Listing:
    """A Harbor listing of `total` numbered items, recording each request."""

    def __init__(self, total: int, *, count_header: bool = True):
        self.total = total
        self.count_header = count_header
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = int(request.url.params["page"])
        size = int(request.url.params["page_size"])
        if size > 100:
            return httpx.Response(
                422, json={"errors": [{"code": "UNPROCESSABLE_ENTITY", "message": "page_size"}]}
            )
        items = [{"n": n} for n in range((page - 1) * size, min(page * size, self.total))]
        headers = {"X-Total-Count": str(self.total)} if self.count_header else {}
        return httpx.Response(200, json=items, headers=headers)


def op_for(size: int, **params):
    return lambda n: harbor_page(URL, lambda item: item["n"], page=n, page_size=size, params=params)


@pytest.mark.parametrize(
    ("total", "size", "requests"), [(0, 10, 1), (5, 10, 1), (10, 10, 1), (11, 10, 2), (250, 100, 3)]
)
def test_pager_reads_every_item_with_as_few_requests_as_possible(total, size, requests):
    listing = Listing(total)
    with httpx.Client(transport=httpx.MockTransport(listing)) as client:
        pager = Pager(lambda op: run_sync(client, op, policy=POLICY), op_for(size, q="name=~a,b"))
        assert pager.all() == list(range(total))
    assert len(listing.requests) == requests
    assert all(r.url.params["q"] == "name=~a,b" for r in listing.requests)


def test_pager_without_a_total_stops_on_a_short_page():
    listing = Listing(25, count_header=False)
    with httpx.Client(transport=httpx.MockTransport(listing)) as client:
        pager = Pager(lambda op: run_sync(client, op, policy=POLICY), op_for(10))
        assert list(pager) == list(range(25))
    assert len(listing.requests) == 3


def test_pager_is_lazy():
    listing = Listing(1000)
    with httpx.Client(transport=httpx.MockTransport(listing)) as client:
        pager = Pager(lambda op: run_sync(client, op, policy=POLICY), op_for(10))
        iterator = iter(pager)
        assert [next(iterator) for _ in range(3)] == [0, 1, 2]
    assert len(listing.requests) == 1


async def test_async_pager():
    listing = Listing(23)
    async with httpx.AsyncClient(transport=httpx.MockTransport(listing)) as client:
        pager = AsyncPager(lambda op: run_async(client, op, policy=POLICY), op_for(10))
        assert [item async for item in pager] == list(range(23))
        assert (await pager.first_page()).total == 23
        assert [len(p.items) async for p in pager.pages()] == [10, 10, 3]


@pytest.mark.parametrize("size", [0, 101, -1])
def test_page_size_is_checked_before_sending(size):
    with pytest.raises(ValueError, match="page_size"):
        next(harbor_page(URL, int, page=1, page_size=size))


def test_a_listing_that_is_not_a_list_is_malformed():
    handler = lambda request: httpx.Response(200, json={"oops": True})  # noqa: E731
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(harborsec.MalformedResponseError):
            run_sync(client, harbor_page(URL, int, page=1, page_size=10), policy=POLICY)


def test_page_arithmetic():
    assert Page(items=(1,) * 10, page=1, page_size=10, total=11).has_next
    assert not Page(items=(1,), page=2, page_size=10, total=11).has_next
    assert not Page(items=(), page=1, page_size=10, total=None).has_next


def test_merge_params():
    assert merge_params(a=None, b=True, c=False, d=3, e="x", f=["1", "2"]) == {
        "b": "true",
        "c": "false",
        "d": "3",
        "e": "x",
        "f": "1,2",
    }


class Liar:
    """Answers every page number with the same full page, and an `X-Total-Count` of `total`."""

    def __init__(self, total: str):
        self.total = total
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        size = int(request.url.params["page_size"])
        return httpx.Response(
            200,
            json=[{"n": n} for n in range(size)],
            headers={"X-Total-Count": self.total.encode("latin-1")},
        )


async def test_a_listing_that_never_ends_stops_after_max_pages(monkeypatch):
    monkeypatch.setattr(_paging, "MAX_PAGES", 7)
    liar = Liar("1000000000")
    with httpx.Client(transport=httpx.MockTransport(liar)) as client:
        op = _paging.harbor_all_pages(URL, lambda item: item["n"])
        with pytest.raises(harborsec.MalformedResponseError, match="did not end after 7 pages"):
            run_sync(client, op, policy=POLICY)
        assert liar.requests == 7
        pager = Pager(lambda op: run_sync(client, op, policy=POLICY), op_for(10))
        with pytest.raises(harborsec.MalformedResponseError, match="did not end after 7 pages"):
            pager.all()
    async with httpx.AsyncClient(transport=httpx.MockTransport(liar)) as aclient:
        apager = AsyncPager(lambda op: run_async(aclient, op, policy=POLICY), op_for(10))
        with pytest.raises(harborsec.MalformedResponseError, match="did not end after 7 pages"):
            await apager.all()


@pytest.mark.parametrize("total", ["7" * 5000, "\xb2", "1e3", "-1", " 5"])  # "\xb2": "²"
def test_an_x_total_count_that_is_not_a_short_number_is_ignored(total):
    liar = Liar(total)
    with httpx.Client(transport=httpx.MockTransport(liar)) as client:
        page = run_sync(client, op_for(10)(1), policy=POLICY)
    assert page.total is None
    assert len(page.items) == 10
