"""Tag immutability rules against the Harbor emulator, sync and async.

Every test runs with `Registry` and with `AsyncRegistry`. Every request body the SDK sends and
every answer it reads on the rules endpoints is checked against Harbor's OpenAPI spec, and no
request carries a cookie (harbor-pitfalls #2). The pitfalls of harbor-pitfalls #10 (the UI-only
15-rule cap, a toggle dropping the edits sent with it, no validation) and #4 (page_size) are
exercised against the emulator, which behaves like Harbor there.
"""

from __future__ import annotations

from typing import Any

import attrs
import httpx
import pytest

import harborsec
from harborsec import AsyncImmutabilityRules, AsyncRegistry, ImmutabilityRules, Registry
from harborsec.errors import (
    ConflictError,
    ForbiddenError,
    InvalidPolicyError,
    NotFoundError,
    PreconditionFailedError,
)
from harborsec.harbor._immutability import MAX_RULES, ImmutabilityRule, rule_to_wire
from harborsec.oci import OCI_MANIFEST, ImageManifest
from harborsec.testing import HarborEmulator
from tests._guides import run_guide
from tests._spec import SpecCheckedTransport
from tests.client._both import ADMIN, URL, call, close, open_registry, team_emulator

RULES = "/projects/{project_name_or_id}/immutabletagrules"
RULE = "/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}"


class Checked(SpecCheckedTransport):
    """The emulator, every exchange checked against the spec."""

    def __init__(self, emulator: HarborEmulator) -> None:
        super().__init__(emulator.handle)

    def rule_writes(self) -> list[httpx.Request]:
        return [
            r
            for r in self.seen
            if r.method in ("POST", "PUT", "DELETE") and "immutabletagrules" in r.url.path
        ]


@pytest.fixture
def emulator() -> HarborEmulator:
    return team_emulator()


@pytest.fixture(params=["sync", "async"])
async def client(request, emulator):
    registry = open_registry(request.param, Checked(emulator))
    yield registry
    await close(registry)


def rules_of(client: Any, project: str = "team") -> Any:
    rules = client.project(project).immutability
    expected = AsyncImmutabilityRules if isinstance(client, AsyncRegistry) else ImmutabilityRules
    assert isinstance(rules, expected)
    return rules


def raw(emulator: HarborEmulator, method: str, path: str, body: Any = None) -> httpx.Response:
    """A request to the emulator from 'another client' (no validation)."""
    with httpx.Client(transport=emulator.transport(), auth=ADMIN) as http:
        return http.request(method, f"{URL}/api/v2.0{path}", json=body,
                            headers={"X-Is-Resource-Name": "true"})  # fmt: skip


def push(emulator: HarborEmulator, repository: str, tag: str, marker: str) -> None:
    """Push a small image by tag (a different one for each marker); raises on 412."""
    config = harborsec.Descriptor.for_content("application/vnd.oci.image.config.v1+json", b"{}")
    data = marker.encode()
    layer = harborsec.Descriptor.for_content("application/vnd.oci.image.layer.v1.tar", data)
    manifest = ImageManifest(config=config, layers=(layer,))
    with Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        registry.push_blob(repository, b"{}")
        registry.push_blob(repository, data)
        registry.push_manifest(repository, manifest.to_bytes(), media_type=OCI_MANIFEST, tag=tag)


# -- the rule set ----------------------------------------------------------------------------------


async def test_create_list_update_toggle_and_delete(client):
    rules = rules_of(client)
    assert await call(rules.list()) == []
    created = await call(rules.create(ImmutabilityRule(repositories="api/**", tags="v*")))
    assert created.id is not None and not created.disabled
    listed = await call(rules.list())
    assert listed == [created]

    await call(rules.disable(created.id))
    assert (await call(rules.list()))[0].disabled
    await call(rules.enable(created.id))
    assert not (await call(rules.list()))[0].disabled

    edited = attrs.evolve(created, tags="{v*,release-*}", exclude_repositories=True)
    assert await call(rules.update(edited)) == edited
    assert await call(rules.list()) == [edited]

    await call(rules.delete(created.id))
    assert await call(rules.list()) == []


