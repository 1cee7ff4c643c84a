"""Scanner, project-scanner and scan-all operations with canned answers: the requests they send,
in order, and what they refuse to send. Every request body is checked against Harbor's spec.

Behaviour against a Harbor-like server is tested in tests/client/test_scanners.py.
"""

import json

import httpx
import pytest

from harborsec.errors import (
    ConflictError,
    InvalidPolicyError,
    NotFoundError,
    PreconditionFailedError,
)
from harborsec.harbor._scanners import (
    ScannerAuth,
    delete_scanner,
    get_project_scanner,
    list_scanners,
    ping_scanner,
    register_scanner,
    scanner_candidates,
    scanner_metadata,
    set_default_scanner,
    set_project_scanner,
    update_scanner,
)
from harborsec.harbor._schedules import (
    ScheduleType,
    get_scan_schedule,
    run_scan_all,
    scan_all_metrics,
    set_scan_schedule,
    stop_scan_all,
)
from tests._spec import drive
from tests.unit.harbor.test_scanners import METADATA, REGISTRATION

BASE = httpx.URL("https://harbor.test")
UUID = REGISTRATION["uuid"]


def registration(**changes):
    return {**REGISTRATION, **changes}


def listing(*items):
    return httpx.Response(200, json=list(items), headers={"X-Total-Count": str(len(items))})


OK = httpx.Response(200)
GET = httpx.Response(200, json=REGISTRATION)


# -- registrations ---------------------------------------------------------------------------------


def test_list_every_page():
    scanners, sent = drive(list_scanners(BASE), listing(REGISTRATION))
    assert [s.name for s in scanners] == ["trivy-ha"]
    assert sent[0].url.params["page_size"] == "100"


def test_register_posts_the_documented_body_then_reads_it_back():
    created = httpx.Response(201, headers={"Location": f"/api/v2.0/scanners/{UUID}"})
    scanner, sent = drive(
        register_scanner(
            BASE,
            "trivy-ha",
            "http://trivy-adapter.harbor.svc:8080",
            auth="Bearer",
            credential="s3cr3t-token",
            description="Trivy behind LB",
            use_internal_address=True,
        ),
        created,
        GET,
    )
    assert json.loads(sent[0].content) == {
        "name": "trivy-ha",
        "url": "http://trivy-adapter.harbor.svc:8080",
        "auth": "Bearer",
        "access_credential": "s3cr3t-token",
        "description": "Trivy behind LB",
        "skip_certVerify": False,
        "use_internal_addr": True,
        "disabled": False,
    }
    assert (sent[1].method, sent[1].url.path) == ("GET", f"/api/v2.0/scanners/{UUID}")
    assert scanner.uuid == UUID


def test_register_without_a_location_finds_the_scanner_by_name():
    scanner, _ = drive(
        register_scanner(BASE, "trivy-ha", "http://trivy:8080"),
        httpx.Response(201),
        listing(registration(name="other"), REGISTRATION),
    )
    assert scanner.name == "trivy-ha"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"auth": "Bearer"}, "needs a credential"),
        ({"auth": ScannerAuth.API_KEY, "credential": ""}, "needs a credential"),
        ({"credential": "token"}, "auth is NONE"),
        ({"auth": "Basic", "credential": "no-colon"}, "user:password"),
        ({"auth": "X-ScannerAdapter-API-Key", "credential": "k"}, "use APIKey"),
        ({"url": "trivy:8080"}, "http:// or https://"),
        ({"url": "ftp://trivy"}, "http:// or https://"),
        ({"name": " "}, "needs a name"),
        ({"name": "x" * 129}, "at most 128"),
        ({"description": "x" * 1025}, "at most 1024"),
        ({"name": "Trivy"}, "reserved"),
    ],
)
def test_invalid_registrations_send_nothing(kwargs, message):
    arguments = {"name": "grype", "url": "http://grype:8080", **kwargs}
    name, url = arguments.pop("name"), arguments.pop("url")
    with pytest.raises(InvalidPolicyError, match=message):
        drive(register_scanner(BASE, name, url, **arguments))


