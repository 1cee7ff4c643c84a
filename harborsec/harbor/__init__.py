"""The Harbor side: projects, security settings, allowlists, immutability, scanners, schedules.

Reach it from a client: `registry.project("team")`, `registry.scanners`, `registry.scan_all`,
`registry.system_allowlist`.
"""

from harborsec.harbor._projects import AsyncProject, AsyncSystemAllowlist, Project, SystemAllowlist
from harborsec.harbor._scanners import AsyncScanAll, AsyncScanners, ScanAll, Scanners

__all__ = [
    "AsyncProject",
    "AsyncScanAll",
    "AsyncScanners",
    "AsyncSystemAllowlist",
    "Project",
    "ScanAll",
    "Scanners",
    "SystemAllowlist",
]
