"""Harbor's scan-all job: `registry.scan_all`."""

from __future__ import annotations

from harborsec._core._runner import AsyncRunner
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

__all__ = ["AsyncScanAll"]


class AsyncScanAll(Facade[AsyncRunner]):
    """Harbor's scan-all job: its schedule, runs and metrics: `registry.scan_all`.

    Every call needs a default scanner (Harbor answers 412 `PreconditionFailedError` without
    one) and system-admin rights.
    """

    async def schedule(self) -> ScanSchedule | None:
        """The schedule, or None when there is none."""
        return await self._runner.run(get_scan_schedule(self._runner.url))

    async def set_schedule(self, type: ScheduleType | str, cron: str | None = None) -> ScanSchedule:
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
        return await self._runner.run(set_scan_schedule(self._runner.url, type, cron))

    async def run(self) -> None:
        """Start scanning every artifact now.

        Raises:
            ConflictError: A manual run is in progress.
        """
        return await self._runner.run(run_scan_all(self._runner.url))

    async def stop(self) -> None:
        """Stop the running scan-all.

        Raises:
            BadRequestError: Nothing is running.
        """
        return await self._runner.run(stop_scan_all(self._runner.url))

    async def metrics(self) -> ScanAllMetrics:
        """Progress of the latest run, whatever started it."""
        return await self._runner.run(scan_all_metrics(self._runner.url))

    async def schedule_metrics(self) -> ScanAllMetrics:
        """Progress of the latest scheduled run."""
        return await self._runner.run(scan_all_metrics(self._runner.url, scheduled=True))
