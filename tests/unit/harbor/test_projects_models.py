"""Project models: Severity, ProjectConfig (Harbor's metadata rules), allowlists, parsing."""

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from harborsec.errors import InvalidPolicyError, MalformedResponseError
from harborsec.harbor._allowlists import CveAllowlist, normalize_cve_ids, parse_allowlist
from harborsec.harbor._api import make_harbor_converter
from harborsec.harbor._config import ConfigChanges, ProjectConfig
from harborsec.harbor._identity import Identity, Permission
from harborsec.harbor._projects import parse_project
from harborsec.harbor._severity import Severity
from tests._spec import validate_definition, validate_response

STRICT = make_harbor_converter(strict=True)
UTC = timezone.utc

# A project as Harbor 2.14 answers GET /projects/{name} (fields from the spec's Project).
PROJECT_JSON = {
    "project_id": 7,
    "owner_id": 1,
    "name": "team",
    "registry_id": 0,
    "creation_time": "2025-06-02T09:14:07.123456789Z",
    "update_time": "2025-06-03T10:00:00Z",
    "deleted": False,
    "owner_name": "admin",
    "togglable": True,
    "current_user_role_id": 1,
    "current_user_role_ids": [1],
    "repo_count": 3,
    "metadata": {
        "public": "false",
        "prevent_vul": "True",
        "severity": "high",
        "auto_scan": "1",
        "enable_content_trust_cosign": "true",
        "retention_id": "4",
    },
    "cve_allowlist": {
        "id": 2,
        "project_id": 7,
        "expires_at": 1767225600,
        "items": [{"cve_id": "CVE-2023-44487"}, {"cve_id": "CVE-2024-3094"}],
        "creation_time": "2025-06-02T09:14:07Z",
        "update_time": "2025-06-02T09:14:07Z",
    },
}


# -- Severity -------------------------------------------------------------------------------------


def test_severity_is_ordered_like_harbor_codes():
    assert Severity.NONE < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert Severity.HIGH >= Severity.HIGH
    assert not Severity.CRITICAL <= Severity.HIGH
    assert max(Severity.LOW, Severity.CRITICAL, Severity.MEDIUM) is Severity.CRITICAL
    assert [s.rank for s in Severity] == [0, 2, 3, 4, 5]


def test_severity_does_not_compare_with_strings():
    with pytest.raises(TypeError):
        assert Severity.LOW < "high"  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("high", Severity.HIGH),
        ("High", Severity.HIGH),
        ("HIGH", Severity.HIGH),
        (" critical ", Severity.CRITICAL),
        ("negligible", Severity.NONE),
        ("None", Severity.NONE),
        (Severity.LOW, Severity.LOW),
    ],
)
def test_severity_parse_is_case_insensitive(text, expected):
    assert Severity.parse(text) is expected


@pytest.mark.parametrize("text", ["", "unknown", "severe", "hi"])
def test_severity_parse_refuses_other_values(text):
    with pytest.raises(InvalidPolicyError, match="none, low, medium, high, critical"):
        Severity.parse(text)


@pytest.mark.parametrize(
    ("stored", "applied"),
    [
        ("high", Severity.HIGH),
        ("High", Severity.HIGH),
        ("critical", Severity.CRITICAL),
        # Go's strings.Title only upper-cases first letters: "HIGH" stays "HIGH", unrecognised.
        ("HIGH", Severity.NONE),
        ("hIGH", Severity.NONE),
        ("negligible", Severity.NONE),
        ("", Severity.NONE),
        ("bogus", Severity.NONE),
    ],
)
def test_severity_from_harbor_reads_metadata_as_the_pull_policy_does(stored, applied):
    assert Severity.from_harbor(stored) is applied


# -- ProjectConfig --------------------------------------------------------------------------------


def test_absent_metadata_resolves_to_harbor_defaults():
    config = ProjectConfig.from_metadata({})
    assert config == ProjectConfig(
        public=False,
        auto_scan=False,
        auto_sbom_generation=False,
        prevent_vulnerable=False,
        severity=Severity.NONE,
        cosign_required=False,
        notation_required=False,
        reuse_system_allowlist=True,  # absent means the system list is in force
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("1", True), ("false", False), ("0", False),
     ("yes", False), ("", False), ("on", False)],
)  # fmt: skip
def test_booleans_read_like_harbor_is_true(value, expected):
    config = ProjectConfig.from_metadata(
        {"auto_scan": value, "reuse_sys_cve_allowlist": value, "enable_content_trust": value}
    )
    assert config.auto_scan is expected
    assert config.reuse_system_allowlist is expected
    assert config.notation_required is expected


def test_every_field_maps_to_its_metadata_key():
    config = ProjectConfig(
        public=True,
        auto_scan=False,
        auto_sbom_generation=True,
        prevent_vulnerable=True,
        severity="Critical",
        cosign_required=True,
        notation_required=False,
        reuse_system_allowlist=False,
    )
    metadata = config.to_metadata()
    assert metadata == {
        "public": "true",
        "auto_scan": "false",
        "auto_sbom_generation": "true",
        "prevent_vul": "true",
        "severity": "critical",
        "enable_content_trust_cosign": "true",
        "enable_content_trust": "false",
        "reuse_sys_cve_allowlist": "false",
    }
    assert ProjectConfig.from_metadata(metadata) == config
    validate_definition("ProjectMetadata", metadata)


def test_changes_write_only_the_settings_given():
    assert ConfigChanges(prevent_vulnerable=True).to_metadata() == {"prevent_vul": "true"}
    assert ConfigChanges(severity="HIGH").to_metadata() == {"severity": "high"}
    assert ConfigChanges().to_metadata() == {}
    assert ConfigChanges().is_empty()
    assert not ConfigChanges(public=False).is_empty()


