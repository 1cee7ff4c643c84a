"""HTTP plumbing shared by the emulator's areas.

The request being handled (`Call`), a small `Router`, and response builders for Harbor's and the
OCI distribution spec's error bodies.

Routing matches the request path **decoded once** (`httpx.URL.path`), which is what Harbor's core
sees behind its nginx: a repository name encoded twice (`a%252Fb`) arrives as one path segment
`a%2Fb`, while one encoded once (`a%2Fb`) arrives as `a/b` and misses the route. Handlers that
take a repository name from `/api/v2.0` paths unquote it once more, as Harbor does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import httpx

from harborsec.testing._auth import ANONYMOUS, Principal

__all__ = [
    "JSON",
    "Call",
    "Handler",
    "Route",
    "Router",
    "error_body",
    "harbor_error",
    "json_response",
    "loads_json",
    "parse_int",
    "text_response",
]

_INT64_DIGITS = 19

JSON = "application/json; charset=utf-8"
"""The Content-Type of Harbor's and the registry's JSON error bodies."""


@attrs.define
class Call:
    """One request being handled, with what the emulator learnt about it so far."""

    request: httpx.Request
    body: bytes
    request_id: str
    principal: Principal = ANONYMOUS
    params: dict[str, str] = attrs.field(factory=dict)
    """Path parameters captured by the route."""

    @property
    def method(self) -> str:
        """The request method, upper case."""
        return self.request.method.upper()

    @property
    def path(self) -> str:
        """The path, percent-decoded once."""
        return self.request.url.path

    @property
    def query(self) -> httpx.QueryParams:
        """The query parameters."""
        return self.request.url.params

    @property
    def headers(self) -> httpx.Headers:
        """The request headers."""
        return self.request.headers

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if any."""
        value: str | None = self.request.headers.get("authorization")
        return value

    @property
    def base_url(self) -> str:
        """`<scheme>://<Host header>`: how the client reached us."""
        host = self.request.headers.get("host") or self.request.url.netloc.decode("ascii")
        return f"{self.request.url.scheme}://{host}"

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: It is not JSON (or is nested too deeply to parse).
        """
        return loads_json(self.body)


def loads_json(data: str | bytes) -> Any:
    """`json.loads`, with nesting too deep to parse reported as the ValueError of bad JSON.

    Raises:
        ValueError: `data` is not JSON, or is nested deeper than the parser can follow.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_int(text: str) -> int:
    """`int(text)` for text already checked to be an optionally signed decimal integer.

    A value with more than 19 significant digits (past any 64-bit integer) comes back as plus
    or minus 2**64, so that callers may refuse or clamp it by range, without Python's
    conversion limit (`ValueError` past 4,300 digits) or the cost of converting it.
    """
    text = text.strip()
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > _INT64_DIGITS:
        return -(2**64) if text.startswith("-") else 2**64
    return int(text)


Handler = Callable[[Call], httpx.Response]


@attrs.frozen
class Route:
    """One route: methods, a compiled path pattern, the handler, and free-form `meta`."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler
    meta: Mapping[str, Any] = attrs.field(factory=dict)


_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


class Router:
    """Routes requests by method and path template.

    A template is a path with placeholders: `{name}` matches one segment, and `{name:kind}`
    matches the regular expression `kinds[kind]`, given to the constructor (for example a
    repository name that spans several segments).

    Args:
        kinds: Named regular expressions for placeholders.
    """

    def __init__(self, kinds: Mapping[str, str] | None = None) -> None:
        self._kinds = {"segment": r"[^/]+", **(kinds or {})}
        self._routes: list[Route] = []

    def add(
        self,
        methods: str | Iterable[str],
        template: str,
        handler: Handler,
        **meta: Any,
    ) -> None:
        """Route `methods` (one, or several) on `template` to `handler`."""
        if isinstance(methods, str):
            methods = [methods]

        def placeholder(match: re.Match[str]) -> str:
            name, kind = match.group(1), match.group(2) or "segment"
            return f"(?P<{name}>{self._kinds[kind]})"

        regex = ""
        last = 0
        for match in _PLACEHOLDER.finditer(template):
            regex += re.escape(template[last : match.start()]) + placeholder(match)
            last = match.end()
        regex += re.escape(template[last:])
        self._routes.append(
            Route(frozenset(m.upper() for m in methods), re.compile(regex), handler, meta)
        )

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | list[str] | None:
        """Find the route for `method` and `path`.

        Returns:
            The route and its path parameters; or, when the path matches only for other
            methods, those methods (sorted); or None when no route has this path.
        """
        allowed: set[str] = set()
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if method.upper() in route.methods:
                return route, found.groupdict()
            allowed |= route.methods
        return sorted(allowed) if allowed else None


def json_response(
    status: int,
    document: Any,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
    newline: bool = False,
) -> httpx.Response:
    """A response whose body is `document` as compact JSON (plus a newline if asked)."""
    content = json.dumps(document, separators=(",", ":")).encode()
    if newline:
        content += b"\n"
    return httpx.Response(
        status, content=content, headers={"Content-Type": content_type, **(headers or {})}
    )


def text_response(
    status: int, text: str, *, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """A `text/plain; charset=utf-8` response."""
    return httpx.Response(
        status,
        content=text.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
    )


_NO_DETAIL = object()


def error_body(code: str, message: str, detail: Any = _NO_DETAIL) -> dict[str, Any]:
    """`{"errors": [{"code", "message"[, "detail"]}]}`: Harbor's and the OCI spec's error shape."""
    error: dict[str, Any] = {"code": code, "message": message}
    if detail is not _NO_DETAIL:
        error["detail"] = detail
    return {"errors": [error]}


def harbor_error(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """An error as Harbor sends it (`lib/http.SendError`: JSON, then a newline).

    As in Harbor, any status of 500 or more gets the body `UNKNOWN` / `internal server error`.
    """
    if status >= 500:
        code, message = "UNKNOWN", "internal server error"
    return json_response(
        status, error_body(code, message), headers=headers, content_type=JSON, newline=True
    )
