"""Fuzz tests for the Harbor-side parsers: cron expressions, CVE ids and Harbor's JSON.

Each parser either gives its model or raises its one typed error (`InvalidPolicyError` for what
the user writes, `MalformedResponseError` for what Harbor sends), in bounded time, whatever it
is given. Sized for CI; the regressions are the inputs the fuzzers (and issue 8) found.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborsec.errors import InvalidPolicyError, MalformedResponseError
from harborsec.harbor._allowlists import normalize_cve_ids, parse_allowlist
from harborsec.harbor._api import structure
from harborsec.harbor._config import ProjectConfig
from harborsec.harbor._identity import _WirePermission
from harborsec.harbor._immutability import _created_id, parse_rule
from harborsec.harbor._projects import parse_project
from harborsec.harbor._scanners import parse_metadata, parse_scanner
from harborsec.harbor._schedules import parse_metrics, parse_schedule, validate_cron

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HUGE = 10**5000  # past Python's 4300-digit conversion limit: repr() and str() raise


def _quick(call: Callable[[], object], error: type[Exception]) -> None:
    started = time.monotonic()
    with contextlib.suppress(error):
        call()
    assert time.monotonic() - started < 1


# -- cron ------------------------------------------------------------------------------------------

CRON_TERM = st.one_of(
    st.sampled_from(["*", "?", "0", "5", "59", "60", "mon", "JAN", "L", "#", "-", "/", ","]),
    st.integers(0, 99).map(str),
    st.text(alphabet="0123456789*/-,?", max_size=6),
    st.just("1" * 5000),
    st.text(max_size=4),
)
CRON_FIELD = st.lists(CRON_TERM, min_size=1, max_size=3).map("".join)


@FUZZ
@given(st.lists(CRON_FIELD, min_size=0, max_size=7).map(" ".join))
def test_fuzz_cron_is_valid_or_an_invalid_policy_error(cron):
    _quick(lambda: validate_cron(cron), InvalidPolicyError)


@FUZZ
@given(st.lists(CRON_FIELD, min_size=5, max_size=5).map(lambda f: "0 " + " ".join(f)))
def test_fuzz_six_field_crons(cron):
    _quick(lambda: validate_cron(cron), InvalidPolicyError)


# -- CVE ids ---------------------------------------------------------------------------------------


@FUZZ
@given(
    st.one_of(
        st.text(max_size=20),
        st.builds(
            lambda year, number: f"CVE-{year}-{number}",
            st.text(alphabet=st.characters(categories=["Nd"]), min_size=4, max_size=4),
            st.text(alphabet=st.characters(categories=["Nd"]), min_size=4, max_size=8),
        ),
        st.integers(),
        st.none(),
    )
)
def test_fuzz_cve_ids_are_ascii_or_refused(value):
    try:
        (item,) = normalize_cve_ids([value])
    except InvalidPolicyError:
        return
    assert item.isascii()
    if item.startswith("CVE-"):
        assert item[4:].replace("-", "").isdigit()


# -- Harbor JSON -> models -------------------------------------------------------------------------

ALLOWLIST = {
    "id": 1,
    "project_id": 2,
    "expires_at": 1900000000,
    "items": [{"cve_id": "CVE-2024-3094"}],
    "creation_time": "2024-01-01T00:00:00.123456789Z",
    "update_time": "2024-01-01T00:00:00Z",
}
EXAMPLES: dict[str, tuple[Callable[[Any], object], Any]] = {
    "project": (
        parse_project,
        {
            "project_id": 1,
            "name": "p",
            "owner_name": "admin",
            "repo_count": 2,
            "registry_id": 0,
            "creation_time": "2024-01-01T00:00:00Z",
            "update_time": "2024-01-01T00:00:00Z",
            "metadata": {"public": "true", "auto_scan": "true", "severity": "high"},
            "cve_allowlist": ALLOWLIST,
        },
    ),
    "allowlist": (parse_allowlist, ALLOWLIST),
    "rule": (
        parse_rule,
        {
            "id": 3,
            "priority": 0,
            "disabled": False,
            "action": "immutable",
            "template": "immutable_template",
            "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
            "scope_selectors": {
                "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
            },
        },
    ),
    "scanner": (
        parse_scanner,
        {
            "uuid": "u",
            "name": "Trivy",
            "url": "http://trivy:8080",
            "auth": "",
            "skip_certVerify": False,
            "use_internal_addr": True,
            "disabled": False,
            "is_default": True,
            "health": "healthy",
            "adapter": "Trivy",
            "vendor": "Aqua Security",
            "version": "v0.50",
            "create_time": "2024-01-01T00:00:00Z",
        },
    ),
    "scanner metadata": (
        parse_metadata,
        {
            "scanner": {"name": "Trivy", "vendor": "Aqua", "version": "1"},
            "capabilities": [
                {"type": "vulnerability", "consumes_mime_types": ["a"], "produces_mime_types": []}
            ],
            "properties": {"harbor.scanner-adapter/scanner-type": "os-package-vulnerability"},
        },
    ),
    "schedule": (
        parse_schedule,
        {
            "id": 1,
            "creation_time": "2024-01-01T00:00:00Z",
            "schedule": {
                "type": "Custom",
                "cron": "0 0 2 * * *",
                "next_scheduled_time": "2024-01-02T02:00:00Z",
            },
            "parameters": {},
        },
    ),
    "metrics": (
        parse_metrics,
        {"total": 3, "completed": 1, "metrics": {"Success": 1}, "ongoing": True},
    ),
    "permissions": (
        lambda data: structure(data, list[_WirePermission], "permission list"),
        [{"resource": "project", "action": "create"}],
    ),
}

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([63, 64, 100, 5000]).map(lambda n: 2**n if n < 100 else 10**n),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(
        [
            *("2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "9999-12-31T23:59:59-01:00"),
            *("0001-01-01T00:00:00+05:00", "2024-01-01T00:00:00.1234567890123Z", "."),
            *("2024-01-01T00:00:00.\u0661Z", "true", "1", "", "high", "Custom", "None"),
            *("doublestar", "matches", "excludes", "repoMatches", "repoExcludes", "**"),
        ]
    ),
)
KEYS = st.text(max_size=5) | st.sampled_from(["pattern", "kind", "decoration", "cve_id", "type"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=10,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


@st.composite
def _mutated(draw: st.DrawFn, name: str) -> Any:
    """A valid example of `name` with one to three values replaced or removed."""
    document = copy.deepcopy(EXAMPLES[name][1])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            document = draw(JSON)
            continue
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON)
    return document


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_parse(name):
    parse, example = EXAMPLES[name]
    parse(copy.deepcopy(example))


@FUZZ
@given(st.sampled_from(sorted(EXAMPLES)).flatmap(lambda n: st.tuples(st.just(n), _mutated(n))))
def test_fuzz_harbor_json_of_the_right_shape_gives_a_model_or_a_malformed_response(case):
    name, document = case
    _quick(lambda: EXAMPLES[name][0](document), MalformedResponseError)


@FUZZ
@given(st.sampled_from(sorted(EXAMPLES)), JSON)
def test_fuzz_harbor_json_of_any_shape_gives_a_model_or_a_malformed_response(name, document):
    _quick(lambda: EXAMPLES[name][0](document), MalformedResponseError)


METADATA_KEYS = st.sampled_from(
    [
        *("public", "auto_scan", "auto_sbom_generation", "prevent_vul", "severity"),
        *("enable_content_trust", "enable_content_trust_cosign", "reuse_sys_cve_allowlist"),
    ]
)


@FUZZ
@given(st.dictionaries(METADATA_KEYS | st.text(max_size=12), JSON, max_size=6))
def test_fuzz_project_metadata_always_gives_a_config(metadata):
    ProjectConfig.from_metadata(metadata)


@pytest.mark.parametrize("key", ["public", "severity"])
def test_project_metadata_with_a_huge_number_reads_as_unset(key):
    config = ProjectConfig.from_metadata({key: HUGE})
    assert config == ProjectConfig.from_metadata({})


@pytest.mark.parametrize(
    ("name", "path", "value", "message"),
    [
        ("allowlist", ("expires_at",), 10**300, "is not a time"),
        ("allowlist", ("expires_at",), -(10**16), "is not a time"),
        ("allowlist", ("expires_at",), "HUGE", "16610-bit integer"),
        ("project", ("cve_allowlist", "expires_at"), 1e262, "is not a time"),
    ],
)
def test_harbor_json_the_fuzzers_found(name, path, value, message):
    document = copy.deepcopy(EXAMPLES[name][1])
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = HUGE if value == "HUGE" else value
    with pytest.raises(MalformedResponseError, match=message):
        EXAMPLES[name][0](document)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("tag_selectors", 0, "pattern"), "HUGE"),
        (("scope_selectors", "repository", 0, "pattern"), 5),
    ],
)
def test_a_rule_whose_pattern_is_not_a_string_is_a_problem_not_a_crash(path, value):
    document = copy.deepcopy(EXAMPLES["rule"][1])
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = HUGE if value == "HUGE" else value
    rule = parse_rule(document)
    assert rule.problem is not None and "not a string" in rule.problem
    with pytest.raises(InvalidPolicyError, match="not a string"):
        rule.matches("app", "v1")


@pytest.mark.parametrize("field", ["kind", "decoration"])
def test_a_rule_with_a_huge_number_as_selector_kind_is_a_problem_not_a_crash(field):
    document = copy.deepcopy(EXAMPLES["rule"][1])
    document["tag_selectors"][0][field] = HUGE
    rule = parse_rule(document)
    assert rule.problem is not None and "a JSON int" in rule.problem


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/api/v2.0/projects/p/immutabletagrules/12", 12),
        ("/api/v2.0/projects/p/immutabletagrules/\u00b2", None),  # isdigit(), but not int()
        ("/api/v2.0/projects/p/immutabletagrules/\u0661\u0662", None),
        ("/api/v2.0/projects/p/immutabletagrules/" + "1" * 5000, None),
    ],
)
def test_the_created_rule_id_is_read_from_ascii_digits_only(location, expected):
    response = httpx.Response(201, headers={"Location": location.encode()})
    assert _created_id(response) == expected
