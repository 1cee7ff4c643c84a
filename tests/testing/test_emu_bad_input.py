"""The emulator on a real socket under bad input: JSON 4xx answers, never a 500 or a dropped line.

Each test sends exact bytes over a socket (`tests/testing/_raw.py`), so what is checked is what
a client would read, including what the HTTP server answers before the emulator sees a request.
"""

from __future__ import annotations

import base64
import http.client
import urllib.parse
from collections.abc import Iterator

import pytest

from harborsec.testing import HarborEmulator
from tests.testing._raw import assert_json_error, exchange

AUTH = b"Authorization: Basic " + base64.b64encode(b"admin:Harbor12345") + b"\r\n"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with HarborEmulator().serve() as url:
        yield url


def _post(path: bytes, body: bytes, *, extra: bytes = b"") -> bytes:
    head = b"POST %s HTTP/1.1\r\nHost: harbor.test\r\n%sContent-Type: application/json\r\n" % (
        path,
        AUTH,
    )
    return head + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_deeply_nested_json_body_is_a_400(url: str) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    answer = exchange(url, _post(b"/api/v2.0/projects", body))
    error = assert_json_error(answer, 400)
    assert error["code"] == "BAD_REQUEST"


def test_deeply_nested_manifest_is_manifest_invalid(url: str) -> None:
    body = b'{"schemaVersion":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    data = (
        b"PUT /v2/library/a/manifests/v1 HTTP/1.1\r\nHost: harbor.test\r\n"
        + AUTH
        + b"Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )
    answer = exchange(url, data)
    # Without a token the registry asks for one; with one, the manifest is refused as invalid:
    # either way an OCI error body, not a 500.
    error = assert_json_error(answer)
    assert error["code"] in {"UNAUTHORIZED", "MANIFEST_INVALID"}


def test_5000_digit_page_size_is_a_422(url: str) -> None:
    answer = exchange(
        url,
        b"GET /api/v2.0/projects?page_size="
        + b"9" * 5000
        + b" HTTP/1.1\r\nHost: harbor.test\r\n\r\n",
    )
    error = assert_json_error(answer, 422)
    assert "must be of type int64" in error["message"]


@pytest.mark.parametrize(
    "query",
    [
        b"/api/v2.0/projects?page=" + b"1" * 5000,
        b"/api/v2.0/projects?page_size=-" + b"1" * 5000,
        b"/api/v2.0/projects?q=project_id%3D%5B" + b"1" * 5000 + b"~%5D",
        b"/api/v2.0/projects/" + b"1" * 5000,
        b"/api/v2.0/projects/1/immutabletagrules/" + b"1" * 5000,
        b"/v2/_catalog?n=" + b"1" * 5000,
        b"/v2/library/a/tags/list?n=" + b"1" * 5000,
    ],
)
def test_huge_numbers_anywhere_are_client_errors(url: str, query: bytes) -> None:
    answer = exchange(url, b"GET " + query + b" HTTP/1.1\r\nHost: harbor.test\r\n" + AUTH + b"\r\n")
    assert answer.status < 500, answer.body[:200]


def test_huge_cron_number_is_a_client_error(url: str) -> None:
    body = b'{"schedule":{"type":"Custom","cron":"0 0 ' + b"1" * 5000 + b' * * *"}}'
    answer = exchange(url, _post(b"/api/v2.0/system/scanAll/schedule", body))
    assert_json_error(answer)


@pytest.mark.parametrize(
    "length",
    [b"abc", b"-1", b"1 2", b"\xb2", b"9" * 5000, b"1, 2", b"0x10"],
    ids=["letters", "negative", "space", "superscript-two", "5000-digits", "list", "hex"],
)
def test_bad_content_length_is_a_json_400(url: str, length: bytes) -> None:
    data = b"POST /api/v2.0/projects HTTP/1.1\r\nHost: harbor.test\r\nContent-Length: %s\r\n\r\n{}"
    error = assert_json_error(exchange(url, data % length), 400)
    assert error["code"] == "BAD_REQUEST"


def test_conflicting_content_lengths_are_a_json_400(url: str) -> None:
    data = (
        b"POST /api/v2.0/projects HTTP/1.1\r\nHost: harbor.test\r\n"
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    )
    assert_json_error(exchange(url, data), 400)


