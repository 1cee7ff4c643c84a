"""Scanners ("Interrogation Services"), each project's scanner, and the scan-all job.

`registry.scanners` manages the scanner registrations of a Harbor instance (system admin),
`project.scanner` picks the one a project uses, and `registry.scan_all` schedules, runs, stops and
reports on scanning every artifact.

What Harbor does that this module takes care of (harbor-api.md §12, §13):

* `PUT /scanners/{id}` is a full replacement (a field left out falls back to its default), so
  `update()` reads the registration first and sends it back with only the given changes;
* `auth` is `""`, `Basic`, `Bearer` or `APIKey` (the spec's `X-ScannerAdapter-API-Key` is
  refused), and needs a credential; both are checked before anything is sent;
* `PUT /projects/{p}/scanner` does not check the UUID (Harbor later drops the setting silently),
  so `set()` looks the scanner up first;
* scan-all crons have 6 fields whose seconds must be `0`; Hourly, Daily and Weekly still need a
  cron (the UI's are used), and creating a schedule when one exists fails (so `set_schedule`
  picks POST or PUT).

Example:
    >>> from harborsec import Registry
    >>> from harborsec.testing import HarborEmulator
    >>> emulator = HarborEmulator(trivy=True)      # Harbor with its built-in Trivy scanner
    >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...               transport=emulator.transport()) as registry:
    ...     schedule = registry.scan_all.set_schedule("daily")
    ...     schedule.type, schedule.cron
    (<ScheduleType.DAILY: 'Daily'>, '0 0 0 * * *')
"""

from __future__ import annotations

import builtins
import enum
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
import cattrs
import httpx

from harborsec._core._docs import same_doc
from harborsec._core._driver import Op
from harborsec._core._http import json_body, raise_for_status
from harborsec._core._paging import harbor_all_pages
from harborsec.errors import InvalidPolicyError, MalformedResponseError, NotFoundError
from harborsec.harbor._api import (
    BY_NAME,
    api_url,
    project_segment,
    project_target,
    structure,
)

if TYPE_CHECKING:
    from harborsec._client import AsyncRegistry, Registry
    from harborsec.harbor._projects import AsyncProject, Project

__all__ = [
    "SCHEDULE_CRONS",
    "AsyncProjectScanner",
    "AsyncScanAll",
    "AsyncScanners",
    "ProjectScanner",
    "ScanAll",
    "ScanAllMetrics",
    "ScanSchedule",
    "Scanner",
    "ScannerAuth",
    "ScannerCapability",
    "ScannerMetadata",
    "Scanners",
    "ScheduleType",
    "validate_cron",
]


class ScannerAuth(enum.Enum):
    """How Harbor authenticates to a scanner adapter (`auth` of a registration)."""

    NONE = ""
    """No authentication."""
    BASIC = "Basic"
    """HTTP Basic; the credential is `user:password`."""
    BEARER = "Bearer"
    """A bearer token; the credential is the raw token."""
    API_KEY = "APIKey"
    """An API key sent in `X-ScannerAdapter-API-Key`; the credential is the raw key."""

    @classmethod
    def parse(cls, value: ScannerAuth | str | None) -> ScannerAuth:
        """The auth type for a member or a name, case-insensitively (`""` or `none`: NONE).

        Raises:
            InvalidPolicyError: Not an auth type Harbor accepts.

        Example:
            >>> ScannerAuth.parse("apikey")
            <ScannerAuth.API_KEY: 'APIKey'>
        """
        if isinstance(value, ScannerAuth):
            return value
        if value is None:
            return cls.NONE
        key = value.strip().lower().replace("-", "").replace("_", "")
        for member in cls:
            if key in (member.value.lower(), member.name.lower().replace("_", "")):
                return member
        hint = " (use APIKey: Harbor refuses the spec's wording)" if "apikey" in key else ""
        raise InvalidPolicyError(
            f"scanner auth {value!r} is not one of '', Basic, Bearer, APIKey{hint}"
        )


@attrs.frozen
class Scanner:
    """A scanner registration."""

    uuid: str
    """Harbor's identifier of the registration."""
    name: str
    """Its unique name."""
    url: str
    """The adapter's base URL."""
    description: str = ""
    """Free text."""
    auth: ScannerAuth = ScannerAuth.NONE
    """How Harbor authenticates to the adapter (the credential is never returned)."""
    skip_cert_verify: bool = False
    """Whether Harbor skips TLS verification of the adapter."""
    use_internal_address: bool = False
    """Whether the adapter pulls through Harbor's internal address."""
    disabled: bool = False
    """A disabled scanner is not used."""
    is_default: bool = False
    """Whether this is the system default scanner."""
    health: str | None = None
    """`healthy` or `unhealthy` when Harbor checked the adapter, else None."""
    adapter: str | None = None
    """The adapter's name, from its metadata."""
    vendor: str | None = None
    """The adapter's vendor."""
    version: str | None = None
    """The adapter's version."""
    capabilities: Mapping[str, bool] = attrs.field(factory=dict)
    """What it supports, such as `{"support_vulnerability": True, "support_sbom": True}`."""
    create_time: datetime | None = None
    """When it was registered."""
    update_time: datetime | None = None
    """When it was last changed."""


@attrs.frozen
class ScannerCapability:
    """One capability an adapter declares in its metadata."""

    type: str
    """`vulnerability` or `sbom`."""
    consumes_mime_types: tuple[str, ...] = ()
    """The artifact media types it scans."""
    produces_mime_types: tuple[str, ...] = ()
    """The report media types it produces."""


