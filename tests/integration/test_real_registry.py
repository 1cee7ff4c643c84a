"""Smoke tests of the real-registry fixtures themselves (tests/_real.py, tests/conftest.py).

They talk to the registry with plain httpx, never with harborsec, so that a fixture bug and an
SDK bug cannot hide each other.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from tests._data import VALID_LAYOUT as E2E_VALID
from tests._real import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    PLATFORMS,
    RealRegistry,
    SeededRegistry,
    build_multiplatform_layout,
    require_binary,
    sha256_digest,
    skopeo_copy,
    skopeo_inspect_digest,
)

ACCEPT = f"{OCI_MANIFEST}, {OCI_INDEX}, {DOCKER_MANIFEST}"


def _manifest(
    registry: RealRegistry, reference: str, *, method: str = "GET", token: str | None = None
) -> httpx.Response:
    if "@" in reference:
        repository, _, tag = reference.partition("@")
    else:
        repository, _, tag = reference.rpartition(":")
    headers = {"Accept": ACCEPT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    auth = registry.basic_auth if token is None and registry.auth == "htpasswd" else None
    return httpx.request(
        method,
        f"{registry.url}/v2/{repository}/manifests/{tag}",
        headers=headers,
        auth=auth,
        timeout=10,
    )


# -- require_binary -------------------------------------------------------------------------------


def test_require_binary_finds_an_installed_binary() -> None:
    assert require_binary("sh").endswith("/sh")


def test_require_binary_skips_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARBORSEC_REQUIRE_REAL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install docker-registry skopeo"):
        require_binary("harborsec-no-such-binary")


def test_require_binary_fails_when_real_tools_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARBORSEC_REQUIRE_REAL", "1")
    with pytest.raises(pytest.fail.Exception, match="harborsec-no-such-binary not installed"):
        require_binary("harborsec-no-such-binary")


# -- the registry process -------------------------------------------------------------------------


def test_htpasswd_registry_answers_with_the_right_password(real_registry: RealRegistry) -> None:
    assert real_registry.url == f"http://{real_registry.host}"
    assert real_registry.host.startswith("127.0.0.1:")
    assert real_registry.auth == "htpasswd"
    response = httpx.get(f"{real_registry.url}/v2/", auth=real_registry.basic_auth)
    assert response.status_code == 200
    assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"


def test_htpasswd_registry_rejects_no_and_wrong_credentials(real_registry: RealRegistry) -> None:
    anonymous = httpx.get(f"{real_registry.url}/v2/")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    wrong = httpx.get(f"{real_registry.url}/v2/", auth=(real_registry.username, "wrong"))
    assert wrong.status_code == 401
    unknown = httpx.get(f"{real_registry.url}/v2/", auth=("nobody", real_registry.password))
    assert unknown.status_code == 401


def test_anonymous_registry_accepts_pushes_without_credentials(
    real_registry_anon: RealRegistry,
) -> None:
    assert real_registry_anon.auth == "none"
    assert real_registry_anon.creds is None
    assert httpx.get(f"{real_registry_anon.url}/v2/").status_code == 200
    require_binary("skopeo")
    skopeo_copy(f"oci:{E2E_VALID}:v1", real_registry_anon.image("anon/valid:v1"))
    response = _manifest(real_registry_anon, "anon/valid:v1")
    assert response.status_code == 200
    expected = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
    assert sha256_digest(response.content) == expected
    assert response.headers["Docker-Content-Digest"] == expected
    # delete.enabled: true
    deleted = _manifest(real_registry_anon, f"anon/valid@{expected}", method="DELETE")
    assert deleted.status_code == 202
    assert _manifest(real_registry_anon, f"anon/valid@{expected}").status_code == 404


def test_registry_stops_and_frees_its_port(tmp_path: Path) -> None:
    registry = RealRegistry(tmp_path, auth="none")
    with registry:
        url = registry.url
        assert httpx.get(f"{url}/v2/").status_code == 200
    assert not registry.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v2/", timeout=2)


def test_start_failure_shows_the_registry_log(tmp_path: Path) -> None:
    registry = RealRegistry(
        tmp_path,
        auth="token",
        token_realm="http://127.0.0.1:1/service/token",
        token_certificate_pem=b"this is not a certificate",
    )
    with pytest.raises(RuntimeError, match="did not start") as info:
        registry.start(timeout=10)
    assert not registry.running
    assert "rootcertbundle" in str(info.value) or "certificate" in str(info.value)
    assert str(registry.log_path) in str(info.value)


# -- token auth through the Harbor emulator -------------------------------------------------------


def _token(registry: RealRegistry, scope: str | None, auth: tuple[str, str] | None) -> str:
    params = {"service": registry.token_service}
    if scope:
        params["scope"] = scope
    response = httpx.get(registry.token_realm, params=params, auth=auth, timeout=10)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def test_token_registry_challenges_towards_the_emulator(real_registry_token: RealRegistry) -> None:
    response = httpx.get(f"{real_registry_token.url}/v2/")
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'realm="{real_registry_token.token_realm}"' in challenge
    assert f'service="{real_registry_token.token_service}"' in challenge


def test_token_registry_accepts_an_emulator_token(real_registry_token: RealRegistry) -> None:
    token = _token(real_registry_token, None, real_registry_token.basic_auth)
    response = httpx.get(
        f"{real_registry_token.url}/v2/", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, real_registry_token.log_text()[-2000:]


def test_token_registry_enforces_the_token_scope(real_registry_token: RealRegistry) -> None:
    url = f"{real_registry_token.url}/v2/library/scoped/tags/list"
    unscoped = _token(real_registry_token, None, real_registry_token.basic_auth)
    denied = httpx.get(url, headers={"Authorization": f"Bearer {unscoped}"})
    assert denied.status_code == 401
    assert 'scope="repository:library/scoped:pull"' in denied.headers["WWW-Authenticate"]
    scoped = _token(real_registry_token, "repository:library/scoped:pull", None)
    # `library` is public: an anonymous pull token gets past auth (the repository is unknown).
    allowed = httpx.get(url, headers={"Authorization": f"Bearer {scoped}"})
    assert allowed.status_code == 404
    assert allowed.json()["errors"][0]["code"] == "NAME_UNKNOWN"


def test_token_registry_rejects_a_forged_token(real_registry_token: RealRegistry) -> None:
    token = _token(real_registry_token, None, real_registry_token.basic_auth)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = httpx.get(
        f"{real_registry_token.url}/v2/", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_token_registry_push_and_pull_with_skopeo(real_registry_token: RealRegistry) -> None:
    require_binary("skopeo")
    destination = real_registry_token.image("library/valid:v1")
    skopeo_copy(f"oci:{E2E_VALID}:v1", destination, creds=real_registry_token.creds)
    digest = skopeo_inspect_digest(destination, creds=real_registry_token.creds, raw=True)
    assert digest == "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"


# -- seeded content -------------------------------------------------------------------------------


def test_seeded_references_are_many_and_distinct(seeded_real_registry: SeededRegistry) -> None:
    references = [ref.reference for ref in seeded_real_registry.refs]
    assert len(references) >= 20
    assert len(set(references)) == len(references)
    tags = [ref for ref in seeded_real_registry.refs if ref.tag]
    by_digest = [ref for ref in seeded_real_registry.refs if ref.tag is None]
    assert len(tags) >= 10
    assert len(by_digest) >= 10
    media_types = {ref.media_type for ref in seeded_real_registry.refs}
    assert media_types == {OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST}


def test_seeded_digests_match_what_the_registry_serves(
    seeded_real_registry: SeededRegistry,
) -> None:
    registry = seeded_real_registry.registry
    for ref in seeded_real_registry.refs:
        head = _manifest(registry, ref.reference, method="HEAD")
        assert head.status_code == 200, ref.reference
        assert head.headers["Docker-Content-Digest"] == ref.digest, ref.reference
        get = _manifest(registry, ref.reference)
        assert sha256_digest(get.content) == ref.digest, ref.reference
        assert get.headers["Content-Type"] == ref.media_type, ref.reference
        assert json.loads(get.content).get("mediaType", ref.media_type) == ref.media_type


def test_seeded_known_digests_from_the_vectors(seeded_real_registry: SeededRegistry) -> None:
    get = seeded_real_registry.get
    image = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
    for repository in ("notation/valid", "notation/expired", "notation/invalid"):
        assert get(f"{repository}:v1").digest == image
        tag_index = get(f"{repository}:sha256-{image[7:]}")
        assert tag_index.media_type == OCI_INDEX
    signature = "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f"
    assert get(f"notation/valid@{signature}").media_type == OCI_MANIFEST
    assert get("notation/alpine:v2").digest == (
        "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"
    )


def test_seeded_tag_schema_index_is_byte_for_byte(seeded_real_registry: SeededRegistry) -> None:
    image_hex = "b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
    ref = seeded_real_registry.get(f"notation/valid:sha256-{image_hex}")
    body = _manifest(seeded_real_registry.registry, ref.reference).content
    assert body == (E2E_VALID / "blobs/sha256" / ref.digest[7:]).read_bytes()
    assert (
        json.loads(body)["manifests"][0]["artifactType"] == "application/vnd.cncf.notary.signature"
    )


def test_seeded_index_platforms(seeded_real_registry: SeededRegistry) -> None:
    ref = seeded_real_registry.get("multi/app:1.0")
    assert set(ref.platforms) == set(PLATFORMS)
    assert len(set(ref.platforms.values())) == 3
    index = json.loads(_manifest(seeded_real_registry.registry, ref.reference).content)
    from_index = {}
    for entry in index["manifests"]:
        platform = entry["platform"]
        parts = [platform["os"], platform["architecture"], platform.get("variant")]
        from_index["/".join(p for p in parts if p)] = entry["digest"]
    assert from_index == dict(ref.platforms)
    for platform, digest in ref.platforms.items():
        single = seeded_real_registry.get(f"multi/app:1.0-{platform.replace('/', '-')}")
        assert single.digest == digest
    assert seeded_real_registry.get("multi/app:latest").digest == ref.digest


def test_skopeo_inspect_digest_modes(seeded_real_registry: SeededRegistry) -> None:
    registry = seeded_real_registry.registry
    index = seeded_real_registry.get("multi/app:1.0")
    image = seeded_real_registry.image(index)
    # On an index, {{.Digest}} is the index's own digest; --raw hashes the same bytes.
    assert skopeo_inspect_digest(image, creds=registry.creds) == index.digest
    assert skopeo_inspect_digest(image, creds=registry.creds, raw=True) == index.digest
    arm64 = skopeo_inspect_digest(image, creds=registry.creds, platform="linux/arm64/v8")
    assert arm64 == index.platforms["linux/arm64/v8"]
    # A notation artifact is not an image: only --raw works on it.
    artifact = seeded_real_registry.image(seeded_real_registry.get("notation/valid:v1"))
    with pytest.raises(RuntimeError, match="skopeo inspect"):
        skopeo_inspect_digest(artifact, creds=registry.creds)
    with pytest.raises(RuntimeError, match=r"unauthorized|authentication required"):
        skopeo_inspect_digest(image, creds=f"{registry.username}:wrong", raw=True)


def test_seeded_docker_schema2(seeded_real_registry: SeededRegistry) -> None:
    ref = seeded_real_registry.get("docker/app:v2s2")
    manifest = json.loads(_manifest(seeded_real_registry.registry, ref.reference).content)
    assert manifest["mediaType"] == DOCKER_MANIFEST
    assert manifest["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    amd64 = seeded_real_registry.get("multi/app:1.0-linux-amd64")
    assert ref.digest != amd64.digest


def test_seeded_planted_manifest_lacks_its_layer(seeded_real_registry: SeededRegistry) -> None:
    registry = seeded_real_registry.registry
    manifest = json.loads(_manifest(registry, "notation/alpine:v2").content)

    def blob(digest: str) -> httpx.Response:
        url = f"{registry.url}/v2/notation/alpine/blobs/{digest}"
        return httpx.get(url, auth=registry.basic_auth, follow_redirects=True)

    config = blob(manifest["config"]["digest"])
    assert config.status_code == 200
    assert "sha256:" + hashlib.sha256(config.content).hexdigest() == manifest["config"]["digest"]
    assert blob(manifest["layers"][0]["digest"]).status_code == 404


def test_multiplatform_layout_is_reproducible(tmp_path: Path) -> None:
    first = build_multiplatform_layout(tmp_path / "a")
    second = build_multiplatform_layout(tmp_path / "b")
    assert first.index_digest == second.index_digest
    assert first.platforms == second.platforms
    index_blob = (first.path / "blobs/sha256" / first.index_digest[7:]).read_bytes()
    assert sha256_digest(index_blob) == first.index_digest
