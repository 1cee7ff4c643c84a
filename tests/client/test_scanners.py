"""Scanners, the project scanner and scan-all against the Harbor emulator, sync and async.

Every test runs with `Registry` and with `AsyncRegistry`. Every request body the SDK sends and
every answer it reads on these endpoints is checked against Harbor's OpenAPI spec (answers with
a status the spec does not list must be Harbor's error body), every page size stays at or below
100 (harbor-pitfalls #4), and no request carries a cookie (harbor-pitfalls #2).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harborsec import (
    AsyncProjectScanner,
    AsyncRegistry,
    AsyncScanAll,
    AsyncScanners,
    ProjectScanner,
    Registry,
    ScanAll,
    Scanners,
)
from harborsec.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InvalidPolicyError,
    NotFoundError,
    PreconditionFailedError,
    ServerError,
)
from harborsec.harbor._api import make_harbor_converter
from harborsec.harbor._scanners import ScannerAuth, parse_metadata, parse_scanner
from harborsec.harbor._schedules import (
    ScanAllMetrics,
    ScanSchedule,
    ScheduleType,
    parse_metrics,
    parse_schedule,
)
from harborsec.testing import HarborEmulator
from tests._guides import run_guide
from tests._spec import SpecCheckedTransport
from tests.client._both import ADMIN, URL, call, close, open_registry, team_emulator

STRICT = make_harbor_converter(strict=True)


_PARSERS = {
    "/scanners": lambda body: [parse_scanner(item, converter=STRICT) for item in body],
    "/scanners/{registration_id}": lambda body: parse_scanner(body, converter=STRICT),
    "/scanners/{registration_id}/metadata": lambda body: parse_metadata(body, converter=STRICT),
    "/projects/{project_name_or_id}/scanner": lambda body: parse_scanner(body, converter=STRICT),
    "/projects/{project_name_or_id}/scanner/candidates": lambda body: [
        parse_scanner(item, converter=STRICT) for item in body
    ],
    "/system/scanAll/schedule": lambda body: parse_schedule(body, converter=STRICT),
    "/scans/all/metrics": lambda body: parse_metrics(body, converter=STRICT),
    "/scans/schedule/metrics": lambda body: parse_metrics(body, converter=STRICT),
}


def strict_parse(template: str, answer: Any) -> None:
    parse = _PARSERS.get(template)
    if parse is not None and answer is not None:
        parse(answer)


class Checked(SpecCheckedTransport):
    """The emulator, every exchange checked against the spec, answers parsed strictly."""

    def __init__(self, emulator: HarborEmulator) -> None:
        super().__init__(emulator.handle, check_answer=strict_parse)


@pytest.fixture
def emulator() -> HarborEmulator:
    return team_emulator()


@pytest.fixture(params=["sync", "async"])
async def client(request, emulator):
    registry = open_registry(request.param, Checked(emulator))
    yield registry
    await close(registry)


def scanners_of(client: Any) -> Any:
    scanners = client.scanners
    assert isinstance(scanners, AsyncScanners if isinstance(client, AsyncRegistry) else Scanners)
    return scanners


def project_scanner(client: Any, project: str = "team") -> Any:
    namespace = client.project(project).scanner
    expected = AsyncProjectScanner if isinstance(client, AsyncRegistry) else ProjectScanner
    assert isinstance(namespace, expected)
    return namespace


def scan_all_of(client: Any) -> Any:
    scan_all = client.scan_all
    assert isinstance(scan_all, AsyncScanAll if isinstance(client, AsyncRegistry) else ScanAll)
    return scan_all


def raw(emulator: HarborEmulator, method: str, path: str, body: Any = None) -> httpx.Response:
    """A request to the emulator from 'another client' (no validation)."""
    with httpx.Client(transport=emulator.transport(), auth=ADMIN) as http:
        return http.request(method, f"{URL}/api/v2.0{path}", json=body,
                            headers={"X-Is-Resource-Name": "true"})  # fmt: skip


def stored_credential(emulator: HarborEmulator, uuid: str) -> str:
    return emulator._state.scanners[uuid].credential_hash


# -- registrations ---------------------------------------------------------------------------------


async def test_register_list_get_metadata_and_delete(client):
    scanners = scanners_of(client)
    assert await call(scanners.list()) == []
    first = await call(
        scanners.register(
            "trivy-ha",
            "http://trivy-adapter.harbor.svc:8080",
            auth="Bearer",
            credential="s3cr3t-token",
            description="Trivy behind LB",
            use_internal_address=True,
        )
    )
    assert first.is_default  # the first registration becomes the default
    assert (first.auth, first.use_internal_address, first.description) == (
        ScannerAuth.BEARER,
        True,
        "Trivy behind LB",
    )
    assert first.capabilities == {"support_vulnerability": True, "support_sbom": True}
    second = await call(scanners.register("grype", "http://grype.internal:8080"))
    assert not second.is_default
    assert {s.name for s in await call(scanners.list())} == {"trivy-ha", "grype"}
    assert await call(scanners.get(second.uuid)) == second

    metadata = await call(scanners.metadata(first.uuid))
    assert metadata.name and {c.type for c in metadata.capabilities} == {"vulnerability", "sbom"}

    deleted = await call(scanners.delete(second.uuid))
    assert deleted.uuid == second.uuid
    with pytest.raises(NotFoundError):
        await call(scanners.get(second.uuid))


async def test_set_default(client):
    scanners = scanners_of(client)
    first = await call(scanners.register("one", "http://one.internal"))
    second = await call(scanners.register("two", "http://two.internal"))
    await call(scanners.set_default(second.uuid))
    defaults = {s.name: s.is_default for s in await call(scanners.list())}
    assert defaults == {"one": False, "two": True}
    assert not (await call(scanners.get(first.uuid))).is_default


async def test_update_keeps_what_it_is_not_told_to_change(client, emulator):
    """PUT is a full replacement in Harbor: the SDK reads and merges first."""
    scanners = scanners_of(client)
    registered = await call(
        scanners.register(
            "grype",
            "http://grype.internal",
            auth="Basic",
            credential="user:pass",
            skip_cert_verify=True,
            use_internal_address=True,
        )
    )
    secret = stored_credential(emulator, registered.uuid)
    updated = await call(scanners.update(registered.uuid, description="now with notes"))
    assert updated.description == "now with notes"
    assert (updated.skip_cert_verify, updated.use_internal_address, updated.auth) == (
        True,
        True,
        ScannerAuth.BASIC,
    )
    assert stored_credential(emulator, registered.uuid) == secret  # the credential is kept

    rotated = await call(scanners.update(registered.uuid, credential="user:new"))
    assert stored_credential(emulator, rotated.uuid) != secret

    # What a naive client gets: a PUT with only the new description resets the rest.
    naive = {"name": "grype", "url": "http://grype.internal", "description": "naive"}
    assert raw(emulator, "PUT", f"/scanners/{registered.uuid}", naive).status_code == 200
    reset = await call(scanners.get(registered.uuid))
    assert (reset.skip_cert_verify, reset.use_internal_address, reset.auth) == (
        False,
        False,
        ScannerAuth.NONE,
    )


async def test_invalid_settings_are_refused_before_anything_is_sent(client):
    scanners = scanners_of(client)
    registered = await call(scanners.register("grype", "http://grype.internal"))
    client.transport.seen.clear()
    attempts = [
        lambda: scanners.register("Trivy", "http://trivy.internal"),
        lambda: scanners.register("x", "grype.internal"),
        lambda: scanners.register("x", "http://x.internal", auth="Bearer"),
        lambda: scanners.register(
            "x", "http://x.internal", auth="X-ScannerAdapter-API-Key", credential="k"
        ),
        lambda: scanners.ping("http://x.internal", auth="Basic", credential="no-colon"),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidPolicyError):
            await call(attempt())
    assert client.transport.seen == []
    with pytest.raises(InvalidPolicyError, match="needs the new credential"):
        await call(scanners.update(registered.uuid, auth="APIKey"))
    assert client.transport.writes() == []


async def test_harbor_refusals(client):
    scanners = scanners_of(client)
    await call(scanners.register("grype", "http://grype.internal"))
    with pytest.raises(ConflictError):
        await call(scanners.register("grype", "http://other.internal"))
    with pytest.raises(ServerError):  # Harbor pings the adapter first; unreachable: 500
        await call(scanners.register("down", "http://down.invalid"))
    with pytest.raises(ServerError):
        await call(scanners.ping("http://down.invalid"))
    assert await call(scanners.ping("http://up.internal", auth="APIKey", credential="k")) is None


async def test_the_built_in_trivy_cannot_be_changed(emulator):
    emulator = HarborEmulator(trivy=True)
    with Registry(URL, auth=ADMIN, transport=Checked(emulator)) as registry:
        (trivy,) = registry.scanners.list()
        assert trivy.name == "Trivy" and trivy.is_default
        with pytest.raises(ForbiddenError):
            registry.scanners.update(trivy.uuid, description="mine")
        with pytest.raises(ForbiddenError):
            registry.scanners.delete(trivy.uuid)


async def test_only_system_admins_manage_scanners(client, emulator):
    cls = AsyncRegistry if isinstance(client, AsyncRegistry) else Registry
    dev = cls(URL, auth=("dev", "Dev12345"), transport=Checked(emulator))
    try:
        with pytest.raises(ForbiddenError):
            await call(dev.scanners.list())
        with pytest.raises(ForbiddenError):
            await call(dev.scanners.register("grype", "http://grype.internal"))
    finally:
        await close(dev)


# -- the project's scanner -------------------------------------------------------------------------


async def test_project_scanner(client):
    namespace = project_scanner(client)
    assert await call(namespace.get()) is None  # no scanner at all: Harbor's empty answer
    default = await call(scanners_of(client).register("trivy-ha", "http://trivy.internal"))
    grype = await call(scanners_of(client).register("grype", "http://grype.internal"))
    assert (await call(namespace.get())).uuid == default.uuid  # falls back to the default
    assert {s.name for s in await call(namespace.candidates())} == {"trivy-ha", "grype"}

    await call(namespace.set("grype"))  # by name
    assert (await call(namespace.get())).uuid == grype.uuid
    await call(namespace.set(default))  # a Scanner
    assert (await call(namespace.get())).uuid == default.uuid
    await call(namespace.set(grype.uuid))  # a uuid
    assert (await call(namespace.get())).name == "grype"


async def test_an_unknown_scanner_is_not_saved(client, emulator):
    """Harbor saves any uuid and silently falls back to the default later."""
    default = await call(scanners_of(client).register("trivy-ha", "http://trivy.internal"))
    namespace = project_scanner(client)
    client.transport.seen.clear()
    with pytest.raises(NotFoundError, match="ghost"):
        await call(namespace.set("ghost"))
    assert client.transport.writes() == []
    # What a naive client gets: Harbor accepts the bogus uuid...
    assert raw(emulator, "PUT", "/projects/team/scanner", {"uuid": "ghost"}).status_code == 200
    # ...and the project quietly keeps using the default scanner.
    assert (await call(namespace.get())).uuid == default.uuid


async def test_only_project_admins_choose_the_scanner(client, emulator):
    await call(scanners_of(client).register("grype", "http://grype.internal"))
    cls = AsyncRegistry if isinstance(client, AsyncRegistry) else Registry
    dev = cls(URL, auth=("dev", "Dev12345"), transport=Checked(emulator))
    try:
        assert (await call(dev.project("team").scanner.get())).name == "grype"
        with pytest.raises(ForbiddenError):
            await call(dev.project("team").scanner.set("grype"))
    finally:
        await close(dev)


# -- scan all --------------------------------------------------------------------------------------


async def test_scan_all_needs_a_default_scanner(client):
    with pytest.raises(PreconditionFailedError, match="no scanner"):
        await call(scan_all_of(client).schedule())


async def test_schedule_create_replace_and_remove(client):
    await call(scanners_of(client).register("trivy-ha", "http://trivy.internal"))
    scan_all = scan_all_of(client)
    assert await call(scan_all.schedule()) is None

    daily = await call(scan_all.set_schedule("daily"))
    assert (daily.type, daily.cron) == (ScheduleType.DAILY, "0 0 0 * * *")
    assert daily.next_run is not None and daily.next_run.tzinfo is not None
    assert [r.method for r in client.transport.writes()] == ["POST", "POST"]  # register, create

    custom = await call(scan_all.set_schedule(ScheduleType.CUSTOM, "0 30 2 * * MON-FRI"))
    assert (custom.type, custom.cron) == (ScheduleType.CUSTOM, "0 30 2 * * MON-FRI")
    assert client.transport.writes()[-1].method == "PUT"  # POST would be a 412 now
    assert await call(scan_all.schedule()) == custom

    weekly = await call(scan_all.set_schedule("Weekly"))
    assert weekly.cron == "0 0 0 * * 0"

    removed = await call(scan_all.set_schedule("none"))
    assert removed == ScanSchedule(type=ScheduleType.NONE, cron="")
    assert await call(scan_all.schedule()) is None


async def test_bad_crons_are_refused_before_anything_is_sent(client):
    await call(scanners_of(client).register("trivy-ha", "http://trivy.internal"))
    client.transport.seen.clear()
    for args in (("custom",), ("custom", "0 0 * * *"), ("daily", "*/10 * * * * *"), ("manual",)):
        with pytest.raises(InvalidPolicyError):
            await call(scan_all_of(client).set_schedule(*args))
    assert client.transport.seen == []


async def test_run_stop_and_metrics(client, emulator):
    await call(scanners_of(client).register("trivy-ha", "http://trivy.internal"))
    scan_all = scan_all_of(client)
    assert await call(scan_all.metrics()) == ScanAllMetrics(total=0, completed=0)
    with pytest.raises(BadRequestError):  # nothing to stop
        await call(scan_all.stop())
    raw_push(emulator)

    await call(scan_all.run())
    running = await call(scan_all.metrics())
    assert running.ongoing and running.total >= 1 and running.trigger == "Manual"
    with pytest.raises(ConflictError):  # a manual run is going on
        await call(scan_all.run())
    await call(scan_all.stop())
    stopped = await call(scan_all.metrics())
    assert not stopped.ongoing and stopped.metrics.get("Stopped", 0) >= 1

    await call(scan_all.run())
    assert emulator.finish_scan_all()
    done = await call(scan_all.metrics())
    assert (done.ongoing, done.completed) == (False, done.total)


async def test_schedule_metrics_are_those_of_the_scheduled_runs(client, emulator):
    await call(scanners_of(client).register("trivy-ha", "http://trivy.internal"))
    scan_all = scan_all_of(client)
    raw_push(emulator)
    await call(scan_all.set_schedule("hourly"))
    emulator.run_scheduled_scan_all()
    scheduled = await call(scan_all.schedule_metrics())
    assert scheduled.ongoing and scheduled.trigger == "Schedule"
    await call(scan_all.run())
    assert (await call(scan_all.metrics())).trigger == "Manual"
    assert (await call(scan_all.schedule_metrics())).trigger == "Schedule"


def raw_push(emulator: HarborEmulator) -> None:
    """Put one small image in the registry, so that a scan-all has something to scan."""
    import harborsec
    from harborsec.oci import OCI_MANIFEST, ImageManifest

    config = harborsec.Descriptor.for_content("application/vnd.oci.image.config.v1+json", b"{}")
    layer = harborsec.Descriptor.for_content("application/vnd.oci.image.layer.v1.tar", b"x")
    manifest = ImageManifest(config=config, layers=(layer,))
    with Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        registry.push_blob("team/app", b"{}")
        registry.push_blob("team/app", b"x")
        registry.push_manifest("team/app", manifest.to_bytes(), media_type=OCI_MANIFEST, tag="1")


# -- the guide's examples run ----------------------------------------------------------------------


def test_the_guide_examples_run(monkeypatch, capsys):
    namespace = run_guide("guides/scanners.md", min_blocks=8)
    # what the page's comments claim
    assert namespace["trivy"].is_default
    assert namespace["trivy"].capabilities == {"support_vulnerability": True, "support_sbom": True}
    assert (namespace["updated"].use_internal_address, namespace["updated"].auth) == (
        True,
        ScannerAuth.BEARER,
    )
    assert namespace["project"].scanner.get().name == "grype"
    assert (namespace["daily"].type, namespace["daily"].cron) == (ScheduleType.DAILY, "0 0 0 * * *")
    assert namespace["nightly"].cron == "0 30 2 * * MON-FRI"
    assert namespace["registry"].scan_all.schedule() is not None  # the async block's weekly
    assert namespace["registry"].scan_all.schedule().cron == "0 0 0 * * 0"
    assert "has 5 fields; Harbor needs 6" in capsys.readouterr().out