@attrs.frozen
class ScannerMetadata:
    """What a scanner adapter says about itself (`GET /scanners/{id}/metadata`)."""

    name: str | None
    """The scanner's name, such as `Trivy`."""
    vendor: str | None
    """Its vendor."""
    version: str | None
    """Its version."""
    capabilities: tuple[ScannerCapability, ...] = ()
    """Its capabilities."""
    properties: Mapping[str, str] = attrs.field(factory=dict)
    """Adapter properties (`harbor.scanner-adapter/...`)."""


class ScheduleType(enum.Enum):
    """The label of a scan-all schedule (Harbor runs the cron, whatever the label)."""

    NONE = "None"
    """No schedule (setting it removes the schedule)."""
    HOURLY = "Hourly"
    """Every hour (`0 0 * * * *` unless a cron is given)."""
    DAILY = "Daily"
    """Every day at midnight (`0 0 0 * * *` unless a cron is given)."""
    WEEKLY = "Weekly"
    """Every Sunday at midnight (`0 0 0 * * 0` unless a cron is given)."""
    CUSTOM = "Custom"
    """Any cron."""
    SCHEDULE = "Schedule"
    """Any cron (the API's other name for a custom schedule)."""
    MANUAL = "Manual"
    """Not a schedule: a run started now (read only; use `ScanAll.run()`)."""

    @classmethod
    def parse(cls, value: ScheduleType | str) -> ScheduleType:
        """The type for a member or a name, case-insensitively.

        Raises:
            InvalidPolicyError: Not a schedule type.

        Example:
            >>> ScheduleType.parse("daily")
            <ScheduleType.DAILY: 'Daily'>
        """
        if isinstance(value, ScheduleType):
            return value
        for member in cls:
            if value.strip().lower() == member.value.lower():
                return member
        names = ", ".join(m.value for m in cls if m is not cls.MANUAL)
        raise InvalidPolicyError(f"schedule type {value!r} is not one of {names}")


SCHEDULE_CRONS: Mapping[ScheduleType, str] = {
    ScheduleType.HOURLY: "0 0 * * * *",
    ScheduleType.DAILY: "0 0 0 * * *",
    ScheduleType.WEEKLY: "0 0 0 * * 0",
}
"""The crons Harbor's UI sends for the named schedule types."""


@attrs.frozen
class ScanSchedule:
    """The scan-all schedule."""

    type: ScheduleType
    """Its label."""
    cron: str | None
    """The 6-field cron that actually runs (None when there is no schedule)."""
    next_run: datetime | None = None
    """When it runs next, if Harbor said."""


@attrs.frozen
class ScanAllMetrics:
    """Progress of a scan-all run."""

    total: int
    """Scans the run started."""
    completed: int
    """Scans that finished."""
    metrics: Mapping[str, int] = attrs.field(factory=dict)
    """Scans per status (`Pending`, `Running`, `Success`, `Error`, `Stopped`)."""
    ongoing: bool = False
    """Whether the run is still going."""
    trigger: str | None = None
    """What started it: `Manual`, `Schedule` or `Event`."""


