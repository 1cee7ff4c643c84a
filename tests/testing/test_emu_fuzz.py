"""Fuzzing the emulator on a real socket: hypothesis-made requests, the answers Harbor would give.

Every answer must be: below 500 (except the 500s Harbor itself answers to some bodies, such as a
duplicate CVE id or a scan-all schedule without `schedule`: the emulator reproduces those on
purpose, and the test tells them from a crash by the error the emulator logs when a handler
raises), on a connection that answered (not dropped), a JSON error body
(`{"errors":[{"code","message"}]}`) for a 4xx under `/api/` and `/v2/`, and valid against
Harbor's OpenAPI spec where the spec describes the operation (as `tests/_spec.py`'s
`SpecCheckedTransport` checks the emulator's answers elsewhere). Two levels: well-formed HTTP
with fuzzed paths, queries, headers and bodies (httpx), and fuzzed bytes on the wire.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterator

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborsec.testing import HarborEmulator
from tests._spec import (
    API_BASE_PATH,
    documented_statuses,
    response_schema,
    template_for,
    validate_definition,
    validate_response,
)
from tests.testing._raw import exchange

ADMIN = ("admin", "Harbor12345")

_TEMPLATES = [
    "/api/v2.0/ping",
    "/api/v2.0/systeminfo",
    "/api/v2.0/health",
    "/api/v2.0/users/current",
    "/api/v2.0/users/current/permissions",
    "/api/v2.0/projects",
    "/api/v2.0/projects/{p}",
    "/api/v2.0/projects/{p}/_deletable",
    "/api/v2.0/projects/{p}/summary",
    "/api/v2.0/projects/{p}/metadatas/",
    "/api/v2.0/projects/{p}/metadatas/{s}",
    "/api/v2.0/projects/{p}/immutabletagrules",
    "/api/v2.0/projects/{p}/immutabletagrules/{s}",
    "/api/v2.0/projects/{p}/scanner",
    "/api/v2.0/projects/{p}/scanner/candidates",
    "/api/v2.0/scanners",
    "/api/v2.0/scanners/ping",
    "/api/v2.0/scanners/{s}",
    "/api/v2.0/scanners/{s}/metadata",
    "/api/v2.0/system/CVEAllowlist",
    "/api/v2.0/system/scanAll/schedule",
    "/api/v2.0/system/scanAll/stop",
    "/api/v2.0/scans/all/metrics",
    "/api/v2.0/scans/schedule/metrics",
    "/api/v2.0/{s}",
    "/v2/",
    "/v2/_catalog",
    "/v2/{r}/tags/list",
    "/v2/{r}/manifests/{s}",
    "/v2/{r}/blobs/{s}",
    "/v2/{r}/blobs/uploads/",
    "/v2/{r}/blobs/uploads/{s}",
    "/v2/{r}/referrers/{s}",
    "/service/token",
]
_ROUTER_TEXT = {(404, b"404 page not found\n"), (405, b"Method not allowed\n")}
_DIGEST = "sha256:" + "a" * 64
_BIG = "9" * 5000

segments = st.sampled_from(
    ["library", "1", "0", "-1", "demo", _DIGEST, "v1", _BIG, "..", "%2F", "a" * 300, "scan"]
) | st.text(min_size=1, max_size=20)
repositories = st.sampled_from(["library/a", "library/a/b", "nope/x", "library"]) | segments
query_keys = st.sampled_from(
    [
        "page",
        "page_size",
        "q",
        "sort",
        "n",
        "last",
        "scope",
        "service",
        "digest",
        "mount",
        "from",
        "relative",
        "with_detail",
        "public",
        "name",
        "owner",
        "artifactType",
    ]
) | st.text(max_size=8)
query_values = st.sampled_from(
    ["1", "0", "-1", "100", "101", _BIG, "true", "name=~a", "project_id=[1~", "-name", _DIGEST]
) | st.text(max_size=20)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(
    str.strip
) | st.sampled_from(["bytes=0-" + _BIG, "0-" + _BIG, "true", "sid=1"])
header_names = st.sampled_from(
    [
        "Content-Type",
        "Accept",
        "Range",
        "Content-Range",
        "X-Is-Resource-Name",
        "Cookie",
        "X-Request-Id",
        "If-None-Match",
    ]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from([int(_BIG[:400]), "CVE-2024-1234", "library", "**", "0 0 * * * *"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_KEYS = ["project_name", "metadata", "cve_allowlist", "items", "schedule", "tag_selectors", "url"]
bodies = (
    st.none()
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.sampled_from(_KEYS), json_values).map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=64)
    | st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n)
    | st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
)


@attrs.frozen
class Fuzzed:
    """One generated request, built against the server's URL in the test."""

    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes | None
    admin: bool

    def build(self, client: httpx.Client) -> httpx.Request:
        request = client.build_request(
            self.method, self.path, params=self.params, headers=self.headers, content=self.body
        )
        if self.admin:
            request.headers["Authorization"] = httpx.BasicAuth(*ADMIN)._auth_header
        return request


