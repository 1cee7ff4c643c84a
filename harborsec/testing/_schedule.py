"""Scan all: its schedule, manual runs, stop, and metrics; and Harbor's cron rules.

Routes (under `/api/v2.0`), as Harbor's `scan_all.go` behaves. Every one needs the system
`scan-all` permission (admins), then a default scanner: without one, 412 `no scanner is
configured, it's not possible to scan`.

* `GET /system/scanAll/schedule`: the `Schedule`, or 200 with an **empty body** when there is
  none.
* `POST /system/scanAll/schedule` (201): `Manual` starts a run (409 while a manual run is
  going on); `None` does nothing; any other type needs a valid cron (400 otherwise), and 412
  when a schedule exists (use PUT).
* `PUT /system/scanAll/schedule` (200): `None` removes the schedule; `Manual` is a 400; any
  other type creates or replaces it.
* `POST /system/scanAll/stop`: 202; 400 `no scan all job is found currently` before any run.
* `GET /scans/all/metrics` (the latest run) and `GET /scans/schedule/metrics` (the latest
  scheduled run): `Stats`; with no run, `{"total": 0, "completed": 0, "ongoing": false}`.

A cron has 6 fields (seconds, minutes, hours, day of month, month, day of week), parsed like
robfig/cron v3 (`*`, `?`, lists, ranges, steps, `JAN`-`DEC`, `SUN`-`SAT`), and its first field
must be exactly `0` (Harbor's `ValidateCronString`).

The emulator scans nothing. A run has one task per manifest in the registry; it stays
**running** until the test ends it with `HarborEmulator.finish_scan_all()` (every task
succeeds) or stops it through the API (the unfinished tasks are stopped). A run over an empty
registry succeeds at once. `HarborEmulator.run_scheduled_scan_all()` starts a run as the
schedule would.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from typing import Any

import attrs
import httpx

from harborsec.testing._access import format_time, read_body, require_system
from harborsec.testing._api import API_PREFIX, ApiError
from harborsec.testing._http import Call, Router, json_response, parse_int
from harborsec.testing._scanners import default_scanner
from harborsec.testing._state import ScanAllExecution, ScanAllSchedule, State

__all__ = [
    "SCHEDULE_TYPES",
    "CronError",
    "ScanAllApi",
    "finish_scan_all",
    "next_run",
    "parse_cron",
    "start_scan_all",
    "validate_cron",
]

SCHEDULE_TYPES = ("Hourly", "Daily", "Weekly", "Custom", "Manual", "None", "Schedule")
"""The spec's `ScheduleObj.type` values."""

