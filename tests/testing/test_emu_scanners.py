"""Scanners, project scanners, scan-all schedules and metrics in the emulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from harborsec.testing import HarborEmulator
from harborsec.testing._schedule import CronError, next_run, validate_cron
from tests._spec import validate_definition, validate_request_body, validate_response
from tests.testing._emu import ADMIN, BASE_URL, no_cookies, push_image

API = "/api/v2.0"
BY_NAME = {"X-Is-Resource-Name": "true"}
ONE = "/scanners/{registration_id}"
PROJECT_SCANNER = "/projects/{project_name_or_id}/scanner"
SCHEDULE = "/system/scanAll/schedule"


def _client(harbor: HarborEmulator, auth: Any = ADMIN) -> httpx.Client:
    return httpx.Client(
        transport=harbor.transport(), base_url=BASE_URL, auth=auth, cookies=no_cookies()
    )


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    validate_definition("Errors", response.json())
    assert response.json()["errors"][0]["code"] == code
    message: str = response.json()["errors"][0]["message"]
    return message


def registration(
    name: str = "trivy-ha", url: str = "http://trivy.example:8080", **extra: Any
) -> dict[str, Any]:
    return {"name": name, "url": url, **extra}


def _register(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    validate_request_body("POST", "/scanners", body)
    return client.post(f"{API}/scanners", json=body)


def _uuid(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def _scanner(client: httpx.Client, uuid: str) -> dict[str, Any]:
    response = client.get(f"{API}/scanners/{uuid}")
    assert response.status_code == 200, response.text
    validate_response("GET", ONE, 200, response.json())
    document: dict[str, Any] = response.json()
    return document


def _schedule(
    client: httpx.Client, method: str, kind: str, cron: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"schedule": {"type": kind}}
    if cron is not None:
        body["schedule"]["cron"] = cron
    validate_request_body(method, SCHEDULE, body)
    return client.request(method, f"{API}{SCHEDULE}", json=body)


def _metrics(client: httpx.Client, path: str = "/scans/all/metrics") -> dict[str, Any]:
    response = client.get(f"{API}{path}")
    assert response.status_code == 200, response.text
    validate_response("GET", path, 200, response.json())
    document: dict[str, Any] = response.json()
    return document


# -- registrations -------------------------------------------------------------------------------


def test_a_new_harbor_has_no_scanner(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    listed = client.get(f"{API}/scanners")
    assert listed.json() == []
    assert listed.headers["X-Total-Count"] == "0"
    project = client.get(f"{API}/projects/library/scanner", headers=BY_NAME)
    assert project.status_code == 200
    assert project.content == b""  # no scanner: go-swagger writes no body
    refused = client.get(f"{API}/scans/all/metrics")
    assert _error(refused, 412, "PRECONDITION") == (
        "no scanner is configured, it's not possible to scan"
    )
    validate_response("GET", "/scans/all/metrics", 412, refused.json())


def test_register_and_read(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    body = registration(
        url="  trivy.example:8080/ ",
        description="Trivy behind LB",
        auth="Bearer",
        access_credential="s3cr3t",
        use_internal_addr=True,
    )
    response = _register(client, body)
    uuid = _uuid(response)
    assert response.headers["Location"] == f"{API}/scanners/{uuid}"
    scanner = _scanner(client, uuid)
    assert scanner["url"] == "http://trivy.example:8080"  # trimmed, scheme added
    assert scanner["is_default"] is True  # the first registration
    assert scanner["access_credential"] == ""  # never shown
    assert scanner["auth"] == "Bearer"
    assert scanner["description"] == "Trivy behind LB"
    assert scanner["use_internal_addr"] is True
    assert scanner["disabled"] is False
    assert scanner["capabilities"] == {"support_vulnerability": True, "support_sbom": True}

    second = _uuid(_register(client, registration("clair", "https://clair.example")))
    assert _scanner(client, second)["is_default"] is False
    listed = client.get(f"{API}/scanners")
    validate_response("GET", "/scanners", 200, listed.json())
    assert [s["name"] for s in listed.json()] == ["trivy-ha", "clair"]
    assert [s["name"] for s in client.get(f"{API}/scanners", params={"name": "CLA"}).json()] == [
        "clair"
    ]
    assert client.get(f"{API}/scanners", params={"ex_name": "cla"}).json() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            registration(auth="X-ScannerAdapter-API-Key", access_credential="k"),
            "auth type X-ScannerAdapter-API-Key is not supported",
        ),
        (registration(auth="Basic"), "access_credential is required for auth type Basic"),
        (
            registration(url="ftp://scanner.example"),
            "scanner registration validate: invalid HTTP scheme: ftp",
        ),
        (registration(name=""), "missing registration name"),
        (registration(name="Trivy"), 'name "Trivy" is reserved, please try a different name'),
    ],
)
def test_register_refusals(harbor: HarborEmulator, body: dict[str, Any], message: str) -> None:
    response = _register(_client(harbor), body)
    assert _error(response, 400, "BAD_REQUEST") == message
    validate_response("POST", "/scanners", 400, response.json())


def test_register_conflicts_and_missing_fields(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    _uuid(_register(client, registration()))
    same_name = _register(client, registration(url="http://other.example"))
    assert _error(same_name, 409, "CONFLICT") == "registration name or url already exists"
    same_url = _register(client, registration(name="other"))
    _error(same_url, 409, "CONFLICT")
    missing = client.post(f"{API}/scanners", json={"name": "x"})
    assert _error(missing, 422, "UNPROCESSABLE_ENTITY") == "url in body is required"


def test_unreachable_adapters(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    down = _register(client, registration(url="http://scanner.invalid:8080"))
    assert _error(down, 500, "UNKNOWN") == "internal server error"
    assert client.get(f"{API}/scanners").json() == []
    body = {"name": "probe", "url": "http://scanner.invalid"}
    validate_request_body("POST", "/scanners/ping", body)
    _error(client.post(f"{API}/scanners/ping", json=body), 500, "UNKNOWN")
    ok = client.post(f"{API}/scanners/ping", json={**body, "url": "http://scanner.example"})
    assert ok.status_code == 200
    bad = client.post(
        f"{API}/scanners/ping", json={**body, "auth": "Token", "access_credential": "x"}
    )
    assert _error(bad, 400, "BAD_REQUEST") == "auth type Token is not supported"


def test_update_is_a_full_replacement(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    default = _uuid(_register(client, registration()))
    uuid = _uuid(
        _register(
            client,
            registration(
                "clair",
                "http://clair.example",
                description="d",
                auth="Basic",
                access_credential="u:p",
                skip_certVerify=True,
            ),
        )
    )
    body = registration("clair", "http://clair.example", auth="Basic")  # no credential: kept
    validate_request_body("PUT", ONE, body)
    assert client.put(f"{API}/scanners/{uuid}", json=body).status_code == 200
    scanner = _scanner(client, uuid)
    assert "description" not in scanner  # left out: back to the default
    assert scanner["skip_certVerify"] is False
    assert scanner["auth"] == "Basic"

    needs_credential = registration("clair", "http://clair.example", auth="Bearer")
    assert client.put(f"{API}/scanners/{uuid}", json=needs_credential).status_code == 200
    back_to_none = registration("clair", "http://clair.example")
    assert client.put(f"{API}/scanners/{uuid}", json=back_to_none).status_code == 200
    refused = client.put(f"{API}/scanners/{uuid}", json={**back_to_none, "auth": "Basic"})
    assert (
        _error(refused, 400, "BAD_REQUEST") == "access_credential is required for auth type Basic"
    )

    disabling_default = client.put(f"{API}/scanners/{default}", json=registration(disabled=True))
    _error(disabling_default, 500, "UNKNOWN")
    _error(client.put(f"{API}/scanners/nope", json=registration()), 404, "NOT_FOUND")


def test_default_and_delete(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    first = _uuid(_register(client, registration()))
    second = _uuid(_register(client, registration("clair", "http://clair.example")))
    patch = {"is_default": True}
    validate_request_body("PATCH", ONE, patch)
    assert client.patch(f"{API}/scanners/{second}", json=patch).status_code == 200
    assert _scanner(client, second)["is_default"] is True
    assert _scanner(client, first)["is_default"] is False
    assert client.patch(f"{API}/scanners/{first}", json={"is_default": False}).status_code == 200
    assert _scanner(client, second)["is_default"] is True  # false is a no-op

    deleted = client.delete(f"{API}/scanners/{first}")
    assert deleted.status_code == 200
    validate_response("DELETE", ONE, 200, deleted.json())
    assert deleted.json()["uuid"] == first
    _error(client.get(f"{API}/scanners/{first}"), 404, "NOT_FOUND")

    # a uuid that does not exist still unmarks the default: no scanner is the default now
    assert client.patch(f"{API}/scanners/nope", json=patch).status_code == 200
    assert _scanner(client, second)["is_default"] is False
    _error(client.get(f"{API}/scans/all/metrics"), 412, "PRECONDITION")


def test_metadata(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    uuid = _uuid(_register(client, registration()))
    response = client.get(f"{API}/scanners/{uuid}/metadata")
    validate_response("GET", f"{ONE}/metadata", 200, response.json())
    metadata = response.json()
    assert metadata["scanner"]["name"] == "Trivy"
    assert {c["type"] for c in metadata["capabilities"]} == {"vulnerability", "sbom"}
    missing = client.get(f"{API}/scanners/nope/metadata")
    assert _error(missing, 404, "NOT_FOUND") == "registration nope not found"


def test_builtin_trivy_is_immutable() -> None:
    harbor = HarborEmulator(trivy=True)
    client = _client(harbor)
    (trivy,) = client.get(f"{API}/scanners").json()
    assert trivy["name"] == "Trivy"
    assert trivy["is_default"] is True
    refused = client.put(f"{API}/scanners/{trivy['uuid']}", json=registration("Trivy2"))
    assert _error(refused, 403, "FORBIDDEN") == (
        "registration Trivy is not allowed to update as it is immutable: scanner API: update"
    )
    _error(client.delete(f"{API}/scanners/{trivy['uuid']}"), 403, "FORBIDDEN")
    assert _metrics(client) == {"total": 0, "completed": 0, "ongoing": False}


def test_scanner_permissions(harbor: HarborEmulator) -> None:
    harbor.add_user("user", "pw")
    _error(_register(_client(harbor, ("user", "pw")), registration()), 403, "FORBIDDEN")
    _error(_client(harbor, ("user", "pw")).get(f"{API}/scanners"), 403, "FORBIDDEN")
    _error(_client(harbor, None).get(f"{API}/scanners"), 401, "UNAUTHORIZED")
    system = harbor.add_robot("ops", "s", actions=["scanner:create"])
    assert _register(_client(harbor, (system, "s")), registration()).status_code == 201


# -- a project's scanner -------------------------------------------------------------------------


def test_project_scanner(harbor: HarborEmulator) -> None:
    client = _client(harbor)
    harbor.create_project("team")
    harbor.add_user("owner", "pw")
    harbor.add_user("dev", "pw")
    harbor.add_member("team", "owner", role="projectAdmin")
    harbor.add_member("team", "dev")
    default = _uuid(_register(client, registration()))
    other = _uuid(_register(client, registration("clair", "http://clair.example")))

    def current(auth: Any = ADMIN) -> str:
        response = _client(harbor, auth).get(f"{API}/projects/team/scanner", headers=BY_NAME)
        assert response.status_code == 200, response.text
        validate_response("GET", PROJECT_SCANNER, 200, response.json())
        uuid: str = response.json()["uuid"]
        return uuid

    assert current(("dev", "pw")) == default
    body = {"uuid": other}
    validate_request_body("PUT", PROJECT_SCANNER, body)
    owner = _client(harbor, ("owner", "pw"))
    assert owner.put(f"{API}/projects/team/scanner", json=body, headers=BY_NAME).status_code == 200
    assert current() == other
    refused = _client(harbor, ("dev", "pw")).put(
        f"{API}/projects/team/scanner", json=body, headers=BY_NAME
    )
    _error(refused, 403, "FORBIDDEN")

    # the uuid is not checked; reading falls back to the default and drops the setting
    ghost = {"uuid": "no-such-scanner"}
    assert owner.put(f"{API}/projects/team/scanner", json=ghost, headers=BY_NAME).status_code == 200
    metadata = client.get(f"{API}/projects/team/metadatas/", headers=BY_NAME).json()
    assert metadata["projectScanner"] == "no-such-scanner"
    assert current() == default
    metadata = client.get(f"{API}/projects/team/metadatas/", headers=BY_NAME).json()
    assert "projectScanner" not in metadata

    candidates = owner.get(f"{API}/projects/team/scanner/candidates", headers=BY_NAME)
    validate_response("GET", f"{PROJECT_SCANNER}/candidates", 200, candidates.json())
    assert len(candidates.json()) == 2
    _error(
        _client(harbor, ("dev", "pw")).get(
            f"{API}/projects/team/scanner/candidates", headers=BY_NAME
        ),
        403,
        "FORBIDDEN",
    )
    _error(
        _client(harbor, None).get(f"{API}/projects/library/scanner", headers=BY_NAME),
        401,
        "UNAUTHORIZED",
    )


# -- scan all ------------------------------------------------------------------------------------


@pytest.fixture
def scanning(harbor: HarborEmulator) -> HarborEmulator:
    """A Harbor with a default scanner and two artifacts."""
    client = _client(harbor)
    _uuid(_register(client, registration()))
    push_image(client, "library/app", "v1")
    push_image(client, "library/app", "v2", layers=[b"second"])
    return harbor


def test_schedule_lifecycle(scanning: HarborEmulator) -> None:
    client = _client(scanning)
    empty = client.get(f"{API}{SCHEDULE}")
    assert empty.status_code == 200
    assert empty.content == b""  # no schedule: an empty body

    no_cron = _schedule(client, "POST", "Daily")
    assert "invalid cron" in _error(no_cron, 400, "BAD_REQUEST")
    seconds = _schedule(client, "POST", "Daily", "30 0 0 * * *")
    assert "must be 0" in _error(seconds, 400, "BAD_REQUEST")
    assert _schedule(client, "POST", "Daily", "0 0 0 * * *").status_code == 201

    schedule = client.get(f"{API}{SCHEDULE}")
    validate_response("GET", SCHEDULE, 200, schedule.json())
    assert schedule.json()["schedule"]["type"] == "Daily"
    assert schedule.json()["schedule"]["cron"] == "0 0 0 * * *"
    upcoming = dt.datetime.fromisoformat(
        schedule.json()["schedule"]["next_scheduled_time"].replace("Z", "+00:00")
    )
    assert (upcoming.hour, upcoming.minute, upcoming.second) == (0, 0, 0)

    again = _schedule(client, "POST", "Weekly", "0 0 0 * * 0")
    assert _error(again, 412, "PRECONDITION").startswith("fail to set schedule for scan all")
    assert _schedule(client, "PUT", "Weekly", "0 0 0 * * 0").status_code == 200
    assert client.get(f"{API}{SCHEDULE}").json()["schedule"]["type"] == "Weekly"
    manual = _schedule(client, "PUT", "Manual")
    assert _error(manual, 400, "BAD_REQUEST") == (
        "fail to update scan all schedule as wrong schedule type: Manual"
    )
    assert _schedule(client, "POST", "None").status_code == 201  # does nothing
    assert client.get(f"{API}{SCHEDULE}").json()["schedule"]["type"] == "Weekly"
    assert _schedule(client, "PUT", "None").status_code == 200  # removes it
    assert client.get(f"{API}{SCHEDULE}").content == b""
    bad_type = client.post(f"{API}{SCHEDULE}", json={"schedule": {"type": "Yearly"}})
    _error(bad_type, 422, "UNPROCESSABLE_ENTITY")


def test_manual_run_stop_and_metrics(scanning: HarborEmulator) -> None:
    client = _client(scanning)
    stop_nothing = client.post(f"{API}/system/scanAll/stop")
    assert _error(stop_nothing, 400, "BAD_REQUEST") == "no scan all job is found currently"
    assert _metrics(client) == {"total": 0, "completed": 0, "ongoing": False}

    assert _schedule(client, "POST", "Manual").status_code == 201
    running = _metrics(client)
    assert running["total"] == 2
    assert running["completed"] == 0
    assert running["ongoing"] is True
    assert running["trigger"] == "Manual"
    assert running["metrics"]["Running"] == 2
    conflict = _schedule(client, "POST", "Manual")
    assert _error(conflict, 409, "CONFLICT").startswith("a previous scan all job aleady exits")

    assert scanning.finish_scan_all() is True
    done = _metrics(client)
    assert (done["completed"], done["ongoing"], done["metrics"]["Success"]) == (2, False, 2)
    assert scanning.finish_scan_all() is False

    assert _schedule(client, "POST", "Manual").status_code == 201
    stopped = client.post(f"{API}/system/scanAll/stop")
    assert stopped.status_code == 202
    metrics = _metrics(client)
    assert metrics["metrics"]["Stopped"] == 2
    assert metrics["ongoing"] is False
    assert _metrics(client, "/scans/schedule/metrics") == {
        "total": 0,
        "completed": 0,
        "ongoing": False,
    }


def test_scheduled_run_metrics(scanning: HarborEmulator) -> None:
    client = _client(scanning)
    with pytest.raises(ValueError, match="no scan-all schedule"):
        scanning.run_scheduled_scan_all()
    _schedule(client, "POST", "Hourly", "0 0 * * * *")
    scanning.run_scheduled_scan_all()
    metrics = _metrics(client, "/scans/schedule/metrics")
    assert metrics["trigger"] == "Schedule"
    assert metrics["ongoing"] is True
    assert _metrics(client)["trigger"] == "Schedule"


def test_scan_all_permissions(scanning: HarborEmulator) -> None:
    scanning.add_user("user", "pw")
    _error(_client(scanning, ("user", "pw")).get(f"{API}/scans/all/metrics"), 403, "FORBIDDEN")
    _error(_client(scanning, None).post(f"{API}/system/scanAll/stop"), 401, "UNAUTHORIZED")


# -- cron ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cron",
    [
        "0 0 * * * *",
        "0 0 0 * * *",
        "0 0 0 * * 0",
        "0 */15 9-17 * * MON-FRI",
        "0 30 2 1,15 * ?",
        "0 0 0 1 JAN *",
        "0 5/10 * * * *",
    ],
)
def test_valid_crons(cron: str) -> None:
    validate_cron(cron)


@pytest.mark.parametrize(
    "cron",
    [
        "",
        "0 0 * * *",
        "0 0 0 * * * *",
        "5 0 0 * * *",
        "*/5 * * * * *",
        "00 0 0 * * *",
        "0 60 * * * *",
        "0 0 24 * * *",
        "0 0 0 0 * *",
        "0 0 0 * 13 *",
        "0 0 0 * * 7",
        "0 5-1 * * * *",
        "0 */0 * * * *",
        "0 x * * * *",
        "@daily",
    ],
)
def test_invalid_crons(cron: str) -> None:
    with pytest.raises(CronError):
        validate_cron(cron)


def test_next_run() -> None:
    start = dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.timezone.utc).timestamp()  # a Wednesday

    def after(cron: str) -> dt.datetime:
        found = next_run(cron, start)
        assert found is not None
        return dt.datetime.fromtimestamp(found, dt.timezone.utc)

    assert after("0 0 * * * *") == dt.datetime(2026, 3, 4, 11, 0, tzinfo=dt.timezone.utc)
    assert after("0 0 0 * * *") == dt.datetime(2026, 3, 5, tzinfo=dt.timezone.utc)
    assert after("0 0 0 * * 0") == dt.datetime(2026, 3, 8, tzinfo=dt.timezone.utc)  # Sunday
    # both day fields restricted: either one matching is enough (robfig/cron)
    assert after("0 0 0 1 * SAT") == dt.datetime(2026, 3, 7, tzinfo=dt.timezone.utc)
    assert next_run("0 0 0 30 2 *", start) is None  # February 30th never comes