def test_a_read_config_has_no_unset_field():
    defaults = ProjectConfig()
    assert defaults == ProjectConfig.from_metadata({})  # a new project, as Harbor reads it
    assert None not in attrs.astuple(defaults)
    assert defaults.severity is Severity.NONE and defaults.reuse_system_allowlist is True
    assert ProjectConfig.from_metadata(defaults.to_metadata()) == defaults
    assert set(defaults.to_metadata()) == {
        "public",
        "auto_scan",
        "auto_sbom_generation",
        "prevent_vul",
        "severity",
        "enable_content_trust_cosign",
        "enable_content_trust",
        "reuse_sys_cve_allowlist",
    }


def test_config_refuses_non_boolean_flags():
    with pytest.raises(TypeError):
        ProjectConfig(auto_scan="true")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ProjectConfig(auto_scan=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError):
        ProjectConfig(severity="severe")
    with pytest.raises(InvalidPolicyError):
        ConfigChanges(auto_scan="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicyError):
        ConfigChanges(severity="severe")


# -- Allowlists -----------------------------------------------------------------------------------


def test_allowlist_removes_duplicates_and_keeps_order():
    allowlist = CveAllowlist(("CVE-2024-3094", "CVE-2023-44487", "CVE-2024-3094"))
    assert allowlist.items == ("CVE-2024-3094", "CVE-2023-44487")
    assert "CVE-2023-44487" in allowlist
    assert len(allowlist) == 2


def test_allowlist_expiry_is_inclusive_like_harbor():
    at = datetime(2027, 6, 30, tzinfo=UTC)
    allowlist = CveAllowlist(("CVE-2024-3094",), at)
    assert not allowlist.is_expired(at - timedelta(seconds=1))
    assert allowlist.is_expired(at)  # Harbor ignores the list once now >= expires_at
    assert not CveAllowlist().is_expired(datetime(9999, 1, 1, tzinfo=UTC))
    assert CveAllowlist(expires_at=datetime(2000, 1, 1, tzinfo=UTC)).is_expired()


def test_allowlist_refuses_a_naive_expiry():
    with pytest.raises(InvalidPolicyError, match="aware"):
        CveAllowlist(expires_at=datetime(2027, 1, 1))


def test_cve_ids_are_checked_stripped_and_deduplicated():
    ids = [
        "CVE-2024-3094",
        " CVE-2023-44487 ",
        "GHSA-xvch-5gv4-984h",
        "CVE-2024-3094",
        "GO-2024-2687",
    ]
    assert normalize_cve_ids(ids) == (
        "CVE-2024-3094",
        "CVE-2023-44487",
        "GHSA-xvch-5gv4-984h",
        "GO-2024-2687",
    )


@pytest.mark.parametrize(
    "bad",
    [
        *("", "   ", "cve-2024-3094", "CVE-24-3094", "CVE-2024-12", "CVE 2024 3094", "a,b"),
        "3094",
        "CVE-\u0662\u0660\u0662\u0664-\u0663\u0660\u0669\u0664",  # Arabic-Indic digits
        "CVE-2024-\uff13\uff10\uff19\uff14",  # full-width digits
        "CVE-\U0001d7da024-3094",  # a mathematical bold digit
    ],
)
def test_malformed_ids_are_refused(bad):
    with pytest.raises(InvalidPolicyError):
        normalize_cve_ids([bad])


def test_a_single_string_is_not_a_list_of_ids():
    with pytest.raises(InvalidPolicyError, match="single string"):
        normalize_cve_ids("CVE-2024-3094")


# -- Parsing --------------------------------------------------------------------------------------


def test_parse_project_with_the_strict_converter():
    validate_response("GET", "/projects/{project_name_or_id}", 200, PROJECT_JSON)
    info = parse_project(PROJECT_JSON, converter=STRICT)
    assert (info.project_id, info.name, info.owner_name, info.repo_count) == (7, "team", "admin", 3)
    assert info.creation_time == datetime(2025, 6, 2, 9, 14, 7, 123456, tzinfo=UTC)
    assert info.registry_id is None
    assert info.metadata["retention_id"] == "4"
    assert info.config.prevent_vulnerable is True  # "True" counts
    assert info.config.auto_scan is True  # "1" counts
    assert info.config.severity is Severity.HIGH
    assert info.config.reuse_system_allowlist is True  # absent
    assert info.allowlist == CveAllowlist(
        ("CVE-2023-44487", "CVE-2024-3094"), datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_unknown_fields_pass_at_run_time_but_not_in_the_strict_converter():
    data = {**PROJECT_JSON, "chart_count": 0}
    assert parse_project(data).name == "team"
    with pytest.raises(MalformedResponseError):
        parse_project(data, converter=STRICT)


def test_minimal_project_and_allowlist():
    info = parse_project({"name": "p", "project_id": 1})
    assert info.allowlist == CveAllowlist()
    assert info.metadata == {}
    assert parse_allowlist({"expires_at": None, "items": []}) == CveAllowlist()
    assert parse_allowlist({}) == CveAllowlist()


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"project_id": 1},
        {"name": "p", "repo_count": "many"},
        {"name": "p", "cve_allowlist": 5},
        None,
    ],
)
def test_malformed_projects_raise(data):
    with pytest.raises(MalformedResponseError):
        parse_project(data)


def test_identity_can():
    identity = Identity("robot$ci", True, (Permission("project", "create"),))
    assert identity.can("project", "create")
    assert not identity.can("project", "delete")
    assert not identity.can("scan-all", "create")
