# Generated from harborsec/_facades/_async/_scan_all.py by scripts/unasync.py; do not edit.
"""Harbor's scan-all job: `registry.scan_all`."""

from __future__ import annotations

from harborsec._core._runner import Runner
from harborsec._facades._base import Facade
from harborsec.harbor._schedules import (
    ScanAllMetrics,
    ScanSchedule,
    ScheduleType,
    get_scan_schedule,
    run_scan_all,
    scan_all_metrics,
    set_scan_schedule,
    stop_scan_all,
)

__all__ = ["ScanAll"]


class ScanAll(Facade[Runner]):
    """Harbor's scan-all job: its schedule, runs and metrics: `registry.scan_all`.

    Every call needs a default scanner (Harbor answers 412 `PreconditionFailedError` without
    one) and system-admin rights.
    """

    def schedule(self) -> ScanSchedule | None:
        """The schedule, or None when there is none."""
        return self._runner.run(get_scan_schedule(self._runner.url))

    def set_schedule(self, type: ScheduleType | str, cron: str | None = None) -> ScanSchedule:
        """Create, replace or remove the schedule.

        Args:
            type: `HOURLY`, `DAILY`, `WEEKLY` (the UI's crons unless `cron` is given),
                `CUSTOM` (needs `cron`), or `NONE` to remove the schedule; or their names.
            cron: 6 fields, seconds `0` (see `harborsec.harbor.validate_cron`).

        Returns:
            The schedule as Harbor now has it (type NONE after removing it).

        Raises:
            InvalidPolicyError: The type or cron is invalid; nothing is sent.
        """
        return self._runner.run(set_scan_schedule(self._runner.url, type, cron))

    def run(self) -> None:
        """Start scanning every artifact now.

        Raises:
            ConflictError: A manual run is in progress.
        """
        return self._runner.run(run_scan_all(self._runner.url))

    def stop(self) -> None:
        """Stop the running scan-all.

        Raises:
            BadRequestError: Nothing is running.
        """
        return self._runner.run(stop_scan_all(self._runner.url))

    def metrics(self) -> ScanAllMetrics:
        """Progress of the latest run, whatever started it."""
        return self._runner.run(scan_all_metrics(self._runner.url))

    def schedule_metrics(self) -> ScanAllMetrics:
        """Progress of the latest scheduled run."""
        return self._runner.run(scan_all_metrics(self._runner.url, scheduled=True))
