"""Operations driven with canned registry answers: the cases an honest registry never produces."""

import json

import httpx
import pytest

import harborsec
from harborsec._core._driver import run_sync
from harborsec._core._retry import RetryPolicy
from harborsec.oci import MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST, _ops, compute_digest

BASE = httpx.URL("https://registry.test")
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": compute_digest(b"{}"),
            "size": 2,
        },
        "layers": [],
    }
).encode()
DIGEST = compute_digest(MANIFEST)


def run(handler, op):
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return run_sync(client, op, policy=RetryPolicy(retries=0))


class Log:
    def __init__(self, answer):
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request):
        self.requests.append(request)
        return self.answer(request)


def test_resolve_is_one_head_with_every_manifest_type():
    log = Log(
        lambda r: httpx.Response(
            200, headers={"Docker-Content-Digest": DIGEST, "Content-Type": OCI_MANIFEST}
        )
    )
    assert run(log, _ops.resolve(BASE, "p/app", "1.0")) == DIGEST
    [request] = log.requests
    assert request.method == "HEAD"
    assert request.url.path == "/v2/p/app/manifests/1.0"
    assert request.headers["Accept"] == MANIFEST_ACCEPT
    for media_type in (
        OCI_INDEX,
        OCI_MANIFEST,
        harborsec.oci.DOCKER_MANIFEST,
        harborsec.oci.DOCKER_MANIFEST_LIST,
    ):
        assert media_type in request.headers["Accept"]


def test_resolve_falls_back_to_get_and_hashes_the_body():
    def answer(request):
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Type": OCI_MANIFEST})
        return httpx.Response(200, content=MANIFEST, headers={"Content-Type": OCI_MANIFEST})

    log = Log(answer)
    assert run(log, _ops.resolve(BASE, "p/app", "1.0")) == DIGEST
    assert [r.method for r in log.requests] == ["HEAD", "GET"]


def test_a_digest_reference_answered_with_another_digest_fails():
    other = compute_digest(b"other")
    log = Log(
        lambda r: httpx.Response(
            200, headers={"Docker-Content-Digest": other, "Content-Type": OCI_MANIFEST}
        )
    )
    with pytest.raises(harborsec.DigestMismatchError):
        run(log, _ops.resolve(BASE, "p/app", DIGEST))


def test_a_manifest_fetched_by_digest_is_verified():
    tampered = MANIFEST.replace(b"[]", b"[ ]")
    log = Log(
        lambda r: httpx.Response(200, content=tampered, headers={"Content-Type": OCI_MANIFEST})
    )
    with pytest.raises(harborsec.DigestMismatchError) as info:
        run(log, _ops.get_manifest(BASE, "p/app", DIGEST))
    assert info.value.actual == compute_digest(tampered)


def test_a_manifest_fetched_by_tag_must_match_the_digest_header():
    log = Log(
        lambda r: httpx.Response(
            200,
            content=MANIFEST,
            headers={"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": compute_digest(b"x")},
        )
    )
    with pytest.raises(harborsec.DigestMismatchError):
        run(log, _ops.get_manifest(BASE, "p/app", "1.0"))


def test_a_blob_is_verified_by_digest_and_size():
    data = b"layer"
    log = Log(lambda r: httpx.Response(200, content=b"evil!"))
    with pytest.raises(harborsec.DigestMismatchError):
        run(log, _ops.get_blob(BASE, "p/app", compute_digest(data)))
    log = Log(lambda r: httpx.Response(200, content=data))
    assert run(log, _ops.get_blob(BASE, "p/app", compute_digest(data), size=5)) == data
    with pytest.raises(harborsec.DigestMismatchError):
        run(log, _ops.get_blob(BASE, "p/app", compute_digest(data), size=6))


def test_bad_digests_are_refused_before_any_request():
    log = Log(lambda r: httpx.Response(200))
    with pytest.raises(harborsec.InvalidReferenceError):
        run(log, _ops.get_blob(BASE, "p/app", "sha256:abc"))
    with pytest.raises(harborsec.UnsupportedError):
        run(log, _ops.get_blob(BASE, "p/app", "md5:" + "0" * 32))
    assert log.requests == []


def test_streamed_blobs_are_verified_at_the_end():
    verifier = harborsec.oci.DigestVerifier(compute_digest(b"abcdef"))
    assert list(verifier.chunks([b"abc", b"def"])) == [b"abc", b"def"]
    verifier = harborsec.oci.DigestVerifier(compute_digest(b"abcdef"))
    with pytest.raises(harborsec.DigestMismatchError):
        list(verifier.chunks([b"abc", b"xyz"]))
    verifier = harborsec.oci.DigestVerifier(compute_digest(b"abcdef"), size=4)
    with pytest.raises(harborsec.DigestMismatchError):
        list(verifier.chunks([b"abc", b"def"]))


