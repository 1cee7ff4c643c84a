"""The Harbor side: projects, security settings, allowlists, immutability, scanners, schedules.

This package holds the models (and the operations behind them); the classes that act on a
Harbor (`Project`, `ProjectAllowlist`, `ImmutabilityRules`, `Scanners`, `ScanAll`...) are in
`harborsec`. Reach them from a client: `registry.project("team")`, `registry.projects()`,
`registry.whoami()`, `registry.scanners`, `registry.scan_all`, `registry.system_allowlist`.

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

from harborsec.harbor._allowlists import CveAllowlist, EffectiveAllowlist
from harborsec.harbor._config import ConfigChanges, ProjectConfig
from harborsec.harbor._doublestar import doublestar_match, validate_pattern
from harborsec.harbor._identity import Identity, Permission
from harborsec.harbor._immutability import (
    MAX_RULES,
    ImmutabilityRule,
    RepositoryDecoration,
    TagDecoration,
    is_immutable,
)
from harborsec.harbor._projects import ProjectInfo
from harborsec.harbor._scanners import Scanner, ScannerAuth, ScannerCapability, ScannerMetadata
from harborsec.harbor._schedules import (
    SCHEDULE_CRONS,
    ScanAllMetrics,
    ScanSchedule,
    ScheduleType,
    validate_cron,
)
from harborsec.harbor._severity import Severity

__all__ = [
    "ConfigChanges",
    "CveAllowlist",
    "doublestar_match",
    "EffectiveAllowlist",
    "Identity",
    "ImmutabilityRule",
    "is_immutable",
    "MAX_RULES",
    "Permission",
    "ProjectConfig",
    "ProjectInfo",
    "RepositoryDecoration",
    "ScanAllMetrics",
    "Scanner",
    "ScannerAuth",
    "ScannerCapability",
    "ScannerMetadata",
    "ScanSchedule",
    "SCHEDULE_CRONS",
    "ScheduleType",
    "Severity",
    "TagDecoration",
    "validate_cron",
    "validate_pattern",
]
