"""Pagination: one page operation, and pagers that iterate lazily over every item.

Harbor pages with `page` and `page_size` (at most 100: Harbor answers 422 above) and counts with
`X-Total-Count`. Its `Link` header is relative and carries an unescaped query (a `q` filter with
commas breaks naive parsing), so pages are computed here, never read from `Link`.

A pager runs one page operation per page, only when iteration reaches it, as in
`for project in registry.projects(): ...`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import json_body, raise_for_status, safe_url
from harborsec.errors import MalformedResponseError

__all__ = [
    "MAX_PAGES",
    "MAX_PAGE_SIZE",
    "AsyncPager",
    "Page",
    "Pager",
    "harbor_all_pages",
    "harbor_page",
]

T = TypeVar("T")

MAX_PAGE_SIZE = 100
"""Harbor's largest `page_size`."""

MAX_PAGES = 10_000
"""A listing (`harbor_all_pages`, `Pager`, `AsyncPager`) stops with `MalformedResponseError`
after this many pages (a million items by 100): a server whose `X-Total-Count` lies, or that
answers every page number with a full page, must not keep a client paging for ever."""


def _too_many_pages() -> MalformedResponseError:
    return MalformedResponseError(
        f"the listing did not end after {MAX_PAGES} pages (the server keeps answering full "
        "pages, or its X-Total-Count is wrong)"
    )


def _total_count(value: str | None) -> int | None:
    """`X-Total-Count` as a number; None when it is not a short plain decimal number."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing."""

    items: tuple[T, ...]
    """The items of this page."""
    page: int
    """The page number, from 1."""
    page_size: int
    """The page size asked for."""
    total: int | None
    """The total number of items (`X-Total-Count`), when the server said."""

    @property
    def has_next(self) -> bool:
        """Whether another page may follow."""
        if self.total is not None:
            return self.page * self.page_size < self.total
        return len(self.items) >= self.page_size


def harbor_page(
    url: httpx.URL,
    parse_item: Callable[[Any], T],
    *,
    page: int,
    page_size: int,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Op[Page[T]]:
    """Fetch one page of a Harbor listing (`page`, `page_size`, `X-Total-Count`).

    Args:
        url: The listing's URL.
        parse_item: Turns one JSON item into a model.
        page: The page number, from 1.
        page_size: 1 to 100.
        params: Other query parameters (`q`, `sort`, `name`...), sent as given.
        headers: Extra request headers.

    Raises:
        ValueError: `page_size` is outside 1 to 100, or `page` below 1.
        MalformedResponseError: The answer is not a JSON list.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1 to {MAX_PAGE_SIZE} (Harbor answers 422 above)")
    if page < 1:
        raise ValueError("page numbers start at 1")
    query = {**(params or {}), "page": str(page), "page_size": str(page_size)}
    response = yield httpx.Request("GET", url.copy_merge_params(query), headers=dict(headers or {}))
    raise_for_status(response)
    body = json_body(response) if response.content.strip() else []
    if body is None:
        body = []
    if not isinstance(body, list):
        raise MalformedResponseError(f"GET {safe_url(response.request.url)} did not answer a list")
    total = _total_count(response.headers.get("X-Total-Count"))
    return Page(
        items=tuple(parse_item(item) for item in body), page=page, page_size=page_size, total=total
    )


def harbor_all_pages(
    url: httpx.URL,
    parse_item: Callable[[Any], T],
    *,
    headers: Mapping[str, str] | None = None,
) -> Op[list[T]]:
    """Every item of a Harbor listing: pages of 100 until one is empty or the last.

    Raises:
        MalformedResponseError: A page is not a JSON list, or the listing did not end after
            10,000 pages.
    """
    items: list[T] = []
    for number in range(1, MAX_PAGES + 1):
        page = yield from harbor_page(
            url, parse_item, page=number, page_size=MAX_PAGE_SIZE, headers=headers
        )
        items.extend(page.items)
        if not page.items or not page.has_next:
            return items
    raise _too_many_pages()


PageOp = Callable[[int], Op[Page[T]]]
"""Builds the operation for page *n*."""


class Pager(Generic[T]):
    """Iterates lazily over every item of a listing, one request per page (synchronous).

    Iterate it for items, or call `pages()` for pages; `first_page()` and `all()` are shortcuts.
    """

    def __init__(self, run: Callable[[Op[Page[T]]], Page[T]], page_op: PageOp[T]) -> None:
        self._run = run
        self._page_op = page_op

    def pages(self) -> Iterator[Page[T]]:
        """Every page, in order, fetched as iteration reaches it.

        Raises:
            MalformedResponseError: The listing did not end after 10,000 pages.
        """
        for number in range(1, MAX_PAGES + 1):
            page = self._run(self._page_op(number))
            yield page
            if not page.items or not page.has_next:
                return
        raise _too_many_pages()

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def first_page(self) -> Page[T]:
        """Only the first page."""
        return self._run(self._page_op(1))

    def all(self) -> list[T]:
        """Every item, in a list."""
        return list(self)


class AsyncPager(Generic[T]):
    """Iterates lazily over every item of a listing, one request per page (asynchronous).

    `async for item in pager`, `async for page in pager.pages()`, `await pager.all()`.
    """

    def __init__(self, run: Callable[[Op[Page[T]]], Any], page_op: PageOp[T]) -> None:
        self._run = run
        self._page_op = page_op

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Every page, in order, fetched as iteration reaches it.

        Raises:
            MalformedResponseError: The listing did not end after 10,000 pages.
        """
        for number in range(1, MAX_PAGES + 1):
            page: Page[T] = await self._run(self._page_op(number))
            yield page
            if not page.items or not page.has_next:
                return
        raise _too_many_pages()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def first_page(self) -> Page[T]:
        """Only the first page."""
        page: Page[T] = await self._run(self._page_op(1))
        return page

    async def all(self) -> list[T]:
        """Every item, in a list."""
        return [item async for item in self]


def merge_params(**params: str | int | bool | Sequence[str] | None) -> dict[str, str]:
    """Query parameters without the ones left as None (booleans as `true`/`false`)."""
    merged: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            merged[key] = "true" if value else "false"
        elif isinstance(value, str | int):
            merged[key] = str(value)
        else:
            merged[key] = ",".join(value)
    return merged