def test_referrers_fall_back_to_the_tag_schema_and_filter():
    sig = {
        "mediaType": OCI_MANIFEST,
        "digest": compute_digest(b"s"),
        "size": 1,
        "artifactType": "application/sig",
    }
    sbom = {
        "mediaType": OCI_MANIFEST,
        "digest": compute_digest(b"b"),
        "size": 1,
        "artifactType": "application/sbom",
    }
    fallback = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [sig, sbom]}
    ).encode()

    def answer(request):
        if "/referrers/" in request.url.path:
            return httpx.Response(
                404, json={"errors": [{"code": "NOT_FOUND", "message": "page not found"}]}
            )
        assert request.url.path == f"/v2/p/app/manifests/sha256-{DIGEST.split(':')[1]}"
        return httpx.Response(200, content=fallback, headers={"Content-Type": OCI_INDEX})

    log = Log(answer)
    found = run(log, _ops.referrers(BASE, "p/app", DIGEST, artifact_type="application/sig"))
    assert [d.digest for d in found] == [sig["digest"]]
    assert log.requests[0].url.params["artifactType"] == "application/sig"


def test_referrers_trust_a_registry_that_applied_the_filter():
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode()
    log = Log(
        lambda r: httpx.Response(
            200, content=index, headers={"OCI-Filters-Applied": "artifactType"}
        )
    )
    assert run(log, _ops.referrers(BASE, "p/app", DIGEST, artifact_type="x")) == []
    assert len(log.requests) == 1


def test_no_referrers_at_all():
    log = Log(lambda r: httpx.Response(404))
    assert run(log, _ops.referrers(BASE, "p/app", DIGEST)) == []


def test_tag_listing_follows_link_headers():
    pages = {
        None: (["a", "b"], '</v2/p/app/tags/list?n=2&last=b>; rel="next"'),
        "b": (["c", "d"], '</v2/p/app/tags/list?n=2&last=d>; rel="next"'),
        "d": (["e"], None),
    }

    def answer(request):
        tags, link = pages[request.url.params.get("last")]
        return httpx.Response(
            200, json={"name": "p/app", "tags": tags}, headers={"Link": link} if link else {}
        )

    log = Log(answer)
    assert run(log, _ops.list_tags(BASE, "p/app", page_size=2)) == ["a", "b", "c", "d", "e"]
    assert len(log.requests) == 3


def test_chunked_upload_sends_ranges_then_the_digest():
    data = bytes(range(256)) * 10
    session = {"received": b""}

    def answer(request):
        if request.method == "HEAD":
            return httpx.Response(404)
        if request.method == "POST":
            return httpx.Response(202, headers={"Location": "/v2/p/app/blobs/uploads/u1"})
        if request.method == "PATCH":
            start, end = map(int, request.headers["Content-Range"].split("-"))
            assert start == len(session["received"]) and end == start + len(request.content) - 1
            session["received"] += request.content
            return httpx.Response(
                202, headers={"Location": f"/v2/p/app/blobs/uploads/u1?part={end}"}
            )
        assert request.method == "PUT"
        assert request.url.params["digest"] == compute_digest(data)
        return httpx.Response(201, headers={"Docker-Content-Digest": compute_digest(data)})

    log = Log(answer)
    descriptor = run(log, _ops.push_blob(BASE, "p/app", data, chunk_size=1000))
    assert session["received"] == data
    assert descriptor.size == len(data)
    assert [r.method for r in log.requests] == ["HEAD", "POST", "PATCH", "PATCH", "PATCH", "PUT"]


def test_existing_blobs_are_not_uploaded_again():
    log = Log(lambda r: httpx.Response(200))
    run(log, _ops.push_blob(BASE, "p/app", b"x"))
    assert [r.method for r in log.requests] == ["HEAD"]


def test_an_upload_without_location_is_malformed():
    log = Log(lambda r: httpx.Response(404) if r.method == "HEAD" else httpx.Response(202))
    with pytest.raises(harborsec.MalformedResponseError):
        run(log, _ops.push_blob(BASE, "p/app", b"x"))


def test_a_registry_that_stores_another_digest_is_caught():
    log = Log(
        lambda r: httpx.Response(201, headers={"Docker-Content-Digest": compute_digest(b"other")})
    )
    with pytest.raises(harborsec.DigestMismatchError):
        run(log, _ops.push_manifest(BASE, "p/app", MANIFEST, media_type=OCI_MANIFEST))


@pytest.mark.parametrize(
    ("returned", "error"),
    [
        (compute_digest(MANIFEST, "sha512"), None),  # the same bytes, named in another algorithm
        (compute_digest(b"other", "sha384"), harborsec.DigestMismatchError),
        ("blake3:" + "a" * 64, harborsec.DigestAlgorithmError),
        ("not a digest", harborsec.MalformedResponseError),
    ],
)
def test_the_stored_digest_is_checked_in_its_own_algorithm(returned, error):
    log = Log(lambda r: httpx.Response(201, headers={"Docker-Content-Digest": returned}))
    op = _ops.push_manifest(BASE, "p/app", MANIFEST, media_type=OCI_MANIFEST)
    if error is None:
        assert run(log, op) == DIGEST
    else:
        with pytest.raises(error):
            run(log, op)
