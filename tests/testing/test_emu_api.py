"""The emulator's `/api/v2.0` endpoints, checked against Harbor's OpenAPI spec."""

from __future__ import annotations

import uuid

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests._spec import validate_definition, validate_response
from tests.testing._emu import ADMIN, BASE_URL

PUBLIC_FIELDS = {
    "auth_mode",
    "primary_auth_mode",
    "self_registration",
    "banner_message",
}
PROTECTED_FIELDS = {
    "harbor_version",
    "current_time",
    "registry_url",
    "external_url",
    "project_creation_restriction",
    "has_ca_root",
    "read_only",
    "notification_enable",
    "registry_storage_provider_name",
}


def test_ping(client: httpx.Client) -> None:
    response = client.get("/api/v2.0/ping")
    assert response.status_code == 200
    assert response.text == "Pong"
    assert response.headers["Content-Type"].startswith("text/plain")
    validate_response("GET", "/ping", 200, response.text)


def test_systeminfo_anonymous_gets_only_public_fields(client: httpx.Client) -> None:
    response = client.get("/api/v2.0/systeminfo")
    assert response.status_code == 200
    assert set(response.json()) == PUBLIC_FIELDS
    assert response.json()["auth_mode"] == "db_auth"
    validate_response("GET", "/systeminfo", 200, response.json())


def test_systeminfo_bad_credentials_are_anonymous(client: httpx.Client) -> None:
    response = client.get("/api/v2.0/systeminfo", auth=("admin", "wrong"))
    assert response.status_code == 200
    assert "harbor_version" not in response.json()


@pytest.mark.parametrize("who", ["admin", "user", "robot"])
def test_systeminfo_authenticated(harbor: HarborEmulator, client: httpx.Client, who: str) -> None:
    harbor.add_user("user", "pw")
    robot = harbor.add_robot("bot", "secret", project="library", actions=["pull"])
    auth = {"admin": ADMIN, "user": ("user", "pw"), "robot": (robot, "secret")}[who]
    response = client.get("/api/v2.0/systeminfo", auth=auth)
    info = response.json()
    assert set(info) == PUBLIC_FIELDS | PROTECTED_FIELDS
    assert info["harbor_version"] == "v2.14.4-79a297f7"
    assert info["external_url"] == BASE_URL
    assert info["registry_url"] == "harbor.test"
    validate_response("GET", "/systeminfo", 200, info)


def test_systeminfo_reports_the_configured_version() -> None:
    harbor = HarborEmulator(harbor_version="v2.12.0-abcdef12")
    client = httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN)
    assert client.get("/api/v2.0/systeminfo").json()["harbor_version"] == "v2.12.0-abcdef12"


def test_health(client: httpx.Client) -> None:
    response = client.get("/api/v2.0/health")
    assert response.status_code == 200
    document = response.json()
    assert document["status"] == "healthy"
    assert {"core", "registry", "database"} <= {c["name"] for c in document["components"]}
    validate_response("GET", "/health", 200, document)


def test_permissions_need_authentication(client: httpx.Client) -> None:
    for auth in (None, ("admin", "wrong")):
        response = client.get("/api/v2.0/users/current/permissions", auth=auth)
        assert response.status_code == 401
        assert response.json() == {"errors": [{"code": "UNAUTHORIZED", "message": "UnAuthorized"}]}
        assert "Www-Authenticate" not in response.headers  # API 401s carry no challenge
        validate_response("GET", "/users/current/permissions", 401, response.json())


def test_permissions_without_scope_are_empty(client: httpx.Client) -> None:
    response = client.get("/api/v2.0/users/current/permissions", auth=ADMIN)
    assert response.json() == []
    validate_response("GET", "/users/current/permissions", 200, response.json())


def _permissions(
    client: httpx.Client, auth: tuple[str, str], scope: str, **params: str
) -> set[tuple[str, str]]:
    response = client.get(
        "/api/v2.0/users/current/permissions", params={"scope": scope, **params}, auth=auth
    )
    assert response.status_code == 200
    validate_response("GET", "/users/current/permissions", 200, response.json())
    return {(p["resource"], p["action"]) for p in response.json()}


def test_project_permissions(harbor: HarborEmulator, client: httpx.Client) -> None:
    harbor.create_project("team")  # project id 2 ("library" is 1)
    harbor.add_user("dev", "pw")
    harbor.add_user("guest", "pw")
    harbor.add_user("outsider", "pw")
    harbor.add_member("team", "dev")
    harbor.add_member("team", "guest", push=False)

    admin = _permissions(client, ADMIN, "/project/2")
    dev = _permissions(client, ("dev", "pw"), "/project/2")
    guest = _permissions(client, ("guest", "pw"), "/project/2")
    assert {("/project/2/repository", a) for a in ("pull", "push", "delete")} <= admin
    assert ("/project/2/repository", "push") in dev
    assert ("/project/2/repository", "delete") not in dev
    assert ("/project/2/repository", "pull") in guest
    assert ("/project/2/repository", "push") not in guest
    assert guest < dev < admin
    assert _permissions(client, ("outsider", "pw"), "/project/2") == set()
    # a public project: anyone may pull
    assert ("/project/1/repository", "pull") in _permissions(
        client, ("outsider", "pw"), "/project/1"
    )
    assert _permissions(client, ADMIN, "/project/99") == set()

    relative = _permissions(client, ("dev", "pw"), "/project/2", relative="true")
    assert ("repository", "push") in relative
    # the project itself is /project/<id>, relative "." (Harbor's ResourceSelf)
    assert ("/project/2", "read") in dev
    assert (".", "read") in relative
    assert ("/project/2", "update") not in dev
    assert ("/project/2", "update") in admin
    expected = {"." if r == "/project/2" else r.removeprefix("/project/2/") for r, _ in dev}
    assert {r for r, _ in relative} == expected


