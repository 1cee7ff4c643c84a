"""Policy plan and apply against the Harbor emulator, sync and async.

Every test runs with `Registry` and with `AsyncRegistry` (`client` fixture; `call` awaits what
the async client returns). Every request body the SDK sends and every answer it reads is checked
against Harbor's OpenAPI spec.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from harborsec import AsyncPlan, AsyncRegistry, Plan
from harborsec.errors import (
    ForbiddenError,
    InvalidPolicyError,
    NotFoundError,
    PlanOutdatedError,
)
from harborsec.harbor._allowlists import CveAllowlist, replacing
from harborsec.harbor._config import ConfigChanges, ProjectConfig
from harborsec.harbor._immutability import ImmutabilityRule, create_rule, list_rules
from harborsec.harbor._project_allowlist import edit_project_allowlist
from harborsec.harbor._projects import create_project, get_project, update_project_config
from harborsec.harbor._scanners import get_project_scanner, register_scanner
from harborsec.harbor._severity import Severity
from harborsec.policy import ChangeKind, Policy, PolicyAllowlist
from harborsec.testing import HarborEmulator
from tests._guides import run_guide
from tests._spec import SpecCheckedTransport
from tests.client._both import ADMIN, URL, call, close, open_registry

UTC = timezone.utc
PROJECT = "team"
ROOT = Path(__file__).resolve().parents[2]


class Checked(SpecCheckedTransport):
    """The emulator, every exchange checked against the spec (and described by it)."""

    def __init__(self, emulator: HarborEmulator) -> None:
        super().__init__(emulator.handle, require_documented=True)


@pytest.fixture
def emulator() -> HarborEmulator:
    return HarborEmulator(trivy=True)  # Harbor's built-in Trivy, the default scanner


@pytest.fixture(params=["sync", "async"])
async def client(request, emulator):
    registry = open_registry(request.param, Checked(emulator))
    await call(registry._runner.run(create_project(registry.url, PROJECT)))
    yield registry
    await close(registry)


async def run(client: Any, op: Any) -> Any:
    return await call(client._runner.run(op))


async def plan(client: Any, policy: Policy, project: str = PROJECT) -> Plan | AsyncPlan:
    handle = client.project(project)
    if isinstance(client, AsyncRegistry):
        result = await policy.aplan(handle)
        assert isinstance(result, AsyncPlan)
        assert isinstance(await handle.plan(policy), AsyncPlan)
    else:
        result = policy.plan(handle)
        assert isinstance(result, Plan)
        assert isinstance(handle.plan(policy), Plan)
    return result


async def rules(client: Any, project: str = PROJECT) -> list[ImmutabilityRule]:
    return await run(client, list_rules(client.url, project))


async def add_rule(client: Any, rule: ImmutabilityRule) -> ImmutabilityRule:
    return await run(client, create_rule(client.url, PROJECT, rule, enforce_limit=False))


def without_ids(found: list[ImmutabilityRule]) -> set[ImmutabilityRule]:
    return {attrs.evolve(r, id=None, priority=0) for r in found}


FULL = Policy(
    public=False,
    auto_scan=True,
    auto_sbom_generation=True,
    prevent_vulnerable=True,
    severity=Severity.HIGH,
    cosign_required=True,
    notation_required=True,
    allowlist=PolicyAllowlist(
        items=("CVE-2023-44487", "CVE-2024-3094"), expires_at="2027-06-30T00:00:00Z"
    ),
    immutability=(
        ImmutabilityRule(repositories="**", tags="v[0-9]*.[0-9]*.[0-9]*"),
        ImmutabilityRule(repositories="{api,web}/**", tags="latest", exclude_tags=True),
        ImmutabilityRule(repositories="legacy/**", disabled=True),
    ),
)


async def test_plan_apply_plan_again_is_empty(client):
    first = await plan(client, FULL)
    assert first.diff().splitlines() == [
        "~ auto_scan: false -> true",
        "~ auto_sbom_generation: false -> true",
        "~ prevent_vulnerable: false -> true",
        "~ severity: none -> high",
        "~ cosign_required: false -> true",
        "~ notation_required: false -> true",
        "~ allowlist.use_project_list: false -> true",
        "+ allowlist.items: CVE-2023-44487",
        "+ allowlist.items: CVE-2024-3094",
        "~ allowlist.expires_at: never -> 2027-06-30T00:00:00Z",
        '+ immutability: tags matching "v[0-9]*.[0-9]*.[0-9]*" in repositories matching "**"',
        '+ immutability: tags not matching "latest" in repositories matching "{api,web}/**"',
        '+ immutability: tags matching "**" in repositories matching "legacy/**" (disabled)',
    ]
    assert not first.empty
    await call(first.apply())

    second = await plan(client, FULL)
    assert second.empty and second.changes == () and second.diff() == ""

    info = await run(client, get_project(client.url, PROJECT))
    assert info.config == ProjectConfig(
        public=False,
        auto_scan=True,
        auto_sbom_generation=True,
        prevent_vulnerable=True,
        severity=Severity.HIGH,
        cosign_required=True,
        notation_required=True,
        reuse_system_allowlist=False,
    )
    assert info.allowlist == CveAllowlist(
        ("CVE-2023-44487", "CVE-2024-3094"), datetime(2027, 6, 30, tzinfo=UTC)
    )
    assert without_ids(await rules(client)) == set(FULL.immutability)


async def test_planning_sends_nothing_and_reads_only_what_is_managed(client):
    client.transport.seen.clear()
    result = await plan(client, Policy(auto_scan=True))
    assert client.transport.writes() == []
    assert {r.url.path for r in client.transport.seen} == {f"/api/v2.0/projects/{PROJECT}"}
    assert [c.field for c in result.changes] == ["auto_scan"]


async def test_config_goes_in_one_put_with_only_the_changed_keys(client):
    await run(client, update_project_config(client.url, PROJECT, ConfigChanges(auto_scan=True)))
    client.transport.seen.clear()
    result = await plan(client, Policy(auto_scan=True, severity="critical", public=True))
    await call(result.apply())
    puts = client.transport.writes()
    assert [r.method for r in puts] == ["PUT"]
    assert json.loads(puts[0].content) == {"metadata": {"public": "true", "severity": "critical"}}
    assert (await plan(client, Policy(auto_scan=True, severity="critical", public=True))).empty


async def test_an_empty_plan_applies_without_writing(client):
    result = await plan(client, Policy(public=False, auto_scan=False))
    assert result.empty
    client.transport.seen.clear()
    await call(result.apply())
    assert client.transport.seen == []


async def test_a_plan_made_stale_by_another_change_writes_nothing(client):
    stale = await plan(client, FULL)
    # Someone else changes the project between plan and apply: a rule and one setting.
    await add_rule(client, ImmutabilityRule(repositories="**", tags="latest"))
    await run(client, update_project_config(client.url, PROJECT, ConfigChanges(auto_scan=True)))
    before = await run(client, get_project(client.url, PROJECT))
    client.transport.seen.clear()
    with pytest.raises(PlanOutdatedError) as caught:
        await call(stale.apply())
    assert client.transport.writes() == []
    assert await run(client, get_project(client.url, PROJECT)) == before
    error = caught.value
    assert error.project == PROJECT
    fresh = await plan(client, FULL)
    assert error.current == fresh.changes != stale.changes
    assert "changed after the plan was made; nothing was changed" in str(error)
    assert fresh.diff() in str(error)  # the message shows what a new plan would do
    await call(fresh.apply())
    assert (await plan(client, FULL)).empty


async def test_a_plan_still_current_applies_after_one_read(client):
    result = await plan(client, Policy(auto_scan=True))
    client.transport.seen.clear()
    await call(result.apply())
    methods = [r.method for r in client.transport.seen]
    assert methods[:2] == ["GET", "PUT"]  # the project read again, then the one config change
    assert [r.method for r in client.transport.writes()] == ["PUT"]


async def test_allowlist_rewritten_whole_and_order_does_not_matter(client):
    edit, needs = replacing(["CVE-2024-0002", "CVE-2020-1111"], None)
    await run(client, edit_project_allowlist(client.url, PROJECT, edit, needs_current=needs))
    policy = Policy(allowlist=PolicyAllowlist(items=["CVE-2024-0003", "CVE-2024-0002"]))
    result = await plan(client, policy)
    assert result.diff().splitlines() == [
        "+ allowlist.items: CVE-2024-0003",
        "- allowlist.items: CVE-2020-1111",
    ]
    client.transport.seen.clear()
    await call(result.apply())
    (put,) = client.transport.writes()
    assert json.loads(put.content) == {
        "cve_allowlist": {
            "items": [{"cve_id": "CVE-2024-0003"}, {"cve_id": "CVE-2024-0002"}],
            "expires_at": None,
        }
    }
    reordered = Policy(allowlist=PolicyAllowlist(items=["CVE-2024-0002", "CVE-2024-0003"]))
    assert (await plan(client, reordered)).empty


async def test_allowlist_can_hand_back_to_the_system_list(client):
    edit, needs = replacing(["CVE-2024-0002"], None)
    await run(client, edit_project_allowlist(client.url, PROJECT, edit, needs_current=needs))
    policy = Policy(allowlist=PolicyAllowlist(items=["CVE-2024-0002"], use_project_list=False))
    result = await plan(client, policy)
    assert result.diff() == "~ allowlist.use_project_list: true -> false"
    await call(result.apply())
    info = await run(client, get_project(client.url, PROJECT))
    assert info.config.reuse_system_allowlist is True
    assert info.metadata["reuse_sys_cve_allowlist"] == "true"
    assert (await plan(client, policy)).empty


async def test_rules_kept_toggled_edited_deleted_and_created(client):
    keep = await add_rule(client, ImmutabilityRule(tags="v*"))
    toggle = await add_rule(client, ImmutabilityRule(repositories="api/**", tags="stable"))
    edit = await add_rule(client, ImmutabilityRule(repositories="web/**", tags="old-*"))
    gone = await add_rule(client, ImmutabilityRule(repositories="tmp/**"))
    policy = Policy(
        immutability=[
            ImmutabilityRule(tags="v*"),
            ImmutabilityRule(repositories="api/**", tags="stable", disabled=True),
            # the same repositories, new tags, and disabled: an edit AND a toggle
            ImmutabilityRule(repositories="web/**", tags="release-*", disabled=True),
            ImmutabilityRule(repositories="db/**", tags="{a,b}", exclude_repositories=True),
        ]
    )
    result = await plan(client, policy)
    assert [(c.kind, (c.before or c.after).id) for c in result.changes] == [
        (ChangeKind.RULE_DELETE, gone.id),
        (ChangeKind.RULE_UPDATE, toggle.id),
        (ChangeKind.RULE_UPDATE, edit.id),
        (ChangeKind.RULE_CREATE, None),
    ]
    await call(result.apply())
    after = {r.id: r for r in await rules(client)}
    assert after[keep.id] == keep
    assert after[toggle.id].disabled is True
    # Harbor drops edits sent together with a toggle: both must have reached it
    assert (after[edit.id].tags, after[edit.id].disabled) == ("release-*", True)
    assert gone.id not in after
    assert without_ids(list(after.values())) == set(policy.immutability)
    assert (await plan(client, policy)).empty


async def test_a_rule_harbor_stored_unvalidated_is_replaced(client, emulator):
    # Harbor saves any rule body (no validation); this one has a selector kind it cannot use
    broken = {
        "disabled": False,
        "action": "immutable",
        "template": "immutable_template",
        "tag_selectors": [{"kind": "regex", "decoration": "matches", "pattern": "v.*"}],
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
        },
    }
    url = f"{URL}/api/v2.0/projects/{PROJECT}/immutabletagrules"
    token = base64.b64encode(":".join(ADMIN).encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    assert emulator.handle(httpx.Request("POST", url, json=broken, headers=headers)).is_success
    (stored,) = await rules(client)
    assert stored.problem is not None
    policy = Policy(immutability=[ImmutabilityRule(tags="v*")])
    result = await plan(client, policy)
    assert [c.kind for c in result.changes] == [ChangeKind.RULE_DELETE, ChangeKind.RULE_CREATE]
    await call(result.apply())
    assert without_ids(await rules(client)) == {ImmutabilityRule(tags="v*")}
    assert (await plan(client, policy)).empty


async def test_an_empty_rule_list_deletes_every_rule(client):
    for tag in ("a", "b", "c"):
        await add_rule(client, ImmutabilityRule(tags=tag))
    result = await plan(client, Policy(immutability=()))
    assert [c.kind for c in result.changes] == [ChangeKind.RULE_DELETE] * 3
    await call(result.apply())
    assert await rules(client) == []


async def test_replacing_fifteen_rules_by_fifteen_others_stays_within_the_limit(client):
    # Harbor's API takes more than 15; the project starts above the UI limit
    for i in range(16):
        await add_rule(client, ImmutabilityRule(repositories=f"old{i}/**"))
    wanted = [ImmutabilityRule(repositories=f"new{i}/**", tags="v*") for i in range(15)]
    result = await plan(client, Policy(immutability=wanted))
    assert sum(c.kind is ChangeKind.RULE_DELETE for c in result.changes) == 16
    assert sum(c.kind is ChangeKind.RULE_CREATE for c in result.changes) == 15
    await call(result.apply())  # creates go through create_rule's 15-rule check
    assert without_ids(await rules(client)) == set(wanted)


async def test_the_scanner_by_name_or_uuid(client):
    clair = await run(client, register_scanner(client.url, "Clair", "http://clair.example:6060"))
    assert (await plan(client, Policy(scanner="Trivy"))).empty  # the default is in use
    result = await plan(client, Policy(scanner="Clair"))
    assert result.diff() == "~ scanner: Trivy -> Clair"
    (change,) = result.changes
    assert change.kind is ChangeKind.SCANNER and change.after.uuid == clair.uuid
    client.transport.seen.clear()
    await call(result.apply())
    (put,) = client.transport.writes()
    assert json.loads(put.content) == {"uuid": clair.uuid}
    assert (await run(client, get_project_scanner(client.url, PROJECT))).uuid == clair.uuid
    assert (await plan(client, Policy(scanner=clair.uuid))).empty
    assert (await plan(client, Policy(scanner="Clair"))).empty


async def test_an_unknown_scanner_is_refused_and_nothing_is_written(client):
    client.transport.seen.clear()
    with pytest.raises(InvalidPolicyError, match="no scanner named 'Anchore'") as info:
        await plan(client, Policy(auto_scan=True, scanner="Anchore"))
    assert info.value.location == "scanner"
    assert client.transport.writes() == []


def test_a_sixteenth_rule_is_refused_before_anything_is_read():
    with pytest.raises(InvalidPolicyError) as info:
        Policy(immutability=[ImmutabilityRule(repositories=f"r{i}") for i in range(16)])
    assert info.value.location == "immutability[15]"


async def test_a_missing_project(client):
    # Harbor answers 403 rather than 404 where it checks permissions before existence
    with pytest.raises((NotFoundError, ForbiddenError)):
        await plan(client, Policy(auto_scan=True), project="nope")


async def test_recommended_applies_and_protects_release_tags(client):
    result = await plan(client, Policy.recommended())
    assert len(result.changes) == 6
    await call(result.apply())
    assert (await plan(client, Policy.recommended())).empty
    project = client.project(PROJECT)
    assert await call(project.is_immutable(f"{PROJECT}/app", "v1.2.3")) is True
    assert await call(project.is_immutable("app", "latest")) is False


async def test_the_plan_repr_and_attributes(client):
    result = await plan(client, Policy(auto_scan=True))
    assert result.project == PROJECT
    assert result.policy == Policy(auto_scan=True)
    assert repr(result) == f"{type(result).__name__}(project='team', changes=1)"


def test_the_guide_runs(monkeypatch, capsys):
    """Every Python block of docs/guides/policy.md, in order, in one namespace."""
    namespace = run_guide("guides/policy.md", min_blocks=6)
    out = capsys.readouterr().out
    assert "team.yaml:4 allowlist.expire_at" in out
    assert "immutability[15]" in out
    assert "~ auto_scan: false -> true" in out
    assert namespace["plan"].policy == namespace["policy"]


class _Printer:
    """The part of IPython's pretty printer that `_repr_pretty_` uses."""

    def __init__(self) -> None:
        self.out = ""

    def text(self, text: str) -> None:
        self.out += text


