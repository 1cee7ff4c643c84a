"""Local OCI image layout directories (`oci:PATH[:TAG|@DIGEST]`).

Layouts are what skopeo, oras and notation write.
`OciLayout` offers the registry client's read and push methods on a
directory: tags are the `org.opencontainers.image.ref.name` annotations of `index.json`, every blob
read is checked against its digest, and every write is atomic (a temporary file, then
`os.replace`), so an interrupted push never leaves a half-written blob or index.

Example:
    With `layout` the directory of an OCI image layout holding an image tagged `v1`:

    >>> OciLayout(layout).resolve("v1")
    'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from harborsec.errors import InvalidDocumentError, InvalidReferenceError, NotFoundError
from harborsec.oci._digest import compute_digest, digest_or_tag, parse_digest, verify_digest
from harborsec.oci._media import OCI_INDEX
from harborsec.oci._models import (
    Descriptor,
    ImageIndex,
    Manifest,
    Platform,
    check_image_platform,
    make_converter,
    parse_manifest,
    select_platform,
)

__all__ = ["REF_NAME", "OciLayout"]

REF_NAME = "org.opencontainers.image.ref.name"
"""The annotation that names a manifest in `index.json` (its tag)."""

_LAYOUT_FILE = b'{"imageLayoutVersion":"1.0.0"}'
_CONVERTER = make_converter()

MAX_MANIFEST_SIZE = 4 * 1024 * 1024
"""Manifests larger than this (4 MiB, as CNCF Distribution) are refused, unread."""
_MAX_INDEX_SIZE = 64 * 1024 * 1024
_MAX_LAYOUT_FILE_SIZE = 64 * 1024


def _not_found(what: str, path: Path) -> NotFoundError:
    return NotFoundError(f"{what} not found in OCI layout {path}", status_code=404)


def _read(path: Path, what: str, *, limit: int | None = None, size: int | None = None) -> bytes:
    """The bytes of a regular file of the layout.

    Args:
        path: The file.
        what: What it is, for messages.
        limit: Refuse files larger than this, unread.
        size: The size the file must have (checked before reading).

    Raises:
        FileNotFoundError: There is no such file (nor, perhaps, its directory).
        InvalidDocumentError: It cannot be read (a directory, a FIFO, a symbolic link loop, no
            permission, a name too long...), or it has the wrong size or is too large.
    """
    problem: str | None
    try:
        # O_NONBLOCK: a FIFO in place of a file must not block the open; fstat then refuses it.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(str(path)) from None
    except OSError as exc:
        problem = exc.strerror or type(exc).__name__
    except ValueError:  # a NUL in the path
        problem = "invalid file name"
    else:
        try:
            problem, data = _read_open(fd, limit=limit, size=size)
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
        finally:
            os.close(fd)
        if problem is None:
            return data
    raise InvalidDocumentError(f"cannot read {what} ({path}): {problem}")


def _read_open(fd: int, *, limit: int | None, size: int | None) -> tuple[str | None, bytes]:
    """What is wrong with an open file (or None), and its bytes."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file", b""
    if size is not None and info.st_size != size:
        return f"it has {info.st_size} bytes, its descriptor says {size}", b""
    if limit is not None and info.st_size > limit:
        return f"it has {info.st_size} bytes, more than the {limit} allowed", b""
    chunks = []
    total = 0
    while chunk := os.read(fd, 1024 * 1024):  # to the end (the file may have grown since)
        chunks.append(chunk)
        total += len(chunk)
        if limit is not None and total > limit:
            return f"it has more than the {limit} bytes allowed", b""
    return None, b"".join(chunks)


