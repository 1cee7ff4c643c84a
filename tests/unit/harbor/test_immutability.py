"""Immutability rules: the model, Harbor's evaluation, validation and the wire format."""

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harborsec.errors import InvalidPolicyError, MalformedResponseError
from harborsec.harbor._immutability import (
    MAX_RULES,
    ImmutabilityRule,
    RepositoryDecoration,
    TagDecoration,
    is_immutable,
    parse_rule,
    rule_to_wire,
)
from tests._spec import validate_definition, validate_request_body

RULES = "/projects/{project_name_or_id}/immutabletagrules"
RULE = "/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}"


def test_the_ui_limit_is_15():
    assert MAX_RULES == 15


def test_defaults_select_every_tag_of_every_repository():
    rule = ImmutabilityRule()
    assert rule.matches("app", "latest")
    assert rule.matches("a/b/c", "v1")
    assert rule.tag_decoration is TagDecoration.MATCHES
    assert rule.repository_decoration is RepositoryDecoration.MATCHES


@pytest.mark.parametrize(
    ("rule", "repository", "tag", "expected"),
    [
        (ImmutabilityRule(repositories="api/**", tags="v*"), "api/server", "v1", True),
        (ImmutabilityRule(repositories="api/**", tags="v*"), "web/server", "v1", False),
        (ImmutabilityRule(repositories="api/**", tags="v*"), "api/server", "latest", False),
        # the pattern sees the repository without the project
        (ImmutabilityRule(repositories="team/**"), "api", "v1", False),
        # excludes invert each selector
        (ImmutabilityRule(repositories="api", exclude_repositories=True), "web", "v1", True),
        (ImmutabilityRule(repositories="api", exclude_repositories=True), "api", "v1", False),
        (ImmutabilityRule(tags="latest", exclude_tags=True), "api", "v1", True),
        (ImmutabilityRule(tags="latest", exclude_tags=True), "api", "latest", False),
        (
            ImmutabilityRule(
                repositories="{a,b}", tags="dev-*", exclude_repositories=True, exclude_tags=True
            ),
            "c",
            "v1",
            True,
        ),
        # disabled rules never apply; untagged artifacts never match
        (ImmutabilityRule(disabled=True), "api", "v1", False),
        (ImmutabilityRule(), "api", "", False),
        (ImmutabilityRule(tags="x", exclude_tags=True), "api", "", False),
        (ImmutabilityRule(), "", "v1", False),
        # the pitfall #15700 pattern
        (ImmutabilityRule(repositories="cbmp/{firstRepo,secondRepo}"), "cbmp/firstRepo", "1", True),
        # an empty pattern selects everything (Harbor's selector), even if validate refuses it
        (ImmutabilityRule(repositories="", tags=""), "api", "v1", True),
        (ImmutabilityRule(tags="", exclude_tags=True), "api", "v1", False),
    ],
)
def test_matches_like_harbor(rule, repository, tag, expected):
    assert rule.matches(repository, tag) is expected


def test_is_immutable_is_any_rule_in_order():
    rules = [ImmutabilityRule(tags="v*"), ImmutabilityRule(tags="stable", disabled=True)]
    assert is_immutable(rules, "api", "v2")
    assert not is_immutable(rules, "api", "stable")
    assert not is_immutable([], "api", "v2")


def test_evaluation_stops_at_the_first_rule_that_applies_like_harbor():
    broken = ImmutabilityRule(tags="v[0-9")
    good = ImmutabilityRule(tags="v*")
    assert is_immutable([good, broken], "api", "v1")  # the broken rule is never reached
    with pytest.raises(InvalidPolicyError, match="malformed"):
        broken.matches("api", "v1")


def test_a_rule_harbor_cannot_evaluate_ends_the_evaluation_as_not_immutable(caplog):
    broken = ImmutabilityRule(tags="v[0-9", id=2)
    good = ImmutabilityRule(tags="v*", id=3)
    assert not is_immutable([broken, good], "api", "v1")  # Harbor logs and gives up
    assert "immutability rule 2" in caplog.text
    assert is_immutable([broken, good], "api", "x1") is False  # not reached: no match
    unknown = parse_rule(
        harbor_rule(tag_selectors=[{"kind": "regex", "decoration": "matches", "pattern": "v"}])
    )
    assert not is_immutable([unknown, good], "api", "v1")
    # a rule without a selector is only skipped
    skipped = parse_rule(harbor_rule(tag_selectors=[]))
    assert is_immutable([skipped, good], "api", "v1")


