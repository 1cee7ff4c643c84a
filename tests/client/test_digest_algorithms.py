"""Digests in sha384 and sha512 are verified; blake3 and unknown algorithms are refused.

Sync and async, against the Harbor emulator; the hostile registry is the emulator behind a
transport that rewrites its answers. OCI layouts too.
"""

import json

import httpx
import pytest

from harborsec import (
    AsyncRegistry,
    DigestAlgorithmError,
    DigestMismatchError,
    NotFoundError,
    Registry,
    UnsupportedError,
    VerificationError,
)
from harborsec.oci import OCI_MANIFEST, Descriptor, ImageManifest, OciLayout, compute_digest
from harborsec.testing import HarborEmulator
from tests.client._both import ADMIN, URL, call, close, open_registry

REPO = "library/app"
BLAKE3 = "blake3:" + "a" * 64
ALGORITHMS = ["sha384", "sha512"]
KINDS = ["sync", "async"]


def image() -> tuple[bytes, bytes, bytes]:
    """A small image: its configuration, its layer and its manifest's bytes."""
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    layer = b"layer bytes"
    manifest = ImageManifest(
        config=Descriptor.for_content("application/vnd.oci.image.config.v1+json", config),
        layers=(Descriptor.for_content("application/vnd.oci.image.layer.v1.tar", layer),),
    )
    return config, layer, manifest.to_bytes()


def seeded(*algorithms: str) -> tuple[HarborEmulator, bytes]:
    """An emulator holding the image, its manifest pushed under a digest of each algorithm (and
    its layer uploaded under each, too), and the manifest's bytes."""
    emulator = HarborEmulator()
    config, layer, content = image()
    with httpx.Client(transport=emulator.transport(), base_url=URL, auth=ADMIN) as raw:
        for algorithm in ("sha256", *algorithms):
            for blob in (config, layer):
                response = raw.post(
                    f"/v2/{REPO}/blobs/uploads/",
                    params={"digest": compute_digest(blob, algorithm)},
                    content=blob,
                )
                assert response.status_code == 201, response.text
        for algorithm in algorithms:
            digest = compute_digest(content, algorithm)
            response = raw.put(
                f"/v2/{REPO}/manifests/{digest}",
                content=content,
                headers={"Content-Type": OCI_MANIFEST},
            )
            assert response.headers["Docker-Content-Digest"] == digest, response.text
    return emulator, content


class Hostile(httpx.MockTransport):
    """The emulator, with `rewrite` applied to each answer; every request is kept."""

    def __init__(self, emulator: HarborEmulator, rewrite) -> None:
        self.seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            self.seen.append(request)
            return rewrite(request, emulator.handle(request))

        super().__init__(handler)


