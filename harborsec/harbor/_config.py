"""`ProjectConfig`: a project's security settings, a typed view of Harbor's string metadata.

Harbor keeps a project's settings as **string** metadata (`"true"`, `"high"`...);
`ProjectConfig` is the typed view, read exactly as Harbor reads it (booleans are `"true"` or
`"1"` in any case; an absent `reuse_sys_cve_allowlist` means the system allowlist is in force;
`severity` is title-cased, so `"HIGH"` is *not* `High`).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from harborsec.errors import InvalidPolicyError
from harborsec.harbor._severity import Severity

__all__ = ["ProjectConfig", "config_changes"]


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


def _optional_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"expected True, False or None, got {value!r}")


def _optional_severity(value: Severity | str | None) -> Severity | None:
    return None if value is None else Severity.parse(value)


@attrs.frozen
class ProjectConfig:
    """The security configuration of a project: a typed view of Harbor's string metadata.

    None means "not set": in values read from Harbor (`from_metadata`) every field is resolved,
    while in `update_config` and policies None leaves the setting unchanged.
    """

    public: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Anyone, even anonymous, may pull (metadata `public`)."""
    auto_scan: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Scan for vulnerabilities on push (`auto_scan`)."""
    auto_sbom_generation: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Generate an SBOM on push (`auto_sbom_generation`, Harbor 2.11+)."""
    prevent_vulnerable: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Block pulls of artifacts with findings at or above `severity` (`prevent_vul`)."""
    severity: Severity | None = attrs.field(default=None, converter=_optional_severity)
    """The threshold of `prevent_vulnerable` (`severity`)."""
    cosign_required: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Block pulls of artifacts without a cosign signature (`enable_content_trust_cosign`).

    Harbor only checks that a signature exists, not that it verifies."""
    notation_required: bool | None = attrs.field(default=None, converter=_optional_bool)
    """Block pulls of artifacts without a Notation signature (`enable_content_trust`)."""
    reuse_system_allowlist: bool | None = attrs.field(default=None, converter=_optional_bool)
    """The system CVE allowlist is in force, not the project's (`reuse_sys_cve_allowlist`).

    When the key is absent Harbor uses the system list, so it reads as True."""

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str]) -> ProjectConfig:
        """The configuration Harbor applies for this metadata, every field resolved.

        Booleans are true for `true` (any case) or `1`, false otherwise or when absent, except
        `reuse_sys_cve_allowlist`, which is true when absent. `severity` is read as Harbor's pull
        policy reads it (see [`Severity.from_harbor`][harborsec.harbor.Severity.from_harbor]);
        absent, it is none.
        """

        def flag(key: str, default: bool = False) -> bool:
            value = metadata.get(key)
            return default if value is None else _harbor_true(str(value))

        return cls(
            public=flag("public"),
            auto_scan=flag("auto_scan"),
            auto_sbom_generation=flag("auto_sbom_generation"),
            prevent_vulnerable=flag("prevent_vul"),
            severity=Severity.from_harbor(str(metadata.get("severity", ""))),
            cosign_required=flag("enable_content_trust_cosign"),
            notation_required=flag("enable_content_trust"),
            reuse_system_allowlist=flag("reuse_sys_cve_allowlist", default=True),
        )

    def to_metadata(self) -> dict[str, str]:
        """The metadata for the fields that are set: lowercase `true`/`false` and severity."""
        metadata: dict[str, str] = {}
        for field, key in _META_KEYS.items():
            value = getattr(self, field)
            if value is None:
                continue
            if isinstance(value, Severity):
                metadata[key] = value.value
            else:
                metadata[key] = "true" if value else "false"
        return metadata

    def is_empty(self) -> bool:
        """Whether no field is set."""
        return not self.to_metadata()


def config_changes(
    *,
    public: bool | None = None,
    auto_scan: bool | None = None,
    auto_sbom_generation: bool | None = None,
    prevent_vulnerable: bool | None = None,
    severity: Severity | str | None = None,
    cosign_required: bool | None = None,
    notation_required: bool | None = None,
    reuse_system_allowlist: bool | None = None,
) -> ProjectConfig:
    """The changes of `Project.update_config` as a `ProjectConfig` (None: left unchanged).

    Raises:
        InvalidPolicyError: A bad severity or a non-boolean flag.
    """
    try:
        return ProjectConfig(
            public=public,
            auto_scan=auto_scan,
            auto_sbom_generation=auto_sbom_generation,
            prevent_vulnerable=prevent_vulnerable,
            severity=severity,
            cosign_required=cosign_required,
            notation_required=notation_required,
            reuse_system_allowlist=reuse_system_allowlist,
        )
    except TypeError as exc:
        raise InvalidPolicyError(str(exc)) from None
