"""Scanners ("Interrogation Services"), the project scanner and scan-all (being written).

Owner: the scanners work. Names below are the agreed interface; see /tmp/issue3.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harborsec._client import AsyncRegistry, Registry

__all__ = ["AsyncScanAll", "AsyncScanners", "ScanAll", "Scanners"]


class Scanners:
    """The scanner registrations of a Harbor instance."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry


class AsyncScanners:
    """The scanner registrations of a Harbor instance (asynchronous)."""

    def __init__(self, registry: AsyncRegistry) -> None:
        self._registry = registry


class ScanAll:
    """Harbor's scan-all job: its schedule, runs and metrics."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry


class AsyncScanAll:
    """Harbor's scan-all job: its schedule, runs and metrics (asynchronous)."""

    def __init__(self, registry: AsyncRegistry) -> None:
        self._registry = registry