def honest(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    return response


def tampered_bodies(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Manifests and blobs come back with one byte more, headers untouched."""
    if (
        request.method != "GET"
        or response.status_code != 200
        or "/v2/library" not in str(request.url)
    ):
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return httpx.Response(200, headers=headers, content=response.content + b" ")


def sha256_headers(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Like a registry that names every manifest by its sha256 digest, whatever was asked for."""
    if "/manifests/" not in request.url.path or response.status_code != 200:
        return response
    headers = httpx.Headers(response.headers)
    headers.pop("content-length", None)
    if request.method == "HEAD":
        manifest = image()[2]
        headers["Docker-Content-Digest"] = compute_digest(manifest)
        return httpx.Response(200, headers=headers)
    headers["Docker-Content-Digest"] = compute_digest(response.content)
    return httpx.Response(200, headers=headers, content=response.content)


def sha256_headers_other_body(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Answers every manifest GET with another manifest, named by that one's sha256 digest."""
    if "/manifests/" not in request.url.path or response.status_code != 200:
        return response
    other = ImageManifest(
        config=Descriptor.for_content("application/vnd.oci.image.config.v1+json", b"{}"),
        layers=(),
    ).to_bytes()
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": compute_digest(other)}
    if request.method == "HEAD":
        return httpx.Response(200, headers=headers)
    return httpx.Response(200, headers=headers, content=other)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("kind", KINDS)
async def test_manifests_and_blobs_by_sha384_and_sha512_are_verified(kind, algorithm):
    emulator, content = seeded(algorithm)
    _, layer, _ = image()
    digest = compute_digest(content, algorithm)
    registry = open_registry(kind, emulator.transport())
    try:
        manifest = await call(registry.get_manifest(f"{REPO}@{digest}"))
        assert manifest.digest == digest and manifest.content == content
        assert await call(registry.resolve(f"{REPO}@{digest}")) == digest
        assert await call(registry.resolve(f"{REPO}@{digest}", platform="linux/amd64")) == digest
        layer_digest = compute_digest(layer, algorithm)
        assert await call(registry.get_blob(REPO, layer_digest, size=len(layer))) == layer
    finally:
        await close(registry)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("kind", KINDS)
async def test_tampered_sha384_and_sha512_content_is_a_mismatch(kind, algorithm):
    emulator, content = seeded(algorithm)
    _, layer, _ = image()
    digest = compute_digest(content, algorithm)
    registry = open_registry(kind, Hostile(emulator, tampered_bodies))
    try:
        with pytest.raises(DigestMismatchError):
            await call(registry.get_manifest(f"{REPO}@{digest}"))
        with pytest.raises(DigestMismatchError):
            await call(registry.get_blob(REPO, compute_digest(layer, algorithm)))
    finally:
        await close(registry)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("kind", KINDS)
async def test_resolve_hashes_with_the_references_algorithm(kind, algorithm):
    """A HEAD naming the manifest in sha256 proves nothing about a sha384 or sha512 reference:
    resolve fetches the manifest and hashes it with the reference's algorithm."""
    emulator, content = seeded(algorithm)
    digest = compute_digest(content, algorithm)
    transport = Hostile(emulator, sha256_headers)
    registry = open_registry(kind, transport)
    try:
        assert await call(registry.resolve(f"{REPO}@{digest}")) == digest
        methods = [r.method for r in transport.seen if "/manifests/" in r.url.path]
        assert methods[-2:] == ["HEAD", "GET"]  # (after the HEAD that got the token challenge)
    finally:
        await close(registry)
    registry = open_registry(kind, Hostile(emulator, sha256_headers_other_body))
    try:
        with pytest.raises(DigestMismatchError):
            await call(registry.resolve(f"{REPO}@{digest}"))
        with pytest.raises(DigestMismatchError):
            await call(registry.get_manifest(f"{REPO}@{digest}"))
    finally:
        await close(registry)


@pytest.mark.parametrize("kind", KINDS)
async def test_digests_that_cannot_be_verified_are_refused_before_any_request(kind):
    emulator, _ = seeded()
    # The server would answer anything: a blake3 reference must still never be trusted.
    transport = Hostile(emulator, sha256_headers_other_body)
    registry = open_registry(kind, transport)
    try:
        for method, args in [
            ("get_manifest", (f"{REPO}@{BLAKE3}",)),
            ("resolve", (f"{REPO}@{BLAKE3}",)),
            ("get_blob", (REPO, BLAKE3)),
            ("get_blob", (REPO, "sha1:" + "a" * 40)),
            ("blob_exists", (REPO, BLAKE3)),
            ("referrers", (f"{REPO}@{BLAKE3}",)),
        ]:
            with pytest.raises(DigestAlgorithmError) as caught:
                await call(getattr(registry, method)(*args))
            assert isinstance(caught.value, VerificationError)
            assert isinstance(caught.value, UnsupportedError)
        stream = registry.stream_blob(REPO, BLAKE3)
        with pytest.raises(DigestAlgorithmError):
            await (stream.__aenter__() if kind == "async" else call(stream.__enter__()))
        assert [r for r in transport.seen if "/v2/library" in r.url.path] == []
    finally:
        await close(registry)


def write_layout(tmp_path, algorithm: str) -> tuple[OciLayout, str]:
    """A layout holding the image, its manifest stored only under its `algorithm` digest."""
    layout = OciLayout(tmp_path / "layout", create=True)
    config, layer, content = image()
    layout.push_blob(config)
    layout.push_blob(layer)
    digest = compute_digest(content, algorithm)
    path = tmp_path / "layout" / "blobs" / algorithm
    path.mkdir(parents=True, exist_ok=True)
    (path / digest.split(":", 1)[1]).write_bytes(content)
    return layout, digest


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_layout_verifies_sha384_and_sha512(tmp_path, algorithm):
    layout, digest = write_layout(tmp_path, algorithm)
    manifest = layout.get_manifest(digest)
    assert manifest.digest == digest and manifest.content == image()[2]
    assert layout.resolve(digest) == digest
    assert layout.resolve(digest, platform="linux/amd64") == digest
    blob = tmp_path / "layout" / "blobs" / algorithm / digest.split(":", 1)[1]
    blob.write_bytes(image()[2] + b" ")
    with pytest.raises(DigestMismatchError):
        layout.get_manifest(digest)
    with pytest.raises(DigestMismatchError):
        layout.resolve(digest)


def test_layout_refuses_digests_that_cannot_be_verified(tmp_path):
    layout, _ = write_layout(tmp_path, "sha384")
    blob = tmp_path / "layout" / "blobs" / "blake3" / BLAKE3.split(":", 1)[1]
    blob.parent.mkdir()
    blob.write_bytes(image()[2])
    for method in (layout.get_manifest, layout.resolve, layout.get_blob):
        with pytest.raises(DigestAlgorithmError):
            method(BLAKE3)


@pytest.mark.parametrize("kind", KINDS)
async def test_over_a_socket_with_the_default_transports(kind):
    """The same checks on the default transports (aiohttp's direct GET/HEAD path when async)."""
    emulator, content = seeded("sha384")
    _, layer, _ = image()
    digest = compute_digest(content, "sha384")
    cls = Registry if kind == "sync" else AsyncRegistry
    with emulator.serve() as url:
        registry = cls(url, auth=ADMIN)
        try:
            assert await call(registry.resolve(f"{REPO}@{digest}")) == digest
            assert (await call(registry.get_manifest(f"{REPO}@{digest}"))).content == content
            layer_digest = compute_digest(layer, "sha512")
            with pytest.raises(NotFoundError):  # only its sha256 and sha384 names were uploaded
                await call(registry.get_blob(REPO, layer_digest))
            with pytest.raises(DigestAlgorithmError):
                await call(registry.resolve(f"{REPO}@{BLAKE3}"))
        finally:
            await close(registry)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("kind", KINDS)
async def test_a_manifest_pushed_by_a_sha384_or_sha512_digest_is_checked_in_that_algorithm(
    kind, algorithm
):
    """The registry names the manifest by the digest it was pushed by: the check that it
    stored these bytes hashes them with that digest's algorithm (it used to compare a sha256
    digest with the sha384 one and fail)."""
    emulator, _ = seeded()
    _, _, content = image()
    digest = compute_digest(content, algorithm)
    transport = Hostile(emulator, honest)
    registry = open_registry(kind, transport)
    try:
        pushed = await call(
            registry.push_manifest(REPO, content, media_type=OCI_MANIFEST, tag=digest)
        )
        assert pushed == digest
        assert (await call(registry.get_manifest(f"{REPO}@{digest}"))).content == content
        # A digest the bytes do not hash to is refused before anything is sent.
        sent = len(transport.seen)
        with pytest.raises(DigestMismatchError):
            await call(
                registry.push_manifest(
                    REPO, content, media_type=OCI_MANIFEST, tag=compute_digest(b"x", algorithm)
                )
            )
        assert len(transport.seen) == sent
    finally:
        await close(registry)


def stored_as_other_content(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Manifest PUTs answered with the digest, in the same algorithm, of other bytes."""
    if request.method != "PUT" or "/manifests/" not in request.url.path:
        return response
    algorithm = request.url.path.rsplit("/", 1)[1].split(":")[0]
    headers = httpx.Headers(response.headers)
    headers["Docker-Content-Digest"] = compute_digest(b"other", algorithm)
    return httpx.Response(response.status_code, headers=headers, content=response.content)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("kind", KINDS)
async def test_a_registry_storing_other_bytes_under_a_sha384_or_sha512_digest_is_caught(
    kind, algorithm
):
    emulator, _ = seeded()
    _, _, content = image()
    registry = open_registry(kind, Hostile(emulator, stored_as_other_content))
    try:
        with pytest.raises(DigestMismatchError):
            await call(
                registry.push_manifest(
                    REPO, content, media_type=OCI_MANIFEST, tag=compute_digest(content, algorithm)
                )
            )
    finally:
        await close(registry)
