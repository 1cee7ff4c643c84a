"""The emulator's projects, metadata, CVE allowlists and current user, with Harbor's quirks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harborsec.testing import HarborEmulator
from harborsec.testing._projects import effective_allowlist
from tests._spec import validate_definition, validate_request_body, validate_response
from tests.testing._emu import ADMIN, BASE_URL, no_cookies, push_image

API = "/api/v2.0"
BY_NAME = {"X-Is-Resource-Name": "true"}
ONE = "/projects/{project_name_or_id}"


def _client(harbor: HarborEmulator, auth: Any = ADMIN) -> httpx.Client:
    return httpx.Client(
        transport=harbor.transport(), base_url=BASE_URL, auth=auth, cookies=no_cookies()
    )


def _error(response: httpx.Response, status: int, code: str) -> str:
    """Check an error answer (status, code, Errors shape) and return its message."""
    assert response.status_code == status, response.text
    validate_definition("Errors", response.json())
    (error,) = response.json()["errors"]
    assert error["code"] == code
    message: str = error["message"]
    return message


def _create(client: httpx.Client, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    validate_request_body("POST", "/projects", body)
    return client.post(f"{API}/projects", json=body, **kwargs)


def _get(client: httpx.Client, name: str) -> dict[str, Any]:
    response = client.get(f"{API}/projects/{name}", headers=BY_NAME)
    assert response.status_code == 200, response.text
    validate_response("GET", ONE, 200, response.json())
    document: dict[str, Any] = response.json()
    return document


def _put(client: httpx.Client, name: str, body: dict[str, Any]) -> httpx.Response:
    validate_request_body("PUT", ONE, body)
    return client.put(f"{API}/projects/{name}", json=body, headers=BY_NAME)


@pytest.fixture
def team(harbor: HarborEmulator) -> HarborEmulator:
    """`team` (private, id 2) with members of every role, and an outsider."""
    harbor.create_project("team")
    for role in ("projectAdmin", "maintainer", "developer", "guest"):
        harbor.add_user(role, "pw")
        harbor.add_member("team", role, role=role)
    harbor.add_user("outsider", "pw")
    return harbor


# -- create --------------------------------------------------------------------------------------


def test_create_and_read_back(harbor: HarborEmulator) -> None:
    harbor.add_user("alice", "pw")
    alice = _client(harbor, ("alice", "pw"))
    body = {"project_name": "demo", "metadata": {"auto_scan": "true", "severity": "High"}}
    created = _create(alice, body)
    assert created.status_code == 201
    assert created.content == b""
    assert created.headers["Location"] == f"{API}/projects/2"

    project = _get(alice, "demo")
    assert project["project_id"] == 2
    assert project["name"] == "demo"
    assert project["owner_name"] == "alice"
    assert project["current_user_role_id"] == 1  # the creator is its project admin
    assert project["current_user_role_ids"] == [1]
    assert project["repo_count"] == 0
    assert project["metadata"] == {"auto_scan": "true", "severity": "high", "public": "false"}
    allowlist = project["cve_allowlist"]
    assert allowlist["project_id"] == 2
    assert allowlist["items"] == []
    assert "expires_at" not in allowlist
    assert allowlist["creation_time"] == "0001-01-01T00:00:00.000Z"  # never written yet
    by_id = alice.get(f"{API}/projects/2")
    assert by_id.json() == project


def test_create_location_by_name(harbor: HarborEmulator) -> None:
    response = _create(
        _client(harbor), {"project_name": "demo"}, headers={"X-Resource-Name-In-Location": "true"}
    )
    assert response.headers["Location"] == f"{API}/projects/demo"


def test_create_public_must_be_exactly_true_or_false(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    message = _error(
        _create(client, {"project_name": "demo", "metadata": {"public": "True"}}),
        400,
        "BAD_REQUEST",
    )
    assert message == "metadata.public should only be 'true' or 'false', but got: 'True'"
    assert _create(client, {"project_name": "legacy", "public": True}).status_code == 201
    assert _get(client, "legacy")["metadata"]["public"] == "true"
    assert _create(client, {"project_name": "default"}).status_code == 201
    assert _get(client, "default")["metadata"]["public"] == "false"


def test_create_stores_other_metadata_as_sent_and_ignores_the_allowlist(
    harbor: HarborEmulator,
) -> None:
    client = _client(harbor)
    body = {
        "project_name": "demo",
        "metadata": {"prevent_vul": "True", "reuse_sys_cve_allowlist": "1"},
        "cve_allowlist": {"items": [{"cve_id": "CVE-2024-3094"}]},
    }
    assert _create(client, body).status_code == 201
    project = _get(client, "demo")
    assert project["metadata"]["prevent_vul"] == "True"
    assert project["metadata"]["reuse_sys_cve_allowlist"] == "1"
    assert project["cve_allowlist"]["items"] == []


def test_create_conflict_and_bad_requests(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    assert _create(client, {"project_name": "demo"}).status_code == 201
    message = _error(_create(client, {"project_name": "demo"}), 409, "CONFLICT")
    assert message == "The project named demo already exists"
    validate_response("POST", "/projects", 409, _create(client, {"project_name": "demo"}).json())

    boolean = client.post(
        f"{API}/projects", json={"project_name": "x", "metadata": {"auto_scan": True}}
    )
    assert "cannot unmarshal bool" in _error(boolean, 400, "BAD_REQUEST")
    assert _error(client.post(f"{API}/projects"), 422, "UNPROCESSABLE_ENTITY") == (
        "project in body is required"
    )
    not_json = client.post(f"{API}/projects", content=b"{nope")
    assert _error(not_json, 400, "BAD_REQUEST").startswith('parsing project body from ""')
    _error(_create(client, {"project_name": "Bad_Name"}), 400, "BAD_REQUEST")


def test_who_may_create(harbor: HarborEmulator) -> None:
    anonymous = _client(harbor, None)
    _error(_create(anonymous, {"project_name": "a"}), 401, "UNAUTHORIZED")
    robot = harbor.add_robot("ci", "s", project="library")
    message = _error(
        _create(_client(harbor, (robot, "s")), {"project_name": "b"}), 403, "FORBIDDEN"
    )
    assert message == "Only system level robot can create project"
    system = harbor.add_robot("sys", "s")
    assert _create(_client(harbor, (system, "s")), {"project_name": "c"}).status_code == 201
    assert _get(_client(harbor), "c")["owner_name"] == "admin"  # robots' projects: the admin's


def test_csrf_applies_to_project_writes(harbor: HarborEmulator) -> None:
    # a client that keeps cookies sends Harbor's sid back: its next write is refused
    client = httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN)
    assert "sid" in client.get(f"{API}/projects").cookies
    message = _error(_create(client, {"project_name": "demo"}), 403, "FORBIDDEN")
    assert message == "CSRF token invalid"
    assert client.get(f"{API}/projects").status_code == 200  # safe methods still work
    _error(client.put(f"{API}/projects/library", json={}, headers=BY_NAME), 403, "FORBIDDEN")
    _error(client.delete(f"{API}/projects/library", headers=BY_NAME), 403, "FORBIDDEN")
    client.cookies.clear()
    assert _create(client, {"project_name": "demo"}).status_code == 201


# -- read and visibility -------------------------------------------------------------------------


def test_missing_project_by_name_is_403_even_for_the_admin(team: HarborEmulator) -> None:
    admin = _client(team)
    response = admin.get(f"{API}/projects/missing", headers=BY_NAME)
    assert _error(response, 403, "FORBIDDEN") == "forbidden"
    validate_response("GET", ONE, 403, response.json())
    by_id = admin.get(f"{API}/projects/99")
    assert _error(by_id, 404, "NOT_FOUND") == "project 99 not found"
    _error(_client(team, ("developer", "pw")).get(f"{API}/projects/99"), 403, "FORBIDDEN")
    _error(_client(team, None).get(f"{API}/projects/missing", headers=BY_NAME), 401, "UNAUTHORIZED")


def test_all_digit_names_need_the_resource_name_header(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    assert _create(client, {"project_name": "123"}).status_code == 201
    assert client.get(f"{API}/projects/123", headers=BY_NAME).json()["name"] == "123"
    _error(client.get(f"{API}/projects/123"), 404, "NOT_FOUND")  # read as the id 123


def test_private_and_public_reads(team: HarborEmulator) -> None:
    anonymous = _client(team, None)
    assert _get(anonymous, "library")["name"] == "library"
    _error(anonymous.get(f"{API}/projects/team", headers=BY_NAME), 401, "UNAUTHORIZED")
    _error(
        _client(team, ("outsider", "pw")).get(f"{API}/projects/team", headers=BY_NAME),
        403,
        "FORBIDDEN",
    )
    guest = _get(_client(team, ("guest", "pw")), "team")
    assert guest["current_user_role_id"] == 3


def test_head_project(team: HarborEmulator) -> None:
    admin = _client(team)
    assert admin.head(f"{API}/projects", params={"project_name": "team"}).status_code == 200
    # v2.14 only asks for authentication: 200 or 404, even for projects the caller cannot read
    assert admin.head(f"{API}/projects", params={"project_name": "nope"}).status_code == 404
    outsider = _client(team, ("outsider", "pw"))
    assert outsider.head(f"{API}/projects", params={"project_name": "team"}).status_code == 200
    assert outsider.head(f"{API}/projects", params={"project_name": "nope"}).status_code == 404
    anonymous = _client(team, None)
    assert anonymous.head(f"{API}/projects", params={"project_name": "nope"}).status_code == 401
    assert anonymous.head(f"{API}/projects", params={"project_name": "library"}).status_code == 401
    assert admin.head(f"{API}/projects").status_code == 422


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    validate_response("GET", "/projects", 200, response.json())
    return [p["name"] for p in response.json()]


def test_list_visibility(team: HarborEmulator) -> None:
    team.create_project("other")
    team.create_project("open", public=True)
    assert _names(_client(team).get(f"{API}/projects")) == ["library", "open", "other", "team"]
    assert _names(_client(team, None).get(f"{API}/projects")) == ["library", "open"]
    assert _names(_client(team, ("guest", "pw")).get(f"{API}/projects")) == [
        "library",
        "open",
        "team",
    ]
    guest_private = _client(team, ("guest", "pw")).get(
        f"{API}/projects", params={"public": "false"}
    )
    assert _names(guest_private) == ["team"]
    anonymous_private = _client(team, None).get(f"{API}/projects", params={"public": "false"})
    assert _names(anonymous_private) == []
    assert anonymous_private.headers["X-Total-Count"] == "0"
    robot = team.add_robot("ci", "s", project="other")
    assert _names(_client(team, (robot, "s")).get(f"{API}/projects")) == [
        "library",
        "open",
        "other",
    ]
    system = team.add_robot("sys", "s")
    assert len(_names(_client(team, (system, "s")).get(f"{API}/projects"))) == 4


def test_list_public_means_exactly_true(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    _create(client, {"project_name": "shouty"})
    assert _put(client, "shouty", {"metadata": {"public": "TRUE"}}).status_code == 200
    # access checks read "TRUE" as public...
    assert _client(harbor, None).get(f"{API}/projects/shouty", headers=BY_NAME).status_code == 200
    # ...but lists filter on the exact string "true"
    assert _names(_client(harbor, None).get(f"{API}/projects")) == ["library"]
    assert _names(client.get(f"{API}/projects", params={"public": "true"})) == ["library"]


def test_list_paging_and_link(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    for index in range(12):
        harbor.create_project(f"p{index:02d}")
    first = client.get(f"{API}/projects")
    assert len(_names(first)) == 10  # default page size
    assert first.headers["X-Total-Count"] == "13"
    assert first.headers["Link"] == f'<{API}/projects?page=2&page_size=10>; rel="next"'

    middle = client.get(f"{API}/projects", params={"page": 2, "page_size": 5, "q": "name=~p,x=1"})
    assert middle.headers["X-Total-Count"] == "12"
    assert middle.headers["Link"] == (
        f'<{API}/projects?page=1&page_size=5&q=name=~p,x=1>; rel="prev" , '
        f'<{API}/projects?page=3&page_size=5&q=name=~p,x=1>; rel="next"'
    )
    assert _names(middle) == ["p05", "p06", "p07", "p08", "p09"]
    last = client.get(f"{API}/projects", params={"page": 3, "page_size": 5, "q": "name=~p"})
    assert _names(last) == ["p10", "p11"]
    assert 'rel="next"' not in last.headers["Link"]

    too_big = client.get(f"{API}/projects", params={"page_size": 101})
    message = _error(too_big, 422, "UNPROCESSABLE_ENTITY")
    assert message == (
        "validation failure list:\npage_size in query should be less than or equal to 100"
    )
    validate_response("GET", "/projects", 422, too_big.json())
    assert len(_names(client.get(f"{API}/projects", params={"page_size": 100}))) == 13


def test_list_filters(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    for name in ("api", "api-gateway", "web"):
        harbor.create_project(name)

    def names(**params: Any) -> list[str]:
        return _names(client.get(f"{API}/projects", params=params))

    assert names(name="api") == ["api", "api-gateway"]  # name= is fuzzy
    assert names(q="name=api") == ["api"]
    assert names(q="name=~GATE") == ["api-gateway"]
    assert names(q="name={web api}") == ["api", "web"]
    assert names(q="name=api,colour=blue") == ["api"]  # unknown keys are ignored
    assert names(q="project_id=[3~4]") == ["api-gateway", "web"]
    assert names(sort="-name") == ["web", "library", "api-gateway", "api"]
    assert names(public="true") == ["library"]
    assert names(owner="admin", name="web") == ["web"]
    message = _error(client.get(f"{API}/projects", params={"q": "name"}), 400, "BAD_REQUEST")
    assert message == 'the query string must contain "=" and the key/value cannot be empty'
    _error(client.get(f"{API}/projects", params={"public": "maybe"}), 422, "UNPROCESSABLE_ENTITY")


# -- update --------------------------------------------------------------------------------------


def test_put_merges_metadata_as_sent(team: HarborEmulator) -> None:
    client = _client(team)
    assert _put(client, "team", {"metadata": {"auto_scan": "true"}}).status_code == 200
    response = _put(client, "team", {"metadata": {"prevent_vul": "True", "severity": "HIGH"}})
    assert response.status_code == 200
    assert response.content == b""
    metadata = _get(client, "team")["metadata"]
    assert metadata["auto_scan"] == "true"  # kept
    assert metadata["prevent_vul"] == "True"  # stored as sent
    assert metadata["severity"] == "high"  # the JSON shows Harbor's parsed severity
    _put(client, "team", {"metadata": {"severity": "negligible"}})
    assert _get(client, "team")["metadata"]["severity"] == "none"
    _put(client, "team", {"metadata": {"severity": "bogus"}})
    assert _get(client, "team")["metadata"]["severity"] == "unknown"


def test_put_json_boolean_in_metadata_is_400(team: HarborEmulator) -> None:
    response = _client(team).put(
        f"{API}/projects/team", json={"metadata": {"auto_scan": True}}, headers=BY_NAME
    )
    message = _error(response, 400, "BAD_REQUEST")
    assert "cannot unmarshal bool into Go struct field ProjectReq.metadata.auto_scan" in message
    validate_response("PUT", ONE, 400, response.json())


def test_put_replaces_the_allowlist(team: HarborEmulator) -> None:
    client = _client(team)
    body = {
        "metadata": {"reuse_sys_cve_allowlist": "false"},
        "cve_allowlist": {
            "expires_at": 1830297600,
            "items": [{"cve_id": "CVE-2023-44487"}, {"cve_id": "CVE-2024-3094"}],
        },
    }
    assert _put(client, "team", body).status_code == 200
    allowlist = _get(client, "team")["cve_allowlist"]
    assert [i["cve_id"] for i in allowlist["items"]] == ["CVE-2023-44487", "CVE-2024-3094"]
    assert allowlist["expires_at"] == 1830297600
    assert allowlist["creation_time"] != "0001-01-01T00:00:00.000Z"
    assert (
        _put(client, "team", {"cve_allowlist": {"items": [], "project_id": 2}}).status_code == 200
    )
    allowlist = _get(client, "team")["cve_allowlist"]
    assert allowlist["items"] == []
    assert "expires_at" not in allowlist  # absent means never


@pytest.mark.parametrize(
    "items",
    [
        [{"cve_id": "CVE-2024-3094"}, {"cve_id": "CVE-2024-3094"}],
        [{"cve_id": "CVE-2024-3094"}, {"cve_id": " CVE-2024-3094 "}],
        [{"cve_id": "  "}],
    ],
)
def test_put_duplicate_or_empty_cve_ids_are_500(team: HarborEmulator, items: list[Any]) -> None:
    response = _put(_client(team), "team", {"cve_allowlist": {"items": items}})
    assert _error(response, 500, "UNKNOWN") == "internal server error"
    assert _get(_client(team), "team")["cve_allowlist"]["items"] == []


def test_put_allowlist_of_another_project_is_400(team: HarborEmulator) -> None:
    response = _put(_client(team), "team", {"cve_allowlist": {"project_id": 1, "items": []}})
    assert (
        _error(response, 400, "BAD_REQUEST") == "project_id in cve_allowlist must be 2 but it's 1"
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("projectAdmin", 200), ("maintainer", 403), ("developer", 403), ("outsider", 403)],
)
def test_who_may_update(team: HarborEmulator, who: str, status: int) -> None:
    response = _put(_client(team, (who, "pw")), "team", {"metadata": {"auto_scan": "true"}})
    assert response.status_code == status


# -- delete --------------------------------------------------------------------------------------


def test_delete(team: HarborEmulator) -> None:
    client = _client(team)
    push_image(client, "team/app", "v1")
    deletable = client.get(f"{API}/projects/team/_deletable", headers=BY_NAME)
    assert deletable.json() == {
        "deletable": False,
        "message": "the project contains repositories, can not be deleted",
    }
    validate_response("GET", f"{ONE}/_deletable", 200, deletable.json())
    refused = client.delete(f"{API}/projects/team", headers=BY_NAME)
    assert _error(refused, 412, "PRECONDITION") == (
        "the project contains repositories, can not be deleted"
    )
    validate_response("DELETE", ONE, 412, refused.json())

    _create(client, {"project_name": "empty"})
    robot = team.add_robot("ci", "s", project="empty")
    assert client.get(f"{API}/projects/empty/_deletable", headers=BY_NAME).json() == {
        "deletable": True
    }
    _error(
        _client(team, ("developer", "pw")).delete(f"{API}/projects/team", headers=BY_NAME),
        403,
        "FORBIDDEN",
    )
    assert client.delete(f"{API}/projects/empty", headers=BY_NAME).status_code == 200
    _error(client.get(f"{API}/projects/empty", headers=BY_NAME), 403, "FORBIDDEN")
    # the project's robots went with it: their credentials now make an anonymous caller
    robot_view = _client(team, (robot, "s")).get(f"{API}/users/current/permissions")
    _error(robot_view, 401, "UNAUTHORIZED")
    assert _create(client, {"project_name": "empty"}).status_code == 201  # the name is free again


# -- the per-key metadata API --------------------------------------------------------------------


def test_metadatas_validate_and_normalise(team: HarborEmulator) -> None:
    client = _client(team)
    base = f"{API}/projects/team/metadatas"
    assert client.post(f"{base}/", json={"auto_scan": "True"}, headers=BY_NAME).status_code == 200
    assert client.post(f"{base}/", json={"severity": "HIGH"}, headers=BY_NAME).status_code == 200
    listed = client.get(f"{base}/", headers=BY_NAME)
    validate_response("GET", f"{ONE}/metadatas/", 200, listed.json())
    assert listed.json() == {"public": "false", "auto_scan": "true", "severity": "high"}

    one = client.get(f"{base}/severity", headers=BY_NAME)
    assert one.json() == {"severity": "high"}
    validate_response("GET", f"{ONE}/metadatas/{{meta_name}}", 200, one.json())
    assert client.get(f"{base}/nothing", headers=BY_NAME).json() == {}

    put = client.put(f"{base}/auto_scan", json={"auto_scan": "0"}, headers=BY_NAME)
    assert put.status_code == 200
    assert _get(client, "team")["metadata"]["auto_scan"] == "false"
    assert client.delete(f"{base}/auto_scan", headers=BY_NAME).status_code == 200
    assert "auto_scan" not in _get(client, "team")["metadata"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"auto_scan": "true", "prevent_vul": "true"}, "only allow one key/value pair"),
        ({"auto_scan": "yes"}, "invalid value: yes"),
        ({"severity": "bogus"}, "invalid value: bogus"),
        ({"auto_sbom_generation": "true"}, "invalid key: auto_sbom_generation"),
        ({"reuse_sys_cve_allowlist": "false"}, "invalid key: reuse_sys_cve_allowlist"),
    ],
)
def test_metadatas_refusals(team: HarborEmulator, body: dict[str, str], message: str) -> None:
    response = _client(team).post(f"{API}/projects/team/metadatas/", json=body, headers=BY_NAME)
    assert _error(response, 400, "BAD_REQUEST") == message


def test_metadatas_permissions(team: HarborEmulator) -> None:
    base = f"{API}/projects/team/metadatas/"
    maintainer = _client(team, ("maintainer", "pw"))
    assert maintainer.post(base, json={"auto_scan": "true"}, headers=BY_NAME).status_code == 200
    assert maintainer.get(f"{base}auto_scan", headers=BY_NAME).status_code == 200
    _error(maintainer.get(base, headers=BY_NAME), 403, "FORBIDDEN")  # only admins may list
    developer = _client(team, ("developer", "pw"))
    _error(developer.post(base, json={"severity": "low"}, headers=BY_NAME), 403, "FORBIDDEN")
    conflict = _client(team).post(base, json={"auto_scan": "false"}, headers=BY_NAME)
    _error(conflict, 409, "CONFLICT")


# -- the system allowlist ------------------------------------------------------------------------


def test_system_allowlist(harbor: HarborEmulator) -> None:
    harbor.add_user("user", "pw")
    admin, user = _client(harbor), _client(harbor, ("user", "pw"))
    initial = user.get(f"{API}/system/CVEAllowlist")
    validate_response("GET", "/system/CVEAllowlist", 200, initial.json())
    assert initial.json()["items"] == []
    assert "project_id" not in initial.json()
    _error(_client(harbor, None).get(f"{API}/system/CVEAllowlist"), 401, "UNAUTHORIZED")

    body = {"expires_at": 1830297600, "items": [{"cve_id": "CVE-2024-3094"}]}
    validate_request_body("PUT", "/system/CVEAllowlist", body)
    put = admin.put(f"{API}/system/CVEAllowlist", json=body)
    assert put.status_code == 200
    assert put.content == b""
    stored = user.get(f"{API}/system/CVEAllowlist").json()
    assert stored["items"] == [{"cve_id": "CVE-2024-3094"}]
    assert stored["expires_at"] == 1830297600
    validate_response("GET", "/system/CVEAllowlist", 200, stored)

    admin.put(f"{API}/system/CVEAllowlist", json={"items": [{"cve_id": "CVE-2023-44487"}]})
    overwritten = user.get(f"{API}/system/CVEAllowlist").json()
    assert overwritten["items"] == [{"cve_id": "CVE-2023-44487"}]
    assert "expires_at" not in overwritten

    refused = user.put(f"{API}/system/CVEAllowlist", json=body)
    validate_response("PUT", "/system/CVEAllowlist", 403, refused.json())
    _error(refused, 403, "FORBIDDEN")
    duplicate = {"items": [{"cve_id": "CVE-1"}, {"cve_id": "CVE-1"}]}
    _error(admin.put(f"{API}/system/CVEAllowlist", json=duplicate), 500, "UNKNOWN")


def test_effective_allowlist(team: HarborEmulator) -> None:
    client = _client(team)
    client.put(f"{API}/system/CVEAllowlist", json={"items": [{"cve_id": "CVE-SYS"}]})
    _put(client, "team", {"cve_allowlist": {"items": [{"cve_id": "CVE-OWN"}]}})
    state = team._state
    project = state.projects["team"]
    # reuse_sys_cve_allowlist is absent: the system list is in force
    assert effective_allowlist(state, project).source == "system"
    assert effective_allowlist(state, project).cve_ids == {"CVE-SYS"}
    _put(client, "team", {"metadata": {"reuse_sys_cve_allowlist": "False"}})
    assert effective_allowlist(state, project).cve_ids == {"CVE-OWN"}
    _put(client, "team", {"cve_allowlist": {"items": [{"cve_id": "CVE-OWN"}], "expires_at": 100}})
    expired = effective_allowlist(state, project, now=100)
    assert expired.source == "project"
    assert expired.cve_ids == frozenset()
    assert effective_allowlist(state, project, now=99).cve_ids == {"CVE-OWN"}
    _put(client, "team", {"metadata": {"reuse_sys_cve_allowlist": "TRUE"}})
    assert effective_allowlist(state, project).source == "system"


# -- the current user and whoami -----------------------------------------------------------------


def test_current_user(harbor: HarborEmulator) -> None:
    response = _client(harbor).get(f"{API}/users/current")
    validate_response("GET", "/users/current", 200, response.json())
    assert response.json()["username"] == "admin"
    assert response.json()["sysadmin_flag"] is True
    assert response.json()["user_id"] == 1
    robot = harbor.add_robot("ci", "s")
    refused = _client(harbor, (robot, "s")).get(f"{API}/users/current")
    assert _error(refused, 412, "PRECONDITION") == (
        "get current user not available for security context: robot"
    )
    validate_response("GET", "/users/current", 412, refused.json())
    _error(_client(harbor, None).get(f"{API}/users/current"), 401, "UNAUTHORIZED")


def test_whoami_permissions_cover_the_security_settings(team: HarborEmulator) -> None:
    def permissions(auth: Any, scope: str) -> set[tuple[str, str]]:
        response = _client(team, auth).get(
            f"{API}/users/current/permissions", params={"scope": scope, "relative": "true"}
        )
        validate_response("GET", "/users/current/permissions", 200, response.json())
        return {(p["resource"], p["action"]) for p in response.json()}

    system = permissions(ADMIN, "/system")
    assert {
        ("scanner", "create"),
        ("scan-all", "create"),
        ("system-cve-allowlist", "update"),
    } <= system
    assert ("project", "create") in system
    admin = permissions(ADMIN, "/project/2")
    assert {(".", "update"), ("metadata", "update"), ("immutable-tag", "create")} <= admin
    assert ("scanner", "create") in admin
    maintainer = permissions(("maintainer", "pw"), "/project/2")
    assert ("immutable-tag", "create") in maintainer
    assert (".", "update") not in maintainer
    assert ("scanner", "create") not in maintainer
    developer = permissions(("developer", "pw"), "/project/2")
    assert ("immutable-tag", "list") not in developer
    assert ("scanner", "read") in developer


async def test_async_clients_see_the_same_projects(
    harbor: HarborEmulator, aclient: httpx.AsyncClient
) -> None:
    created = await aclient.post(f"{API}/projects", json={"project_name": "async"}, auth=ADMIN)
    assert created.status_code == 201
    aclient.cookies.clear()
    response = await aclient.get(f"{API}/projects/async", headers=BY_NAME, auth=ADMIN)
    validate_response("GET", ONE, 200, response.json())
    assert response.json()["name"] == "async"
