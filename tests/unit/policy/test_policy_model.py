"""The Policy model: files in three formats, error locations, validation, round trips."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harborsec import InvalidPolicyError
from harborsec.harbor._immutability import MAX_RULES, ImmutabilityRule, is_immutable
from harborsec.harbor._severity import Severity
from harborsec.policy import SEMVER_TAGS, Policy, PolicyAllowlist
from tests.unit.policy._strategies import policies as _policies

UTC = timezone.utc

FULL_YAML = """\
public: false
auto_scan: true
auto_sbom_generation: true
prevent_vulnerable: true
severity: high
cosign_required: true
notation_required: false
allowlist:
  use_project_list: true
  expires_at: 2027-06-30T00:00:00Z
  items: [CVE-2023-44487, CVE-2024-3094]
immutability:
  - repositories: "**"
    tags: "v[0-9]*.[0-9]*.[0-9]*"
  - repositories: "api/**"
    tags: "latest"
    exclude_tags: true
    disabled: true
scanner: Trivy
"""

FULL_TOML = """\
public = false
auto_scan = true
auto_sbom_generation = true
prevent_vulnerable = true
severity = "high"
cosign_required = true
notation_required = false
scanner = "Trivy"

[allowlist]
use_project_list = true
expires_at = 2027-06-30T00:00:00Z
items = ["CVE-2023-44487", "CVE-2024-3094"]

[[immutability]]
repositories = "**"
tags = "v[0-9]*.[0-9]*.[0-9]*"

