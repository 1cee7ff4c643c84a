"""Scanner and scan-all models: auth types, cron validation, schedule types, JSON parsing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harborsec.errors import InvalidPolicyError, MalformedResponseError
from harborsec.harbor._api import make_harbor_converter
from harborsec.harbor._scanners import Scanner, ScannerAuth, parse_metadata, parse_scanner
from harborsec.harbor._schedules import (
    SCHEDULE_CRONS,
    ScanAllMetrics,
    ScanSchedule,
    ScheduleType,
    parse_metrics,
    parse_schedule,
    validate_cron,
)
from tests._spec import validate_definition

STRICT = make_harbor_converter(strict=True)

REGISTRATION = {
    "uuid": "6a2f1c3e-6f8d-4a29-9bd5-1f7e2b9c0a11",
    "name": "trivy-ha",
    "description": "Trivy behind LB",
    "url": "http://trivy-adapter.harbor.svc:8080",
    "auth": "Bearer",
    "access_credential": "",
    "skip_certVerify": False,
    "use_internal_addr": True,
    "disabled": False,
    "is_default": True,
    "health": "healthy",
    "adapter": "Trivy",
    "vendor": "Aqua Security",
    "version": "v0.58.1",
    "capabilities": {"support_vulnerability": True, "support_sbom": True},
    "create_time": "2025-01-02T03:04:05.123456789Z",
    "update_time": "2025-01-02T03:04:05Z",
}

METADATA = {
    "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "v0.58.1"},
    "capabilities": [
        {
            "type": "vulnerability",
            "consumes_mime_types": [
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ],
            "produces_mime_types": ["application/vnd.security.vulnerability.report; version=1.1"],
        },
        {
            "type": "sbom",
            "consumes_mime_types": ["application/vnd.oci.image.manifest.v1+json"],
            "produces_mime_types": ["application/vnd.security.sbom.report+json; version=1.0"],
        },
    ],
    "properties": {
        "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
        "harbor.scanner-adapter/registry-authorization-type": "Bearer",
    },
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ScannerAuth.NONE),
        (None, ScannerAuth.NONE),
        ("none", ScannerAuth.NONE),
        ("Basic", ScannerAuth.BASIC),
        ("bearer", ScannerAuth.BEARER),
        ("APIKey", ScannerAuth.API_KEY),
        ("api_key", ScannerAuth.API_KEY),
        ("API-KEY", ScannerAuth.API_KEY),
        (ScannerAuth.BASIC, ScannerAuth.BASIC),
    ],
)
def test_auth_types(value, expected):
    assert ScannerAuth.parse(value) is expected


def test_the_spec_wording_for_api_keys_is_refused_with_a_hint():
    with pytest.raises(InvalidPolicyError, match="use APIKey"):
        ScannerAuth.parse("X-ScannerAdapter-API-Key")
    with pytest.raises(InvalidPolicyError, match="not one of"):
        ScannerAuth.parse("Digest")


@pytest.mark.parametrize(
    ("cron", "normalized"),
    [
        ("0 0 0 * * *", "0 0 0 * * *"),
        ("0 0 * * * *", "0 0 * * * *"),
        ("0 0 0 * * 0", "0 0 0 * * 0"),
        ("0 30 2 * * MON-FRI", "0 30 2 * * MON-FRI"),
        ("0  */15   * * * *", "0 */15 * * * *"),
        ("0 0 1-5/2 1,15 jan-jun ?", "0 0 1-5/2 1,15 jan-jun ?"),
        ("0 5/10 * * * *", "0 5/10 * * * *"),
        ("0 59 23 31 12 6", "0 59 23 31 12 6"),
        ("0 0 0 1 DEC SUN", "0 0 0 1 DEC SUN"),
    ],
)
def test_valid_crons(cron, normalized):
    assert validate_cron(cron) == normalized


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 0 * * *", "has 5 fields"),
        ("0 0 0 * * * *", "has 7 fields"),
        ("@daily", "has 1 fields"),
        ("", "has 0 fields"),
        ("30 0 0 * * *", "seconds field must be 0"),
        ("*/5 * * * * *", "seconds field must be 0"),
        ("00 0 0 * * *", "seconds field must be 0"),
        ("0 60 0 * * *", "minutes field: '60' is outside 0-59"),
        ("0 0 24 * * *", "hours field"),
        ("0 0 0 0 * *", "day of month field"),
        ("0 0 0 32 * *", "day of month field"),
        ("0 0 0 * 13 *", "month field"),
        ("0 0 0 * * 7", "day of week field"),
        ("0 0 0 * * 5-1", "starts after it ends"),
        ("0 0 0 * * 1-2-3", "too many hyphens"),
        ("0 */0 * * * *", "step must be positive"),
        ("0 1/2/3 * * * *", "too many slashes"),
        ("0 1,,2 * * * *", "empty term"),
        ("0 x * * * *", "'x' is not a number"),
        ("0 -1 * * * *", "not a number"),
        ("0 0 0 L * *", "not a number"),
        ("0 0 0 * * MON#2", "not a number"),
        ("0 0 0 * JANUARY *", "not a number"),
        ("0 " + "1" * 5000 + " * * * *", "minutes field: '1111.* is too large"),
        ("0 0 0 * 1-" + "9" * 5000 + " *", "month field: .* is too large"),
        ("0 */" + "7" * 5000 + " * * * *", "too large"),
        ("0 \u0661 * * * *", "not a number"),  # an Arabic-Indic one
        ("0 \u00b2 * * * *", "not a number"),  # superscript two: isdigit() but not int()
    ],
)
def test_invalid_crons(cron, message):
    with pytest.raises(InvalidPolicyError, match=message) as info:
        validate_cron(cron)
    assert len(str(info.value)) < 200


def test_leading_zeros_are_read_as_robfig_cron_reads_them():
    assert validate_cron("0 " + "0" * 5000 + "5 * * * *").startswith("0 0000")


@given(
    st.integers(0, 59),
    st.integers(0, 23),
    st.integers(1, 31),
    st.integers(1, 12),
    st.integers(0, 6),
)
def test_every_plain_time_is_a_valid_cron(minute, hour, day, month, weekday):
    cron = f"0 {minute} {hour} {day} {month} {weekday}"
    assert validate_cron(cron) == cron


def test_the_ui_crons_are_valid():
    assert SCHEDULE_CRONS == {
        ScheduleType.HOURLY: "0 0 * * * *",
        ScheduleType.DAILY: "0 0 0 * * *",
        ScheduleType.WEEKLY: "0 0 0 * * 0",
    }
    for cron in SCHEDULE_CRONS.values():
        validate_cron(cron)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("daily", ScheduleType.DAILY), ("None", ScheduleType.NONE), (" Custom ", ScheduleType.CUSTOM)],
)
def test_schedule_types(value, expected):
    assert ScheduleType.parse(value) is expected


def test_an_unknown_schedule_type_is_refused():
    with pytest.raises(InvalidPolicyError, match="not one of None, Hourly"):
        ScheduleType.parse("monthly")


def test_a_registration_parses_with_the_strict_converter():
    validate_definition("ScannerRegistration", REGISTRATION)
    scanner = parse_scanner(REGISTRATION, converter=STRICT)
    assert scanner.uuid == REGISTRATION["uuid"]
    assert scanner.auth is ScannerAuth.BEARER
    assert scanner.use_internal_address and not scanner.skip_cert_verify
    assert scanner.is_default and scanner.health == "healthy"
    assert scanner.capabilities == {"support_vulnerability": True, "support_sbom": True}
    assert scanner.create_time.microsecond == 123456
    assert scanner.vendor == "Aqua Security"


def test_a_minimal_registration_gets_defaults():
    scanner = parse_scanner({"uuid": "u", "name": "n", "url": "http://x"})
    assert scanner == Scanner(uuid="u", name="n", url="http://x")
    assert scanner.health is None and scanner.capabilities == {}


@pytest.mark.parametrize(
    "data",
    [
        {"name": "n"},
        {"uuid": "u", "name": "n", "url": "http://x", "auth": "Digest"},
        {"uuid": "u", "name": "n", "url": "http://x", "capabilities": ["sbom"]},
        [],
    ],
)
def test_malformed_registrations_are_refused(data):
    with pytest.raises(MalformedResponseError):
        parse_scanner(data)


def test_strict_parsing_refuses_unknown_fields_lenient_parsing_ignores_them():
    data = {**REGISTRATION, "new_field": 1}
    assert parse_scanner(data).name == "trivy-ha"
    with pytest.raises(MalformedResponseError):
        parse_scanner(data, converter=STRICT)


def test_metadata():
    validate_definition("ScannerAdapterMetadata", METADATA)
    metadata = parse_metadata(METADATA, converter=STRICT)
    assert (metadata.name, metadata.vendor, metadata.version) == (
        "Trivy",
        "Aqua Security",
        "v0.58.1",
    )
    assert [c.type for c in metadata.capabilities] == ["vulnerability", "sbom"]
    assert metadata.capabilities[1].produces_mime_types == (
        "application/vnd.security.sbom.report+json; version=1.0",
    )
    assert metadata.properties["harbor.scanner-adapter/registry-authorization-type"] == "Bearer"


def test_schedules():
    body = {
        "id": 3,
        "status": "Scheduled",
        "creation_time": "2025-01-01T00:00:00Z",
        "update_time": "2025-01-01T00:00:00Z",
        "schedule": {
            "type": "Daily",
            "cron": "0 0 0 * * *",
            "next_scheduled_time": "2025-01-02T00:00:00Z",
        },
        "parameters": {},
    }
    validate_definition("Schedule", body)
    schedule = parse_schedule(body, converter=STRICT)
    assert schedule.type is ScheduleType.DAILY
    assert schedule.cron == "0 0 0 * * *"
    assert schedule.next_run.day == 2
    assert parse_schedule(None) is None
    assert parse_schedule({}) is None
    assert parse_schedule({"schedule": {"type": "None"}}) is None
    assert parse_schedule(
        {"schedule": {"type": "Schedule", "cron": "0 1 * * * *"}}
    ) == ScanSchedule(type=ScheduleType.SCHEDULE, cron="0 1 * * * *")
    with pytest.raises(MalformedResponseError):
        parse_schedule({"schedule": {"type": "Monthly"}})


def test_metrics():
    body = {
        "total": 120,
        "completed": 97,
        "metrics": {"Pending": 0, "Running": 23, "Success": 95, "Error": 2, "Stopped": 0},
        "ongoing": True,
        "trigger": "Manual",
    }
    validate_definition("Stats", body)
    metrics = parse_metrics(body, converter=STRICT)
    assert metrics == ScanAllMetrics(
        total=120, completed=97, metrics=body["metrics"], ongoing=True, trigger="Manual"
    )
    assert parse_metrics(None) == ScanAllMetrics(total=0, completed=0)
