"""A registry that answers 200 with bodies no registry should send: typed errors, bounded work.

A real HTTP server on 127.0.0.1 (`http.server`, in a thread) answers tag lists and manifests
from a table; `Registry` (httpx) and `AsyncRegistry` (aiohttp) read them. Every bad answer
must end in a `HarborsecError` (`MalformedResponseError` for a tag list,
`InvalidDocumentError` for a manifest), never a `JSONDecodeError`, `TypeError` or a loop.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harborsec import AsyncRegistry, Registry, RetryPolicy
from harborsec.errors import InvalidDocumentError, MalformedResponseError, NotFoundError
from harborsec.oci import OCI_MANIFEST, compute_digest
from tests.client._both import call, close

KINDS = ["sync", "async"]
TAGS = "/v2/p/app/tags/list"

Answer = tuple[int, dict[str, str], bytes]


class Table:
    """What the server answers: `routes[path_and_query]`, or a function of it; a log of paths."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer | Callable[[str], Answer]] = {}
        self.seen: list[str] = []

    def answer(self, target: str) -> Answer:
        self.seen.append(target)
        if len(self.seen) > 100:  # a client that would page for ever gets an error instead
            return 500, {"Content-Type": "application/json"}, b'{"errors":[]}'
        route = self.routes.get(target) or self.routes.get(target.partition("?")[0])
        if route is None:
            return 404, {"Content-Type": "application/json"}, b'{"errors":[]}'
        return route(target) if callable(route) else route


@pytest.fixture(scope="module")
def _httpd() -> Iterator[tuple[str, list[Table]]]:
    """One server for the module; `current[0]` is the table of the test running."""
    current = [Table()]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between head and body

        def _reply(self, with_body: bool) -> None:
            status, headers, body = current[0].answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._reply(True)

        def do_HEAD(self) -> None:
            self._reply(False)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", current
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(_httpd: tuple[str, list[Table]]) -> tuple[str, Table]:
    url, current = _httpd
    current[0] = Table()
    return url, current[0]


def open_registry(kind: str, url: str) -> Registry | AsyncRegistry:
    cls = Registry if kind == "sync" else AsyncRegistry
    return cls(url, auth=None, environ={}, retries=RetryPolicy(retries=0), timeout=10)


async def expect(
    error: type[Exception], name: str, function: Callable[..., object], *args: object, **kw: object
) -> None:
    """`function(*args, **kw)` (awaited if need be) raises `error`; else the test fails, named."""
    try:
        await call(function(*args, **kw))
    except error:
        return
    pytest.fail(f"{name}: no {error.__name__}")


def json_answer(body: object, **headers: str) -> Answer:
    return 200, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


