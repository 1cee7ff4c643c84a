"""The Harbor side: projects, security settings, allowlists, immutability, scanners, schedules.

Reach it from a client: `registry.project("team")`, `registry.projects()`, `registry.whoami()`,
`registry.scanners`, `registry.scan_all`, `registry.system_allowlist`.

Example:
    >>> from harborsec import Registry
    >>> from harborsec.harbor import Severity
    >>> from harborsec.testing import HarborEmulator
    >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...               transport=HarborEmulator().transport()) as registry:
    ...     team = registry.create_project("team")
    ...     team.update_config(prevent_vulnerable=True, severity="high").severity
    <Severity.HIGH: 'high'>
"""

from harborsec.harbor._doublestar import doublestar_match, validate_pattern
from harborsec.harbor._immutability import (
    MAX_RULES,
    AsyncImmutabilityRules,
    ImmutabilityRule,
    ImmutabilityRules,
    RepositoryDecoration,
    TagDecoration,
    is_immutable,
)
from harborsec.harbor._projects import (
    AsyncProject,
    AsyncProjectAllowlist,
    AsyncSystemAllowlist,
    CveAllowlist,
    EffectiveAllowlist,
    Identity,
    Permission,
    Project,
    ProjectAllowlist,
    ProjectConfig,
    ProjectInfo,
    Severity,
    SystemAllowlist,
)
from harborsec.harbor._scanners import (
    SCHEDULE_CRONS,
    AsyncProjectScanner,
    AsyncScanAll,
    AsyncScanners,
    ProjectScanner,
    ScanAll,
    ScanAllMetrics,
    Scanner,
    ScannerAuth,
    ScannerCapability,
    ScannerMetadata,
    Scanners,
    ScanSchedule,
    ScheduleType,
    validate_cron,
)

__all__ = [
    "AsyncImmutabilityRules",
    "AsyncProject",
    "AsyncProjectAllowlist",
    "AsyncProjectScanner",
    "AsyncScanAll",
    "AsyncScanners",
    "AsyncSystemAllowlist",
    "CveAllowlist",
    "doublestar_match",
    "EffectiveAllowlist",
    "Identity",
    "ImmutabilityRule",
    "ImmutabilityRules",
    "is_immutable",
    "MAX_RULES",
    "Permission",
    "Project",
    "ProjectAllowlist",
    "ProjectConfig",
    "ProjectInfo",
    "ProjectScanner",
    "RepositoryDecoration",
    "ScanAll",
    "ScanAllMetrics",
    "Scanner",
    "ScannerAuth",
    "ScannerCapability",
    "ScannerMetadata",
    "Scanners",
    "ScanSchedule",
    "SCHEDULE_CRONS",
    "ScheduleType",
    "Severity",
    "SystemAllowlist",
    "TagDecoration",
    "validate_cron",
    "validate_pattern",
]