def test_system_permissions(harbor: HarborEmulator, client: httpx.Client) -> None:
    harbor.add_user("user", "pw")
    assert ("/system/catalog", "read") in _permissions(client, ADMIN, "/system")
    assert ("/system/catalog", "read") not in _permissions(client, ("user", "pw"), "/system")
    assert ("/system/project", "create") in _permissions(client, ("user", "pw"), "/system")


def test_robot_permissions(harbor: HarborEmulator, client: httpx.Client) -> None:
    robot = harbor.add_robot("ci", "secret", project="library", actions=["pull", "artifact:read"])
    assert _permissions(client, (robot, "secret"), "/project/1") == {
        ("/project/1/repository", "pull"),
        ("/project/1/artifact", "read"),
    }
    harbor.create_project("other")
    assert _permissions(client, (robot, "secret"), "/project/2") == set()
    system = harbor.add_robot("sys", "secret", actions=["pull", "project:create"])
    assert _permissions(client, (system, "secret"), "/project/2") == {
        ("/project/2/repository", "pull")
    }
    assert _permissions(client, (system, "secret"), "/system") == {("/system/project", "create")}


def test_permissions_relative_must_be_boolean(client: httpx.Client) -> None:
    response = client.get(
        "/api/v2.0/users/current/permissions",
        params={"scope": "/project/1", "relative": "maybe"},
        auth=ADMIN,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "UNPROCESSABLE_ENTITY"


def test_unknown_api_path_and_method(client: httpx.Client) -> None:
    missing = client.get("/api/v2.0/nothing-here", auth=ADMIN)
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"code": "NOT_FOUND", "message": "path /api/v2.0/nothing-here was not found"}]
    }
    client.cookies.clear()  # else the session cookie set above trips the CSRF check
    wrong_method = client.delete("/api/v2.0/ping")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


# -- request ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2.0/ping",
        "/api/v2.0/nothing",
        "/v2/",
        "/v2/library/x/tags/list",
        "/service/token",
        "/",
    ],
)
def test_every_response_has_a_request_id(client: httpx.Client, path: str) -> None:
    echoed = client.get(path, headers={"X-Request-Id": "my-id-42"})
    assert echoed.headers["X-Request-Id"] == "my-id-42"
    generated = client.get(path)
    assert uuid.UUID(generated.headers["X-Request-Id"]).version == 4
    assert client.get(path).headers["X-Request-Id"] != generated.headers["X-Request-Id"]


# -- session cookie and CSRF ---------------------------------------------------------------------


def test_api_responses_set_a_session_cookie(client: httpx.Client) -> None:
    response = client.get("/api/v2.0/systeminfo")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sid=")
    assert "Path=/" in cookie
    assert "HttpOnly" in cookie
    assert "Set-Cookie" not in client.get("/v2/", auth=ADMIN).headers


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_with_a_session_cookie_fail_csrf(harbor: HarborEmulator, method: str) -> None:
    # A client that keeps cookies, as httpx.Client does by default.
    with httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN) as client:
        client.get("/api/v2.0/systeminfo")
        assert "sid" in client.cookies
        response = client.request(method, "/api/v2.0/projects", json={"project_name": "x"})
        assert response.status_code == 403
        assert response.json() == {
            "errors": [{"code": "FORBIDDEN", "message": "CSRF token invalid"}]
        }
        validate_definition("Errors", response.json())
        # safe methods still work, and the registry ignores the cookie
        assert client.get("/api/v2.0/systeminfo").status_code == 200
        assert client.post("/v2/library/demo/blobs/uploads/").status_code == 202


def test_writes_without_cookie_are_not_csrf_checked(client: httpx.Client) -> None:
    response = client.post("/api/v2.0/projects", json={"project_name": "x"}, auth=ADMIN)
    assert response.status_code != 403


def test_recorded_requests(harbor: HarborEmulator, client: httpx.Client) -> None:
    client.get("/api/v2.0/ping")
    client.get("/v2/library/a%2Fb/tags/list", params={"n": "1"})
    assert [(r.method, r.path, r.query, r.status) for r in harbor.requests] == [
        ("GET", "/api/v2.0/ping", "", 200),
        ("GET", "/v2/library/a/b/tags/list", "n=1", 401),
    ]
    harbor.requests.clear()
    assert harbor.requests == []


@pytest.mark.parametrize("scope", ["/project/" + "9" * 5000, "/project/\u0661", "/project/\uff11"])
def test_a_project_scope_that_is_no_int64_names_no_project(
    harbor: HarborEmulator, client: httpx.Client, scope: str
) -> None:
    # A 5,000-digit id answered 500 (int() past the digit limit); non-ASCII digits named
    # project 1 under another namespace.
    assert _permissions(client, ADMIN, scope) == set()
