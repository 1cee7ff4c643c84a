"""Projects, their security configuration, CVE allowlists and `whoami` (being written).

Owner: the projects work. Names below are the agreed interface; see /tmp/issue3.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harborsec._client import AsyncRegistry, Registry

__all__ = ["AsyncProject", "AsyncSystemAllowlist", "Project", "SystemAllowlist"]


class Project:
    """One Harbor project, by name (no request is made until a method is called)."""

    def __init__(self, registry: Registry, name: str) -> None:
        self._registry = registry
        self.name = name
        """The project's name."""


class AsyncProject:
    """One Harbor project, by name (asynchronous)."""

    def __init__(self, registry: AsyncRegistry, name: str) -> None:
        self._registry = registry
        self.name = name
        """The project's name."""


class SystemAllowlist:
    """The system CVE allowlist."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry


class AsyncSystemAllowlist:
    """The system CVE allowlist (asynchronous)."""

    def __init__(self, registry: AsyncRegistry) -> None:
        self._registry = registry
