"""The pure diff between a project's state and a policy, and how changes read."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborsec.errors import InvalidPolicyError
from harborsec.harbor._allowlists import CveAllowlist
from harborsec.harbor._config import ProjectConfig
from harborsec.harbor._immutability import ImmutabilityRule
from harborsec.harbor._scanners import Scanner
from harborsec.harbor._severity import Severity
from harborsec.policy import Change, ChangeKind, Policy, PolicyAllowlist
from harborsec.policy._plan import ProjectState, diff
from tests.unit.policy._strategies import policies as _policies

UTC = timezone.utc
DEFAULTS = ProjectConfig.from_metadata({})  # a new project, as Harbor reads it


def state(**kwargs) -> ProjectState:
    kwargs.setdefault("config", DEFAULTS)
    return ProjectState(**kwargs)


def lines(changes) -> list[str]:
    return [str(c) for c in changes]


def test_an_empty_policy_has_nothing_to_change():
    assert diff(state(rules=(ImmutabilityRule(id=1),)), Policy()) == ()


def test_config_changes_only_for_managed_fields_that_differ():
    config = attrs.evolve(DEFAULTS, auto_scan=True, severity=Severity.LOW)
    policy = Policy(auto_scan=True, severity="high", cosign_required=True, public=False)
    changes = diff(state(config=config), policy)
    assert changes == (
        Change(ChangeKind.CONFIG, "severity", Severity.LOW, Severity.HIGH),
        Change(ChangeKind.CONFIG, "cosign_required", False, True),
    )
    assert lines(changes) == ["~ severity: low -> high", "~ cosign_required: false -> true"]


def test_config_fields_are_compared_in_a_fixed_order():
    policy = Policy(
        notation_required=True,
        cosign_required=True,
        severity="critical",
        prevent_vulnerable=True,
        auto_sbom_generation=True,
        auto_scan=True,
        public=True,
    )
    assert [c.field for c in diff(state(), policy)] == [
        "public",
        "auto_scan",
        "auto_sbom_generation",
        "prevent_vulnerable",
        "severity",
        "cosign_required",
        "notation_required",
    ]


def test_a_new_project_reads_as_harbor_defaults():
    change = diff(state(config=DEFAULTS), Policy(auto_scan=True, severity="low"))
    assert [str(c) for c in change] == ["~ auto_scan: false -> true", "~ severity: none -> low"]


# -- allowlist --------------------------------------------------------------------------------


def test_allowlist_items_are_compared_as_sets():
    current = CveAllowlist(items=("CVE-2024-0002", "CVE-2024-0001"))
    config = attrs.evolve(DEFAULTS, reuse_system_allowlist=False)
    policy = Policy(allowlist=PolicyAllowlist(items=["CVE-2024-0001", "CVE-2024-0002"]))
    assert diff(state(config=config, allowlist=current), policy) == ()


def test_allowlist_additions_removals_expiry_and_use():
    current = CveAllowlist(items=("CVE-2020-1111", "CVE-2024-3094"))
    policy = Policy(
        allowlist=PolicyAllowlist(
            items=["CVE-2024-3094", "CVE-2023-44487"], expires_at="2027-06-30T00:00:00Z"
        )
    )
    changes = diff(state(allowlist=current), policy)
    assert all(c.kind is ChangeKind.ALLOWLIST for c in changes)
    assert lines(changes) == [
        "~ allowlist.use_project_list: false -> true",
        "+ allowlist.items: CVE-2023-44487",
        "- allowlist.items: CVE-2020-1111",
        "~ allowlist.expires_at: never -> 2027-06-30T00:00:00Z",
    ]
    assert [c.symbol for c in changes] == ["~", "+", "-", "~"]


def test_allowlist_expiry_compares_instants():
    config = attrs.evolve(DEFAULTS, reuse_system_allowlist=False)
    current = CveAllowlist(expires_at=datetime(2027, 6, 30, 2, tzinfo=UTC))
    policy = Policy(allowlist=PolicyAllowlist(expires_at="2027-06-30T04:00:00+02:00"))
    assert diff(state(config=config, allowlist=current), policy) == ()
    policy = Policy(allowlist=PolicyAllowlist())
    assert lines(diff(state(config=config, allowlist=current), policy)) == [
        "~ allowlist.expires_at: 2027-06-30T02:00:00Z -> never"
    ]


def test_reusing_the_system_list_is_a_change_of_use_only():
    config = attrs.evolve(DEFAULTS, reuse_system_allowlist=False)
    policy = Policy(allowlist=PolicyAllowlist(use_project_list=False))
    assert diff(state(config=config), policy) == (
        Change(ChangeKind.ALLOWLIST, "allowlist.use_project_list", True, False),
    )
    assert diff(state(), policy) == ()  # absent metadata: Harbor reuses the system list


# -- immutability rules -----------------------------------------------------------------------

V = ImmutabilityRule(tags="v*")
LATEST = ImmutabilityRule(repositories="api/**", tags="latest")


def test_rules_already_there_give_no_change():
    current = (attrs.evolve(V, id=4, priority=2), attrs.evolve(LATEST, id=9))
    assert diff(state(rules=current), Policy(immutability=[LATEST, V])) == ()


def test_a_toggle_is_an_update_that_keeps_the_id():
    current = (attrs.evolve(V, id=4, disabled=True),)
    (change,) = diff(state(rules=current), Policy(immutability=[V]))
    assert change.kind is ChangeKind.RULE_UPDATE
    assert change.after == attrs.evolve(V, id=4)
    assert str(change) == (
        '~ immutability rule 4 (tags matching "v*" in repositories matching "**"): '
        "disabled -> enabled"
    )


def test_a_new_tag_pattern_for_the_same_repositories_is_an_edit():
    current = (ImmutabilityRule(tags="v*", id=4, priority=7),)
    wanted = ImmutabilityRule(tags="release-*", exclude_tags=True, disabled=True)
    (change,) = diff(state(rules=current), Policy(immutability=[wanted]))
    assert change.kind is ChangeKind.RULE_UPDATE
    assert change.after == attrs.evolve(wanted, id=4, priority=7)
    assert str(change) == (
        '~ immutability rule 4: tags matching "v*" in repositories matching "**" -> '
        'tags not matching "release-*" in repositories matching "**" (disabled)'
    )


def test_rules_not_in_the_policy_are_deleted_before_new_ones_are_created():
    current = (attrs.evolve(LATEST, id=1), attrs.evolve(V, id=2))
    wanted = ImmutabilityRule(repositories="web/**", tags="{a,b}", exclude_repositories=True)
    changes = diff(state(rules=current), Policy(immutability=[V, wanted]))
    assert [c.kind for c in changes] == [ChangeKind.RULE_DELETE, ChangeKind.RULE_CREATE]
    assert changes[0].before.id == 1
    assert changes[1].after == wanted
    assert lines(changes) == [
        '- immutability rule 1: tags matching "latest" in repositories matching "api/**"',
        '+ immutability: tags matching "{a,b}" in repositories not matching "web/**"',
    ]


def test_an_empty_rule_list_deletes_every_rule():
    current = tuple(ImmutabilityRule(tags=f"t{i}", id=i) for i in range(3))
    changes = diff(state(rules=current), Policy(immutability=()))
    assert [c.kind for c in changes] == [ChangeKind.RULE_DELETE] * 3


def test_rules_harbor_stores_in_a_shape_the_model_cannot_express_are_replaced():
    broken = ImmutabilityRule(tags="v*", id=3, problem="unsupported tag selector kind 'regex'")
    changes = diff(state(rules=(broken,)), Policy(immutability=[V]))
    assert [c.kind for c in changes] == [ChangeKind.RULE_DELETE, ChangeKind.RULE_CREATE]
    assert "unsupported tag selector kind 'regex'" in str(changes[0])


def test_diff_needs_the_rules_when_the_policy_manages_them():
    with pytest.raises(ValueError, match="immutability"):
        diff(state(), Policy(immutability=[V]))


def test_changes_come_in_the_order_they_are_applied():
    config = attrs.evolve(DEFAULTS, reuse_system_allowlist=False)
    current = (attrs.evolve(LATEST, id=1), ImmutabilityRule(tags="x", id=2, disabled=True))
    policy = Policy(
        auto_scan=True,
        allowlist=PolicyAllowlist(items=["CVE-2024-3094"]),
        immutability=[ImmutabilityRule(tags="x"), ImmutabilityRule(repositories="z", tags="y")],
    )
    kinds = [c.kind for c in diff(state(config=config, rules=current), policy)]
    assert kinds == [
        ChangeKind.CONFIG,
        ChangeKind.ALLOWLIST,
        ChangeKind.RULE_DELETE,
        ChangeKind.RULE_UPDATE,
        ChangeKind.RULE_CREATE,
    ]


# -- the property that matters: applying the diff to the state gives an empty diff ------------


def apply_to_state(current: ProjectState, policy: Policy, changes) -> ProjectState:
    """What Harbor's state becomes once the changes are made (a model of apply_op)."""
    config = current.config
    allowlist = current.allowlist
    rules = {r.id: r for r in current.rules or ()}
    next_id = max(rules, default=0) + 1
    for change in changes:
        if change.kind is ChangeKind.CONFIG:
            config = attrs.evolve(config, **{change.field: change.after})
        elif change.kind is ChangeKind.ALLOWLIST:
            if change.field == "allowlist.use_project_list":
                config = attrs.evolve(config, reuse_system_allowlist=not change.after)
            else:
                wanted = policy.allowlist
                allowlist = CveAllowlist(wanted.items, wanted.expires_at)
        elif change.kind is ChangeKind.RULE_DELETE:
            del rules[change.before.id]
        elif change.kind is ChangeKind.RULE_UPDATE:
            assert change.after.id in rules
            rules[change.after.id] = change.after
        elif change.kind is ChangeKind.RULE_CREATE:
            assert len(rules) < 15, "a create would go over the limit"
            rules[next_id] = attrs.evolve(change.after, id=next_id)
            next_id += 1
    return attrs.evolve(current, config=config, allowlist=allowlist, rules=tuple(rules.values()))