def test_update_reads_merges_and_sends_the_whole_registration():
    _, sent = drive(update_scanner(BASE, UUID, description="new", disabled=True), GET, OK, GET)
    assert [r.method for r in sent] == ["GET", "PUT", "GET"]
    assert json.loads(sent[1].content) == {
        "name": "trivy-ha",
        "url": "http://trivy-adapter.harbor.svc:8080",
        "auth": "Bearer",
        "access_credential": "",  # empty: Harbor keeps the stored secret
        "description": "new",
        "skip_certVerify": False,
        "use_internal_addr": True,
        "disabled": True,
    }


def test_update_sends_a_new_credential():
    _, sent = drive(update_scanner(BASE, UUID, credential="rotated"), GET, OK, GET)
    assert json.loads(sent[1].content)["access_credential"] == "rotated"


def test_changing_the_auth_type_needs_the_new_credential_and_writes_nothing():
    with pytest.raises(InvalidPolicyError, match="from BEARER to BASIC needs the new credential"):
        drive(update_scanner(BASE, UUID, auth="Basic"), GET)
    _, sent = drive(update_scanner(BASE, UUID, auth="Basic", credential="u:p"), GET, OK, GET)
    assert json.loads(sent[1].content)["auth"] == "Basic"


def test_removing_auth_sends_no_credential():
    _, sent = drive(update_scanner(BASE, UUID, auth=ScannerAuth.NONE), GET, OK, GET)
    body = json.loads(sent[1].content)
    assert (body["auth"], body["access_credential"]) == ("", "")


def test_ping():
    _, sent = drive(ping_scanner(BASE, "http://trivy:8080", auth="APIKey", credential="k"), OK)
    assert sent[0].url.path == "/api/v2.0/scanners/ping"
    assert json.loads(sent[0].content) == {
        "name": "harborsec-ping",
        "url": "http://trivy:8080",
        "auth": "APIKey",
        "access_credential": "k",
    }
    with pytest.raises(InvalidPolicyError):
        drive(ping_scanner(BASE, "http://trivy:8080", auth="Basic"))


def test_set_default_patches_is_default():
    _, sent = drive(set_default_scanner(BASE, UUID), OK)
    assert sent[0].method == "PATCH"
    assert json.loads(sent[0].content) == {"is_default": True}


def test_delete_returns_the_deleted_registration():
    scanner, sent = drive(delete_scanner(BASE, UUID), GET)
    assert sent[0].method == "DELETE"
    assert scanner.name == "trivy-ha"


def test_metadata():
    metadata, sent = drive(scanner_metadata(BASE, UUID), httpx.Response(200, json=METADATA))
    assert sent[0].url.path == f"/api/v2.0/scanners/{UUID}/metadata"
    assert metadata.name == "Trivy"


def test_ids_are_one_path_segment():
    _, sent = drive(set_default_scanner(BASE, "a/b"), OK)
    assert sent[0].url.raw_path == b"/api/v2.0/scanners/a%2Fb"


# -- the project's scanner -------------------------------------------------------------------------


def test_the_project_scanner_and_none_when_harbor_has_no_scanner():
    scanner, sent = drive(get_project_scanner(BASE, "team"), GET)
    assert scanner.uuid == UUID
    assert sent[0].url.path == "/api/v2.0/projects/team/scanner"
    assert drive(get_project_scanner(BASE, "team"), httpx.Response(200))[0] is None


def test_candidates():
    scanners, sent = drive(scanner_candidates(BASE, "team"), listing(REGISTRATION))
    assert sent[0].url.path == "/api/v2.0/projects/team/scanner/candidates"
    assert len(scanners) == 1


@pytest.mark.parametrize("wanted", [UUID, "trivy-ha"])
def test_set_looks_the_scanner_up_by_uuid_or_name_first(wanted):
    _, sent = drive(
        set_project_scanner(BASE, "team", wanted),
        listing(registration(uuid="other", name="grype"), REGISTRATION),
        OK,
    )
    assert [r.method for r in sent] == ["GET", "PUT"]
    assert json.loads(sent[1].content) == {"uuid": UUID}


def test_setting_an_unknown_scanner_changes_nothing():
    with pytest.raises(NotFoundError, match="no scanner 'ghost'"):
        drive(set_project_scanner(BASE, "team", "ghost"), listing(REGISTRATION))


# -- scan all --------------------------------------------------------------------------------------

SCHEDULE = {"schedule": {"type": "Daily", "cron": "0 0 0 * * *"}}
NO_SCHEDULE = httpx.Response(200)


