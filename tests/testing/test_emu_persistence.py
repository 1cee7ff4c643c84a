"""`storage_dir`: what one emulator stores, the next one over the same directory sees."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests.testing._emu import (
    ADMIN,
    BASE_URL,
    OCI_MANIFEST,
    get_token,
    image_manifest,
    no_cookies,
    push_image,
    sha256,
)


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


def test_security_settings_persist(tmp_path: Path) -> None:
    first = HarborEmulator(storage_dir=tmp_path)
    client = httpx.Client(
        transport=first.transport(), base_url=BASE_URL, auth=ADMIN, cookies=no_cookies()
    )
    assert client.post("/api/v2.0/projects", json={"project_name": "team"}).status_code == 201
    put = client.put(
        "/api/v2.0/projects/team",
        headers={"X-Is-Resource-Name": "true"},
        json={
            "metadata": {"auto_scan": "true"},
            "cve_allowlist": {"items": [{"cve_id": "CVE-2024-3094"}]},
        },
    )
    assert put.status_code == 200
    client.put("/api/v2.0/system/CVEAllowlist", json={"items": [{"cve_id": "CVE-2023-44487"}]})
    rule = {
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
        },
    }
    client.post("/api/v2.0/projects/team/immutabletagrules", json=rule)
    client.post("/api/v2.0/scanners", json={"name": "s", "url": "http://s.example"})
    client.post(
        "/api/v2.0/system/scanAll/schedule",
        json={"schedule": {"type": "Daily", "cron": "0 0 0 * * *"}},
    )
    push_image(client, "team/app", "v1")

    second = HarborEmulator(storage_dir=tmp_path)
    again = httpx.Client(
        transport=second.transport(), base_url=BASE_URL, auth=ADMIN, cookies=no_cookies()
    )
    project = again.get("/api/v2.0/projects/team", headers={"X-Is-Resource-Name": "true"}).json()
    assert project["metadata"]["auto_scan"] == "true"
    assert project["cve_allowlist"]["items"] == [{"cve_id": "CVE-2024-3094"}]
    system = again.get("/api/v2.0/system/CVEAllowlist").json()
    assert system["items"] == [{"cve_id": "CVE-2023-44487"}]
    assert (
        len(
            again.get(
                "/api/v2.0/projects/team/immutabletagrules", headers={"X-Is-Resource-Name": "true"}
            ).json()
        )
        == 1
    )
    assert [s["name"] for s in again.get("/api/v2.0/scanners").json()] == ["s"]
    assert again.get("/api/v2.0/system/scanAll/schedule").json()["schedule"]["type"] == "Daily"
    body = image_manifest(b"{}", [b"layer"])
    refused = again.put(
        "/v2/team/app/manifests/v1", content=body, headers={"Content-Type": OCI_MANIFEST}
    )
    assert refused.status_code == 412  # the rule still protects v1
    # new ids keep counting from where the first emulator stopped
    assert (
        again.post("/api/v2.0/projects", json={"project_name": "next"}).headers["Location"]
        == "/api/v2.0/projects/3"
    )


def test_format_1_state_is_upgraded(tmp_path: Path) -> None:
    HarborEmulator(storage_dir=tmp_path).create_project("team", public=True)
    document = json.loads((tmp_path / "state.json").read_text())
    old_projects = [
        {
            "project_id": p["project_id"],
            "name": p["name"],
            "public": p["metadata"]["public"] == "true",
            "creation_time": p["creation_time"],
            "members": p["members"],
        }
        for p in document["projects"]
    ]
    old = {
        "format": 1,
        "next_project_id": document["next_ids"]["project"],
        "projects": old_projects,
        "users": [
            {k: v for k, v in u.items() if k not in ("user_id", "creation_time")}
            for u in document["users"]
        ],
        "robots": document["robots"],
        "repositories": document["repositories"],
    }
    (tmp_path / "state.json").write_text(json.dumps(old))
    harbor = HarborEmulator(storage_dir=tmp_path)
    anonymous = httpx.Client(transport=harbor.transport(), base_url=BASE_URL)
    names = [p["name"] for p in anonymous.get("/api/v2.0/projects").json()]
    assert names == ["library", "team"]  # both still public