@st.composite
def requests(draw: st.DrawFn) -> Fuzzed:
    template = draw(st.sampled_from(_TEMPLATES))
    path = template.replace(
        "{r}", "/".join(urllib.parse.quote(part, safe="") for part in draw(repositories).split("/"))
    )
    for name in ("{p}", "{s}"):
        while name in path:
            path = path.replace(name, urllib.parse.quote(draw(segments), safe=""), 1)
    params = draw(st.lists(st.tuples(query_keys, query_values), max_size=4))
    headers = draw(st.dictionaries(header_names, header_values, max_size=3))
    method = draw(st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
    return Fuzzed(method, path, params, headers, draw(bodies), draw(st.booleans()))


class _Crashes(logging.Handler):
    """Collects the errors the emulator logs when a handler raises (its 500s that are bugs)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_crashes = _Crashes()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[httpx.Client, str]]:
    logger = logging.getLogger("harborsec.testing")
    logger.addHandler(_crashes)
    harbor = HarborEmulator(trivy=True)
    try:
        with harbor.serve() as url, httpx.Client(base_url=url, timeout=10) as client:
            yield client, url
    finally:
        logger.removeHandler(_crashes)


def _no_crash(where: str) -> None:
    crashes, _crashes.records[:] = list(_crashes.records), []
    assert not crashes, f"{where}: the emulator raised:\n" + "\n".join(
        logging.Formatter().formatException(r.exc_info) if r.exc_info else r.getMessage()
        for r in crashes
    )


def _path(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii").split("?", 1)[0]


def check_answer(request: httpx.Request, response: httpx.Response) -> None:
    """What every answer must satisfy (see the module's docstring)."""
    status = response.status_code
    path = _path(request)
    where = (
        f"{request.method} {request.url.raw_path[:200]!r} -> {status} {response.content[:300]!r}"
    )
    _no_crash(where)
    assert status < 500 or (status == 500 and path.startswith("/api/")), where
    json_area = path.startswith(("/api/", "/v2/")) or path in ("/api", "/v2")
    # A path no route matches, or a method a registry route does not take, is answered as the
    # Go routers in front of Distribution and Harbor do: a short text 404 or 405. Every other
    # client error is JSON.
    unrouted = (status, response.content) in _ROUTER_TEXT
    if 400 <= status < 500 and json_area and request.method != "HEAD" and not unrouted:
        assert response.headers["content-type"].startswith("application/json"), where
        errors = response.json()["errors"]
        assert isinstance(errors[0]["code"], str), where
        assert isinstance(errors[0]["message"], str), where
    template = template_for(request.method, path)
    if template is None or request.method == "HEAD":
        return
    if not response.headers.get("content-type", "").startswith("application/json"):
        assert status < 400, where
        return  # ping's `Pong`, a 201's empty body
    answer = response.json()
    documented = str(status) in documented_statuses(request.method, template)
    if status < 400 or (
        documented and response_schema(request.method, template, status) is not None
    ):
        validate_response(request.method, API_BASE_PATH + template, status, answer)
    else:  # Harbor sends its error body also where the spec documents none
        validate_definition("Errors", answer)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(request=requests())
def test_fuzzed_requests_get_harbor_answers(
    server: tuple[httpx.Client, str], request: Fuzzed
) -> None:
    client, _ = server
    sent = request.build(client)
    response = client.send(sent)  # a dropped connection raises here
    check_answer(sent, response)


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"HEAD", b"X"]) | st.binary(max_size=6))
    target = draw(
        st.sampled_from([b"/api/v2.0/projects", b"/v2/", b"/api/v2.0/ping", b"/v2/library/a/x"])
        | st.binary(max_size=30)
    )
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/9.9", b"HTP", b""]))
    no_newline = st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from([b"Host", b"Content-Length", b"Transfer-Encoding", b"Expect", b"X"])
                | no_newline,
                st.sampled_from([b"chunked", b"100-continue", b":::", b"3", b"-1"]) | no_newline,
            ),
            max_size=5,
        )
    )
    body = draw(st.binary(max_size=40))
    head = b" ".join(part for part in (method, target, version) if part) + b"\r\n"
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    return head + b"\r\n" + body


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=raw_requests())
def test_fuzzed_bytes_get_an_answer(server: tuple[httpx.Client, str], data: bytes) -> None:
    _, url = server
    answer = exchange(url, data, half_close=True)  # ConnectionError when dropped
    where = f"{data[:300]!r} -> {answer.status} {answer.body[:300]!r}"
    _no_crash(where)
    assert answer.status < 500, where
    target = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b""
    routed = (answer.status, answer.body) not in _ROUTER_TEXT and not data.startswith(b"HEAD ")
    if 400 <= answer.status < 500 and target.startswith((b"/api/", b"/v2/")) and routed:
        assert answer.headers.get("content-type", "").startswith("application/json"), where
        assert answer.json()["errors"][0]["code"], where