def schedule_answer(kind="Daily", cron="0 0 0 * * *"):
    return httpx.Response(
        200, json={"id": 1, "status": "Scheduled", "schedule": {"type": kind, "cron": cron}}
    )


def test_no_schedule_is_an_empty_body():
    assert drive(get_scan_schedule(BASE), NO_SCHEDULE)[0] is None


def test_a_first_schedule_is_posted_with_the_ui_cron():
    schedule, sent = drive(
        set_scan_schedule(BASE, "daily"), NO_SCHEDULE, httpx.Response(201), schedule_answer()
    )
    assert [r.method for r in sent] == ["GET", "POST", "GET"]
    assert json.loads(sent[1].content) == SCHEDULE
    assert (schedule.type, schedule.cron) == (ScheduleType.DAILY, "0 0 0 * * *")


def test_an_existing_schedule_is_replaced_with_put():
    _, sent = drive(
        set_scan_schedule(BASE, ScheduleType.CUSTOM, "0  15 3 * * *"),
        schedule_answer(),
        OK,
        schedule_answer("Custom", "0 15 3 * * *"),
    )
    assert sent[1].method == "PUT"
    assert json.loads(sent[1].content) == {"schedule": {"type": "Custom", "cron": "0 15 3 * * *"}}


def test_a_named_type_may_carry_its_own_cron():
    _, sent = drive(
        set_scan_schedule(BASE, "Weekly", "0 0 4 * * 6"), NO_SCHEDULE, OK, schedule_answer()
    )
    assert json.loads(sent[1].content)["schedule"]["cron"] == "0 0 4 * * 6"


def test_removing_a_schedule():
    schedule, sent = drive(set_scan_schedule(BASE, "None"), schedule_answer(), OK)
    assert json.loads(sent[1].content) == {"schedule": {"type": "None"}}
    assert sent[1].method == "PUT"
    assert schedule.type is ScheduleType.NONE and schedule.cron == ""
    _, sent = drive(set_scan_schedule(BASE, "None"), NO_SCHEDULE)
    assert len(sent) == 1  # nothing to remove


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Custom",), "needs a cron"),
        (("Manual",), "use run"),
        (("None", "0 0 0 * * *"), "takes no cron"),
        (("Daily", "5 0 0 * * *"), "seconds field must be 0"),
        (("Custom", "0 0 * * *"), "has 5 fields"),
        (("Monthly",), "not one of"),
    ],
)
def test_invalid_schedules_send_nothing(args, message):
    with pytest.raises(InvalidPolicyError, match=message):
        drive(set_scan_schedule(BASE, *args))


def test_run_stop_and_metrics():
    _, sent = drive(run_scan_all(BASE), httpx.Response(201))
    assert json.loads(sent[0].content) == {"schedule": {"type": "Manual"}}
    assert sent[0].url.path == "/api/v2.0/system/scanAll/schedule"
    _, sent = drive(stop_scan_all(BASE), httpx.Response(202))
    assert (sent[0].method, sent[0].url.path) == ("POST", "/api/v2.0/system/scanAll/stop")
    stats = {
        "total": 2,
        "completed": 1,
        "metrics": {"Success": 1, "Running": 1},
        "ongoing": True,
        "trigger": "Manual",
    }
    metrics, sent = drive(scan_all_metrics(BASE), httpx.Response(200, json=stats))
    assert sent[0].url.path == "/api/v2.0/scans/all/metrics"
    assert metrics.ongoing and metrics.metrics["Running"] == 1
    _, sent = drive(scan_all_metrics(BASE, scheduled=True), httpx.Response(200, json=stats))
    assert sent[0].url.path == "/api/v2.0/scans/schedule/metrics"


def test_harbor_refusals_become_exceptions():
    no_scanner = httpx.Response(
        412,
        json={
            "errors": [
                {
                    "code": "PRECONDITION",
                    "message": "no scanner is configured, it's not possible to scan",
                }
            ]
        },
    )
    with pytest.raises(PreconditionFailedError, match="no scanner"):
        drive(get_scan_schedule(BASE), no_scanner)
    running = httpx.Response(409, json={"errors": [{"code": "CONFLICT", "message": "running"}]})
    with pytest.raises(ConflictError):
        drive(run_scan_all(BASE), running)