def test_validate_accepts_good_patterns_and_names_the_rule():
    ImmutabilityRule(repositories="api/**", tags="{v*,release-*}").validate()
    with pytest.raises(InvalidPolicyError) as info:
        ImmutabilityRule(tags="v[0-9", id=7).validate()
    assert info.value.location == "immutability rule 7"
    assert "tag pattern 'v[0-9'" in str(info.value)
    with pytest.raises(InvalidPolicyError, match="repository pattern"):
        ImmutabilityRule(repositories="{a/b,c").validate()
    ImmutabilityRule(repositories="{a/b,c}").validate()
    with pytest.raises(InvalidPolicyError, match=r"write \*\*"):
        ImmutabilityRule(tags="").validate()


def test_the_wire_format_is_what_the_ui_sends():
    rule = ImmutabilityRule(repositories="api/**", tags="{v*,release-*}", exclude_tags=True)
    body = rule_to_wire(rule)
    assert body == {
        "disabled": False,
        "priority": 0,
        "action": "immutable",
        "template": "immutable_template",
        "tag_selectors": [
            {"kind": "doublestar", "decoration": "excludes", "pattern": "{v*,release-*}"}
        ],
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "api/**"}]
        },
    }
    validate_request_body("POST", RULES, body)
    with_id = rule_to_wire(attrs.evolve(rule, id=3, disabled=True, exclude_repositories=True))
    assert with_id["id"] == 3
    assert with_id["disabled"] is True
    assert with_id["scope_selectors"]["repository"][0]["decoration"] == "repoExcludes"
    validate_request_body("PUT", RULE, with_id)


PATTERN = st.sampled_from(["**", "v*", "{a,b}", "api/**", "[0-9]*", "latest"])
RULE_STRATEGY = st.builds(
    ImmutabilityRule,
    repositories=PATTERN,
    tags=PATTERN,
    exclude_repositories=st.booleans(),
    exclude_tags=st.booleans(),
    disabled=st.booleans(),
    id=st.one_of(st.none(), st.integers(1, 10**6)),
    priority=st.integers(0, 100),
)


@given(RULE_STRATEGY)
def test_wire_round_trip(rule):
    body = rule_to_wire(rule)
    validate_definition("ImmutableRule", body)
    assert parse_rule(body) == rule


def harbor_rule(**changes):
    body = {
        "id": 4,
        "project_id": 1,
        "disabled": False,
        "priority": 0,
        "action": "immutable",
        "template": "immutable_template",
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
        },
    }
    body.update(changes)
    return body


def test_only_the_first_selectors_count():
    rule = parse_rule(
        harbor_rule(
            tag_selectors=[
                {"kind": "doublestar", "decoration": "matches", "pattern": "v*"},
                {"kind": "doublestar", "decoration": "matches", "pattern": "latest"},
            ]
        )
    )
    assert rule.problem is None
    assert rule.matches("api", "v1")
    assert not rule.matches("api", "latest")


@pytest.mark.parametrize(
    "changes",
    [
        {"scope_selectors": {}},
        {"scope_selectors": {"repository": []}},
        {"scope_selectors": None},
        {"tag_selectors": []},
        {"tag_selectors": None},
    ],
)
def test_a_rule_without_a_selector_never_applies(changes):
    rule = parse_rule(harbor_rule(**changes))
    assert rule.problem is not None
    assert "never applies" in rule.problem
    assert rule.matches("api", "v1") is False
    with pytest.raises(InvalidPolicyError):
        rule.validate()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"tag_selectors": [{"kind": "regex", "decoration": "matches", "pattern": "v.*"}]},
            "kind 'regex'",
        ),
        (
            {
                "scope_selectors": {
                    "repository": [{"kind": "doublestar", "decoration": "matches", "pattern": "x"}]
                }
            },
            "decoration 'matches'",
        ),
        (
            {"tag_selectors": [{"kind": "doublestar", "decoration": "nsMatches", "pattern": "x"}]},
            "decoration 'nsMatches'",
        ),
    ],
)
def test_a_rule_harbor_cannot_evaluate_as_written_is_read_but_raises(changes, message):
    rule = parse_rule(harbor_rule(**changes))
    assert message in rule.problem
    with pytest.raises(InvalidPolicyError, match=message) as info:
        rule.matches("api", "v1")
    assert info.value.location == "immutability rule 4"
    assert not attrs.evolve(rule, disabled=True).matches("api", "v1")


@pytest.mark.parametrize(
    "data",
    [
        [],
        "rule",
        {"id": "4"},
        {"priority": "high"},
        {"tag_selectors": {"kind": "doublestar"}},
        {"tag_selectors": ["v*"]},
        {"scope_selectors": []},
    ],
)
def test_malformed_rules_are_refused(data):
    with pytest.raises(MalformedResponseError):
        parse_rule(data)


def test_missing_optional_fields_get_harbors_defaults():
    rule = parse_rule(
        {
            "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
            "scope_selectors": {
                "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
            },
        }
    )
    assert rule == ImmutabilityRule(tags="v*")
