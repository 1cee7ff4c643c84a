"""Digest resolution and OCI operations against a real CNCF Distribution registry and skopeo."""

import asyncio

import httpx
import pytest

import harborsec
from harborsec.cli import main
from harborsec.cli._demo import build_demo_image
from harborsec.oci import OCI_INDEX, OCI_MANIFEST, compute_digest
from tests._real import skopeo_inspect_digest


def registry_for(real) -> harborsec.Registry:
    return harborsec.Registry(real.url, auth=real.basic_auth)


def test_there_are_at_least_twenty_references(seeded_real_registry):
    refs = seeded_real_registry.refs
    assert len({r.reference for r in refs}) >= 20
    assert any(r.platforms for r in refs)  # a multi-platform index
    assert any(r.media_type == "application/vnd.docker.distribution.manifest.v2+json" for r in refs)


def test_sync_resolution_agrees_with_skopeo(seeded_real_registry):
    with registry_for(seeded_real_registry.registry) as registry:
        for ref in seeded_real_registry.refs:
            assert registry.resolve(ref.reference) == ref.digest, ref.reference


async def test_async_resolution_agrees_with_skopeo(seeded_real_registry):
    real = seeded_real_registry.registry
    async with harborsec.AsyncRegistry(real.url, auth=real.basic_auth) as registry:
        digests = await asyncio.gather(
            *(registry.resolve(r.reference) for r in seeded_real_registry.refs)
        )
    assert digests == [r.digest for r in seeded_real_registry.refs]


async def test_async_with_httpx_own_transport(seeded_real_registry):
    real = seeded_real_registry.registry
    transport = httpx.AsyncHTTPTransport()
    async with harborsec.AsyncRegistry(
        real.url, auth=real.basic_auth, transport=transport
    ) as registry:
        ref = seeded_real_registry.refs[0]
        assert await registry.resolve(ref.reference) == ref.digest


def test_platform_selection_agrees_with_skopeo(seeded_real_registry):
    indexes = [r for r in seeded_real_registry.refs if r.platforms]
    assert indexes
    with registry_for(seeded_real_registry.registry) as registry:
        for ref in indexes:
            for platform, digest in ref.platforms.items():
                assert registry.resolve(ref.reference, platform=platform) == digest, (
                    ref.reference,
                    platform,
                )


def test_resolve_digest_function_and_cli(seeded_real_registry, monkeypatch, capsys):
    real = seeded_real_registry.registry
    monkeypatch.setenv("HARBOR_USERNAME", real.username)
    monkeypatch.setenv("HARBOR_PASSWORD", real.password)
    monkeypatch.setenv("HARBOR_URL", real.url)
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
    for ref in seeded_real_registry.refs[:5]:
        assert harborsec.resolve_digest(real.image(ref.reference), insecure=True) == ref.digest
    ref = next(r for r in seeded_real_registry.refs if r.platforms)
    platform, digest = next(iter(ref.platforms.items()))
    assert main(["digest", real.image(ref.reference), "--insecure", "--platform", platform]) == 0
    assert capsys.readouterr().out.strip() == digest


def test_wrong_password_is_unauthorized(real_registry):
    with harborsec.Registry(real_registry.url, auth=(real_registry.username, "wrong")) as registry:
        with pytest.raises(harborsec.UnauthorizedError):
            registry.resolve("nothing/here:1")


def test_unknown_tag_is_not_found(real_registry):
    with registry_for(real_registry) as registry:
        with pytest.raises(harborsec.NotFoundError):
            registry.resolve("nothing/here:1")


def push_demo(
    registry: harborsec.Registry, repository: str, *, chunk_size=None
) -> tuple[str, list[bytes]]:
    blobs, manifests, index = build_demo_image()
    for data in blobs.values():
        registry.push_blob(repository, data, chunk_size=chunk_size)
    for _, content in manifests:
        registry.push_manifest(repository, content, media_type=OCI_MANIFEST)
    return registry.push_manifest(repository, index, media_type=OCI_INDEX, tag="1.0"), [
        m for _, m in manifests
    ]


def test_push_with_the_sdk_then_skopeo_reads_it(real_registry_token, harbor_token_service):
    real = real_registry_token
    with harborsec.Registry(real.url, auth=real.basic_auth) as registry:
        digest, manifests = push_demo(registry, "library/pushed", chunk_size=100)
        assert registry.resolve("library/pushed:1.0") == digest
        for (platform, _), content in zip(build_demo_image()[1], manifests):
            assert registry.resolve("library/pushed:1.0", platform=platform) == compute_digest(
                content
            )
    creds = f"{real.username}:{real.password}"
    assert skopeo_inspect_digest(real.image("library/pushed:1.0"), creds=creds, raw=True) == digest


def test_token_auth_costs_one_request_per_resolution_once_cached(real_registry_token):
    real = real_registry_token
    sent = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request):
            sent.append(request.url.host + ":" + str(request.url.port) + request.url.path)
            return super().handle_request(request)

    with harborsec.Registry(real.url, auth=real.basic_auth) as registry:
        digest, _ = push_demo(registry, "library/count")
    with harborsec.Registry(real.url, auth=real.basic_auth, transport=Counting()) as registry:
        registry.resolve("library/count:1.0")
        sent.clear()
        for _ in range(10):
            assert registry.resolve("library/count:1.0") == digest
    assert len(sent) == 10
    assert all(real.host in s and "/manifests/" in s for s in sent)


def test_tags_paging_referrers_fallback_and_delete(real_registry_token):
    real = real_registry_token
    with harborsec.Registry(real.url, auth=real.basic_auth) as registry:
        _, manifests = push_demo(registry, "library/tags")
        for i in range(7):
            registry.push_manifest(
                "library/tags", manifests[0], media_type=OCI_MANIFEST, tag=f"t{i}"
            )
        tags = registry.list_tags("library/tags", page_size=2)
        assert sorted(tags) == sorted(["1.0", *[f"t{i}" for i in range(7)]])
        # Distribution 2.8 has no referrers API: the tag schema fallback answers.
        assert registry.referrers("library/tags:1.0") == []
        registry.delete(f"library/tags@{compute_digest(manifests[0])}")
        with pytest.raises(harborsec.NotFoundError):
            registry.resolve("library/tags:t3")


def test_blob_mount_and_streaming(real_registry_token):
    real = real_registry_token
    data = b"layer bytes " * 50_000
    with harborsec.Registry(real.url, auth=real.basic_auth) as registry:
        descriptor = registry.push_blob("library/source", data, chunk_size=64 * 1024)
        mounted = registry.push_blob("library/target", data, mount_from="library/source")
        assert mounted == descriptor
        assert registry.blob_exists("library/target", descriptor.digest)
        with registry.stream_blob("library/target", descriptor.digest, chunk_size=4096) as chunks:
            assert b"".join(chunks) == data
        assert registry.get_blob("library/target", descriptor.digest, size=len(data)) == data
