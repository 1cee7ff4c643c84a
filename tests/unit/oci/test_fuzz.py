"""Fuzzing the OCI parsers (hypothesis): only `HarborsecError`, in bounded time.

References, manifests and indexes, tag lists (the pure `list_tags` operation, stepped by hand
with made-up answers), docker configs and OCI layouts (random file trees) get arbitrary input,
shaped enough to reach past the first check. Whatever comes in, the result is a value or a
`HarborsecError` (which may also be a `ValueError`), within a few seconds. Sized for CI: a few
hundred examples each, a few dozen for layouts, which touch the disk. For a longer run, set
`HARBORSEC_FUZZ_SCALE` (`HARBORSEC_FUZZ_SCALE=50` gives 10,000 examples per parser).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import harborsec
from harborsec.errors import HarborsecError
from harborsec.oci import _ops
from harborsec.oci._credentials import docker_credentials
from harborsec.oci._digest import digest_or_tag, is_digest, parse_digest
from harborsec.oci._layout import OciLayout
from harborsec.oci._media import IMAGE_TYPES, INDEX_TYPES
from harborsec.oci._models import image_platform, parse_manifest, select_platform
from harborsec.oci._reference import ImageReference, LayoutReference, parse_reference

BOUND = 5.0
"""Seconds any one call may take (they take milliseconds; this catches exponential work)."""

SCALE = int(os.environ.get("HARBORSEC_FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ_DISK = settings(
    max_examples=40 * SCALE, deadline=None, suppress_health_check=list(HealthCheck)
)


def only_typed_errors(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call it: it returns, or raises a `HarborsecError`, within `BOUND` seconds."""
    start = time.perf_counter()
    try:
        return function(*args, **kwargs)
    except HarborsecError:
        return None
    finally:
        elapsed = time.perf_counter() - start
        assert elapsed < BOUND, f"{function.__name__} took {elapsed:.1f} s"


# --- strategies ---------------------------------------------------------------------------------

HEX = "0123456789abcdef"
DIGEST = st.one_of(
    st.builds(lambda h: "sha256:" + h, st.text(HEX, min_size=64, max_size=64)),
    st.sampled_from(
        [
            "sha384:" + "a" * 96,
            "sha512:" + "b" * 128,
            "blake3:" + "c" * 64,
            "sha256:" + "A" * 64,
            "sha256:abc",
            "md5:" + "d" * 32,
            "sha256:" + "e" * 64 + "\n",
        ]
    ),
)
KEYS = st.sampled_from(
    [
        "mediaType",
        "schemaVersion",
        "manifests",
        "config",
        "layers",
        "digest",
        "size",
        "platform",
        "annotations",
        "urls",
        "os",
        "architecture",
        "variant",
        "os.version",
        "os.features",
        "features",
        "subject",
        "artifactType",
        "data",
        "tags",
        "name",
        "org.opencontainers.image.ref.name",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    DIGEST,
    st.sampled_from(sorted(IMAGE_TYPES | INDEX_TYPES)),
    st.sampled_from(["linux", "amd64", "arm64", "v8", "1.0", "latest"]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(KEYS, st.text(max_size=6)), children, max_size=6),
    ),
    max_leaves=10,
)

DESCRIPTOR = st.fixed_dictionaries(
    {
        "mediaType": st.sampled_from(sorted(IMAGE_TYPES)),
        "digest": DIGEST,
        "size": st.integers(0, 9),
    },
    optional={
        "platform": st.one_of(
            JSON,
            st.fixed_dictionaries(
                {"os": st.sampled_from(["linux", "windows"]), "architecture": SCALARS},
                optional={"variant": SCALARS, "os.version": SCALARS, "os.features": JSON},
            ),
        ),
        "annotations": st.one_of(JSON, st.dictionaries(st.text(max_size=5), SCALARS, max_size=3)),
        "urls": JSON,
        "artifactType": SCALARS,
        "data": SCALARS,
    },
)
DOCUMENT = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"schemaVersion": st.one_of(st.just(2), SCALARS), "mediaType": SCALARS},
        optional={
            "config": st.one_of(DESCRIPTOR, JSON),
            "layers": st.one_of(st.lists(DESCRIPTOR, max_size=3), JSON),
            "manifests": st.one_of(st.lists(DESCRIPTOR, max_size=3), JSON),
            "subject": st.one_of(DESCRIPTOR, JSON),
            "annotations": JSON,
            "artifactType": SCALARS,
        },
    ),
)