BAD_TAG_BODIES = {
    "html": (200, {"Content-Type": "text/html"}, b"<html><body>Sign in</body></html>"),
    "tags a number": json_answer({"name": "p/app", "tags": 5}),
    "tags a string": json_answer({"name": "p/app", "tags": "abc"}),
    "tags an object": json_answer({"name": "p/app", "tags": {"a": "b"}}),
    "a tag that is a number": json_answer({"name": "p/app", "tags": ["1.0", 2]}),
    "a tag that is null": json_answer({"name": "p/app", "tags": [None]}),
    "a list": json_answer(["1.0"]),
    "a string": json_answer("1.0"),
    "deep nesting": (200, {}, b'{"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "a 5,000-digit number": (200, {}, b'{"tags": [' + b"7" * 5000 + b"]}"),
    "not UTF-8": (200, {}, b'{"tags": ["\xff"]}'),
}


@pytest.mark.parametrize("kind", KINDS)
async def test_a_tag_list_that_is_not_a_list_of_strings_is_malformed(server, kind):
    url, table = server
    registry = open_registry(kind, url)
    try:
        for name, answer in BAD_TAG_BODIES.items():
            table.routes[TAGS] = answer
            await expect(MalformedResponseError, name, registry.list_tags, "p/app")
    finally:
        await close(registry)


@pytest.mark.parametrize("kind", KINDS)
async def test_tags_null_is_an_empty_repository(server, kind):
    """CNCF Distribution answers `"tags": null` for a repository without tags."""
    url, table = server
    registry = open_registry(kind, url)
    try:
        for body in ({"name": "p/app", "tags": None}, {"name": "p/app"}, {"tags": []}):
            table.routes[TAGS] = json_answer(body)
            assert await call(registry.list_tags("p/app")) == []
        table.routes[TAGS] = (200, {}, b"")
        assert await call(registry.list_tags("p/app")) == []
    finally:
        await close(registry)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_link_to_the_same_page_is_not_followed_again(server, kind):
    url, table = server
    table.routes[TAGS] = json_answer({"tags": ["a", "b"]}, Link=f'<{TAGS}>; rel="next"')
    registry = open_registry(kind, url)
    try:
        with pytest.raises(MalformedResponseError, match="already fetched"):
            await call(registry.list_tags("p/app"))
    finally:
        await close(registry)
    assert len(table.seen) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_link_cycle_is_not_followed_round(server, kind):
    url, table = server
    table.routes[TAGS] = json_answer({"tags": ["a"]}, Link=f'<{TAGS}?last=a>; rel="next"')
    table.routes[f"{TAGS}?last=a"] = json_answer({"tags": ["b"]}, Link=f'<{TAGS}>; rel="next"')
    registry = open_registry(kind, url)
    try:
        with pytest.raises(MalformedResponseError, match="already fetched"):
            await call(registry.list_tags("p/app"))
    finally:
        await close(registry)
    assert len(table.seen) == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_endless_pages_of_the_same_tags_stop(server, kind):
    """Every page names a new next page (`?last=1`, `?last=2`...) but lists the same tags."""

    def page(target: str) -> Answer:
        number = int(target.partition("last=")[2] or 0)
        return json_answer({"tags": ["a", "b"]}, Link=f'<{TAGS}?last={number + 1}>; rel="next"')

    url, table = server
    table.routes[TAGS] = page
    registry = open_registry(kind, url)
    try:
        with pytest.raises(MalformedResponseError, match="already listed"):
            await call(registry.list_tags("p/app"))
    finally:
        await close(registry)
    assert len(table.seen) == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_endless_pages_of_new_tags_stop_at_the_cap(server, kind, monkeypatch):
    monkeypatch.setattr("harborsec.oci._ops.MAX_TAG_PAGES", 5)

    def page(target: str) -> Answer:
        number = int(target.partition("last=")[2] or 0)
        return json_answer({"tags": [f"t{number}"]}, Link=f'<{TAGS}?last={number + 1}>; rel="next"')

    url, table = server
    table.routes[TAGS] = page
    registry = open_registry(kind, url)
    try:
        with pytest.raises(MalformedResponseError, match="did not end after 5 pages"):
            await call(registry.list_tags("p/app"))
    finally:
        await close(registry)
    assert len(table.seen) == 5


@pytest.mark.parametrize("kind", KINDS)
async def test_honest_pages_are_all_read(server, kind):
    url, table = server
    table.routes[TAGS] = json_answer({"tags": ["a", "b"]}, Link=f'<{TAGS}?n=2&last=b>; rel="next"')
    table.routes[f"{TAGS}?n=2&last=b"] = json_answer({"tags": ["c"]})
    registry = open_registry(kind, url)
    try:
        assert await call(registry.list_tags("p/app")) == ["a", "b", "c"]
    finally:
        await close(registry)


def manifest_bytes(**changes: object) -> bytes:
    document: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": compute_digest(b"{}"),
            "size": 2,
        },
        "layers": [],
    }
    document.update(changes)
    return json.dumps(document).encode()


CONFIG = {"digest": compute_digest(b"{}"), "size": 2}
BAD_MANIFESTS = {
    "mediaType a number": manifest_bytes(mediaType=5),
    "mediaType a list": manifest_bytes(mediaType=[OCI_MANIFEST]),
    "schemaVersion a string": manifest_bytes(schemaVersion="2"),
    "schemaVersion true": manifest_bytes(schemaVersion=True),
    "config mediaType a number": manifest_bytes(config={**CONFIG, "mediaType": 7}),
    "size a string": manifest_bytes(config={**CONFIG, "mediaType": "x", "size": "2"}),
    "size a float": manifest_bytes(config={**CONFIG, "mediaType": "x", "size": 2.5}),
    "size true": manifest_bytes(config={**CONFIG, "mediaType": "x", "size": True}),
    "layers a string": manifest_bytes(layers="abc"),
    "urls a string": manifest_bytes(config={**CONFIG, "mediaType": "x", "urls": "abc"}),
    "annotations a list": manifest_bytes(annotations=["a"]),
    "an annotation a number": manifest_bytes(annotations={"a": 1}),
    "a blake3 layer": manifest_bytes(
        layers=[{"mediaType": "x", "digest": "blake3:" + "a" * 64, "size": 1}]
    ),
    "deep nesting": b'{"schemaVersion": 2, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a 5,000-digit size": manifest_bytes(config="@").replace(b'"@"', b"9" * 5000),
}


@pytest.mark.parametrize("kind", KINDS)
async def test_a_manifest_of_the_wrong_json_types_is_an_invalid_document(server, kind):
    url, table = server
    registry = open_registry(kind, url)
    try:
        for name, content in BAD_MANIFESTS.items():
            digest = compute_digest(content)
            answer = (200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": digest}, content)
            table.routes["/v2/p/app/manifests/1.0"] = answer
            table.routes[f"/v2/p/app/manifests/{digest}"] = answer
            for reference in ("p/app:1.0", f"p/app@{digest}"):
                await expect(InvalidDocumentError, name, registry.get_manifest, reference)
            resolve = registry.resolve
            await expect(InvalidDocumentError, name, resolve, "p/app:1.0", platform="linux/amd64")
    finally:
        await close(registry)


def test_an_index_of_the_wrong_json_types_is_an_invalid_document():
    from harborsec.oci import OCI_INDEX, parse_manifest

    entry = {"mediaType": OCI_MANIFEST, "digest": compute_digest(b"x"), "size": 1}
    for platform in ("linux/amd64", {"os": 5, "architecture": "amd64"}, {"os": "linux"}):
        content = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [{**entry, "platform": platform}],
            }
        ).encode()
        with pytest.raises(InvalidDocumentError):
            parse_manifest(content)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_error_body_nested_too_deeply_is_still_the_status_error(server, kind):
    """The fuzzers found it: the error body's `RecursionError` escaped `raise_for_status`."""
    url, table = server
    table.routes[TAGS] = (404, {}, b'{"errors": ' + b"[" * 3000 + b"]" * 3000 + b"}")
    registry = open_registry(kind, url)
    try:
        with pytest.raises(NotFoundError):
            await call(registry.list_tags("p/app"))
    finally:
        await close(registry)