patterns = st.sampled_from(["**", "v*", "api/**", "{a,b}", "latest"])
rule_strategy = st.builds(
    ImmutabilityRule,
    repositories=patterns,
    tags=patterns,
    exclude_repositories=st.booleans(),
    exclude_tags=st.booleans(),
    disabled=st.booleans(),
)
cves = st.sampled_from([f"CVE-2024-{n:04d}" for n in range(1000, 1006)])
expiries = st.none() | st.sampled_from(
    [datetime(2027, 1, 1, tzinfo=UTC), datetime(2030, 6, 30, 12, tzinfo=UTC)]
)
configs = st.builds(
    ProjectConfig,
    public=st.booleans(),
    auto_scan=st.booleans(),
    auto_sbom_generation=st.booleans(),
    prevent_vulnerable=st.booleans(),
    severity=st.sampled_from(list(Severity)),
    cosign_required=st.booleans(),
    notation_required=st.booleans(),
    reuse_system_allowlist=st.booleans(),
)


def rule_key(r):
    return (r.repositories, r.tags, r.exclude_repositories, r.exclude_tags)


@st.composite
def states(draw):
    rules = draw(st.lists(rule_strategy, max_size=20))
    return ProjectState(
        config=draw(configs),
        allowlist=CveAllowlist(draw(st.lists(cves, unique=True)), draw(expiries)),
        rules=tuple(attrs.evolve(r, id=i + 1) for i, r in enumerate(rules)),
    )


