"""A project's security settings: `ProjectConfig` (in force, read) and `ConfigChanges` (to write).

Harbor keeps a project's settings as **string** metadata (`"true"`, `"high"`...);
`ProjectConfig` is the typed view, read exactly as Harbor reads it (booleans are `"true"` or
`"1"` in any case; an absent `reuse_sys_cve_allowlist` means the system allowlist is in force;
`severity` is title-cased, so `"HIGH"` is *not* `High`).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from harborsec._core._display import PrettyPrinter, html_table, text_block
from harborsec.errors import InvalidPolicyError
from harborsec.harbor._severity import Severity

__all__ = ["ConfigChanges", "ProjectConfig"]


_META_KEYS = {
    "public": "public",
    "auto_scan": "auto_scan",
    "auto_sbom_generation": "auto_sbom_generation",
    "prevent_vulnerable": "prevent_vul",
    "severity": "severity",
    "cosign_required": "enable_content_trust_cosign",
    "notation_required": "enable_content_trust",
    "reuse_system_allowlist": "reuse_sys_cve_allowlist",
}
"""ProjectConfig field -> Harbor metadata key."""


def _harbor_true(value: str) -> bool:
    """Harbor's `isTrue`: `true` in any case, or `1`."""
    return value.lower() in ("true", "1")


def _text(value: object) -> str:
    """A metadata value as text (Harbor's are strings; a number past 4300 digits reads as "")."""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except ValueError:
        return ""


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected True or False, got {value!r}")


def _optional_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidPolicyError(f"expected True, False or None, got {value!r}")


def _severity(value: Severity | str) -> Severity:
    return Severity.parse(value)


def _optional_severity(value: Severity | str | None) -> Severity | None:
    return None if value is None else Severity.parse(value)


def _shown(value: bool | Severity) -> str:
    if isinstance(value, Severity):
        return value.value
    return "true" if value else "false"


def _metadata(settings: ProjectConfig | ConfigChanges) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for field, key in _META_KEYS.items():
        value = getattr(settings, field)
        if value is not None:
            metadata[key] = _shown(value)
    return metadata


@attrs.frozen
class ProjectConfig:
    """The security configuration in force for a project, as Harbor applies it.

    Every field holds the value Harbor applies: a setting Harbor has no metadata for reads as
    Harbor's default (off, severity none, the system CVE allowlist in force), so no field is
    ever None. To change settings, see `Project.update_config` and `ConfigChanges`.
    """

    public: bool = attrs.field(default=False, converter=_bool)
    """Anyone, even anonymous, may pull (metadata `public`)."""
    auto_scan: bool = attrs.field(default=False, converter=_bool)
    """Scan for vulnerabilities on push (`auto_scan`)."""
    auto_sbom_generation: bool = attrs.field(default=False, converter=_bool)
    """Generate an SBOM on push (`auto_sbom_generation`, Harbor 2.11+)."""
    prevent_vulnerable: bool = attrs.field(default=False, converter=_bool)
    """Block pulls of artifacts with findings at or above `severity` (`prevent_vul`)."""
    severity: Severity = attrs.field(default=Severity.NONE, converter=_severity)
    """The threshold of `prevent_vulnerable` (`severity`)."""
    cosign_required: bool = attrs.field(default=False, converter=_bool)
    """Block pulls of artifacts without a cosign signature (`enable_content_trust_cosign`).

    Harbor only checks that a signature exists, not that it verifies."""
    notation_required: bool = attrs.field(default=False, converter=_bool)
    """Block pulls of artifacts without a Notation signature (`enable_content_trust`)."""
    reuse_system_allowlist: bool = attrs.field(default=True, converter=_bool)
    """The system CVE allowlist is in force, not the project's (`reuse_sys_cve_allowlist`).

    When the key is absent Harbor uses the system list, so it reads as True."""

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str]) -> ProjectConfig:
        """The configuration Harbor applies for this metadata, every field resolved.

        Booleans are true for `true` (any case) or `1`, false otherwise or when absent, except
        `reuse_sys_cve_allowlist`, which is true when absent. `severity` is read as Harbor's pull
        policy reads it (see `Severity.from_harbor`); absent, it is none.
        """

        def flag(key: str, default: bool = False) -> bool:
            value = metadata.get(key)
            return default if value is None else _harbor_true(_text(value))

        return cls(
            public=flag("public"),
            auto_scan=flag("auto_scan"),
            auto_sbom_generation=flag("auto_sbom_generation"),
            prevent_vulnerable=flag("prevent_vul"),
            severity=Severity.from_harbor(_text(metadata.get("severity", ""))),
            cosign_required=flag("enable_content_trust_cosign"),
            notation_required=flag("enable_content_trust"),
            reuse_system_allowlist=flag("reuse_sys_cve_allowlist", default=True),
        )

    def to_metadata(self) -> dict[str, str]:
        """Every setting as Harbor metadata: lowercase `true`/`false`, and the severity."""
        return _metadata(self)

    def _rows(self) -> list[tuple[str, str, str]]:
        return [(field, _shown(getattr(self, field)), key) for field, key in _META_KEYS.items()]

    def _repr_html_(self) -> str:
        """Jupyter's display: each setting, its value, and Harbor's metadata key."""
        return html_table("Project configuration", ("setting", "value", "metadata"), self._rows())

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:
        """IPython's plain display: one setting a line."""
        printer.text(text_block("ProjectConfig", [row[:2] for row in self._rows()]))


@attrs.frozen
class ConfigChanges:
    """Settings to change, or to create a project with; None leaves a setting as it is.

    At creation a setting left as None takes Harbor's default. `Project.update_config` takes
    the same settings as keyword arguments.

    Raises:
        InvalidPolicyError: A bad severity or a flag that is not True, False or None.
    """

    public: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Anyone, even anonymous, may pull."""
    auto_scan: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Scan for vulnerabilities on push."""
    auto_sbom_generation: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Generate an SBOM on push (Harbor 2.11+)."""
    prevent_vulnerable: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Block pulls of artifacts with findings at or above `severity`."""
    severity: Severity | None = attrs.field(default=None, converter=_optional_severity)
    """The threshold of `prevent_vulnerable`."""
    cosign_required: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Block pulls of artifacts without a cosign signature."""
    notation_required: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Block pulls of artifacts without a Notation signature."""
    reuse_system_allowlist: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Use the system CVE allowlist instead of the project's."""

    def to_metadata(self) -> dict[str, str]:
        """The metadata for the settings that are given: lowercase `true`/`false`, severity."""
        return _metadata(self)

    def is_empty(self) -> bool:
        """Whether no setting is given."""
        return not self.to_metadata()