async def test_an_edit_and_a_toggle_together_both_apply(client, emulator):
    """harbor-pitfalls #10: Harbor drops the edits sent in the same PUT as a toggle."""
    rules = rules_of(client)
    created = await call(rules.create(ImmutabilityRule(tags="v*")))
    wanted = attrs.evolve(created, tags="release-*", disabled=True)

    # What a naive client gets: one PUT, the toggle applies and the edit is lost.
    assert raw(emulator, "PUT", f"/projects/team/immutabletagrules/{created.id}",
               rule_to_wire(wanted)).status_code == 200  # fmt: skip
    naive = (await call(rules.list()))[0]
    assert naive.disabled and naive.tags == "v*"

    await call(rules.enable(created.id))
    client.transport.seen.clear()
    await call(rules.update(wanted))
    assert await call(rules.list()) == [wanted]
    assert [r.method for r in client.transport.rule_writes()] == ["PUT", "PUT"]


async def test_a_rule_created_disabled_is_disabled(client):
    rules = rules_of(client)
    created = await call(rules.create(ImmutabilityRule(tags="rc-*", disabled=True)))
    assert created.disabled
    assert (await call(rules.list()))[0].disabled  # Harbor alone would have enabled it


async def test_the_15_rule_cap_is_enforced_on_the_client(client):
    """harbor-pitfalls #10: the API accepts a 16th rule; the UI (and the SDK) do not."""
    rules = rules_of(client)
    for number in range(MAX_RULES):
        await call(rules.create(ImmutabilityRule(tags=f"t{number}-*")))
    client.transport.seen.clear()
    with pytest.raises(InvalidPolicyError, match="at most 15"):
        await call(rules.create(ImmutabilityRule(tags="one-more")))
    assert client.transport.rule_writes() == []
    extra = await call(rules.create(ImmutabilityRule(tags="one-more"), enforce_limit=False))
    assert len(await call(rules.list())) == MAX_RULES + 1
    assert extra.id is not None


async def test_listing_pages_through_more_than_100_rules(client):
    """harbor-pitfalls #4: page_size stays at 100, the default would be 10."""
    rules = rules_of(client)
    for number in range(105):
        await call(rules.create(ImmutabilityRule(tags=f"t{number}"), enforce_limit=False))
    client.transport.seen.clear()
    listed = await call(rules.list())
    assert [r.tags for r in listed] == [f"t{n}" for n in range(105)]
    gets = [r for r in client.transport.seen if r.method == "GET"]
    assert [r.url.params["page"] for r in gets] == ["1", "2"]


async def test_invalid_rules_are_refused_before_anything_is_sent(client):
    rules = rules_of(client)
    client.transport.seen.clear()
    for bad in ("v[0-9", "{a,b", "api{/v1,/v2}", ""):
        with pytest.raises(InvalidPolicyError):
            await call(rules.create(ImmutabilityRule(tags=bad)))
    assert client.transport.seen == []


async def test_an_identical_rule_is_a_conflict(client):
    rules = rules_of(client)
    await call(rules.create(ImmutabilityRule(tags="v*")))
    with pytest.raises(ConflictError):
        await call(rules.create(ImmutabilityRule(tags="v*")))


async def test_missing_rules(client, emulator):
    emulator.create_project("other")
    theirs = await call(rules_of(client, "other").create(ImmutabilityRule(tags="x")))
    rules = rules_of(client)
    with pytest.raises(NotFoundError):
        await call(rules.delete(theirs.id))  # Harbor: 404 for another project's rule
    client.transport.seen.clear()
    for attempt in (
        lambda: rules.enable(theirs.id),
        lambda: rules.update(attrs.evolve(theirs, tags="y")),
    ):
        with pytest.raises(NotFoundError):
            await call(attempt())
    assert client.transport.rule_writes() == []


