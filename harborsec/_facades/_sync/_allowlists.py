# Generated from harborsec/_facades/_async/_allowlists.py by scripts/unasync.py; do not edit.
"""CVE allowlist facades: a project's own list (`project.allowlist`) and the system list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from harborsec._core._http import NOT_GIVEN, NotGiven
from harborsec._core._runner import Runner
from harborsec._facades._base import Facade, ProjectFacade
from harborsec._facades._locks import WriteLocks
from harborsec.harbor._allowlists import (
    CveAllowlist,
    Edit,
    EffectiveAllowlist,
    adding,
    edit_system_allowlist,
    expiring,
    get_system_allowlist,
    removing,
    replacing,
)
from harborsec.harbor._project_allowlist import (
    edit_project_allowlist,
    effective_allowlist,
    project_allowlist,
)

__all__ = ["ProjectAllowlist", "SystemAllowlist"]


class ProjectAllowlist(ProjectFacade[Runner]):
    """A project's own CVE allowlist, and which list is in force: `project.allowlist`.

    Harbor applies the **system** allowlist unless the project's `reuse_sys_cve_allowlist` is
    false; writes here switch the project to its own list unless `use=False`.

    Edits (`add`, `remove`, `set_expiry`, `replace`) read the list, change it and write it back,
    as Harbor has no partial update. This process's edits of one list run one at a time, and
    each write is read back: an edit another client overwrote is made again, a few times, then
    `ConcurrentUpdateError` is raised. A call that returns has its edit in place when it
    returns; see docs/security.md for what no Harbor client can guarantee beyond that.
    """

    def _edit(self, edit: Edit, *, use: bool, needs_current: bool = True) -> CveAllowlist:
        op = edit_project_allowlist(
            self._runner.url, self.project, edit, use=use, needs_current=needs_current
        )
        with WriteLocks.get(self._runner, f"project-allowlist:{self.project}"):
            return self._runner.run(op)

    def get(self) -> CveAllowlist:
        """The project's own list (in force or not)."""
        return self._runner.run(project_allowlist(self._runner.url, self.project))

    def effective(self) -> EffectiveAllowlist:
        """The list in force: the system list when the project reuses it (or never chose)."""
        return self._runner.run(effective_allowlist(self._runner.url, self.project))

    def replace(
        self,
        items: Iterable[str],
        *,
        expires_at: datetime | NotGiven | None = NOT_GIVEN,
        use: bool = True,
    ) -> CveAllowlist:
        """Replace the project's list (duplicates removed, ids checked first).

        Args:
            items: The vulnerability ids (`CVE-2024-3094`, `GHSA-...`).
            expires_at: When the list stops applying (aware datetime), None for never; not given:
                keep the current expiry.
            use: Also make the project's list the one in force.

        Returns:
            The list as Harbor stored it.

        Raises:
            InvalidPolicyError: A malformed id or a naive datetime (nothing is sent).
            ConcurrentUpdateError: Another client kept overwriting the list.
        """
        edit, needs_current = replacing(items, expires_at)
        return self._edit(edit, use=use, needs_current=needs_current)

    def add(self, *cve_ids: str, use: bool = True) -> CveAllowlist:
        """Add ids to the project's list (keeping its expiry).

        Args:
            *cve_ids: The ids to add; those already listed are kept once.
            use: Also make the project's list the one in force.

        Raises:
            InvalidPolicyError: A malformed id (nothing is sent).
            ConcurrentUpdateError: Another client kept overwriting the list.
        """
        return self._edit(adding(cve_ids), use=use)

    def remove(self, *cve_ids: str, use: bool = True) -> CveAllowlist:
        """Remove ids from the project's list (ids not listed are ignored).

        Args:
            *cve_ids: The ids to remove.
            use: Also make the project's list the one in force.
        """
        return self._edit(removing(cve_ids), use=use)

    def set_expiry(self, expires_at: datetime | None, *, use: bool = True) -> CveAllowlist:
        """Set when the project's list stops applying (aware datetime), or None for never.

        Args:
            expires_at: The expiry.
            use: Also make the project's list the one in force.

        Raises:
            InvalidPolicyError: A naive datetime (nothing is sent).
        """
        return self._edit(expiring(expires_at), use=use)


class SystemAllowlist(Facade[Runner]):
    """The system CVE allowlist, in force for every project that does not use its own.

    Get it as `registry.system_allowlist`. Anyone authenticated may read it; writing needs a
    system administrator. Edits are serialized and read back as for a project's list.
    """

    def _edit(self, edit: Edit, *, needs_current: bool = True) -> CveAllowlist:
        op = edit_system_allowlist(self._runner.url, edit, needs_current=needs_current)
        with WriteLocks.get(self._runner, "system-allowlist"):
            return self._runner.run(op)

    def get(self) -> CveAllowlist:
        """The system list."""
        return self._runner.run(get_system_allowlist(self._runner.url))

    def replace(
        self, items: Iterable[str], *, expires_at: datetime | NotGiven | None = NOT_GIVEN
    ) -> CveAllowlist:
        """Replace the system list (duplicates removed, ids checked first).

        Args:
            items: The vulnerability ids.
            expires_at: When the list stops applying (aware datetime), None for never; not given:
                keep the current expiry.

        Returns:
            The list as Harbor stored it.

        Raises:
            InvalidPolicyError: A malformed id or a naive datetime (nothing is sent).
            ForbiddenError: The account is not a system administrator.
            ConcurrentUpdateError: Another client kept overwriting the list.
        """
        edit, needs_current = replacing(items, expires_at)
        return self._edit(edit, needs_current=needs_current)

    def add(self, *cve_ids: str) -> CveAllowlist:
        """Add ids to the system list (keeping its expiry)."""
        return self._edit(adding(cve_ids))

    def remove(self, *cve_ids: str) -> CveAllowlist:
        """Remove ids from the system list (ids not listed are ignored)."""
        return self._edit(removing(cve_ids))

    def set_expiry(self, expires_at: datetime | None) -> CveAllowlist:
        """Set when the system list stops applying (aware datetime), or None for never."""
        return self._edit(expiring(expires_at))