_FIELDS = (
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)
_MONTHS = {name.upper(): index for index, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
_NUMBER = re.compile(r"[0-9]+")
_SEARCH_DAYS = 5 * 366


class CronError(ValueError):
    """A cron expression Harbor refuses."""


@attrs.frozen
class Cron:
    """A parsed 6-field cron: the allowed values of each field."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    """The day-of-month field is `*` or `?` (then both day fields must match)."""
    any_weekday: bool


def _value(text: str, field: int) -> int:
    names = _MONTHS if field == 4 else _DAYS if field == 5 else {}
    if text.upper() in names:
        return names[text.upper()]
    if not _NUMBER.fullmatch(text):
        raise CronError(f"failed to parse int from {text}")
    return parse_int(text)


def _parse_field(text: str, field: int) -> tuple[frozenset[int], bool]:
    name, low, high = _FIELDS[field]
    values: set[int] = set()
    star = False
    for part in text.split(","):
        range_text, _, step_text = part.partition("/")
        step = 1
        if step_text or "/" in part:
            if not _NUMBER.fullmatch(step_text) or parse_int(step_text) == 0:
                raise CronError(f"invalid step in {part!r} ({name})")
            step = parse_int(step_text)
        if range_text in ("*", "?"):
            start, end = low, high
            star = star or step == 1
        else:
            first, dash, last = range_text.partition("-")
            start = _value(first, field)
            end = _value(last, field) if dash else (high if step_text else start)
        if start < low:
            raise CronError(f"beginning of range ({start}) below minimum ({low}): {part}")
        if end > high:
            raise CronError(f"end of range ({end}) above maximum ({high}): {part}")
        if start > end:
            raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {part}")
        values.update(range(start, end + 1, step))
    return frozenset(values), star


def parse_cron(cron: str) -> Cron:
    """Parse a 6-field cron expression (robfig/cron v3 with seconds).

    Raises:
        CronError: It is not one.
    """
    fields = cron.split()
    if len(fields) != 6:
        raise CronError(f"expected exactly 6 fields, found {len(fields)}: {fields}")
    parsed = [_parse_field(text, index) for index, text in enumerate(fields)]
    return Cron(
        seconds=parsed[0][0],
        minutes=parsed[1][0],
        hours=parsed[2][0],
        days=parsed[3][0],
        months=parsed[4][0],
        weekdays=parsed[5][0],
        any_day=parsed[3][1],
        any_weekday=parsed[5][1],
    )


def validate_cron(cron: str) -> Cron:
    """Harbor's `ValidateCronString`: a valid 6-field cron whose seconds field is `0`.

    Raises:
        CronError: Harbor would refuse it.
    """
    if not cron:
        raise CronError("empty cron string is invalid")
    parsed = parse_cron(cron)
    parts = cron.split(" ")
    if len(parts) == 6 and parts[0] != "0":
        raise CronError("the 1st field (indicating Seconds of time) of the cron setting must be 0")
    return parsed


def _day_matches(cron: Cron, day: dt.date) -> bool:
    day_ok = day.day in cron.days
    weekday_ok = (day.weekday() + 1) % 7 in cron.weekdays
    if cron.any_day or cron.any_weekday:
        return day_ok and weekday_ok
    return day_ok or weekday_ok


def next_run(cron: str, after: float) -> float | None:
    """The first time after `after` (Unix seconds, UTC) when `cron` fires; None within 5 years."""
    parsed = parse_cron(cron)
    start = dt.datetime.fromtimestamp(int(after) + 1, dt.timezone.utc)
    day = start.date()
    for _ in range(_SEARCH_DAYS):
        if day.month in parsed.months and _day_matches(parsed, day):
            for hour in sorted(parsed.hours):
                for minute in sorted(parsed.minutes):
                    for second in sorted(parsed.seconds):
                        moment = dt.datetime(
                            day.year,
                            day.month,
                            day.day,
                            hour,
                            minute,
                            second,
                            tzinfo=dt.timezone.utc,
                        )
                        if moment >= start:
                            return moment.timestamp()
        day += dt.timedelta(days=1)
    return None


def _artifact_count(state: State) -> int:
    return sum(len(repository.manifests) for repository in state.repositories.values())


def _ongoing(execution: ScanAllExecution) -> bool:
    return execution.status == "Running"


def start_scan_all(state: State, trigger: str) -> ScanAllExecution:
    """Start a scan-all run (`MANUAL` or `SCHEDULE`) over every manifest in the registry."""
    total = _artifact_count(state)
    execution = ScanAllExecution(
        id=state.next_id("scan_all_execution"),
        trigger=trigger,
        start_time=time.time(),
        total=total,
        status="Running" if total else "Success",
    )
    state.scan_all_executions.append(execution)
    state.save()
    return execution


def finish_scan_all(state: State) -> bool:
    """Complete the running scan-all runs: every task succeeds. Whether there was one."""
    finished = False
    for execution in state.scan_all_executions:
        if _ongoing(execution):
            execution.success = execution.total - execution.stopped
            execution.status = "Success"
            finished = True
    state.save()
    return finished


def _latest(state: State, trigger: str | None = None) -> ScanAllExecution | None:
    runs = [e for e in state.scan_all_executions if trigger is None or e.trigger == trigger]
    return max(runs, key=lambda e: (e.start_time, e.id)) if runs else None


def _stats(execution: ScanAllExecution | None) -> dict[str, Any]:
    if execution is None:
        return {"total": 0, "completed": 0, "ongoing": False}
    running = execution.total - execution.success - execution.stopped
    completed = execution.success + execution.stopped
    return {
        "total": execution.total,
        "completed": completed,
        "metrics": {
            "Pending": 0,
            "Running": running,
            "Success": execution.success,
            "Error": 0,
            "Stopped": execution.stopped,
        },
        "ongoing": _ongoing(execution) or execution.total != completed,
        "trigger": execution.trigger.title(),
    }


class ScanAllApi:
    """The scan-all area of the API (see the module docstring).

    Args:
        state: The emulator's state.
    """

    def __init__(self, state: State) -> None:
        self._state = state

    def register(self, router: Router) -> None:
        """Add this area's routes to `router`."""
        schedule = f"{API_PREFIX}/system/scanAll/schedule"
        router.add("GET", schedule, self._get_schedule)
        router.add("POST", schedule, self._create_schedule)
        router.add("PUT", schedule, self._update_schedule)
        router.add("POST", f"{API_PREFIX}/system/scanAll/stop", self._stop)
        router.add("GET", f"{API_PREFIX}/scans/all/metrics", self._metrics)
        router.add("GET", f"{API_PREFIX}/scans/schedule/metrics", self._schedule_metrics)

    def _require(self, call: Call, action: str) -> None:
        require_system(call, "scan-all", action)
        if default_scanner(self._state) is None:
            raise ApiError(
                412, "PRECONDITION", "no scanner is configured, it's not possible to scan"
            )

    @staticmethod
    def _schedule_body(call: Call) -> tuple[str, str]:
        body = read_body(call, "schedule", struct="Schedule")
        if not isinstance(body, dict):
            raise ApiError(
                400,
                "BAD_REQUEST",
                'parsing schedule body from "" failed, because json: cannot unmarshal value '
                "into Go value of type models.Schedule",
            )
        schedule = body.get("schedule")
        if schedule is None:
            # Harbor dereferences the missing `schedule` object: a panic, answered 500.
            raise ApiError(500, "UNKNOWN", "internal server error")
        if not isinstance(schedule, dict) or not all(
            isinstance(schedule.get(key, ""), str) for key in ("type", "cron")
        ):
            raise ApiError(
                400,
                "BAD_REQUEST",
                'parsing schedule body from "" failed, because json: cannot unmarshal value '
                "into Go struct field Schedule.schedule of type models.ScheduleObj",
            )
        kind = schedule.get("type", "")
        if kind and kind not in SCHEDULE_TYPES:
            raise ApiError(
                422,
                "UNPROCESSABLE_ENTITY",
                "validation failure list:\nschedule.type in body should be one of "
                "[Hourly Daily Weekly Custom Manual None Schedule]",
            )
        return kind, schedule.get("cron", "")

    def _write_schedule(self, kind: str, cron: str) -> None:
        previous = self._state.scan_all_schedule
        if previous is not None and previous.cron_type == kind and previous.cron == cron:
            return
        try:
            validate_cron(cron)
        except CronError as error:
            raise ApiError(400, "BAD_REQUEST", f"invalid cron {cron}: {error}") from None
        now = time.time()
        self._state.scan_all_schedule = ScanAllSchedule(
            self._state.next_id("schedule"), kind, cron, now, now
        )
        self._state.save()

    def _get_schedule(self, call: Call) -> httpx.Response:
        self._require(call, "read")
        schedule = self._state.scan_all_schedule
        if schedule is None:
            return httpx.Response(200)
        scheduled: dict[str, Any] = {"type": schedule.cron_type, "cron": schedule.cron}
        upcoming = next_run(schedule.cron, time.time())
        if upcoming is not None:
            scheduled["next_scheduled_time"] = format_time(upcoming)
        return json_response(
            200,
            {
                "id": schedule.id,
                "status": "Scheduled",
                "creation_time": format_time(schedule.creation_time),
                "update_time": format_time(schedule.update_time),
                "schedule": scheduled,
            },
        )

    def _create_schedule(self, call: Call) -> httpx.Response:
        kind, cron = self._schedule_body(call)
        self._require(call, "create")
        if kind == "None":
            return httpx.Response(201)
        if kind == "Manual":
            latest = _latest(self._state, "MANUAL")
            if latest is not None and _ongoing(latest):
                raise ApiError(
                    409,
                    "CONFLICT",
                    f"a previous scan all job aleady exits, its status is {latest.status}",
                )
            start_scan_all(self._state, "MANUAL")
            return httpx.Response(201)
        if self._state.scan_all_schedule is not None:
            raise ApiError(
                412,
                "PRECONDITION",
                "fail to set schedule for scan all as always had one, please delete it firstly "
                "then to re-schedule",
            )
        self._write_schedule(kind, cron)
        return httpx.Response(201)

    def _update_schedule(self, call: Call) -> httpx.Response:
        kind, cron = self._schedule_body(call)
        self._require(call, "update")
        if kind == "Manual":
            raise ApiError(
                400,
                "BAD_REQUEST",
                f"fail to update scan all schedule as wrong schedule type: {kind}",
            )
        if kind == "None":
            self._state.scan_all_schedule = None
            self._state.save()
        else:
            self._write_schedule(kind, cron)
        return httpx.Response(200)

    def _stop(self, call: Call) -> httpx.Response:
        self._require(call, "stop")
        latest = _latest(self._state)
        if latest is None:
            raise ApiError(400, "BAD_REQUEST", "no scan all job is found currently")
        if _ongoing(latest):
            latest.stopped = latest.total - latest.success
            latest.status = "Stopped"
            self._state.save()
        return httpx.Response(202)

    def _metrics(self, call: Call) -> httpx.Response:
        self._require(call, "read")
        return json_response(200, _stats(_latest(self._state)))

    def _schedule_metrics(self, call: Call) -> httpx.Response:
        self._require(call, "read")
        return json_response(200, _stats(_latest(self._state, "SCHEDULE")))
