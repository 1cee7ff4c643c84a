r"""Harbor's list conventions: `page`/`page_size`, `X-Total-Count`, `Link`, `q` and `sort`.

As in Harbor (`src/server/v2.0/handler/base.go`, `src/lib/q`, `src/lib/orm`):

* `page` defaults to 1 and `page_size` to 10; go-swagger refuses a `page_size` above 100 (and
  anything that is not an integer) with `422`. A `page_size` of 0 or less means "no limit".
* `X-Total-Count` counts every match; `Link` holds relative URLs for the `prev` and `next`
  pages, their query strings rebuilt with sorted keys and then URL-unescaped (so a `q` appears
  raw, commas and all), joined with `" , "`; there is no `Link` header when there is neither.
* `q` is unescaped once more, then split on `,` into `key=value` terms (`400` if a key or value
  is empty). A value is exact, `~fuzzy` (case-insensitive contains), `[min~max]` (inclusive
  range, either side optional), `{a b c}` (any of) or `(a b c)` (all of); inside ranges and
  lists, values are trimmed and unquoted, and integers become integers. A leading `\\` is
  dropped from an exact value. Keys a list does not know are ignored.
* `sort` is a comma-separated list of keys, `-` for descending; unknown keys are ignored.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import httpx

from harborsec.testing._api import ApiError
from harborsec.testing._http import Call, json_response, parse_int

__all__ = [
    "AllOf",
    "AnyOf",
    "Exact",
    "Fuzzy",
    "Range",
    "Term",
    "link_header",
    "list_response",
    "matches",
    "page_params",
    "paginate",
    "parse_q",
    "sort_items",
]

T = TypeVar("T")

_MAX_PAGE_SIZE = 100
_INT64 = re.compile(r"[+-]?[0-9]+")


@attrs.frozen
class Exact:
    """`key=value`."""

    value: str


@attrs.frozen
class Fuzzy:
    """`key=~value`: case-insensitive "contains"."""

    value: str


@attrs.frozen
class Range:
    """`key=[min~max]`: inclusive; a bound may be None."""

    low: int | str | None
    high: int | str | None


@attrs.frozen
class AnyOf:
    """`key={a b c}`: SQL `IN`."""

    values: tuple[int | str, ...]


@attrs.frozen
class AllOf:
    """`key=(a b c)`: every value must be present."""

    values: tuple[int | str, ...]


Term = Exact | Fuzzy | Range | AnyOf | AllOf


def _int64(call: Call, name: str, default: int) -> int:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw) if _INT64.fullmatch(raw) else None
    if value is None or not -(2**63) <= value < 2**63:
        raise ApiError(
            422, "UNPROCESSABLE_ENTITY", f'{name} in query must be of type int64: "{raw}"'
        )
    return value


def page_params(call: Call, *, default_size: int = 10) -> tuple[int, int]:
    """`(page, page_size)` of a list request, validated as go-swagger does.

    Raises:
        ApiError: 422 when a value is not an integer or `page_size` is above 100.
    """
    page = _int64(call, "page", 1)
    size = _int64(call, "page_size", default_size)
    if size > _MAX_PAGE_SIZE:
        raise ApiError(
            422,
            "UNPROCESSABLE_ENTITY",
            "validation failure list:\npage_size in query should be less than or equal to 100",
        )
    return page, size


def paginate(items: Sequence[T], page: int, size: int) -> list[T]:
    """The items of one page (all of them when `size` is 0 or less, as Harbor's ORM does)."""
    if size <= 0:
        return list(items)
    offset = size * (page - 1) if page > 0 else 0
    return list(items[offset : offset + size])


def _with_page(raw_query: str, page: int, size: int) -> str:
    """Harbor's rebuilt query: parsed, page and page_size set, encoded sorted, then unescaped."""
    values: dict[str, list[str]] = {}
    for key, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        values.setdefault(key, []).append(value)
    values["page"] = [str(page)]
    values["page_size"] = [str(size)]
    encoded = urllib.parse.urlencode(
        [(key, value) for key in sorted(values) for value in values[key]]
    )
    return urllib.parse.unquote_plus(encoded)


def link_header(call: Call, total: int, page: int, size: int) -> str | None:
    """The `Link` header Harbor sends for this page, or None when there is no other page."""
    if size == 0:
        return None
    path = call.path
    raw_query = call.request.url.query.decode("ascii", "replace")
    links = []
    if page > 1 and (page - 1) * size < total:
        raw_query = _with_page(raw_query, page - 1, size)
        links.append(f'<{path}?{raw_query}>; rel="prev"')
    if size * page < total:
        raw_query = _with_page(raw_query, page + 1, size)
        links.append(f'<{path}?{raw_query}>; rel="next"')
    return " , ".join(links) or None


def list_response(
    call: Call,
    items: Sequence[T],
    render: Callable[[T], Any],
    *,
    default_size: int = 10,
) -> httpx.Response:
    """One page of `items` as Harbor answers a list: JSON array, `X-Total-Count` and `Link`.

    Raises:
        ApiError: 422 for bad paging parameters.
    """
    page, size = page_params(call, default_size=default_size)
    headers = {"X-Total-Count": str(len(items))}
    link = link_header(call, len(items), page, size)
    if link is not None:
        headers["Link"] = link
    body = [render(item) for item in paginate(items, page, size)]
    return json_response(200, body, headers=headers)


def _list_value(text: str) -> int | str:
    text = text.strip().strip("\"'")
    return parse_int(text) if _INT64.fullmatch(text) else text


def _parse_value(value: str) -> Term:
    if value.startswith("~"):
        return Fuzzy(value[1:])
    if len(value) >= 2 and value[0] == "[" and value[-1] == "]" and "~" in value:
        low, _, high = value[1:-1].partition("~")
        return Range(
            _list_value(low) if low.strip() else None,
            _list_value(high) if high.strip() else None,
        )
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        return AnyOf(tuple(_list_value(v) for v in value[1:-1].split()))
    if len(value) >= 2 and value[0] == "(" and value[-1] == ")":
        return AllOf(tuple(_list_value(v) for v in value[1:-1].split()))
    return Exact(value[1:] if value.startswith("\\") else value)


def parse_q(call: Call) -> dict[str, Term]:
    """The `q` filter of a list request, by key.

    Raises:
        ApiError: 400 when a term has no `=`, or an empty key or value.
    """
    raw = call.query.get("q")
    if not raw:
        return {}
    text = urllib.parse.unquote_plus(raw)
    terms: dict[str, Term] = {}
    for term in text.split(","):
        key, sep, value = term.partition("=")
        if not sep or not key or not value:
            raise ApiError(
                400,
                "BAD_REQUEST",
                'the query string must contain "=" and the key/value cannot be empty',
            )
        terms[key] = _parse_value(value)
    return terms


def _compare(value: Any, bound: int | str) -> int:
    """Compare `value` to a range bound (-1, 0, 1), numerically when both are numbers."""
    left: Any = value
    right: Any = bound
    if isinstance(bound, int) and isinstance(value, str) and _INT64.fullmatch(value):
        left = parse_int(value)
    if isinstance(value, int) and isinstance(bound, str):
        left = str(value)
    return int(left > right) - int(left < right)


def matches(value: Any, term: Term) -> bool:
    """Whether a field value satisfies one `q` term (`value` is a string, number or list)."""
    if isinstance(term, Exact):
        return str(value) == term.value
    if isinstance(term, Fuzzy):
        return term.value.lower() in str(value).lower()
    if isinstance(term, Range):
        if term.low is not None and _compare(value, term.low) < 0:
            return False
        return not (term.high is not None and _compare(value, term.high) > 0)
    if isinstance(term, AnyOf):
        return str(value) in {str(v) for v in term.values}
    present = {str(v) for v in (value if isinstance(value, Iterable) else [value])}
    return all(str(v) in present for v in term.values)


def sort_items(
    call: Call,
    items: Iterable[T],
    keys: Mapping[str, Callable[[T], Any]],
    default: Sequence[tuple[str, bool]],
) -> list[T]:
    """Sort by the request's `sort` (known keys only), else by `default` `(key, descending)`."""
    wanted: list[tuple[str, bool]] = []
    for part in (call.query.get("sort") or "").split(","):
        part = part.strip()
        descending = part.startswith("-")
        key = part.lstrip("-")
        if key in keys:
            wanted.append((key, descending))
    result = list(items)
    for key, descending in reversed(wanted or list(default)):
        result.sort(key=keys[key], reverse=descending)
    return result