def encoded(document: Any, trick: str) -> bytes:
    """A document as bytes, sometimes made hostile: deep nesting, a huge number, junk bytes."""
    text = json.dumps(document).encode()
    if trick == "deep":
        return b'{"schemaVersion": 2, "x": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    if trick == "huge number" and text.startswith(b"{"):
        return b'{"size": ' + b"9" * 5000 + b", " + text[1:]
    if trick == "junk":
        return text[: len(text) // 2] + b"\xff\x00"
    return text


TRICKS = st.sampled_from(["none"] * 8 + ["deep", "huge number", "junk"])


# --- references ---------------------------------------------------------------------------------

REFERENCE_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="abc/:.@-_0123456789ABC[]%", max_size=300),
    st.builds(
        lambda a, b, c: f"{a}/{b}@{c}",
        st.text("abc.:0", max_size=20),
        st.text("ab/c_.-", max_size=40),
        DIGEST,
    ),
    st.builds(lambda a: "oci:" + a, st.text(max_size=400)),
)


@FUZZ
@given(REFERENCE_TEXT)
def test_references_parse_or_raise_typed_errors(text):
    only_typed_errors(parse_reference, text)
    only_typed_errors(ImageReference.parse, text)
    only_typed_errors(ImageReference.parse, text, default_registry="harbor.example.com")
    only_typed_errors(LayoutReference.parse, text)
    only_typed_errors(digest_or_tag, text)
    only_typed_errors(parse_digest, text)
    assert isinstance(is_digest(text), bool)


# --- manifests and indexes ----------------------------------------------------------------------


@FUZZ
@given(DOCUMENT, TRICKS, st.one_of(st.none(), st.sampled_from(sorted(IMAGE_TYPES | INDEX_TYPES))))
def test_manifests_parse_or_raise_typed_errors(document, trick, content_type):
    content = encoded(document, trick)
    manifest = only_typed_errors(parse_manifest, content, media_type=content_type)
    if manifest is None:
        return
    # What parsed is well typed: the code that reads it cannot trip on a number or a list.
    descriptors = (
        manifest.document.manifests
        if manifest.is_index
        else (manifest.document.config, *manifest.document.layers)
    )
    for descriptor in descriptors:
        assert isinstance(descriptor.media_type, str) and isinstance(descriptor.digest, str)
        assert type(descriptor.size) is int and descriptor.size >= 0
        assert all(isinstance(url, str) for url in descriptor.urls)
        assert all(isinstance(v, str) for v in descriptor.annotations.values())
    if manifest.is_index:
        only_typed_errors(select_platform, manifest.document, "linux/arm64")
    manifest.descriptor  # noqa: B018 - builds without error


IMAGE_CONFIG = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={"os": SCALARS, "architecture": SCALARS, "variant": SCALARS, "os.version": JSON},
    ),
)


@FUZZ
@given(IMAGE_CONFIG, TRICKS)
def test_image_configs_give_a_platform_or_none(document, trick):
    only_typed_errors(image_platform, encoded(document, trick))


# --- tag lists: the pure operation, stepped by hand -----------------------------------------------

BASE = httpx.URL("https://registry.test")
TAGS_URL = "/v2/p/app/tags/list"
LINKS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            f'<{TAGS_URL}>; rel="next"',
            f'<{TAGS_URL}?last=a>; rel="next"',
            f"<{TAGS_URL}?last=b>; rel=next",
            f'<https://other.test{TAGS_URL}?last=c>; rel="next"',
            '<>; rel="next"',
            '<http://[::1>; rel="next"',
            "<" * 5000,
            '<a>; rel="prev"',
        ]
    ),
    st.text(max_size=40),
)
TAG_BODY = st.one_of(
    st.builds(lambda d, t: encoded(d, t), JSON, TRICKS),
    st.builds(
        lambda tags, t: encoded({"name": "p/app", "tags": tags}, t),
        st.one_of(st.lists(st.text(max_size=4), max_size=5), JSON),
        TRICKS,
    ),
    st.binary(max_size=40),
)


@settings(FUZZ, max_examples=150 * SCALE)
@given(
    st.lists(
        st.tuples(TAG_BODY, LINKS, st.sampled_from([200, 200, 200, 404, 500])),
        min_size=1,
        max_size=6,
    )
)
def test_tag_lists_parse_or_raise_typed_errors(answers):
    op = _ops.list_tags(BASE, "p/app")
    start = time.perf_counter()
    try:
        request = next(op)
        for step in range(60):
            body, link, status = answers[step % len(answers)]
            headers = {"Link": link.encode("utf-8")} if link is not None else {}
            response = httpx.Response(status, headers=headers, content=body, request=request)
            request = op.send(response)
        raise AssertionError("list_tags was still paging after 60 pages of a few distinct URLs")
    except StopIteration as done:
        tags = done.value
        assert isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)
        assert len(set(tags)) == len(tags)
    except HarborsecError:
        pass
    assert time.perf_counter() - start < BOUND


