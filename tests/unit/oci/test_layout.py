import json
import shutil

import pytest

import harborsec
from harborsec.oci import OciLayout
from tests._data import NOTATION_E2E as E2E
from tests._data import NOTATION_GO_LAYOUT

IMAGE = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
SIGNATURE = "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f"


@pytest.mark.parametrize(
    ("reference", "digest"),
    [
        (f"oci:{E2E}/e2e-valid-signature:v1", IMAGE),
        (f"oci:{E2E}/e2e-valid-signature@{IMAGE}", IMAGE),
        (f"oci:{E2E}/e2e-expired-signature:v1", IMAGE),
        (f"oci:{E2E}/e2e-invalid-signature:v1", IMAGE),
        (
            f"oci:{E2E}/e2e-with-timestamped-signature:v1",
            "sha256:53b0191218aed9a3c1f7c661736ac40cfc8eb928642348fd843ba3f0483c0c20",
        ),
        (
            f"oci:{NOTATION_GO_LAYOUT}",
            "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0",
        ),
        (
            f"oci:{NOTATION_GO_LAYOUT}:v2",
            "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0",
        ),
    ],
)
def test_resolve_digest_on_real_layouts(reference, digest):
    assert harborsec.resolve_digest(reference) == digest


def test_tags_are_the_ref_name_annotations():
    layout = OciLayout(E2E / "e2e-valid-signature")
    assert layout.list_tags() == ["v1", "sha256-" + IMAGE.split(":")[1]]


def test_referrers_find_the_notation_signature():
    layout = OciLayout(E2E / "e2e-valid-signature")
    [signature] = layout.referrers("v1")
    assert signature.digest == SIGNATURE
    assert signature.artifact_type == "application/vnd.cncf.notary.signature"
    assert (
        layout.referrers("v1", artifact_type="application/vnd.dev.cosign.artifact.sig.v1+json")
        == []
    )


def test_unknown_tag_and_blob():
    layout = OciLayout(E2E / "e2e-valid-signature")
    with pytest.raises(harborsec.NotFoundError):
        layout.resolve("v9")
    with pytest.raises(harborsec.NotFoundError):
        layout.get_blob("sha256:" + "0" * 64)


def test_not_a_layout(tmp_path):
    with pytest.raises(harborsec.InvalidDocumentError):
        OciLayout(tmp_path)


def test_a_tampered_blob_is_detected(tmp_path):
    copy = tmp_path / "layout"
    shutil.copytree(E2E / "e2e-valid-signature", copy)
    blob = copy / "blobs" / "sha256" / IMAGE.split(":")[1]
    blob.write_bytes(blob.read_bytes().replace(b"2", b"3", 1))
    layout = OciLayout(copy)
    assert layout.resolve("v1") == IMAGE  # the index still names it
    with pytest.raises(harborsec.DigestMismatchError):
        layout.get_manifest("v1")


def test_push_then_read_back(tmp_path):
    from harborsec.cli._demo import build_demo_image

    layout = OciLayout(tmp_path / "new", create=True)
    blobs, manifests, index = build_demo_image()
    for data in blobs.values():
        layout.push_blob(data)
    for _, content in manifests:
        layout.push_manifest(content, media_type="application/vnd.oci.image.manifest.v1+json")
    digest = layout.push_manifest(
        index, media_type="application/vnd.oci.image.index.v1+json", tag="1.0"
    )
    assert layout.resolve("1.0") == digest
    assert layout.resolve("1.0", platform="linux/arm64") == harborsec.oci.compute_digest(
        manifests[1][1]
    )
    # moving a tag leaves one entry for it
    layout.push_manifest(
        manifests[0][1], media_type="application/vnd.oci.image.manifest.v1+json", tag="1.0"
    )
    assert layout.list_tags() == ["1.0"]
    assert json.loads((tmp_path / "new" / "index.json").read_text())["schemaVersion"] == 2
    assert not list((tmp_path / "new").glob(".tmp-*"))


def test_a_single_platform_image_must_be_for_the_platform_asked_for(tmp_path):
    from harborsec.cli._demo import build_demo_image

    layout = OciLayout(tmp_path / "single", create=True)
    blobs, manifests, _ = build_demo_image(("linux/arm64/v8",))
    for data in blobs.values():
        layout.push_blob(data)
    digest = layout.push_manifest(
        manifests[0][1], media_type="application/vnd.oci.image.manifest.v1+json", tag="1.0"
    )
    assert layout.resolve("1.0", platform="linux/arm64") == digest
    with pytest.raises(harborsec.PlatformNotFoundError, match="for linux/arm64/v8, not for"):
        layout.resolve("1.0", platform="linux/amd64")