class OciLayout:
    """An OCI image layout directory.

    Args:
        path: The directory (it holds `oci-layout`, `index.json` and `blobs/`).
        create: Create an empty layout if the directory has none.

    Raises:
        InvalidDocumentError: The directory is not an OCI layout (and `create` is false).
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        """The layout's directory."""
        try:
            marker = _read(
                self.path / "oci-layout",
                "the layout's oci-layout file",
                limit=_MAX_LAYOUT_FILE_SIZE,
            )
        except FileNotFoundError:
            if not create:
                raise InvalidDocumentError(
                    f"{self.path} is not an OCI image layout (no oci-layout file)"
                ) from None
            self.path.mkdir(parents=True, exist_ok=True)
            self._write_atomic(self.path / "oci-layout", _LAYOUT_FILE)
            self._write_index(ImageIndex())
            return
        _check_layout_file(marker, self.path)

    def __repr__(self) -> str:
        return f"OciLayout({str(self.path)!r})"

    def index(self) -> ImageIndex:
        """The layout's `index.json`."""
        try:
            content = _read(self.path / "index.json", "the layout's index", limit=_MAX_INDEX_SIZE)
        except FileNotFoundError:
            raise InvalidDocumentError(f"{self.path} has no index.json") from None
        try:
            document = parse_manifest(content, media_type=OCI_INDEX).document
        except InvalidDocumentError as exc:
            raise InvalidDocumentError(f"{self.path}/index.json: {exc}") from None
        if not isinstance(document, ImageIndex):
            raise InvalidDocumentError(f"{self.path}/index.json is not an image index")
        return document

    def list_tags(self) -> list[str]:
        """The tags (`org.opencontainers.image.ref.name` annotations), in index order."""
        return [
            d.annotations[REF_NAME] for d in self.index().manifests if REF_NAME in d.annotations
        ]

    def _descriptor(self, reference: str | None) -> Descriptor:
        manifests = self.index().manifests
        if reference is None:
            if len(manifests) == 1:
                return manifests[0]
            raise InvalidReferenceError(
                f"OCI layout {self.path} holds {len(manifests)} manifests: name a tag or digest"
            )
        if digest_or_tag(reference) is not None:
            for descriptor in manifests:
                if descriptor.digest == reference:
                    return descriptor
            return Descriptor(media_type="", digest=reference, size=-1)  # a child of an index
        for descriptor in manifests:
            if descriptor.annotations.get(REF_NAME) == reference:
                return descriptor
        raise _not_found(f"tag {reference!r}", self.path)

    def _blob_path(self, digest: str) -> Path:
        algorithm, encoded = parse_digest(digest)
        return self.path / "blobs" / algorithm / encoded

    def get_blob(self, digest: str, *, size: int | None = None) -> bytes:
        """Read a blob, verified against its digest (and size when given).

        Raises:
            NotFoundError: The layout has no such blob.
            DigestMismatchError: The file does not hash to its name.
            InvalidDocumentError: The blob has another size, or cannot be read (a directory,
                a symbolic link loop, no permission...).
        """
        return self._read_blob(digest, size=size)

    def _read_blob(
        self, digest: str, *, size: int | None = None, limit: int | None = None
    ) -> bytes:
        try:
            data = _read(
                self._blob_path(digest),
                f"blob {digest}",
                size=size if size is not None and size >= 0 else None,
                limit=limit,
            )
        except FileNotFoundError:
            raise _not_found(f"blob {digest}", self.path) from None
        verify_digest(data, digest, what=f"blob of {self.path}")
        return data

    def get_manifest(self, reference: str | None = None) -> Manifest:
        """Read a manifest by tag or digest (or the only one), verified against its digest.

        Raises:
            NotFoundError: No such tag, or no such blob.
            DigestMismatchError: The blob does not hash to its digest.
            InvalidDocumentError: It is not a valid manifest, is larger than
                4 MiB, or cannot be read.
        """
        descriptor = self._descriptor(reference)
        content = self._read_blob(descriptor.digest, size=descriptor.size, limit=MAX_MANIFEST_SIZE)
        return parse_manifest(
            content, media_type=descriptor.media_type or None, digest=descriptor.digest
        )

    def resolve(
        self, reference: str | None = None, *, platform: Platform | str | None = None
    ) -> str:
        """The digest of a tag (or the only manifest), or of a platform's manifest in an index.

        With a platform, a single-platform image must be for that platform (its configuration
        says which), else `PlatformNotFoundError` is raised.
        """
        descriptor = self._descriptor(reference)
        if platform is None:
            if descriptor.size < 0:
                self.get_blob(descriptor.digest)  # must exist
            return descriptor.digest
        manifest = self.get_manifest(descriptor.digest)
        if isinstance(manifest.document, ImageIndex):
            return select_platform(manifest.document, platform).digest
        config = manifest.document.config
        content = self.get_blob(config.digest, size=config.size)
        check_image_platform(f"{self.path}@{manifest.digest}", content, platform)
        return manifest.digest

    def referrers(self, reference: str, *, artifact_type: str | None = None) -> list[Descriptor]:
        """The manifests whose `subject` is the image, and those of its `sha256-<hex>` index."""
        digest = self.resolve(reference)
        found: dict[str, Descriptor] = {}
        algorithm, encoded = parse_digest(digest)
        for descriptor in self.index().manifests:
            tag = descriptor.annotations.get(REF_NAME)
            if tag == f"{algorithm}-{encoded}":
                fallback = self.get_manifest(descriptor.digest).document
                if isinstance(fallback, ImageIndex):
                    for child in fallback.manifests:
                        found.setdefault(child.digest, child)
                continue
            if descriptor.digest == digest:
                continue
            manifest = self.get_manifest(descriptor.digest)
            subject = manifest.document.subject
            if subject is not None and subject.digest == digest:
                found.setdefault(
                    manifest.digest,
                    Descriptor(
                        media_type=manifest.media_type,
                        digest=manifest.digest,
                        size=len(manifest.content),
                        artifact_type=_artifact_type(manifest),
                        annotations=dict(manifest.document.annotations),
                    ),
                )
        result = list(found.values())
        if artifact_type:
            result = [d for d in result if d.artifact_type == artifact_type]
        return result

    def push_blob(self, data: bytes, *, media_type: str = "application/octet-stream") -> Descriptor:
        """Write a blob (atomically; nothing is written when it exists already)."""
        digest = compute_digest(data)
        path = self._blob_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomic(path, data)
        return Descriptor(media_type=media_type, digest=digest, size=len(data))

    def push_manifest(self, content: bytes, *, media_type: str, tag: str | None = None) -> str:
        """Write a manifest and list it in `index.json` (under `tag`, moved from any other)."""
        manifest = parse_manifest(content, media_type=media_type)
        self.push_blob(content, media_type=media_type)
        entry = Descriptor(
            media_type=manifest.media_type,
            digest=manifest.digest,
            size=len(content),
            annotations={REF_NAME: tag} if tag else {},
            artifact_type=manifest.document.artifact_type,
        )
        index = self.index()
        kept = []
        for descriptor in index.manifests:
            if tag and descriptor.annotations.get(REF_NAME) == tag:
                continue
            if descriptor.digest == manifest.digest and not descriptor.annotations.get(REF_NAME):
                continue
            kept.append(descriptor)
        kept.append(entry)
        self._write_index(ImageIndex(manifests=tuple(kept), annotations=index.annotations))
        return manifest.digest

    def _write_index(self, index: ImageIndex) -> None:
        data = {"schemaVersion": 2, "mediaType": OCI_INDEX, **_CONVERTER.unstructure(index)}
        self._write_atomic(self.path / "index.json", json.dumps(data, indent=None).encode())

    @staticmethod
    def _write_atomic(path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _check_layout_file(content: bytes, path: Path) -> None:
    """`oci-layout` must be a JSON object naming an `imageLayoutVersion`."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    version = data.get("imageLayoutVersion") if isinstance(data, dict) else None
    if not isinstance(version, str):
        raise InvalidDocumentError(
            f"{path} is not an OCI image layout (its oci-layout file names no imageLayoutVersion)"
        )


def _artifact_type(manifest: Manifest) -> str | None:
    document = manifest.document
    if document.artifact_type:
        return document.artifact_type
    config = getattr(document, "config", None)
    return config.media_type if config is not None else None