async def test_plans_display_in_notebooks(client):
    policy = Policy(
        auto_scan=True,
        severity=Severity.HIGH,
        allowlist=PolicyAllowlist(items=("CVE-2024-3094",)),
        immutability=(ImmutabilityRule(repositories="**", tags="<v*>"),),
    )
    first = await plan(client, policy)
    page = first._repr_html_()
    assert f"Plan for project &#x27;{PROJECT}&#x27;: 5 changes" in page
    assert "<td style='text-align:left'>severity</td>" in page
    assert "<td style='text-align:left'>none</td><td style='text-align:left'>high</td>" in page
    assert "&lt;v*&gt;" in page and "<v*>" not in page  # registry and policy text is escaped
    printer = _Printer()
    first._repr_pretty_(printer, False)
    lines = printer.out.splitlines()
    assert lines[0] == f"Plan for project {PROJECT!r}: 5 changes"
    assert lines[1:] == [f"  {line}" for line in first.diff().splitlines()]
    await call(first.apply())
    done = await plan(client, policy)
    assert "nothing to change" in done._repr_html_()
    printer = _Printer()
    done._repr_pretty_(printer, False)
    assert printer.out == (
        f"Plan for project {PROJECT!r}: 0 changes\n"
        "  nothing to change: the project matches the policy"
    )


def test_project_config_displays_every_setting():
    config = ProjectConfig(auto_scan=True, severity="critical")
    page = config._repr_html_()
    assert "<td style='text-align:left'>auto_scan</td><td style='text-align:left'>true</td>" in page
    assert "prevent_vul" in page and "critical" in page
    printer = _Printer()
    config._repr_pretty_(printer, False)
    lines = printer.out.splitlines()
    assert lines[0] == "ProjectConfig" and len(lines) == 9
    assert "  severity                critical" in lines
