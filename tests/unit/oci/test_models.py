import json
from pathlib import Path

import pytest

import harborsec
from harborsec.oci import (
    Descriptor,
    ImageIndex,
    ImageManifest,
    Platform,
    compute_digest,
    parse_manifest,
    select_platform,
)
from harborsec.oci._models import make_converter
from tests._data import NOTATION as LAYOUTS

STRICT = make_converter(strict=True)


def vector_manifests() -> list[Path]:
    found = []
    for path in sorted(LAYOUTS.rglob("blobs/sha256/*")):
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "schemaVersion" in data:
            found.append(path)
    return found


def test_there_are_vector_manifests():
    assert len(vector_manifests()) >= 10


@pytest.mark.parametrize("path", vector_manifests(), ids=lambda p: f"{p.parts[-5]}/{p.name[:12]}")
def test_every_vector_manifest_parses_strictly_and_matches_its_name(path):
    content = path.read_bytes()
    manifest = parse_manifest(content, digest=f"sha256:{path.name}", converter=STRICT)
    assert manifest.digest == f"sha256:{path.name}"
    assert manifest.content == content


def test_notation_signature_manifest_fields():
    layout = LAYOUTS / "notation-e2e-oci-layouts" / "e2e-valid-signature" / "blobs" / "sha256"
    name = "90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f"
    manifest = parse_manifest((layout / name).read_bytes(), digest=f"sha256:{name}")
    document = manifest.document
    assert isinstance(document, ImageManifest)
    assert document.config.media_type == "application/vnd.cncf.notary.signature"
    assert document.layers[0].media_type == "application/jose+json"
    assert (
        document.subject.digest
        == "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
    )
    assert document.subject.size == 517
    assert "io.cncf.notary.x509chain.thumbprint#S256" in document.annotations


def test_tampered_manifest_is_refused():
    layout = LAYOUTS / "notation-e2e-oci-layouts" / "e2e-valid-signature" / "blobs" / "sha256"
    name = "b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
    content = (layout / name).read_bytes().replace(b"2", b"3", 1)
    with pytest.raises(harborsec.DigestMismatchError) as info:
        parse_manifest(content, digest=f"sha256:{name}")
    assert info.value.expected == f"sha256:{name}"
    assert info.value.actual == compute_digest(content)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"not json", harborsec.InvalidDocumentError),
        (b"[]", harborsec.InvalidDocumentError),
        (b'{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}', harborsec.UnsupportedError),
        (b'{"schemaVersion":2,"mediaType":"text/plain"}', harborsec.UnsupportedError),
        (
            b'{"schemaVersion":3,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
            harborsec.InvalidDocumentError,
        ),
        (
            b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
            harborsec.InvalidDocumentError,
        ),
        (
            b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
            b'"manifests":[{"mediaType":"x","digest":"sha256:abc","size":1}]}',
            harborsec.InvalidDocumentError,
        ),
        (
            b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
            b'"manifests":[{"mediaType":"x","digest":"sha256:' + b"a" * 64 + b'","size":"big"}]}',
            harborsec.InvalidDocumentError,
        ),
    ],
)
def test_bad_manifests_raise_typed_errors(content, error):
    with pytest.raises(error):
        parse_manifest(content)


def test_media_type_comes_from_the_header_when_the_body_has_none():
    body = b'{"schemaVersion":2,"manifests":[]}'
    manifest = parse_manifest(
        body, media_type="application/vnd.docker.distribution.manifest.list.v2+json"
    )
    assert manifest.is_index
    assert manifest.media_type == "application/vnd.docker.distribution.manifest.list.v2+json"


def test_built_manifests_round_trip():
    config = Descriptor.for_content("application/vnd.oci.image.config.v1+json", b"{}")
    manifest = ImageManifest(config=config, layers=(config,), annotations={"a": "b"})
    content = manifest.to_bytes()
    assert content.startswith(
        b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"'
    )
    parsed = parse_manifest(content, converter=STRICT)
    assert parsed.document == manifest
    assert parsed.digest == compute_digest(content)


def index_of(*platforms: str) -> ImageIndex:
    return ImageIndex(
        manifests=tuple(
            Descriptor(
                media_type="application/vnd.oci.image.manifest.v1+json",
                digest=compute_digest(p.encode()),
                size=1,
                platform=Platform.parse(p) if p != "none" else None,
            )
            for p in platforms
        )
    )


@pytest.mark.parametrize(
    ("wanted", "picked"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("linux/aarch64", "linux/arm64/v8"),
        ("linux/arm/v7", "linux/arm/v7"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
    ],
)
def test_platform_selection(wanted, picked):
    index = index_of("none", "linux/amd64", "linux/arm64/v8", "linux/arm/v6", "linux/arm/v7")
    assert select_platform(index, wanted).digest == compute_digest(picked.encode())


def test_platform_not_found_lists_what_there_is():
    with pytest.raises(harborsec.PlatformNotFoundError) as info:
        select_platform(index_of("linux/amd64", "linux/arm64/v8"), "windows/amd64")
    assert info.value.available == ("linux/amd64", "linux/arm64/v8")
    assert "linux/arm64/v8" in str(info.value)


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "a/b/c/d", ""])
def test_bad_platforms(text):
    with pytest.raises(ValueError):
        Platform.parse(text)


@pytest.mark.parametrize(
    "config",
    [
        b"",
        b"not json",
        b"[]",
        b'{"os": "linux"}',
        b'{"os": 1, "architecture": "amd64"}',
        b'{"os": "", "architecture": "amd64"}',
        b"\xff\xfe",
    ],
)
def test_image_platform_is_none_when_the_config_names_none(config):
    assert harborsec.oci.image_platform(config) is None
    with pytest.raises(harborsec.PlatformNotFoundError):
        harborsec.oci.check_image_platform("repo@sha256:x", config, "linux/amd64")


def test_image_platform_reads_variant_and_os_version():
    platform = harborsec.oci.image_platform(
        b'{"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.1", "variant": ""}'
    )
    assert platform == harborsec.oci.Platform("windows", "amd64", None, "10.0.17763.1")
    harborsec.oci.check_image_platform(
        "r@d", b'{"os":"linux","architecture":"arm"}', "linux/arm/v7"
    )