async def test_a_guest_may_not_add_rules(client, emulator):
    emulator.add_user("guest", "Guest123")
    emulator.add_member("team", "guest", push=False)
    cls = AsyncRegistry if isinstance(client, AsyncRegistry) else Registry
    guest = cls(URL, auth=("guest", "Guest123"), transport=Checked(emulator))
    try:
        with pytest.raises(ForbiddenError):
            await call(guest.project("team").immutability.create(ImmutabilityRule()))
    finally:
        await close(guest)


# -- evaluation, against what the registry enforces ------------------------------------------------

CASES = [
    ("api/server", "v1.2.3"),
    ("api/server", "latest"),
    ("web", "v2"),
    ("web", "release-1"),
    ("tools/x", "v1"),
]


@pytest.mark.parametrize(
    "rule",
    [
        ImmutabilityRule(repositories="api/**", tags="v[0-9]*"),
        ImmutabilityRule(repositories="{api/*,web}", tags="{v*,release-*}"),
        ImmutabilityRule(
            repositories="tools/**", exclude_repositories=True, tags="latest", exclude_tags=True
        ),
        ImmutabilityRule(tags="v*", disabled=True),
    ],
)
async def test_is_immutable_agrees_with_what_harbor_enforces(client, emulator, rule):
    for index, (repository, tag) in enumerate(CASES):
        push(emulator, f"team/{repository}", tag, f"first-{index}")
    await call(rules_of(client).create(rule))
    for index, (repository, tag) in enumerate(CASES):
        predicted = await call(client.project("team").is_immutable(f"team/{repository}", tag))
        assert predicted is await call(rules_of(client).is_immutable(repository, tag))
        if predicted:
            with pytest.raises(PreconditionFailedError, match="configured as immutable"):
                push(emulator, f"team/{repository}", tag, f"second-{index}")
        else:
            push(emulator, f"team/{repository}", tag, f"second-{index}")


async def test_a_rule_harbor_cannot_evaluate_protects_nothing(client, emulator):
    """No server-side validation: a broken rule saved by another client stops the evaluation."""
    push(emulator, "team/api", "v1", "one")
    broken = rule_to_wire(ImmutabilityRule(tags="v[0-9"))
    assert raw(emulator, "POST", "/projects/team/immutabletagrules", broken).status_code == 201
    rules = rules_of(client)
    await call(rules.create(ImmutabilityRule(tags="v*")))
    assert not await call(rules.is_immutable("api", "v1"))
    push(emulator, "team/api", "v1", "two")  # not refused: Harbor gave up at the broken rule
    stored = await call(rules.list())
    with pytest.raises(InvalidPolicyError):
        stored[0].validate()


async def test_rules_in_shapes_the_sdk_does_not_write_can_be_listed_and_deleted(client, emulator):
    body = rule_to_wire(ImmutabilityRule(tags="v*"))
    body["scope_selectors"] = {}
    assert raw(emulator, "POST", "/projects/team/immutabletagrules", body).status_code == 201
    rules = rules_of(client)
    (odd,) = await call(rules.list())
    assert "never applies" in odd.problem
    assert not await call(rules.is_immutable("api", "v1"))
    await call(rules.delete(odd.id))
    assert await call(rules.list()) == []


# -- the guide's examples run ----------------------------------------------------------------------


def test_the_guide_examples_run(monkeypatch, capsys):
    namespace = run_guide("guides/immutability.md", min_blocks=7)
    # what the page's comments claim
    release, not_dev = namespace["release"], namespace["not_dev"]
    assert release.matches("api/server", "v1.2.3") and not release.matches("api/server", "latest")
    assert not_dev.matches("api", "v1") and not not_dev.matches("sandbox/x", "v1")
    project = namespace["project"]
    stored = {r.id: r for r in project.immutability.list()}
    assert stored[namespace["first"].id].tags == "v*"
    assert not stored[namespace["first"].id].disabled
    assert project.is_immutable("team/api/server", "v1.2.3")
    assert project.is_immutable("api/server", "latest")
    assert not project.is_immutable("db", "latest")
    assert project.is_immutable("tools/lint", "anything")  # the async block's rule
    out = capsys.readouterr().out
    assert "unclosed '[' in tag pattern 'v[0-9'" in out
    assert "configured as immutable" in out
