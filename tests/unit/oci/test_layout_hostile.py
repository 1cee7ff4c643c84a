"""OCI layouts that are broken or booby-trapped: a typed error, never an `OSError` or a hang.

Each case starts from a copy of a real layout (notation's `e2e-valid-signature`) and breaks one
thing. `resolve_digest`, `OciLayout` and its read methods must raise a `HarborsecError`
(`InvalidDocumentError` for what cannot be read or parsed, `NotFoundError` for what is missing).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import harborsec
from harborsec.errors import HarborsecError, InvalidDocumentError
from harborsec.oci import OciLayout
from tests._data import NOTATION_E2E as E2E

IMAGE = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
IMAGE_BLOB = Path("blobs", "sha256", IMAGE.split(":")[1])


def copy(tmp_path: Path) -> Path:
    target = tmp_path / "layout"
    shutil.copytree(E2E / "e2e-valid-signature", target)
    return target


def replace_with_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside").write_bytes(b"{}")


def symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def index_entry(**changes: object) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        index = json.loads(path.read_bytes())
        index["manifests"][0].update(changes)
        path.write_text(json.dumps(index))

    return change


BREAKAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "index.json a directory": ("index.json", replace_with_directory),
    "index.json a symlink loop": ("index.json", symlink_loop),
    "index.json a FIFO": ("index.json", fifo),
    "index.json a list": ("index.json", lambda p: p.write_text("[]")),
    "index.json empty": ("index.json", lambda p: p.write_text("")),
    "index.json deeply nested": ("index.json", lambda p: p.write_text("[" * 100_000)),
    "index.json a 5,000-digit number": ("index.json", lambda p: p.write_text("9" * 5000)),
    "index.json mediaType a number": ("index.json", index_entry(mediaType=5)),
    "index.json size a string": ("index.json", index_entry(size="1")),
    "index.json a ref.name that is a number": (
        "index.json",
        index_entry(annotations={"org.opencontainers.image.ref.name": 1}),
    ),
    "index.json a blake3 digest": ("index.json", index_entry(digest="blake3:" + "a" * 64)),
    "the manifest blob a directory": (str(IMAGE_BLOB), replace_with_directory),
    "the manifest blob a symlink loop": (str(IMAGE_BLOB), symlink_loop),
    "the manifest blob a FIFO": (str(IMAGE_BLOB), fifo),
    "oci-layout a directory": ("oci-layout", replace_with_directory),
    "oci-layout garbage": ("oci-layout", lambda p: p.write_bytes(b"\xff\x00garbage")),
    "oci-layout a list": ("oci-layout", lambda p: p.write_text("[]")),
    "oci-layout missing": ("oci-layout", lambda p: p.unlink()),
    "oci-layout a symlink loop": ("oci-layout", symlink_loop),
    "index.json missing": ("index.json", lambda p: p.unlink()),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_a_broken_layout_raises_a_typed_error(tmp_path, name):
    layout = copy(tmp_path)
    relative, breakage = BREAKAGES[name]
    breakage(layout / relative)
    # get_manifest reads every file broken here: it must fail, with a typed error.
    with pytest.raises(HarborsecError):
        OciLayout(layout).get_manifest("v1")
    # The others may not read the broken file: they succeed or fail with a typed error.
    for call in (
        lambda: harborsec.resolve_digest(f"oci:{layout}:v1"),
        lambda: harborsec.resolve_digest(f"oci:{layout}@{IMAGE}", platform="linux/amd64"),
        lambda: OciLayout(layout).list_tags(),
        lambda: OciLayout(layout).referrers("v1"),
    ):
        with contextlib.suppress(HarborsecError):
            call()


def test_a_path_too_long_for_the_file_system_is_an_invalid_document():
    with pytest.raises(InvalidDocumentError, match="File name too long"):
        harborsec.resolve_digest("oci:" + "a" * 300)
    with pytest.raises(InvalidDocumentError):
        OciLayout("a" * 300)


def test_a_blob_of_the_wrong_size_is_refused_unread(tmp_path):
    layout = copy(tmp_path)
    (layout / IMAGE_BLOB).write_bytes(b"{}" * 100_000)
    with pytest.raises(InvalidDocumentError, match="its descriptor says"):
        OciLayout(layout).get_manifest("v1")


def test_a_manifest_over_4_mib_is_refused(tmp_path):
    layout = OciLayout(tmp_path / "big", create=True)
    big = layout.push_blob(b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(InvalidDocumentError, match="allowed"):
        layout.get_manifest(big.digest)


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block as `nobody` when the tests run as root (root reads any file)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_an_unreadable_index_is_an_invalid_document(tmp_path):
    layout = copy(tmp_path)
    (layout / "index.json").chmod(0)
    with unprivileged(), pytest.raises(InvalidDocumentError, match="Permission denied"):
        OciLayout(layout).list_tags()


def test_a_manifest_whose_media_type_is_a_number_is_an_invalid_document(tmp_path):
    """The issue's case, from a layout: it raised `TypeError`."""
    layout = OciLayout(tmp_path / "layout", create=True)
    content = json.dumps({"schemaVersion": 2, "mediaType": 5, "layers": []}).encode()
    digest = layout.push_blob(content).digest
    with pytest.raises(InvalidDocumentError, match="mediaType that is a number"):
        layout.get_manifest(digest)
    with pytest.raises(InvalidDocumentError):
        harborsec.resolve_digest(f"oci:{tmp_path / 'layout'}@{digest}", platform="linux/amd64")
