"""Digest parsing and checking: sha256, sha384 and sha512 are checked, other algorithms refused."""

import hashlib

import pytest

from harborsec.errors import (
    DigestAlgorithmError,
    DigestMismatchError,
    InvalidReferenceError,
    UnsupportedError,
    VerificationError,
)
from harborsec.oci import DigestVerifier, compute_digest, is_digest, parse_digest, verify_digest
from harborsec.oci._digest import digest_or_tag


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_every_checkable_algorithm_is_parsed_computed_and_verified(algorithm):
    digest = f"{algorithm}:" + hashlib.new(algorithm, b"data").hexdigest()
    assert compute_digest(b"data", algorithm) == digest
    assert parse_digest(digest) == (algorithm, digest.split(":", 1)[1])
    assert is_digest(digest)
    assert digest_or_tag(digest) == digest
    verify_digest(b"data", digest)
    with pytest.raises(DigestMismatchError):
        verify_digest(b"other", digest)
    verifier = DigestVerifier(digest, size=4)
    verifier.update(b"da")
    verifier.update(b"ta")
    verifier.verify()


@pytest.mark.parametrize("digest", ["blake3:" + "a" * 64, "sha1:" + "a" * 40, "md5:" + "a" * 32])
def test_other_algorithms_are_a_typed_refusal(digest):
    assert not is_digest(digest)
    for check in (parse_digest, digest_or_tag, DigestVerifier, lambda d: verify_digest(b"", d)):
        with pytest.raises(DigestAlgorithmError) as caught:
            check(digest)
        assert isinstance(caught.value, VerificationError)
        assert isinstance(caught.value, UnsupportedError)
        assert caught.value.digest == digest
        assert caught.value.algorithm == digest.split(":", 1)[0]
    with pytest.raises(DigestAlgorithmError):
        compute_digest(b"", digest.split(":", 1)[0])


def test_tags_and_bad_digests():
    assert digest_or_tag("v1.0") is None
    with pytest.raises(InvalidReferenceError):
        digest_or_tag("sha384:" + "a" * 64)
    with pytest.raises(InvalidReferenceError):
        digest_or_tag("sha384:" + "A" * 96)
