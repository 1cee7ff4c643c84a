"""The scan-all job: its schedule (6-field crons, checked as Harbor checks them), runs, metrics.

Scan-all crons have 6 fields whose seconds must be `0`; Hourly, Daily and Weekly still need a
cron (the UI's are used), and creating a schedule when one exists fails (so `set_scan_schedule`
picks POST or PUT) (harbor-api.md §13).

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
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import cattrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import raise_for_status
from harborsec.errors import InvalidPolicyError, MalformedResponseError
from harborsec.harbor._api import api_url, optional_json, structure

__all__ = [
    "SCHEDULE_CRONS",
    "ScanAllMetrics",
    "ScanSchedule",
    "ScheduleType",
    "get_scan_schedule",
    "parse_metrics",
    "parse_schedule",
    "run_scan_all",
    "scan_all_metrics",
    "set_scan_schedule",
    "stop_scan_all",
    "validate_cron",
]


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
    cron: str
    """The 6-field cron that actually runs ("" for the type NONE: no schedule)."""
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
        raise InvalidPolicyError(f"cron {field} field: {_short(text)} is not a number")
    digits = text.lstrip("0")
    if len(digits) > _MAX_CRON_DIGITS:  # out of every field's range (and of int's conversion)
        raise InvalidPolicyError(f"cron {field} field: {_short(text)} is too large")
    return int(digits or "0")


_MAX_CRON_DIGITS = 9
"""Past this many significant digits a cron number is out of range in every field."""


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text)} characters)"


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
        type=kind, cron=wire.schedule.cron or "", next_run=wire.schedule.next_scheduled_time
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


# -- operations: scan all ------------------------------------------------------------------------


def _schedule_url(base: httpx.URL) -> httpx.URL:
    return api_url(base, "system", "scanAll", "schedule")


def get_scan_schedule(base: httpx.URL) -> Op[ScanSchedule | None]:
    """The scan-all schedule, or None."""
    response = yield httpx.Request("GET", _schedule_url(base))
    raise_for_status(response)
    return parse_schedule(optional_json(response))


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
        return ScanSchedule(type=ScheduleType.NONE, cron="")
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
    return parse_metrics(optional_json(response))