policies = _policies(
    allowlists=st.builds(
        PolicyAllowlist,
        items=st.lists(cves, unique=True),
        expires_at=expiries,
        use_project_list=st.booleans(),
    ),
    immutability=st.lists(rule_strategy, max_size=15, unique_by=rule_key),
)


@settings(max_examples=300)
@given(states(), policies)
def test_applying_the_changes_leaves_nothing_to_change(current, policy):
    changes = diff(current, policy)
    after = apply_to_state(current, policy, changes)
    assert diff(after, policy) == ()
    # and a state that already matches gives no change at all
    assert diff(after, policy) == diff(apply_to_state(after, policy, ()), policy)
    if policy.immutability is not None:
        assert sorted(map(rule_key, after.rules)) == sorted(map(rule_key, policy.immutability))
        assert len(after.rules) <= 15


# -- scanner ----------------------------------------------------------------------------------

TRIVY = Scanner(uuid="0a1b", name="Trivy", url="http://trivy:8080", is_default=True)
CLAIR = Scanner(uuid="9f8e", name="Clair", url="http://clair:6060")
CLAIR_TWIN = Scanner(uuid="7c6d", name="clair", url="http://clair2:6060")


@pytest.mark.parametrize("wanted", ["Clair", "9f8e"])
def test_the_scanner_is_found_by_name_or_uuid(wanted):
    current = state(scanner=TRIVY, scanners=(TRIVY, CLAIR))
    (change,) = diff(current, Policy(scanner=wanted))
    assert change == Change(ChangeKind.SCANNER, "scanner", TRIVY, CLAIR)
    assert str(change) == "~ scanner: Trivy -> Clair"
    assert diff(state(scanner=CLAIR, scanners=(TRIVY, CLAIR)), Policy(scanner=wanted)) == ()


def test_a_project_without_a_scanner():
    (change,) = diff(state(scanners=(TRIVY,)), Policy(scanner="trivy"))  # any case, if unique
    assert str(change) == "~ scanner: (none) -> Trivy"


def test_an_exact_name_wins_over_a_case_insensitive_one():
    current = state(scanner=TRIVY, scanners=(TRIVY, CLAIR, CLAIR_TWIN))
    assert diff(current, Policy(scanner="clair"))[0].after == CLAIR_TWIN
    with pytest.raises(InvalidPolicyError, match="no scanner named 'CLAIR'") as info:
        diff(current, Policy(scanner="CLAIR"))  # two match ignoring case: refuse to guess
    assert info.value.location == "scanner"


def test_an_unknown_scanner_is_refused_with_the_known_ones():
    with pytest.raises(InvalidPolicyError, match=r"registered: Clair, Trivy"):
        diff(state(scanner=TRIVY, scanners=(TRIVY, CLAIR)), Policy(scanner="Anchore"))
