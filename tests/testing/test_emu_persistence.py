"""`storage_dir`: what one emulator stores, the next one over the same directory sees."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests.testing._emu import ADMIN, BASE_URL, OCI_MANIFEST, get_token, push_image, sha256


def _client(harbor: HarborEmulator, auth: tuple[str, str] | None = ADMIN) -> httpx.Client:
    return httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=auth)


def test_content_and_accounts_persist(tmp_path: Path) -> None:
    first = HarborEmulator(storage_dir=tmp_path)
    first.create_project("team")
    first.add_user("dev", "pw")
    first.add_member("team", "dev")
    robot = first.add_robot("ci", "secret", project="team", actions=["pull"])
    digest, body = push_image(_client(first), "team/app", "v1", layers=[b"persisted layer"])

    second = HarborEmulator(storage_dir=tmp_path)
    dev = _client(second, ("dev", "pw"))
    manifest = dev.get("/v2/team/app/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert manifest.status_code == 200
    assert manifest.content == body
    assert manifest.headers["Docker-Content-Digest"] == digest
    assert dev.get(f"/v2/team/app/blobs/{sha256(b'persisted layer')}").content == b"persisted layer"
    assert dev.get("/v2/team/app/tags/list").json()["tags"] == ["v1"]
    assert _client(second, (robot, "secret")).get("/v2/team/app/tags/list").status_code == 200
    assert second.token_certificate_pem == first.token_certificate_pem


def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    first = HarborEmulator(storage_dir=tmp_path)
    token = get_token(_client(first), "repository:library/app:pull")
    second = HarborEmulator(storage_dir=tmp_path)
    response = _client(second, None).get(
        "/v2/library/app/tags/list", headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert response.status_code == 404  # authorised; the repository is just empty


def test_admin_password_comes_from_the_constructor(tmp_path: Path) -> None:
    HarborEmulator(storage_dir=tmp_path)
    second = HarborEmulator(storage_dir=tmp_path, admin_password="changed")
    assert _client(second).get("/v2/").status_code == 401
    assert _client(second, ("admin", "changed")).get("/v2/").status_code == 200


def test_state_file_holds_no_plain_secrets(tmp_path: Path) -> None:
    harbor = HarborEmulator(storage_dir=tmp_path, admin_password="very-secret-pw")
    harbor.add_robot("ci", "robot-secret-value")
    text = (tmp_path / "state.json").read_text()
    assert "very-secret-pw" not in text
    assert "robot-secret-value" not in text
    assert json.loads(text)["format"] == 2
    assert not list(tmp_path.glob("**/*.tmp"))


def test_memory_emulators_share_nothing() -> None:
    first = HarborEmulator()
    push_image(_client(first), "library/app", "v1")
    second = HarborEmulator()
    assert _client(second).get("/v2/library/app/tags/list").status_code == 404


def test_lost_storage_is_a_harbor_style_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harbor = HarborEmulator(storage_dir=tmp_path)
    client = _client(harbor)
    push_image(client, "library/app", "v1", layers=[b"will vanish"])
    digest = sha256(b"will vanish")
    (tmp_path / "blobs" / "sha256" / digest.removeprefix("sha256:")).unlink()
    with caplog.at_level(logging.ERROR, logger="harborsec.testing"):
        response = client.get(f"/v2/library/app/blobs/{digest}", headers={"X-Request-Id": "req-1"})
    assert response.status_code == 500
    assert response.json() == {"errors": [{"code": "UNKNOWN", "message": "internal server error"}]}
    assert response.headers["X-Request-Id"] == "req-1"
    assert "linked but not stored" in caplog.text
    assert harbor.requests[-1].status == 500
