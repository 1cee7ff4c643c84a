"""Content-addressable byte storage for the emulator: digests and blob stores.

A blob store maps a digest (`sha256:<hex>`, `sha384:<hex>` or `sha512:<hex>`) to bytes.
Manifests are stored in it too, byte for byte, so what a client pushed is exactly what it pulls
back. Which repository may see which blob is the registry's business
(`harborsec.testing._state`), not the store's.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

__all__ = [
    "DIGEST_PATTERN",
    "BlobStore",
    "DirectoryBlobStore",
    "MemoryBlobStore",
    "compute_digest",
    "is_supported_digest",
    "write_atomically",
]

DIGEST_PATTERN = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"
"""The OCI grammar of a digest (any algorithm); `is_supported_digest` says if we can check it."""

_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_SUPPORTED = re.compile(r"(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})")


def is_supported_digest(digest: str) -> bool:
    """Whether `digest` is a well-formed sha256, sha384 or sha512 digest (lowercase hex)."""
    return _SUPPORTED.fullmatch(digest) is not None


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """Return the digest of `data` as `<algorithm>:<hex>`.

    Raises:
        ValueError: `algorithm` is not sha256, sha384 or sha512.
    """
    if algorithm not in _HEX_LENGTHS:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


class BlobStore(Protocol):
    """Bytes by digest. Callers verify digests before `put`; the store trusts them."""

    def get(self, digest: str) -> bytes | None:
        """Return the bytes stored under `digest`, or None."""
        ...

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest` (a no-op when it is already there)."""
        ...

    def contains(self, digest: str) -> bool:
        """Whether bytes are stored under `digest`."""
        ...


class MemoryBlobStore:
    """A `BlobStore` in a dict: gone when the emulator is."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def get(self, digest: str) -> bytes | None:
        """Return the bytes stored under `digest`, or None."""
        return self._blobs.get(digest)

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest`."""
        self._blobs.setdefault(digest, bytes(data))

    def contains(self, digest: str) -> bool:
        """Whether bytes are stored under `digest`."""
        return digest in self._blobs


class DirectoryBlobStore:
    """A `BlobStore` in `<root>/<algorithm>/<hex>` files, written atomically.

    Args:
        root: The directory; created if missing.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        if not is_supported_digest(digest):  # never build a path from an unchecked string
            raise ValueError(f"not a supported digest: {digest!r}")
        algorithm, hex_ = digest.split(":", 1)
        return self._root / algorithm / hex_

    def get(self, digest: str) -> bytes | None:
        """Return the bytes stored under `digest`, or None."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest`."""
        path = self._path(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)

    def contains(self, digest: str) -> bool:
        """Whether bytes are stored under `digest`."""
        return self._path(digest).is_file()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and `os.replace`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