def test_content_length_past_the_limit_is_a_413(url: str) -> None:
    data = b"PUT /v2/library/a/blobs/uploads/x HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n"
    error = assert_json_error(exchange(url, data % (2**40)), 413)
    assert error["code"] == "SIZE_INVALID"  # a distribution-spec code under /v2/


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n", b"-1\r\n", b"ffffffffffffffffff\r\n", b"5\r\nabc", b"2\r\nabcdef\r\n0\r\n\r\n"],
    ids=["not-hex", "negative", "huge", "closed-inside", "longer-than-said"],
)
def test_bad_chunked_body_is_a_json_400(url: str, chunks: bytes) -> None:
    data = (
        b"POST /api/v2.0/projects HTTP/1.1\r\nHost: harbor.test\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunks
    )
    assert_json_error(exchange(url, data, half_close=True), 400)


def test_chunk_past_the_limit_is_a_413(url: str) -> None:
    data = (
        b"POST /api/v2.0/projects HTTP/1.1\r\nHost: harbor.test\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nffffffffff\r\n"
    )
    assert_json_error(exchange(url, data), 413)


@pytest.mark.parametrize("host", [b":::", b"[::1", b"a b", b"h\x00st", b"\xff\xfe"])
def test_malformed_host_is_a_json_400(url: str, host: bytes) -> None:
    data = b"GET /api/v2.0/ping HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
    error = assert_json_error(exchange(url, data), 400)
    assert "Host" in error["message"]


def test_two_host_headers_are_a_json_400(url: str) -> None:
    data = b"GET /api/v2.0/ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
    assert_json_error(exchange(url, data), 400)


def test_latin1_header_value_is_passed_through(url: str) -> None:
    data = b"GET /api/v2.0/ping HTTP/1.1\r\nHost: harbor.test\r\nX-Note: caf\xe9\r\n\r\n"
    answer = exchange(url, data)
    assert (answer.status, answer.body) == (200, b"Pong")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"BREW /api/v2.0/ping HTTP/1.1\r\nHost: h\r\n\r\n", 405),
        (b"GET /api/v2.0/ping HTTP/2.0\r\nHost: h\r\n\r\n", 400),
        (b"GET /api/v2.0/ping HTTP/x\r\nHost: h\r\n\r\n", 400),
        (b"GET\r\n\r\n", 400),
        (b"\r\n\r\n", 400),
        (b"\x1c\r\n\r\n", 400),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 200 + b"\r\n", 431),
    ],
    ids=[
        "unknown-method",
        "http2",
        "bad-version",
        "no-target",
        "empty-line",
        "separator-only",
        "long-line",
        "long-header",
        "many",
    ],
)
def test_what_the_http_server_refuses_is_a_json_4xx(url: str, data: bytes, status: int) -> None:
    assert_json_error(exchange(url, data), status)


def test_unknown_method_under_v2_uses_a_distribution_code(url: str) -> None:
    data = b"BREW /v2/ HTTP/1.1\r\nHost: h\r\n\r\n"
    assert assert_json_error(exchange(url, data), 405)["code"] == "UNSUPPORTED"


def test_connection_stays_usable_after_a_client_error(url: str) -> None:
    # An error the emulator answers (not the HTTP server) keeps the connection alive.
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", "/api/v2.0/projects?page_size=x")
        first = connection.getresponse()
        first.read()
        sock = connection.sock
        connection.request("GET", "/api/v2.0/ping")
        second = connection.getresponse()
        assert (first.status, second.status, second.read()) == (422, 200, b"Pong")
        assert connection.sock is sock  # the same connection
    finally:
        connection.close()


def test_an_app_that_raises_gets_a_json_500_not_a_dropped_connection() -> None:
    from harborsec.testing._server import serve

    def broken(request: object) -> object:
        raise RuntimeError("bug")

    with serve(broken) as url:  # type: ignore[arg-type]
        answer = exchange(url, b"GET /api/v2.0/ping HTTP/1.1\r\nHost: h\r\n\r\n")
    assert answer.status == 500
    assert answer.json()["errors"][0]["code"] == "UNKNOWN"