[[immutability]]
repositories = "api/**"
tags = "latest"
exclude_tags = true
disabled = true
"""

FULL_JSON = json.dumps(
    {
        "public": False,
        "auto_scan": True,
        "auto_sbom_generation": True,
        "prevent_vulnerable": True,
        "severity": "high",
        "cosign_required": True,
        "notation_required": False,
        "allowlist": {
            "use_project_list": True,
            "expires_at": "2027-06-30T00:00:00Z",
            "items": ["CVE-2023-44487", "CVE-2024-3094"],
        },
        "immutability": [
            {"repositories": "**", "tags": "v[0-9]*.[0-9]*.[0-9]*"},
            {"repositories": "api/**", "tags": "latest", "exclude_tags": True, "disabled": True},
        ],
        "scanner": "Trivy",
    },
    indent=2,
)

EXPECTED = Policy(
    public=False,
    auto_scan=True,
    auto_sbom_generation=True,
    prevent_vulnerable=True,
    severity=Severity.HIGH,
    cosign_required=True,
    notation_required=False,
    allowlist=PolicyAllowlist(
        items=("CVE-2023-44487", "CVE-2024-3094"),
        expires_at=datetime(2027, 6, 30, tzinfo=UTC),
        use_project_list=True,
    ),
    immutability=(
        ImmutabilityRule(repositories="**", tags="v[0-9]*.[0-9]*.[0-9]*"),
        ImmutabilityRule(repositories="api/**", tags="latest", exclude_tags=True, disabled=True),
    ),
    scanner="Trivy",
)


@pytest.mark.parametrize(
    ("text", "fmt"), [(FULL_YAML, "yaml"), (FULL_TOML, "toml"), (FULL_JSON, "json")]
)
def test_the_three_formats_give_the_same_policy(text, fmt):
    assert Policy.loads(text, format=fmt) == EXPECTED


@pytest.mark.parametrize(
    ("suffix", "text"),
    [(".yaml", FULL_YAML), (".yml", FULL_YAML), (".toml", FULL_TOML), (".JSON", FULL_JSON)],
)
def test_load_picks_the_format_by_suffix(tmp_path, suffix, text):
    path = tmp_path / f"policy{suffix}"
    path.write_text(text, encoding="utf-8")
    assert Policy.load(path) == EXPECTED
    assert Policy.load(str(path)) == EXPECTED


def test_load_refuses_an_unknown_suffix(tmp_path):
    path = tmp_path / "policy.ini"
    path.write_text("auto_scan = true\n")
    with pytest.raises(InvalidPolicyError, match=r"unknown policy file type '\.ini'") as info:
        Policy.load(path)
    assert info.value.location == str(path)


def test_loads_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown policy format 'ini'"):
        Policy.loads("", format="ini")


def test_an_empty_mapping_manages_nothing():
    for text, fmt in (("{}", "yaml"), ("", "toml"), ("{}", "json")):
        assert Policy.loads(text, format=fmt) == Policy()


def test_null_means_not_managed():
    policy = Policy.loads("auto_scan: null\nallowlist: ~\nimmutability:\nscanner:\n", format="yaml")
    assert policy == Policy()


def test_an_empty_rule_list_manages_rules():
    assert Policy.loads("immutability: []", format="yaml").immutability == ()
    assert Policy.loads("immutability = []", format="toml").immutability == ()


# -- locations ------------------------------------------------------------------------------


def error(text: str, fmt: str = "yaml", source: str = "p.yaml") -> InvalidPolicyError:
    with pytest.raises(InvalidPolicyError) as info:
        Policy.loads(textwrap.dedent(text), format=fmt, source=source)
    return info.value


def test_yaml_unknown_key_has_line_and_suggestion():
    exc = error(
        """\
        auto_scan: true
        allowlist:
          items: []
          expire_at: 2027-01-01
        """
    )
    assert exc.location == "p.yaml:4 allowlist.expire_at"
    assert "unknown key (did you mean expires_at?)" in str(exc)
    assert str(exc).startswith("p.yaml:4 allowlist.expire_at: ")


def test_yaml_unknown_top_level_key_lists_known_keys():
    exc = error("colour: blue\n")
    assert exc.location == "p.yaml:1 colour"
    assert "known: public, auto_scan" in str(exc)


def test_yaml_bad_item_has_line_of_the_item():
    exc = error(
        """\
        allowlist:
          items:
            - CVE-2023-44487
            - CVE-2024-3094
            - cve-2024-1
        """
    )
    assert exc.location == "p.yaml:5 allowlist.items[2]"
    assert "invalid CVE id 'cve-2024-1'" in str(exc)


def test_yaml_duplicate_item():
    exc = error("allowlist:\n  items: [CVE-2024-3094, CVE-2024-3094]\n")
    assert exc.location == "p.yaml:2 allowlist.items[1]"
    assert "listed twice (also at index 0)" in str(exc)


def test_yaml_bad_severity():
    exc = error("prevent_vulnerable: true\nseverity: severe\n")
    assert exc.location == "p.yaml:2 severity"
    assert "unknown severity 'severe'" in str(exc)


def test_yaml_string_where_a_boolean_belongs():
    exc = error("auto_scan: 'true'\n")
    assert exc.location == "p.yaml:1 auto_scan"
    assert "expected true or false, got a string ('true')" in str(exc)


def test_yaml_bad_rule_pattern_is_located_on_its_rule():
    exc = error(
        """\
        immutability:
          - tags: "v*"
          - repositories: "api/**"
            tags: "v[0-9"
        """
    )
    assert exc.location == "p.yaml:3 immutability[1]"


def test_yaml_unknown_rule_key():
    exc = error('immutability:\n  - repos: "**"\n')
    assert exc.location == "p.yaml:2 immutability[0].repos"
    assert "did you mean repositories?" in str(exc)


def test_yaml_rule_pattern_must_be_a_string():
    exc = error("immutability:\n  - tags: 5\n")
    assert exc.location == "p.yaml:2 immutability[0].tags"
    assert "expected a doublestar pattern" in str(exc)


def test_yaml_duplicate_rules():
    exc = error('immutability:\n  - tags: "v*"\n  - tags: "x"\n  - tags: "v*"\n')
    assert exc.location == "p.yaml:4 immutability[2]"
    assert "the same rule as immutability[0]" in str(exc)


def test_a_sixteenth_rule_is_refused_at_its_line():
    text = "immutability:\n" + "".join(f'  - tags: "t{i}"\n' for i in range(MAX_RULES + 1))
    exc = error(text)
    assert exc.location == f"p.yaml:{MAX_RULES + 2} immutability[{MAX_RULES}]"
    assert f"at most {MAX_RULES}" in str(exc)
    ok = "immutability:\n" + "".join(f'  - tags: "t{i}"\n' for i in range(MAX_RULES))
    assert len(Policy.loads(ok, format="yaml").immutability) == MAX_RULES


def test_yaml_duplicate_key():
    exc = error("auto_scan: true\nseverity: high\nauto_scan: false\n")
    assert exc.location == "p.yaml:3 auto_scan"
    assert "key given twice" in str(exc)


def test_yaml_syntax_error_has_its_line():
    exc = error("auto_scan: true\nimmutability:\n  - tags: **\n")
    assert exc.location == "p.yaml:3"
    assert "not valid YAML" in str(exc)


def test_yaml_top_level_must_be_a_mapping():
    assert "expected a mapping for the policy, got a list" in str(error("- a\n- b\n"))
    assert "the policy is empty" in str(error("# nothing\n"))


def test_yaml_merge_keys_are_refused():
    exc = error("base: &b\n  auto_scan: true\n<<: *b\n")
    assert exc.location == "p.yaml:3"


def test_yaml_aliases_work_but_not_recursive_ones():
    policy = Policy.loads(
        "allowlist:\n  items: &ids [CVE-2024-3094]\nscanner: Trivy\n", format="yaml"
    )
    assert policy.allowlist.items == ("CVE-2024-3094",)
    exc = error("immutability: &rules\n  - tags: v*\n  - *rules\n")
    assert exc.location == "p.yaml:1"  # the anchor: aliases share its node
    assert "alias that contains itself" in str(exc)


def test_yaml_tags_that_build_objects_are_refused():
    exc = error("scanner: !!python/object:os.system x\n")
    assert exc.location == "p.yaml:1"
    assert "not a valid YAML value" in str(exc)


def test_yaml_nested_mapping_type_error_points_at_the_key():
    exc = error("auto_scan: true\n\nallowlist: [CVE-2024-3094]\n")
    assert exc.location == "p.yaml:3 allowlist"
    assert "expected a mapping for allowlist, got a list" in str(exc)


def test_yaml_naive_expiry_is_refused():
    exc = error("allowlist:\n  expires_at: 2027-06-30 12:00:00\n")
    assert exc.location == "p.yaml:2 allowlist.expires_at"
    assert "has no time zone" in str(exc)


def test_yaml_date_expiry_means_midnight_utc():
    policy = Policy.loads("allowlist:\n  expires_at: 2027-06-30\n", format="yaml")
    assert policy.allowlist == PolicyAllowlist(expires_at=datetime(2027, 6, 30, tzinfo=UTC))


def test_yaml_scanner_must_be_a_non_empty_string():
    assert error('scanner: "tri\\x85vy"\n').location == "p.yaml:1 scanner"  # a line break
    assert error("scanner: ''\n").location == "p.yaml:1 scanner"
    assert error("scanner: 12\n").location == "p.yaml:1 scanner"


def test_json_locations_are_key_paths():
    exc = error('{"allowlist": {"items": ["CVE-2024-3094", ""]}}', fmt="json", source="p.json")
    assert exc.location == "p.json allowlist.items[1]"
    exc = error('{"immutability": [{"tags": "v*", "disabld": true}]}', fmt="json", source="p.json")
    assert exc.location == "p.json immutability[0].disabld"


def test_json_duplicate_key_and_syntax_error():
    exc = error('{"scanner": "a", "scanner": "b"}', fmt="json", source="p.json")
    assert exc.location == "p.json scanner"
    assert "key given twice" in str(exc)
    exc = error('{\n  "auto_scan": tru\n}', fmt="json", source="p.json")
    assert exc.location == "p.json:2"
    assert "not valid JSON" in str(exc)


def test_toml_locations_are_key_paths():
    exc = error('[[immutability]]\ntags = "v*"\n\n[[immutability]]\ntag = "x"\n', "toml", "p.toml")
    assert exc.location == "p.toml immutability[1].tag"
    exc = error("[allowlist]\nexpires_at = 2027-06-30T00:00:00\n", "toml", "p.toml")
    assert exc.location == "p.toml allowlist.expires_at"
    assert "has no time zone" in str(exc)


def test_toml_syntax_error_has_its_line():
    exc = error("auto_scan = true\nseverity = high\n", "toml", "p.toml")
    assert exc.location == "p.toml:2"
    assert "not valid TOML" in str(exc)


def test_from_dict_locations():
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_dict({"allowlist": {"items": "CVE-2024-3094"}})
    assert info.value.location == "<dict> allowlist.items"
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_dict({"severity": 3}, source="settings")
    assert info.value.location == "settings severity"


def test_invalid_policy_error_is_a_value_error():
    with pytest.raises(ValueError, match="unknown key"):
        Policy.from_dict({"nope": 1})


# -- Python construction ----------------------------------------------------------------------


def test_python_construction_converts_and_validates():
    policy = Policy(
        severity="Critical",
        allowlist=PolicyAllowlist(
            items=[" CVE-2024-3094 "], expires_at="2027-06-30T12:30:00+02:00"
        ),
        immutability=[ImmutabilityRule(tags="v*", id=7, priority=3)],
    )
    assert policy.severity is Severity.CRITICAL
    assert policy.allowlist.items == ("CVE-2024-3094",)
    assert policy.allowlist.expires_at == datetime(2027, 6, 30, 10, 30, tzinfo=UTC)
    assert policy.immutability == (ImmutabilityRule(tags="v*"),)  # id and priority dropped


@pytest.mark.parametrize(
    ("kwargs", "location"),
    [
        ({"auto_scan": "yes"}, "auto_scan"),
        ({"severity": "severe"}, "severity"),
        ({"scanner": ""}, "scanner"),
        ({"immutability": "v*"}, "immutability"),
        ({"immutability": [ImmutabilityRule(tags="[")]}, "immutability[0]"),
        ({"immutability": ["v*"]}, "immutability[0]"),
        ({"allowlist": {"items": []}}, "allowlist"),
    ],
)
def test_python_construction_errors_carry_key_paths(kwargs, location):
    with pytest.raises(InvalidPolicyError) as info:
        Policy(**kwargs)
    assert info.value.location == location


def test_allowlist_errors_carry_key_paths():
    with pytest.raises(InvalidPolicyError) as info:
        PolicyAllowlist(items=["CVE-2024-3094", "CVE-2024-3094"])
    assert info.value.location == "allowlist.items[1]"
    with pytest.raises(InvalidPolicyError) as info:
        PolicyAllowlist(expires_at=datetime(2027, 1, 1))
    assert info.value.location == "allowlist.expires_at"
    with pytest.raises(InvalidPolicyError) as info:
        PolicyAllowlist(use_project_list=None)  # type: ignore[arg-type]
    assert info.value.location == "allowlist.use_project_list"


def test_expiry_is_kept_to_the_second_in_utc():
    moment = datetime(2027, 1, 1, 12, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=-5)))
    assert PolicyAllowlist(expires_at=moment).expires_at == datetime(2027, 1, 1, 17, tzinfo=UTC)
    assert PolicyAllowlist(expires_at=date(2027, 1, 1)).expires_at == datetime(
        2027, 1, 1, tzinfo=UTC
    )


# -- output and round trips -------------------------------------------------------------------


def test_to_dict_leaves_out_what_is_not_managed():
    assert Policy().to_dict() == {}
    assert EXPECTED.to_dict() == json.loads(FULL_JSON)


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_dumps_round_trips_the_full_policy(fmt):
    assert Policy.loads(EXPECTED.dumps(fmt), format=fmt) == EXPECTED


def test_toml_output_is_the_documented_shape():
    assert EXPECTED.dumps("toml") == FULL_TOML


def test_dumps_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown policy format"):
        Policy().dumps("ini")


def test_toml_writes_an_empty_rule_list_inline():
    text = Policy(immutability=(), auto_scan=True).dumps("toml")
    assert text == "auto_scan = true\nimmutability = []\n"
    assert Policy.loads(text, format="toml") == Policy(immutability=(), auto_scan=True)


patterns = st.sampled_from(["**", "v*", "{a,b}/**", "release-?", "[0-9]*", 'we"ird\\*', "é/ü*"])
rules = st.builds(
    ImmutabilityRule,
    repositories=patterns,
    tags=patterns,
    exclude_repositories=st.booleans(),
    exclude_tags=st.booleans(),
    disabled=st.booleans(),
)
cve_ids = st.builds(
    lambda year, number: f"CVE-{year}-{number}",
    st.integers(1999, 2030),
    st.integers(1000, 9_999_999),
)
allowlists = st.builds(
    PolicyAllowlist,
    items=st.lists(cve_ids, unique=True, max_size=5),
    expires_at=st.none()
    | st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    ),
    use_project_list=st.booleans(),
)
policies = _policies(
    allowlists=allowlists,
    immutability=st.lists(
        rules,
        max_size=4,
        unique_by=lambda r: (r.repositories, r.tags, r.exclude_repositories, r.exclude_tags),
    ),
    scanner=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1).filter(
        lambda text: text.strip() and text.isprintable()
    ),
)


@given(policies)
def test_round_trips(policy):
    assert Policy.from_dict(policy.to_dict()) == policy
    for fmt in ("yaml", "toml", "json"):
        assert Policy.loads(policy.dumps(fmt), format=fmt) == policy, fmt


# -- recommended ------------------------------------------------------------------------------


def test_recommended_is_the_documented_best_practice():
    policy = Policy.recommended()
    assert policy.auto_scan and policy.auto_sbom_generation and policy.cosign_required
    assert policy.prevent_vulnerable and policy.severity is Severity.HIGH
    assert policy.public is None and policy.notation_required is None
    assert policy.allowlist is None and policy.scanner is None
    assert policy.immutability == (ImmutabilityRule(repositories="**", tags=SEMVER_TAGS),)


@pytest.mark.parametrize(
    ("repository", "tag", "immutable"),
    [
        ("app", "v1.2.3", True),
        ("team/app", "1.2.3", True),
        ("a/b/c", "v10.20.30", True),
        ("app", "1.2.3-rc.1", True),  # doublestar cannot tell pre-releases apart
        ("app", "latest", False),
        ("app", "main", False),
        ("app", "v1.2", False),
        ("app", "sha-0123abc", False),
        ("app", "version1.2.3", False),
    ],
)
def test_recommended_rules_make_semver_tags_immutable(repository, tag, immutable):
    assert is_immutable(Policy.recommended().immutability, repository, tag) is immutable
