"""Content digests: parse, compute and check.

Example:
    >>> from harborsec.oci import compute_digest, verify_digest
    >>> empty = compute_digest(b"{}")
    >>> empty
    'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
    >>> verify_digest(b"{}", empty)
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from harborsec.errors import (
    DigestAlgorithmError,
    DigestMismatchError,
    InvalidReferenceError,
    UnsupportedError,
)

__all__ = [
    "DigestVerifier",
    "compute_digest",
    "digest_or_tag",
    "is_digest",
    "parse_digest",
    "verify_digest",
]

# The algorithms harborsec can check (hashlib), and their hex lengths. References also accept
# blake3 (registered with the OCI image spec): content named by it is refused, never trusted.
_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}
_GENERIC = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


def parse_digest(digest: str) -> tuple[str, str]:
    """Split a digest into its algorithm and its hex encoding, checking both.

    Raises:
        InvalidReferenceError: The text is not a digest, or the hex part has the wrong length or
            case for its algorithm.
        DigestAlgorithmError: The algorithm is well formed but not one harborsec can check
            (sha256, sha384, sha512): content named by it cannot be verified.
    """
    if not isinstance(digest, str) or not _GENERIC.match(digest):
        raise InvalidReferenceError(f"invalid digest {digest!r}: expected 'algorithm:hex'")
    algorithm, encoded = digest.split(":", 1)
    length = _ALGORITHMS.get(algorithm)
    if length is None:
        raise DigestAlgorithmError(
            f"digest algorithm {algorithm!r} of {digest!r} cannot be verified: harborsec checks "
            "sha256, sha384 and sha512 only",
            digest=digest,
            algorithm=algorithm,
        )
    if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise InvalidReferenceError(
            f"invalid digest {digest!r}: {algorithm} needs {length} lowercase hex digits"
        )
    return algorithm, encoded


def is_digest(text: str) -> bool:
    """Whether the text is a valid digest harborsec can check (sha256, sha384 or sha512)."""
    try:
        parse_digest(text)
    except (InvalidReferenceError, UnsupportedError):
        return False
    return True


def digest_or_tag(reference: str) -> str | None:
    """The reference when it is a digest, checked; None when it is a tag.

    A tag never contains `:`, so anything that does is a digest: one whose algorithm cannot be
    checked is refused here, before any content is fetched, rather than taken for a tag.

    Raises:
        InvalidReferenceError: It has a `:` but is not a valid digest.
        DigestAlgorithmError: It is a digest in an algorithm harborsec cannot check.
    """
    if ":" not in reference:
        return None
    parse_digest(reference)
    return reference


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """The digest of `data` (`sha256:<hex>` by default; sha384 and sha512 too).

    Raises:
        DigestAlgorithmError: Another algorithm.
    """
    if algorithm not in _ALGORITHMS:
        raise DigestAlgorithmError(
            f"unsupported digest algorithm {algorithm!r}", digest="", algorithm=algorithm
        )
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify_digest(data: bytes, expected: str, *, what: str = "content") -> None:
    """Check that `data` hashes to `expected`.

    Raises:
        DigestMismatchError: It does not.
        DigestAlgorithmError: `expected` is in an algorithm harborsec cannot check.
    """
    verifier = DigestVerifier(expected, what=what)
    verifier.update(data)
    verifier.verify()


class DigestVerifier:
    """Hash content piece by piece while it streams, then check it against the expected digest.

    Example:
        >>> v = DigestVerifier(compute_digest(b"{}"))
        >>> v.update(b"{"); v.update(b"}"); v.verify()
    """

    def __init__(self, expected: str, *, what: str = "content", size: int | None = None) -> None:
        self.algorithm, self._hex = parse_digest(expected)
        self.expected = expected
        self.what = what
        self.size = size
        self.received = 0
        self._hash = hashlib.new(self.algorithm)

    def update(self, chunk: bytes) -> None:
        """Add the next piece of content.

        Raises:
            DigestMismatchError: More bytes arrived than the expected size.
        """
        self.received += len(chunk)
        if self.size is not None and self.received > self.size:
            raise DigestMismatchError(
                f"{self.what} {self.expected} is larger than its descriptor's size {self.size}",
                expected=self.expected,
                actual="(oversized)",
            )
        self._hash.update(chunk)

    def chunks(self, source: Iterable[bytes]) -> Iterator[bytes]:
        """Pass chunks through, hashing them, and verify once the source is exhausted."""
        for chunk in source:
            self.update(chunk)
            yield chunk
        self.verify()

    async def achunks(self, source: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """The async form of `chunks`."""
        async for chunk in source:
            self.update(chunk)
            yield chunk
        self.verify()

    @property
    def actual(self) -> str:
        """The digest of what was received so far."""
        return f"{self.algorithm}:{self._hash.hexdigest()}"

    def verify(self) -> None:
        """Check the whole content.

        Raises:
            DigestMismatchError: The content does not match the digest (or the size).
        """
        actual_hex = self._hash.hexdigest()
        if not hmac.compare_digest(actual_hex, self._hex):
            raise DigestMismatchError(
                f"{self.what} fetched as {self.expected} hashes to {self.algorithm}:{actual_hex}",
                expected=self.expected,
                actual=f"{self.algorithm}:{actual_hex}",
            )
        if self.size is not None and self.received != self.size:
            raise DigestMismatchError(
                f"{self.what} {self.expected} has {self.received} bytes, its descriptor says "
                f"{self.size}",
                expected=self.expected,
                actual=self.actual,
            )
