"""Real clients against the emulator: skopeo, and CNCF Distribution trusting its tokens.

Skipped when a binary is missing, unless HARBORSEC_REQUIRE_REAL=1 (then they fail).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests._data import VALID_LAYOUT as LAYOUT
from tests._real import RealRegistry, require_binary, skopeo_copy, skopeo_inspect_digest
from tests.testing._emu import ADMIN, OCI_MANIFEST, get_token

IMAGE_DIGEST = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
SIGNATURE_DIGEST = "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f"
CREDS = "admin:Harbor12345"


@pytest.mark.skopeo
def test_skopeo_copy_and_inspect(harbor: HarborEmulator) -> None:
    require_binary("skopeo")
    with harbor.serve() as url:
        host = url.removeprefix("http://")
        skopeo_copy(f"oci:{LAYOUT}:v1", f"docker://{host}/library/demo:v1", creds=CREDS)
        digest = skopeo_inspect_digest(f"docker://{host}/library/demo:v1", creds=CREDS, raw=True)
        assert digest == IMAGE_DIGEST
        with httpx.Client(base_url=url, auth=ADMIN) as client:
            manifest = client.get("/v2/library/demo/manifests/v1", headers={"Accept": OCI_MANIFEST})
        expected = (LAYOUT / "blobs" / "sha256" / IMAGE_DIGEST.removeprefix("sha256:")).read_bytes()
        assert manifest.content == expected
    paths = {(r.method, r.path) for r in harbor.requests}
    assert ("GET", "/service/token") in paths  # skopeo followed the Bearer challenge
    assert ("PUT", "/v2/library/demo/manifests/v1") in paths


@pytest.mark.skopeo
def test_skopeo_copies_an_index_with_its_children(harbor: HarborEmulator) -> None:
    """The layout's referrers-tag-schema index names the notation signature manifest."""
    require_binary("skopeo")
    tag = IMAGE_DIGEST.replace(":", "-")
    with harbor.serve() as url:
        host = url.removeprefix("http://")
        skopeo_copy(f"oci:{LAYOUT}:v1", f"docker://{host}/library/demo:v1", creds=CREDS)
        skopeo_copy(
            f"oci:{LAYOUT}:{tag}",
            f"docker://{host}/library/demo:{tag}",
            creds=CREDS,
            extra=["--all"],
        )
        with httpx.Client(base_url=url, auth=ADMIN) as client:
            referrers = client.get(f"/v2/library/demo/referrers/{IMAGE_DIGEST}").json()
    assert [m["digest"] for m in referrers["manifests"]] == [SIGNATURE_DIGEST]
    assert referrers["manifests"][0]["artifactType"] == "application/vnd.cncf.notary.signature"


@pytest.mark.skopeo
def test_skopeo_with_wrong_credentials_fails(harbor: HarborEmulator) -> None:
    require_binary("skopeo")
    with harbor.serve() as url:
        host = url.removeprefix("http://")
        with pytest.raises(RuntimeError, match="skopeo copy"):
            skopeo_copy(f"oci:{LAYOUT}:v1", f"docker://{host}/library/demo:v1", creds="admin:nope")


@pytest.mark.real_registry
@pytest.mark.skopeo
def test_distribution_accepts_emulator_tokens(harbor: HarborEmulator, tmp_path: Path) -> None:
    require_binary("docker-registry")
    require_binary("skopeo")
    harbor.add_user("reader", "reader-pw")
    with harbor.serve() as url:
        registry = RealRegistry(
            tmp_path,
            auth="token",
            token_realm=f"{url}/service/token",
            token_service=harbor.token_service,
            token_issuer=harbor.token_issuer,
            token_certificate_pem=harbor.token_certificate_pem,
        )
        with registry:
            # skopeo gets its token from the emulator and pushes to the real registry
            skopeo_copy(f"oci:{LAYOUT}:v1", registry.image("library/demo:v1"), creds=CREDS)
            digest = skopeo_inspect_digest(registry.image("library/demo:v1"), creds=CREDS, raw=True)
            assert digest == IMAGE_DIGEST

            with (
                httpx.Client(base_url=url) as emulator,
                httpx.Client(base_url=registry.url) as real,
            ):
                challenge = real.get("/v2/library/demo/tags/list")
                assert challenge.headers["Www-Authenticate"].startswith(
                    f'Bearer realm="{url}/service/token"'
                )
                pull = get_token(
                    emulator, "repository:library/demo:pull", auth=("reader", "reader-pw")
                )
                listed = real.get(
                    "/v2/library/demo/tags/list",
                    headers={"Authorization": f"Bearer {pull['token']}"},
                )
                assert listed.status_code == 200
                assert listed.json()["tags"] == ["v1"]
                # the reader's token grants pull only: the real registry refuses a push
                denied = real.post(
                    "/v2/library/demo/blobs/uploads/",
                    headers={"Authorization": f"Bearer {pull['token']}"},
                )
                assert denied.status_code == 401
                forged = pull["token"][:-6] + (
                    "AAAAAA" if not pull["token"].endswith("AAAAAA") else "BBBBBB"
                )
                refused = real.get(
                    "/v2/library/demo/tags/list", headers={"Authorization": f"Bearer {forged}"}
                )
                assert refused.status_code == 401
    assert (
        json.loads((tmp_path / "config.yml").read_text())["auth"]["token"]["issuer"]
        == "harbor-token-issuer"
    )
