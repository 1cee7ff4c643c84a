"""A project's own CVE allowlist, and which list is in force for it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx

from harborsec._core._driver import Op
from harborsec._core._http import NOT_GIVEN, NotGiven
from harborsec.harbor._allowlists import (
    CveAllowlist,
    Edit,
    EffectiveAllowlist,
    allowlist_body,
    get_system_allowlist,
    replacing,
    rewrite_allowlist,
)
from harborsec.harbor._projects import get_project, on_project

__all__ = [
    "edit_project_allowlist",
    "effective_allowlist",
    "project_allowlist",
    "replace_project_allowlist",
]


def edit_project_allowlist(
    base: httpx.URL, name: str, edit: Edit, *, use: bool = True, needs_current: bool = True
) -> Op[CveAllowlist]:
    """Rewrite a project's own allowlist: read it, edit it, `PUT /projects/{name}`, read back.

    Args:
        base: The Harbor URL.
        name: The project.
        edit: From the current list to the wanted one (see `replacing`, `adding`, `removing`,
            `expiring`, which check their arguments when they are called).
        use: Also make the project's list the one in force (`reuse_sys_cve_allowlist` set to
            `"false"`); False leaves that setting as it is.
        needs_current: Whether `edit` reads the current list (otherwise it is not fetched).

    The write is read back and made again if another writer overwrote it; nothing is written
    when the list (and the setting, with `use`) already is as wanted (see `rewrite_allowlist`).

    Returns:
        The project's allowlist as Harbor stored it.

    Raises:
        ConcurrentUpdateError: Another writer kept overwriting the edit.
    """

    def write(wanted: CveAllowlist) -> Op[None]:
        body: dict[str, Any] = {"cve_allowlist": allowlist_body(wanted.items, wanted.expires_at)}
        if use:
            body["metadata"] = {"reuse_sys_cve_allowlist": "false"}
        yield from on_project(base, name, "PUT", body)

    info = yield from rewrite_allowlist(
        lambda: get_project(base, name),
        lambda project: project.allowlist,
        write,
        edit,
        needs_current=needs_current,
        what=f"project {name!r} CVE allowlist",
        settled=lambda project: not use or project.config.reuse_system_allowlist is False,
    )
    return info.allowlist


def effective_allowlist(base: httpx.URL, name: str) -> Op[EffectiveAllowlist]:
    """The allowlist in force for a project: the system list unless the project opted out."""
    info = yield from get_project(base, name)
    if info.config.reuse_system_allowlist is False:
        return EffectiveAllowlist(info.allowlist, "project")
    system = yield from get_system_allowlist(base)
    return EffectiveAllowlist(system, "system")


def project_allowlist(base: httpx.URL, name: str) -> Op[CveAllowlist]:
    """A project's own allowlist (in force or not)."""
    return (yield from get_project(base, name)).allowlist


def replace_project_allowlist(
    base: httpx.URL,
    name: str,
    items: Iterable[str],
    expires_at: datetime | NotGiven | None = NOT_GIVEN,
    *,
    use: bool = True,
) -> Op[CveAllowlist]:
    """Replace a project's own list (and its expiry, when given); ids checked first."""
    edit, needs_current = replacing(items, expires_at)
    return (
        yield from edit_project_allowlist(base, name, edit, use=use, needs_current=needs_current)
    )
