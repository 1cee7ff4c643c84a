"""Projects, their settings, CVE allowlists and whoami against the Harbor emulator, sync and async.

Every test runs twice, with `Registry` and with `AsyncRegistry` (`client` fixture; `call`
awaits what the async client returns). Every request body the SDK sends, and every answer it
reads, is checked against Harbor's OpenAPI spec, and project answers go through the strict
converter, so an emulator field the spec does not declare fails here too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from harborsec import (
    AsyncProject,
    AsyncProjectAllowlist,
    AsyncRegistry,
    Project,
    ProjectAllowlist,
    Registry,
)
from harborsec._core._paging import AsyncPager, Pager
from harborsec.errors import (
    ConflictError,
    ForbiddenError,
    InvalidPolicyError,
    NotFoundError,
    PreconditionFailedError,
    UnauthorizedError,
)
from harborsec.harbor._allowlists import CveAllowlist, EffectiveAllowlist, parse_allowlist
from harborsec.harbor._api import make_harbor_converter
from harborsec.harbor._config import ConfigChanges, ProjectConfig
from harborsec.harbor._projects import parse_project
from harborsec.harbor._severity import Severity
from harborsec.testing import HarborEmulator
from tests._guides import run_guide
from tests._spec import SpecCheckedTransport
from tests.client._both import URL, call, close, open_registry

UTC = timezone.utc
STRICT = make_harbor_converter(strict=True)


class Checked(SpecCheckedTransport):
    """The emulator, every exchange checked against the spec, project answers parsed strictly."""

    def __init__(self, emulator: HarborEmulator) -> None:
        super().__init__(emulator.handle, check_answer=strict_parse)


def strict_parse(template: str, answer: Any) -> None:
    if template == "/projects":
        for item in answer:
            parse_project(item, converter=STRICT)
    elif template == "/projects/{project_name_or_id}":
        parse_project(answer, converter=STRICT)
    elif template == "/system/CVEAllowlist":
        parse_allowlist(answer, converter=STRICT)


@pytest.fixture
def emulator() -> HarborEmulator:
    return HarborEmulator()


@pytest.fixture(params=["sync", "async"])
async def client(request, emulator):
    registry = open_registry(request.param, Checked(emulator))
    yield registry
    await close(registry)


def connect(emulator: HarborEmulator, like: Any, auth: Any) -> Any:
    cls = AsyncRegistry if isinstance(like, AsyncRegistry) else Registry
    return cls(URL, auth=auth, transport=Checked(emulator))


async def create(client, name: str, **options: Any) -> Any:
    project = await call(client.create_project(name, **options))
    assert isinstance(project, AsyncProject if isinstance(client, AsyncRegistry) else Project)
    assert project.name == name
    return project


async def listing(client, **filters: Any) -> list[Any]:
    pager = client.projects(**filters)
    assert isinstance(pager, AsyncPager if isinstance(client, AsyncRegistry) else Pager)
    return await call(pager.all())


# -- projects -------------------------------------------------------------------------------------


async def test_create_read_and_delete(client):
    await create(client, "team")
    project = client.project("team")
    assert isinstance(project, AsyncProject if isinstance(client, AsyncRegistry) else Project)
    info = await call(project.info())
    assert info.name == "team" and info.project_id > 0
    assert info.owner_name == "admin" and info.repo_count == 0
    assert info.creation_time is not None and info.creation_time.tzinfo is not None
    assert info.metadata["public"] == "false"
    assert info.config == ProjectConfig.from_metadata({"public": "false"})
    assert info.config.reuse_system_allowlist is True  # not set at creation: absent means true
    assert info.allowlist == CveAllowlist()
    await call(project.delete())
    assert "team" not in [p.name for p in await listing(client)]


async def test_create_with_a_configuration(client):
    config = ConfigChanges(auto_scan=True, prevent_vulnerable=True, severity="high", public=True)
    await create(client, "secure", config=config, storage_limit=-1)
    got = await call(client.project("secure").config())
    assert (got.public, got.auto_scan, got.prevent_vulnerable, got.severity) == (
        True,
        True,
        True,
        Severity.HIGH,
    )
    assert got.cosign_required is False


async def test_create_twice_is_a_conflict(client):
    await create(client, "dup")
    with pytest.raises(ConflictError):
        await create(client, "dup")


async def test_a_project_named_with_digits_is_addressed_by_name(client):
    await create(client, "123")
    info = await call(client.project("123").info())
    assert info.name == "123"


async def test_missing_project_is_not_found(client):
    # Harbor answers 403 to anyone for a missing project addressed by name; the SDK asks
    # HEAD /projects?project_name= and raises NotFoundError.
    for attempt in (
        lambda: client.project("nope").config(),
        lambda: client.project("nope").update_config(auto_scan=True),
        lambda: client.project("nope").allowlist.replace([], expires_at=None),
        lambda: client.delete_project("nope"),
    ):
        with pytest.raises(NotFoundError, match="project 'nope' not found"):
            await call(attempt())


async def test_a_private_project_of_others_is_forbidden(client, emulator):
    await create(client, "private")
    emulator.add_user("dev", "Dev12345")
    other = connect(emulator, client, ("dev", "Dev12345"))
    try:
        with pytest.raises(ForbiddenError):
            await call(other.project("private").info())
        with pytest.raises(ForbiddenError):
            await call(other.project("private").update_config(public=True))
    finally:
        await close(other)


async def test_non_admin_gets_not_found_for_a_missing_project(client, emulator):
    emulator.add_user("dev", "Dev12345")
    other = connect(emulator, client, ("dev", "Dev12345"))
    try:
        with pytest.raises(NotFoundError):
            await call(other.project("nope").info())
    finally:
        await close(other)


async def test_a_project_with_repositories_cannot_be_deleted(client):
    from harborsec.oci import OCI_MANIFEST, Descriptor, ImageManifest

    await create(client, "full")
    config = await call(client.push_blob("full/app", b"{}", media_type="application/json"))
    layer = await call(client.push_blob("full/app", b"layer"))
    manifest = ImageManifest(config=config, layers=(layer,)).to_bytes()
    await call(client.push_manifest("full/app", manifest, media_type=OCI_MANIFEST, tag="1"))
    assert isinstance(layer, Descriptor)
    with pytest.raises(PreconditionFailedError):
        await call(client.project("full").delete())


async def test_listing_pages_with_x_total_count(client, emulator):
    for n in range(23):
        await create(client, f"p{n:02d}", public=n % 2 == 0)
    client.transport.seen.clear()
    names = [p.name for p in await listing(client, page_size=10)]
    assert sorted(names) == sorted([*(f"p{n:02d}" for n in range(23)), "library"])
    pages = [r for r in client.transport.seen if r.url.path.endswith("/projects")]
    assert [r.url.params["page"] for r in pages] == ["1", "2", "3"]
    assert {r.url.params["page_size"] for r in pages} == {"10"}


async def test_listing_filters(client):
    for name in ("team-a", "team-b", "other"):
        await create(client, name, public=name == "team-b")
    assert sorted(p.name for p in await listing(client, name="team")) == ["team-a", "team-b"]
    public = {p.name for p in await listing(client, public=True)}
    assert "team-b" in public and "team-a" not in public
    assert {p.name for p in await listing(client, q="name=~eam")} == {"team-a", "team-b"}
    assert [p.name for p in await listing(client, q="name=team-a")] == ["team-a"]


async def test_page_size_above_100_is_refused_before_sending(client, emulator):
    # Harbor answers 422 above 100 (harbor-pitfalls #4); the pager refuses when it is built.
    for size in (0, 101):
        with pytest.raises(ValueError, match="1 to 100"):
            client.projects(page_size=size)
    assert emulator.requests == []
    first = await call(client.projects(page_size=100).first_page())
    assert first.page_size == 100 and first.total == 1


async def test_update_config_sends_only_what_is_given(client):
    await create(client, "cfg")
    project = client.project("cfg")
    config = await call(project.update_config(prevent_vulnerable=True, severity="Critical"))
    assert config.prevent_vulnerable and config.severity is Severity.CRITICAL
    config = await call(project.update_config(auto_scan=True))
    assert config.severity is Severity.CRITICAL and config.auto_scan  # left unchanged
    bodies = [json.loads(r.content) for r in client.transport.writes() if r.method == "PUT"]
    assert bodies == [
        {"metadata": {"prevent_vul": "true", "severity": "critical"}},
        {"metadata": {"auto_scan": "true"}},
    ]
    info = await call(project.info())
    assert info.metadata["severity"] == "critical"  # stored lowercase, as Harbor's UI does


async def test_every_setting_round_trips(client):
    await create(client, "all")
    wanted = {
        "public": True,
        "auto_scan": True,
        "auto_sbom_generation": True,
        "prevent_vulnerable": True,
        "severity": Severity.LOW,
        "cosign_required": True,
        "notation_required": True,
        "reuse_system_allowlist": False,
    }
    assert await call(client.project("all").update_config(**wanted)) == ProjectConfig(**wanted)
    off = {k: (False if isinstance(v, bool) else Severity.NONE) for k, v in wanted.items()}
    assert await call(client.project("all").update_config(**off)) == ProjectConfig(**off)


async def test_bad_settings_send_nothing(client):
    await create(client, "bad")
    client.transport.seen.clear()
    with pytest.raises(InvalidPolicyError):
        await call(client.project("bad").update_config(severity="severe"))
    with pytest.raises(InvalidPolicyError):
        await call(client.project("bad").update_config(auto_scan="yes"))
    assert client.transport.seen == []


async def test_writes_work_after_harbor_set_a_session_cookie(client, emulator):
    # Harbor sets `sid` on every answer; a client sending it back fails every write with
    # 403 CSRF (harbor-pitfalls #2). The Checked transport also asserts no Cookie header.
    await create(client, "csrf")
    await call(client.project("csrf").info())
    assert any("sid=" in r.headers.get("set-cookie", "") for r in client.transport.answers)
    await call(client.project("csrf").update_config(auto_scan=True))
    await call(client.project("csrf").delete())


async def test_project_namespaces_and_is_immutable(client):
    from harborsec import (
        AsyncImmutabilityRules,
        AsyncProjectScanner,
        ImmutabilityRules,
        ProjectScanner,
    )
    from harborsec.harbor._immutability import ImmutabilityRule

    project = await create(client, "ns")
    is_async = isinstance(client, AsyncRegistry)
    assert isinstance(
        project.immutability, AsyncImmutabilityRules if is_async else ImmutabilityRules
    )
    assert isinstance(project.scanner, AsyncProjectScanner if is_async else ProjectScanner)
    assert await call(project.is_immutable("app", "v1.0")) is False
    await call(project.immutability.create(ImmutabilityRule(repositories="app", tags="v*")))
    assert await call(project.is_immutable("app", "v1.0")) is True
    assert await call(project.is_immutable("ns/app", "v1.0")) is True  # with the project prefix
    assert await call(project.is_immutable("app", "latest")) is False
    assert await call(project.is_immutable("other", "v1.0")) is False


async def test_project_scanner(client):
    project = await create(client, "scanned")
    expected = "AsyncProjectScanner" if isinstance(client, AsyncRegistry) else "ProjectScanner"
    assert type(project.scanner).__name__ == expected


async def test_project_plan_runs_the_policy_plan(client):
    from harborsec.policy import Policy

    project = await create(client, "planned")
    policy = Policy(auto_scan=True, severity="critical", prevent_vulnerable=True)
    plan = await call(project.plan(policy))
    assert type(plan).__name__ == ("AsyncPlan" if isinstance(client, AsyncRegistry) else "Plan")
    assert "~ auto_scan: false -> true" in plan.diff()
    await call(plan.apply())
    assert (await call(project.plan(policy))).empty
    config = await call(project.config())
    assert config.auto_scan and config.severity is Severity.CRITICAL


# -- allowlists -----------------------------------------------------------------------------------


async def test_project_allowlist_replace_dedupes_and_takes_effect(client):
    await create(client, "al")
    allowlist = client.project("al").allowlist
    assert isinstance(
        allowlist,
        AsyncProjectAllowlist if isinstance(client, AsyncRegistry) else ProjectAllowlist,
    )
    before = await call(allowlist.effective())
    assert before == EffectiveAllowlist(CveAllowlist(), "system")
    at = datetime(2027, 6, 30, tzinfo=UTC)
    got = await call(
        allowlist.replace(["CVE-2024-3094", "CVE-2023-44487", "CVE-2024-3094"], expires_at=at)
    )
    assert got == CveAllowlist(("CVE-2024-3094", "CVE-2023-44487"), at)
    effective = await call(allowlist.effective())
    assert effective == EffectiveAllowlist(got, "project")
    assert await call(allowlist.get()) == got


async def test_project_allowlist_edits_keep_the_rest(client):
    await create(client, "edit")
    allowlist = client.project("edit").allowlist
    at = datetime(2030, 1, 1, tzinfo=UTC)
    await call(allowlist.replace(["CVE-2024-3094"], expires_at=at))
    got = await call(allowlist.add("CVE-2023-44487", "CVE-2024-3094"))
    assert got == CveAllowlist(("CVE-2024-3094", "CVE-2023-44487"), at)
    got = await call(allowlist.remove("CVE-2024-3094", "CVE-2000-0001"))
    assert got == CveAllowlist(("CVE-2023-44487",), at)
    got = await call(allowlist.replace(["CVE-2021-44228"]))  # expiry not given: kept
    assert got == CveAllowlist(("CVE-2021-44228",), at)
    got = await call(allowlist.set_expiry(None))
    assert got == CveAllowlist(("CVE-2021-44228",), None)
    assert await call(allowlist.replace([])) == CveAllowlist()


async def test_use_false_leaves_the_system_list_in_force(client):
    await create(client, "keep")
    allowlist = client.project("keep").allowlist
    await call(allowlist.replace(["CVE-2024-3094"], use=False))
    effective = await call(allowlist.effective())
    assert effective.source == "system"
    assert await call(allowlist.get()) == CveAllowlist(("CVE-2024-3094",))
    await call(client.project("keep").update_config(reuse_system_allowlist=False))
    assert (await call(allowlist.effective())).source == "project"
    await call(client.project("keep").update_config(reuse_system_allowlist=True))
    assert (await call(allowlist.effective())).source == "system"


async def test_bad_ids_send_nothing(client):
    await create(client, "ids")
    allowlist = client.project("ids").allowlist
    client.transport.seen.clear()
    for bad in (
        lambda: allowlist.replace(["CVE-2024-3094", "cve-2024-1"]),
        lambda: allowlist.replace("CVE-2024-3094"),
        lambda: allowlist.add(""),
        lambda: allowlist.set_expiry(datetime(2030, 1, 1)),
        lambda: client.system_allowlist.add("not-a cve"),
    ):
        with pytest.raises(InvalidPolicyError):
            await call(bad())
    assert client.transport.seen == []


async def test_system_allowlist(client):
    system = client.system_allowlist
    assert await call(system.get()) == CveAllowlist()
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    got = await call(system.replace(["CVE-2024-3094", "CVE-2024-3094"], expires_at=at))
    assert got == CveAllowlist(("CVE-2024-3094",), at)
    got = await call(system.add("GHSA-xvch-5gv4-984h"))
    assert got.items == ("CVE-2024-3094", "GHSA-xvch-5gv4-984h") and got.expires_at == at
    got = await call(system.remove("CVE-2024-3094"))
    assert got.items == ("GHSA-xvch-5gv4-984h",)
    got = await call(system.set_expiry(None))
    assert got == CveAllowlist(("GHSA-xvch-5gv4-984h",))
    await create(client, "sys")
    effective = await call(client.project("sys").allowlist.effective())
    assert effective == EffectiveAllowlist(got, "system")


async def test_only_admins_write_the_system_allowlist(client, emulator):
    emulator.add_user("dev", "Dev12345")
    other = connect(emulator, client, ("dev", "Dev12345"))
    try:
        assert await call(other.system_allowlist.get()) == CveAllowlist()
        with pytest.raises(ForbiddenError):
            await call(other.system_allowlist.add("CVE-2024-3094"))
    finally:
        await close(other)


# -- whoami ---------------------------------------------------------------------------------------


async def test_whoami_admin(client):
    identity = await call(client.whoami())
    assert identity.username == "admin" and not identity.robot
    assert identity.permissions


async def test_whoami_fails_clearly_on_bad_credentials(client, emulator):
    other = connect(emulator, client, ("admin", "wrong"))
    try:
        with pytest.raises(UnauthorizedError, match="did not accept the credentials of 'admin'"):
            await call(other.whoami())
        # ... although Harbor still answers reads of public projects, as anonymous
        assert (await call(other.project("library").info())).name == "library"
    finally:
        await close(other)
    anonymous = connect(emulator, client, None)
    try:
        with pytest.raises(UnauthorizedError, match="no credentials"):
            await call(anonymous.whoami())
    finally:
        await close(anonymous)


async def test_whoami_robot(client, emulator):
    name = emulator.add_robot("ci", "Secret123", actions=("pull", "project:create"))
    other = connect(emulator, client, (name, "Secret123"))
    try:
        identity = await call(other.whoami())
    finally:
        await close(other)
    assert identity.username == "robot$ci" and identity.robot
    assert identity.can("project", "create")


# -- the guides' examples run ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["projects.md", "allowlists.md"])
def test_guide_examples_run(page, capsys):

    namespace = run_guide(f"guides/{page}", min_blocks=4)
    # what the pages' comments claim
    if page == "projects.md":
        assert (namespace["me"].username, namespace["me"].robot) == ("admin", False)
        assert namespace["config"].severity is Severity.CRITICAL
        assert namespace["secure"].config().auto_sbom_generation is True
        assert namespace["first"].total is not None
        assert "team-b" not in [p.name for p in namespace["registry"].projects()]
    else:
        assert namespace["allowlist"].items == ("CVE-2023-44487", "CVE-2024-3094")
        assert namespace["effective"].source == "system"
        assert namespace["project"].allowlist.effective().source == "project"
        assert namespace["system"].get().items == ("CVE-2021-44228", "CVE-2024-3094")
    assert capsys.readouterr().out