# --- docker config ------------------------------------------------------------------------------

CONFIG = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "auths": st.one_of(
                JSON,
                st.dictionaries(
                    st.sampled_from(["harbor.example.com", "https://harbor.example.com/v1/"]),
                    st.one_of(
                        JSON,
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "auth": st.one_of(SCALARS, st.sampled_from(["YTpi", "YQ==", "!"])),
                                "username": SCALARS,
                                "password": SCALARS,
                                "identitytoken": SCALARS,
                            },
                        ),
                    ),
                    max_size=2,
                ),
            ),
            "credHelpers": JSON,
        },
    ),
)


@FUZZ
@given(CONFIG, TRICKS)
def test_docker_configs_give_credentials_or_a_credentials_error(config, trick):
    text = encoded(config, trick)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "config.json")
        path.write_bytes(text)
        # No PATH: a credential helper the config names is never found, never run.
        environ = {"PATH": directory, "HOME": directory}
        only_typed_errors(
            docker_credentials, "harbor.example.com", config_path=path, environ=environ
        )
        inline = {**environ, "DOCKER_AUTH_CONFIG": text.decode("utf-8", "replace")}
        only_typed_errors(docker_credentials, "harbor.example.com", environ=inline)


# --- OCI layouts: random file trees -------------------------------------------------------------

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": harborsec.oci.compute_digest(b"{}"),
            "size": 2,
        },
        "layers": [],
    }
).encode()
MANIFEST_DIGEST = harborsec.oci.compute_digest(MANIFEST)
GOOD_INDEX = {
    "schemaVersion": 2,
    "manifests": [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": MANIFEST_DIGEST,
            "size": len(MANIFEST),
            "annotations": {"org.opencontainers.image.ref.name": "v1"},
        }
    ],
}
FILE = st.one_of(
    st.sampled_from(["missing", "directory", "symlink loop", "fifo", "valid"]),
    st.builds(lambda d, t: encoded(d, t), st.one_of(DOCUMENT, st.just(GOOD_INDEX)), TRICKS),
    st.binary(max_size=30),
)


def make(path: Path, kind: str | bytes, valid: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "missing":
        return
    if kind == "directory":
        path.mkdir()
    elif kind == "symlink loop":
        path.symlink_to(path.name)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(valid if kind == "valid" else kind)


@FUZZ_DISK
@given(FILE, FILE, FILE, FILE)
def test_layouts_read_or_raise_typed_errors(layout_file, index, manifest, config):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        make(root / "oci-layout", layout_file, b'{"imageLayoutVersion":"1.0.0"}')
        make(root / "index.json", index, json.dumps(GOOD_INDEX).encode())
        blobs = root / "blobs" / "sha256"
        make(blobs / MANIFEST_DIGEST.split(":")[1], manifest, MANIFEST)
        make(blobs / harborsec.oci.compute_digest(b"{}").split(":")[1], config, b"{}")
        only_typed_errors(harborsec.resolve_digest, f"oci:{root}:v1")
        only_typed_errors(harborsec.resolve_digest, f"oci:{root}", platform="linux/amd64")
        only_typed_errors(harborsec.resolve_digest, f"oci:{root}@{MANIFEST_DIGEST}")
        layout = only_typed_errors(OciLayout, root)
        if layout is not None:
            only_typed_errors(layout.list_tags)
            only_typed_errors(layout.get_manifest, "v1")
            only_typed_errors(layout.referrers, "v1")
            only_typed_errors(layout.resolve, "v1", platform="linux/arm64")


# --- what the fuzzers found, as plain regression tests -------------------------------------------


def test_an_image_config_nested_too_deeply_names_no_platform():
    assert image_platform(b"[" * 3000 + b"]" * 3000) is None
    assert image_platform(b'{"os": "linux", "architecture": ' + b"[" * 3000) is None


def test_an_error_body_nested_too_deeply_is_still_the_status_error():
    op = _ops.list_tags(BASE, "p/app")
    request = next(op)
    body = b'{"errors": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    with pytest.raises(harborsec.NotFoundError) as error:
        op.send(httpx.Response(404, content=body, request=request))
    assert error.value.errors == ()


def test_a_link_header_of_many_angle_brackets_is_parsed_in_linear_time():
    """`<([^>]+)>` took 27 s on 60,000 `<` (quadratic): `[^<>]` stops at the next `<`."""
    op = _ops.list_tags(BASE, "p/app")
    request = next(op)
    start = time.perf_counter()
    response = httpx.Response(
        200, headers={"Link": "<" * 60_000}, content=b'{"tags": ["a"]}', request=request
    )
    with pytest.raises(StopIteration) as done:
        op.send(response)
    assert done.value.value == ["a"]
    assert time.perf_counter() - start < 1.0