# -- validation ----------------------------------------------------------------------------------

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_CRON_FIELDS: tuple[tuple[str, int, int, builtins.list[str]], ...] = (
    ("seconds", 0, 59, []),
    ("minutes", 0, 59, []),
    ("hours", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)


def _cron_number(text: str, low: int, names: builtins.list[str], field: str) -> int:
    if names and text.lower() in names:
        return names.index(text.lower()) + low
    if not text.isascii() or not text.isdigit():
        raise InvalidPolicyError(f"cron {field} field: {text!r} is not a number")
    return int(text)


def _check_cron_term(term: str, field: str, low: int, high: int, names: builtins.list[str]) -> None:
    range_part, slash, step_part = term.partition("/")
    if "/" in step_part:
        raise InvalidPolicyError(f"cron {field} field: too many slashes in {term!r}")
    if slash:
        step = _cron_number(step_part, 0, [], field)
        if step == 0:
            raise InvalidPolicyError(f"cron {field} field: a step must be positive in {term!r}")
    if range_part in ("*", "?"):
        return
    bounds = range_part.split("-")
    if len(bounds) > 2:
        raise InvalidPolicyError(f"cron {field} field: too many hyphens in {term!r}")
    start = _cron_number(bounds[0], low, names, field)
    end = _cron_number(bounds[1], low, names, field) if len(bounds) == 2 else start
    if start < low or end > high:
        raise InvalidPolicyError(f"cron {field} field: {term!r} is outside {low}-{high}")
    if start > end:
        raise InvalidPolicyError(f"cron {field} field: {term!r} starts after it ends")


def validate_cron(cron: str) -> str:
    """Check a scan-all cron as Harbor does, and return it with single spaces.

    Harbor parses 6 fields (`seconds minutes hours day-of-month month day-of-week`, robfig/cron
    syntax: `*`, `?`, numbers, `a-b` ranges, `/step`, `,` lists, month and day names) and
    requires the seconds to be `0`. No `@daily` descriptors, no `CRON_TZ=`.

    Raises:
        InvalidPolicyError: The cron is not valid; the message names the field.

    Example:
        >>> validate_cron("0  30 2 * * MON-FRI")
        '0 30 2 * * MON-FRI'
        >>> validate_cron("*/5 * * * * *")
        Traceback (most recent call last):
        ...
        harborsec.errors.InvalidPolicyError: cron seconds field must be 0 (Harbor refuses ...
    """
    fields = cron.split()
    if len(fields) != 6:
        raise InvalidPolicyError(
            f"cron {cron!r} has {len(fields)} fields; Harbor needs 6 "
            "(seconds minutes hours day-of-month month day-of-week), e.g. '0 0 2 * * *'"
        )
    if fields[0] != "0":
        raise InvalidPolicyError(
            f"cron seconds field must be 0 (Harbor refuses anything else), got {fields[0]!r}"
        )
    for text, (field, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for term in text.split(","):
            if not term:
                raise InvalidPolicyError(f"cron {field} field: empty term in {text!r}")
            _check_cron_term(term, field, low, high, names)
    return " ".join(fields)


def _check_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidPolicyError(f"scanner URL {url!r} must be an http:// or https:// URL")
    if len(url) > 512:
        raise InvalidPolicyError("a scanner URL has at most 512 characters")
    return url.strip()


def _check_settings(
    name: str, url: str, auth: ScannerAuth, credential: str | None, *, description: str = ""
) -> None:
    if not name.strip():
        raise InvalidPolicyError("a scanner needs a name")
    if len(name) > 128:
        raise InvalidPolicyError("a scanner name has at most 128 characters")
    if len(description) > 1024:
        raise InvalidPolicyError("a scanner description has at most 1024 characters")
    _check_url(url)
    if auth is ScannerAuth.NONE and credential:
        raise InvalidPolicyError("a credential was given but auth is NONE: set auth as well")
    if credential is not None and len(credential) > 512:
        raise InvalidPolicyError("a scanner credential has at most 512 characters")
    if credential and auth is ScannerAuth.BASIC and ":" not in credential:
        raise InvalidPolicyError("a Basic credential is 'user:password'")


def _settings_body(
    name: str, url: str, auth: ScannerAuth, credential: str | None
) -> dict[str, Any]:
    return {
        "name": name,
        "url": url.strip(),
        "auth": auth.value,
        "access_credential": credential or "",
    }


# -- wire format ---------------------------------------------------------------------------------


@attrs.define
class _WireScanner:
    uuid: str
    name: str
    url: str = ""
    description: str | None = None
    auth: str | None = None
    access_credential: str | None = None
    skip_certVerify: bool | None = None
    use_internal_addr: bool | None = None
    disabled: bool | None = None
    is_default: bool | None = None
    health: str | None = None
    adapter: str | None = None
    vendor: str | None = None
    version: str | None = None
    capabilities: dict[str, Any] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.define
class _WireScannerInfo:
    name: str | None = None
    vendor: str | None = None
    version: str | None = None


@attrs.define
class _WireCapability:
    type: str | None = None
    consumes_mime_types: list[str] | None = None
    produces_mime_types: list[str] | None = None


@attrs.define
class _WireMetadata:
    scanner: _WireScannerInfo | None = None
    capabilities: list[_WireCapability] | None = None
    properties: dict[str, str] | None = None


@attrs.define
class _WireScheduleObject:
    type: str | None = None
    cron: str | None = None
    next_scheduled_time: datetime | None = None


@attrs.define
class _WireSchedule:
    id: int | None = None
    status: str | None = None
    creation_time: datetime | None = None
    update_time: datetime | None = None
    schedule: _WireScheduleObject | None = None
    parameters: dict[str, Any] | None = None


@attrs.define
class _WireStats:
    total: int | None = None
    completed: int | None = None
    metrics: dict[str, int] | None = None
    ongoing: bool | None = None
    trigger: str | None = None


def parse_scanner(data: Any, *, converter: cattrs.Converter | None = None) -> Scanner:
    """Read a `ScannerRegistration` JSON object.

    Args:
        data: The parsed JSON.
        converter: The converter to use (tests pass a strict one).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    wire: _WireScanner = structure(data, _WireScanner, "scanner registration", converter)
    try:
        auth = ScannerAuth.parse(wire.auth or "")
    except InvalidPolicyError as exc:
        raise MalformedResponseError(
            f"unexpected scanner registration from Harbor: {exc}"
        ) from None
    return Scanner(
        uuid=wire.uuid,
        name=wire.name,
        url=wire.url,
        description=wire.description or "",
        auth=auth,
        skip_cert_verify=bool(wire.skip_certVerify),
        use_internal_address=bool(wire.use_internal_addr),
        disabled=bool(wire.disabled),
        is_default=bool(wire.is_default),
        health=wire.health or None,
        adapter=wire.adapter or None,
        vendor=wire.vendor or None,
        version=wire.version or None,
        capabilities={
            key: value
            for key, value in (wire.capabilities or {}).items()
            if isinstance(value, bool)
        },
        create_time=wire.create_time,
        update_time=wire.update_time,
    )


def parse_metadata(data: Any, *, converter: cattrs.Converter | None = None) -> ScannerMetadata:
    """Read a `ScannerAdapterMetadata` JSON object.

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    wire: _WireMetadata = structure(data, _WireMetadata, "scanner metadata", converter)
    info = wire.scanner or _WireScannerInfo()
    return ScannerMetadata(
        name=info.name,
        vendor=info.vendor,
        version=info.version,
        capabilities=tuple(
            ScannerCapability(
                type=capability.type or "",
                consumes_mime_types=tuple(capability.consumes_mime_types or ()),
                produces_mime_types=tuple(capability.produces_mime_types or ()),
            )
            for capability in wire.capabilities or ()
        ),
        properties=dict(wire.properties or {}),
    )


def parse_schedule(data: Any, *, converter: cattrs.Converter | None = None) -> ScanSchedule | None:
    """Read a `Schedule` JSON object (None, or one without a schedule: no schedule).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    if data is None:
        return None
    wire: _WireSchedule = structure(data, _WireSchedule, "schedule", converter)
    if wire.schedule is None or not wire.schedule.type:
        return None
    try:
        kind = ScheduleType.parse(wire.schedule.type)
    except InvalidPolicyError as exc:
        raise MalformedResponseError(f"unexpected schedule from Harbor: {exc}") from None
    if kind is ScheduleType.NONE:
        return None
    return ScanSchedule(
        type=kind, cron=wire.schedule.cron or None, next_run=wire.schedule.next_scheduled_time
    )


def parse_metrics(data: Any, *, converter: cattrs.Converter | None = None) -> ScanAllMetrics:
    """Read a `Stats` JSON object (None: nothing has run).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    wire: _WireStats = structure(data or {}, _WireStats, "scan-all metrics", converter)
    return ScanAllMetrics(
        total=wire.total or 0,
        completed=wire.completed or 0,
        metrics=dict(wire.metrics or {}),
        ongoing=bool(wire.ongoing),
        trigger=wire.trigger or None,
    )


def _optional_json(response: httpx.Response) -> Any:
    """The JSON body, or None for an empty one (go-swagger writes nothing for a nil payload)."""
    return json_body(response) if response.content.strip() else None


# -- operations: registrations -------------------------------------------------------------------


def _scanners_url(base: httpx.URL, *rest: str) -> httpx.URL:
    return api_url(base, "scanners", *rest)


def _uuid_segment(uuid: str) -> str:
    if not uuid:
        raise ValueError("empty scanner id")
    return urllib.parse.quote(uuid, safe="")


def list_scanners(base: httpx.URL) -> Op[list[Scanner]]:
    """Every scanner registration (all pages)."""
    return (yield from harbor_all_pages(_scanners_url(base), parse_scanner))


def get_scanner(base: httpx.URL, uuid: str) -> Op[Scanner]:
    """One scanner registration by UUID."""
    response = yield httpx.Request("GET", _scanners_url(base, _uuid_segment(uuid)))
    raise_for_status(response)
    return parse_scanner(json_body(response))


def register_scanner(
    base: httpx.URL,
    name: str,
    url: str,
    *,
    auth: ScannerAuth | str = ScannerAuth.NONE,
    credential: str | None = None,
    description: str = "",
    skip_cert_verify: bool = False,
    use_internal_address: bool = False,
    disabled: bool = False,
) -> Op[Scanner]:
    """Validate and register a scanner, then read it back.

    Raises:
        InvalidPolicyError: A setting is invalid (nothing is sent).
    """
    kind = ScannerAuth.parse(auth)
    _check_settings(name, url, kind, credential, description=description)
    if kind is not ScannerAuth.NONE and not credential:
        raise InvalidPolicyError(f"auth {kind.value} needs a credential")
    if name == "Trivy":
        raise InvalidPolicyError("the scanner name 'Trivy' is reserved by Harbor")
    body = {
        **_settings_body(name, url, kind, credential),
        "description": description,
        "skip_certVerify": skip_cert_verify,
        "use_internal_addr": use_internal_address,
        "disabled": disabled,
    }
    response = yield httpx.Request("POST", _scanners_url(base), json=body)
    raise_for_status(response)
    uuid = response.headers.get("Location", "").rstrip("/").rpartition("/")[2]
    if not uuid:
        for scanner in (yield from list_scanners(base)):
            if scanner.name == name:
                return scanner
        raise MalformedResponseError("Harbor registered the scanner but did not say where")
    return (yield from get_scanner(base, urllib.parse.unquote(uuid)))


def update_scanner(
    base: httpx.URL,
    uuid: str,
    *,
    name: str | None = None,
    url: str | None = None,
    auth: ScannerAuth | str | None = None,
    credential: str | None = None,
    description: str | None = None,
    skip_cert_verify: bool | None = None,
    use_internal_address: bool | None = None,
    disabled: bool | None = None,
) -> Op[Scanner]:
    """Change some settings of a registration: read it, merge, send it whole, read it back.

    A credential left out is kept by Harbor as long as the auth type does not change.

    Raises:
        InvalidPolicyError: A setting is invalid, or the auth type changes without a new
            credential (nothing is sent).
    """
    new_auth = ScannerAuth.parse(auth) if auth is not None else None
    current = yield from get_scanner(base, uuid)
    kind = new_auth if new_auth is not None else current.auth
    merged_name = current.name if name is None else name
    merged_url = current.url if url is None else url
    merged_description = current.description if description is None else description
    _check_settings(merged_name, merged_url, kind, credential, description=merged_description)
    if kind is not ScannerAuth.NONE and not credential and kind is not current.auth:
        raise InvalidPolicyError(
            f"changing auth from {current.auth.name} to {kind.name} needs the new credential"
        )
    body = {
        **_settings_body(merged_name, merged_url, kind, credential),
        "description": merged_description,
        "skip_certVerify": current.skip_cert_verify
        if skip_cert_verify is None
        else skip_cert_verify,
        "use_internal_addr": (
            current.use_internal_address if use_internal_address is None else use_internal_address
        ),
        "disabled": current.disabled if disabled is None else disabled,
    }
    target = _scanners_url(base, _uuid_segment(uuid))
    response = yield httpx.Request("PUT", target, json=body)
    raise_for_status(response)
    return (yield from get_scanner(base, uuid))


def ping_scanner(
    base: httpx.URL,
    url: str,
    *,
    auth: ScannerAuth | str = ScannerAuth.NONE,
    credential: str | None = None,
    name: str = "harborsec-ping",
) -> Op[None]:
    """Ask Harbor to reach an adapter with these settings.

    Raises:
        InvalidPolicyError: A setting is invalid (nothing is sent).
    """
    kind = ScannerAuth.parse(auth)
    _check_settings(name, url, kind, credential)
    if kind is not ScannerAuth.NONE and not credential:
        raise InvalidPolicyError(f"auth {kind.value} needs a credential")
    body = _settings_body(name, url, kind, credential)
    response = yield httpx.Request("POST", _scanners_url(base, "ping"), json=body)
    raise_for_status(response)


def set_default_scanner(base: httpx.URL, uuid: str) -> Op[None]:
    """Make a registration the system default."""
    url = _scanners_url(base, _uuid_segment(uuid))
    response = yield httpx.Request("PATCH", url, json={"is_default": True})
    raise_for_status(response)


def delete_scanner(base: httpx.URL, uuid: str) -> Op[Scanner]:
    """Delete a registration; returns it as it was."""
    response = yield httpx.Request("DELETE", _scanners_url(base, _uuid_segment(uuid)))
    raise_for_status(response)
    return parse_scanner(json_body(response))


def scanner_metadata(base: httpx.URL, uuid: str) -> Op[ScannerMetadata]:
    """What the adapter of a registration says about itself."""
    url = _scanners_url(base, _uuid_segment(uuid), "metadata")
    response = yield httpx.Request("GET", url)
    raise_for_status(response)
    return parse_metadata(json_body(response))


# -- operations: the project's scanner -----------------------------------------------------------


def _project_scanner_url(base: httpx.URL, project: str, *rest: str) -> httpx.URL:
    return api_url(base, "projects", project_segment(project), "scanner", *rest)


def get_project_scanner(base: httpx.URL, project: str) -> Op[Scanner | None]:
    """The scanner a project uses (its own, else the default); None when there is none."""
    response = yield httpx.Request("GET", _project_scanner_url(base, project), headers=BY_NAME)
    raise_for_status(response)
    data = _optional_json(response)
    return None if data is None else parse_scanner(data)


def scanner_candidates(base: httpx.URL, project: str) -> Op[list[Scanner]]:
    """The registrations a project may use (all pages)."""
    url = _project_scanner_url(base, project, "candidates")
    return (yield from harbor_all_pages(url, parse_scanner, headers=BY_NAME))


def set_project_scanner(base: httpx.URL, project: str, scanner: Scanner | str) -> Op[None]:
    """Make a project use a scanner, given as a `Scanner`, a UUID or a name.

    The scanner is looked up among the project's candidates first: Harbor saves any UUID and
    silently falls back to the default scanner when it does not exist.

    Raises:
        NotFoundError: No candidate scanner has that UUID or name (nothing is changed).
    """
    wanted = scanner.uuid if isinstance(scanner, Scanner) else scanner
    candidates = yield from scanner_candidates(base, project)
    found = [c for c in candidates if c.uuid == wanted] or [
        c for c in candidates if c.name == wanted
    ]
    url = _project_scanner_url(base, project)
    if not found:
        raise NotFoundError(
            f"no scanner {wanted!r} among the {len(candidates)} registrations project "
            f"{project!r} can use (nothing was changed)",
            status_code=404,
            method="PUT",
            url=str(url),
        )
    response = yield httpx.Request("PUT", url, json={"uuid": found[0].uuid}, headers=BY_NAME)
    raise_for_status(response)


# -- operations: scan all ------------------------------------------------------------------------


def _schedule_url(base: httpx.URL) -> httpx.URL:
    return api_url(base, "system", "scanAll", "schedule")


def get_scan_schedule(base: httpx.URL) -> Op[ScanSchedule | None]:
    """The scan-all schedule, or None."""
    response = yield httpx.Request("GET", _schedule_url(base))
    raise_for_status(response)
    return parse_schedule(_optional_json(response))


def set_scan_schedule(
    base: httpx.URL, type: ScheduleType | str, cron: str | None = None
) -> Op[ScanSchedule]:
    """Create, replace or remove the scan-all schedule; returns it as Harbor now has it.

    Raises:
        InvalidPolicyError: The type or cron is invalid (nothing is sent).
    """
    kind = ScheduleType.parse(type)
    if kind is ScheduleType.MANUAL:
        raise InvalidPolicyError("Manual is not a schedule: use run() to scan now")
    if kind is ScheduleType.NONE:
        if cron is not None:
            raise InvalidPolicyError("schedule type None takes no cron")
        current = yield from get_scan_schedule(base)
        if current is not None:
            body = {"schedule": {"type": kind.value}}
            response = yield httpx.Request("PUT", _schedule_url(base), json=body)
            raise_for_status(response)
        return ScanSchedule(type=ScheduleType.NONE, cron=None)
    if cron is None:
        if kind not in SCHEDULE_CRONS:
            raise InvalidPolicyError(f"schedule type {kind.value} needs a cron")
        cron = SCHEDULE_CRONS[kind]
    cron = validate_cron(cron)
    current = yield from get_scan_schedule(base)
    body = {"schedule": {"type": kind.value, "cron": cron}}
    method = "POST" if current is None else "PUT"
    response = yield httpx.Request(method, _schedule_url(base), json=body)
    raise_for_status(response)
    stored = yield from get_scan_schedule(base)
    return stored if stored is not None else ScanSchedule(type=kind, cron=cron)


def run_scan_all(base: httpx.URL) -> Op[None]:
    """Start scanning every artifact now (409 if a manual run is going)."""
    body = {"schedule": {"type": ScheduleType.MANUAL.value}}
    response = yield httpx.Request("POST", _schedule_url(base), json=body)
    raise_for_status(response)


def stop_scan_all(base: httpx.URL) -> Op[None]:
    """Stop the running scan-all (400 when none runs)."""
    response = yield httpx.Request("POST", api_url(base, "system", "scanAll", "stop"))
    raise_for_status(response)


def scan_all_metrics(base: httpx.URL, *, scheduled: bool = False) -> Op[ScanAllMetrics]:
    """Progress of the latest run (any trigger), or of the latest scheduled run."""
    url = api_url(base, "scans", "schedule" if scheduled else "all", "metrics")
    response = yield httpx.Request("GET", url)
    raise_for_status(response)
    return parse_metrics(_optional_json(response))


# -- facades -------------------------------------------------------------------------------------


class Scanners:
    """The scanner registrations of a Harbor instance: `registry.scanners` (system admin).

    Example:
        >>> from harborsec import Registry
        >>> from harborsec.testing import HarborEmulator
        >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
        ...               transport=HarborEmulator().transport()) as registry:
        ...     scanner = registry.scanners.register(
        ...         "trivy-ha", "http://trivy.internal:8080", auth="Bearer", credential="t0k3n")
        ...     scanner.auth, scanner.is_default
        (<ScannerAuth.BEARER: 'Bearer'>, True)
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def list(self) -> builtins.list[Scanner]:
        """Every scanner registration (all pages)."""
        return self._registry._run(list_scanners(self._registry.url))

    def get(self, uuid: str) -> Scanner:
        """One registration.

        Raises:
            NotFoundError: There is no such registration.
        """
        return self._registry._run(get_scanner(self._registry.url, uuid))

    def register(
        self,
        name: str,
        url: str,
        *,
        auth: ScannerAuth | str = ScannerAuth.NONE,
        credential: str | None = None,
        description: str = "",
        skip_cert_verify: bool = False,
        use_internal_address: bool = False,
        disabled: bool = False,
    ) -> Scanner:
        """Register a scanner adapter; Harbor checks it can reach it first.

        The first registration becomes the default.

        Args:
            name: A unique name (`Trivy` is reserved).
            url: The adapter's base URL, `http://` or `https://`.
            auth: `NONE`, `BASIC`, `BEARER` or `API_KEY` (or their names).
            credential: Required with an auth type: `user:password` for Basic, the raw token
                or key otherwise.
            description: Free text.
            skip_cert_verify: Do not verify the adapter's TLS certificate.
            use_internal_address: The adapter pulls through Harbor's internal address.
            disabled: Register it disabled.

        Returns:
            The registration, as Harbor now has it.

        Raises:
            InvalidPolicyError: A setting is invalid; nothing is sent.
            ConflictError: The name or URL is registered already.
        """
        return self._registry._run(
            register_scanner(
                self._registry.url,
                name,
                url,
                auth=auth,
                credential=credential,
                description=description,
                skip_cert_verify=skip_cert_verify,
                use_internal_address=use_internal_address,
                disabled=disabled,
            )
        )

    def update(
        self,
        uuid: str,
        *,
        name: str | None = None,
        url: str | None = None,
        auth: ScannerAuth | str | None = None,
        credential: str | None = None,
        description: str | None = None,
        skip_cert_verify: bool | None = None,
        use_internal_address: bool | None = None,
        disabled: bool | None = None,
    ) -> Scanner:
        """Change the given settings of a registration; the others are kept.

        Harbor replaces a registration as a whole, so it is read first and sent back with the
        changes. Without `credential`, the stored one is kept, unless `auth` changes (then a
        new credential is required).

        Args:
            uuid: The registration.
            name: A new name.
            url: A new adapter URL.
            auth: A new auth type.
            credential: A new credential.
            description: A new description.
            skip_cert_verify: Change TLS verification.
            use_internal_address: Change how the adapter pulls.
            disabled: Disable or enable it.

        Returns:
            The registration, as Harbor now has it.

        Raises:
            InvalidPolicyError: A setting is invalid; nothing is sent.
            ForbiddenError: The registration is Harbor's built-in one.
        """
        return self._registry._run(
            update_scanner(
                self._registry.url,
                uuid,
                name=name,
                url=url,
                auth=auth,
                credential=credential,
                description=description,
                skip_cert_verify=skip_cert_verify,
                use_internal_address=use_internal_address,
                disabled=disabled,
            )
        )

    def ping(
        self,
        url: str,
        *,
        auth: ScannerAuth | str = ScannerAuth.NONE,
        credential: str | None = None,
        name: str = "harborsec-ping",
    ) -> None:
        """Check that Harbor can reach an adapter with these settings (nothing is saved).

        Raises:
            InvalidPolicyError: A setting is invalid; nothing is sent.
            APIError: Harbor could not reach or use the adapter.
        """
        return self._registry._run(
            ping_scanner(self._registry.url, url, auth=auth, credential=credential, name=name)
        )

    def set_default(self, uuid: str) -> None:
        """Make a registration the system default scanner."""
        return self._registry._run(set_default_scanner(self._registry.url, uuid))

    def delete(self, uuid: str) -> Scanner:
        """Delete a registration; returns it as it was.

        Raises:
            NotFoundError: There is no such registration.
            ForbiddenError: It is Harbor's built-in registration.
        """
        return self._registry._run(delete_scanner(self._registry.url, uuid))

    def metadata(self, uuid: str) -> ScannerMetadata:
        """What the registration's adapter says about itself (name, version, capabilities)."""
        return self._registry._run(scanner_metadata(self._registry.url, uuid))


class AsyncScanners:
    """The scanner registrations of a Harbor instance (asynchronous): `registry.scanners`."""

    def __init__(self, registry: AsyncRegistry) -> None:
        self._registry = registry

    @same_doc(Scanners.list)
    async def list(self) -> builtins.list[Scanner]:
        """Async form of [`Scanners.list`][harborsec.harbor.Scanners.list]."""
        return await self._registry._run(list_scanners(self._registry.url))

    @same_doc(Scanners.get)
    async def get(self, uuid: str) -> Scanner:
        """Async form of [`Scanners.get`][harborsec.harbor.Scanners.get]."""
        return await self._registry._run(get_scanner(self._registry.url, uuid))

    @same_doc(Scanners.register)
    async def register(
        self,
        name: str,
        url: str,
        *,
        auth: ScannerAuth | str = ScannerAuth.NONE,
        credential: str | None = None,
        description: str = "",
        skip_cert_verify: bool = False,
        use_internal_address: bool = False,
        disabled: bool = False,
    ) -> Scanner:
        """Async form of [`Scanners.register`][harborsec.harbor.Scanners.register]."""
        return await self._registry._run(
            register_scanner(
                self._registry.url,
                name,
                url,
                auth=auth,
                credential=credential,
                description=description,
                skip_cert_verify=skip_cert_verify,
                use_internal_address=use_internal_address,
                disabled=disabled,
            )
        )

    @same_doc(Scanners.update)
    async def update(
        self,
        uuid: str,
        *,
        name: str | None = None,
        url: str | None = None,
        auth: ScannerAuth | str | None = None,
        credential: str | None = None,
        description: str | None = None,
        skip_cert_verify: bool | None = None,
        use_internal_address: bool | None = None,
        disabled: bool | None = None,
    ) -> Scanner:
        """Async form of [`Scanners.update`][harborsec.harbor.Scanners.update]."""
        return await self._registry._run(
            update_scanner(
                self._registry.url,
                uuid,
                name=name,
                url=url,
                auth=auth,
                credential=credential,
                description=description,
                skip_cert_verify=skip_cert_verify,
                use_internal_address=use_internal_address,
                disabled=disabled,
            )
        )

    @same_doc(Scanners.ping)
    async def ping(
        self,
        url: str,
        *,
        auth: ScannerAuth | str = ScannerAuth.NONE,
        credential: str | None = None,
        name: str = "harborsec-ping",
    ) -> None:
        """Async form of [`Scanners.ping`][harborsec.harbor.Scanners.ping]."""
        return await self._registry._run(
            ping_scanner(self._registry.url, url, auth=auth, credential=credential, name=name)
        )

    @same_doc(Scanners.set_default)
    async def set_default(self, uuid: str) -> None:
        """Async form of [`Scanners.set_default`][harborsec.harbor.Scanners.set_default]."""
        return await self._registry._run(set_default_scanner(self._registry.url, uuid))

    @same_doc(Scanners.delete)
    async def delete(self, uuid: str) -> Scanner:
        """Async form of [`Scanners.delete`][harborsec.harbor.Scanners.delete]."""
        return await self._registry._run(delete_scanner(self._registry.url, uuid))

    @same_doc(Scanners.metadata)
    async def metadata(self, uuid: str) -> ScannerMetadata:
        """Async form of [`Scanners.metadata`][harborsec.harbor.Scanners.metadata]."""
        return await self._registry._run(scanner_metadata(self._registry.url, uuid))


class ProjectScanner:
    """The scanner one project uses: `project.scanner`.

    Example:
        >>> from harborsec import Registry
        >>> from harborsec.testing import HarborEmulator
        >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
        ...               transport=HarborEmulator().transport()) as registry:
        ...     other = registry.scanners.register("grype", "http://grype.internal:8080")
        ...     project = registry.create_project("team")
        ...     project.scanner.set("grype")
        ...     project.scanner.get().name
        'grype'
    """

    def __init__(self, project: Project | Registry, name: str | None = None) -> None:
        registry, project_name = project_target(project, name)
        self._registry: Registry = registry
        self._project = project_name

    def get(self) -> Scanner | None:
        """The project's scanner: its own, else the system default; None if there is none."""
        return self._registry._run(get_project_scanner(self._registry.url, self._project))

    def set(self, scanner: Scanner | str) -> None:
        """Make the project use a scanner (project admin).

        Args:
            scanner: A `Scanner`, a registration UUID, or a registration name.

        Raises:
            NotFoundError: No registration the project can use has that UUID or name; Harbor
                itself would save any UUID and silently ignore it later.
        """
        return self._registry._run(set_project_scanner(self._registry.url, self._project, scanner))

    def candidates(self) -> builtins.list[Scanner]:
        """The registrations the project may use (all pages)."""
        return self._registry._run(scanner_candidates(self._registry.url, self._project))


class AsyncProjectScanner:
    """The scanner one project uses (asynchronous): `project.scanner`."""

    def __init__(self, project: AsyncProject | AsyncRegistry, name: str | None = None) -> None:
        registry, project_name = project_target(project, name)
        self._registry: AsyncRegistry = registry
        self._project = project_name

    @same_doc(ProjectScanner.get)
    async def get(self) -> Scanner | None:
        """Async form of [`ProjectScanner.get`][harborsec.harbor.ProjectScanner.get]."""
        return await self._registry._run(get_project_scanner(self._registry.url, self._project))

    @same_doc(ProjectScanner.set)
    async def set(self, scanner: Scanner | str) -> None:
        """Async form of [`ProjectScanner.set`][harborsec.harbor.ProjectScanner.set]."""
        return await self._registry._run(
            set_project_scanner(self._registry.url, self._project, scanner)
        )

    @same_doc(ProjectScanner.candidates)
    async def candidates(self) -> builtins.list[Scanner]:
        """Async form of [`ProjectScanner.candidates`][harborsec.harbor.ProjectScanner.candidates]."""  # noqa: E501
        return await self._registry._run(scanner_candidates(self._registry.url, self._project))


class ScanAll:
    """Harbor's scan-all job: its schedule, runs and metrics: `registry.scan_all`.

    Every call needs a default scanner (Harbor answers 412 `PreconditionFailedError` without
    one) and system-admin rights.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def schedule(self) -> ScanSchedule | None:
        """The schedule, or None when there is none."""
        return self._registry._run(get_scan_schedule(self._registry.url))

    def set_schedule(self, type: ScheduleType | str, cron: str | None = None) -> ScanSchedule:
        """Create, replace or remove the schedule.

        Args:
            type: `HOURLY`, `DAILY`, `WEEKLY` (the UI's crons unless `cron` is given),
                `CUSTOM` (needs `cron`), or `NONE` to remove the schedule; or their names.
            cron: 6 fields, seconds `0` (see [`validate_cron`][harborsec.harbor.validate_cron]).

        Returns:
            The schedule as Harbor now has it (type NONE after removing it).

        Raises:
            InvalidPolicyError: The type or cron is invalid; nothing is sent.
        """
        return self._registry._run(set_scan_schedule(self._registry.url, type, cron))

    def run(self) -> None:
        """Start scanning every artifact now.

        Raises:
            ConflictError: A manual run is in progress.
        """
        return self._registry._run(run_scan_all(self._registry.url))

    def stop(self) -> None:
        """Stop the running scan-all.

        Raises:
            BadRequestError: Nothing is running.
        """
        return self._registry._run(stop_scan_all(self._registry.url))

    def metrics(self) -> ScanAllMetrics:
        """Progress of the latest run, whatever started it."""
        return self._registry._run(scan_all_metrics(self._registry.url))

    def schedule_metrics(self) -> ScanAllMetrics:
        """Progress of the latest scheduled run."""
        return self._registry._run(scan_all_metrics(self._registry.url, scheduled=True))


class AsyncScanAll:
    """Harbor's scan-all job (asynchronous): `registry.scan_all`."""

    def __init__(self, registry: AsyncRegistry) -> None:
        self._registry = registry

    @same_doc(ScanAll.schedule)
    async def schedule(self) -> ScanSchedule | None:
        """Async form of [`ScanAll.schedule`][harborsec.harbor.ScanAll.schedule]."""
        return await self._registry._run(get_scan_schedule(self._registry.url))

    @same_doc(ScanAll.set_schedule)
    async def set_schedule(self, type: ScheduleType | str, cron: str | None = None) -> ScanSchedule:
        """Async form of [`ScanAll.set_schedule`][harborsec.harbor.ScanAll.set_schedule]."""
        return await self._registry._run(set_scan_schedule(self._registry.url, type, cron))

    @same_doc(ScanAll.run)
    async def run(self) -> None:
        """Async form of [`ScanAll.run`][harborsec.harbor.ScanAll.run]."""
        return await self._registry._run(run_scan_all(self._registry.url))

    @same_doc(ScanAll.stop)
    async def stop(self) -> None:
        """Async form of [`ScanAll.stop`][harborsec.harbor.ScanAll.stop]."""
        return await self._registry._run(stop_scan_all(self._registry.url))

    @same_doc(ScanAll.metrics)
    async def metrics(self) -> ScanAllMetrics:
        """Async form of [`ScanAll.metrics`][harborsec.harbor.ScanAll.metrics]."""
        return await self._registry._run(scan_all_metrics(self._registry.url))

    @same_doc(ScanAll.schedule_metrics)
    async def schedule_metrics(self) -> ScanAllMetrics:
        """Async form of [`ScanAll.schedule_metrics`][harborsec.harbor.ScanAll.schedule_metrics]."""
        return await self._registry._run(scan_all_metrics(self._registry.url, scheduled=True))
