"""`whoami`: who a client is connected as, and its system-level permissions."""

from __future__ import annotations

import attrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import json_body, raise_for_status
from harborsec.errors import UnauthorizedError
from harborsec.harbor._api import api_url, structure

__all__ = ["DEFAULT_ROBOT_PREFIX", "Identity", "Permission", "whoami"]

DEFAULT_ROBOT_PREFIX = "robot$"
"""Harbor's default `robot_name_prefix`: usernames starting with it are robot accounts."""


@attrs.frozen
class Permission:
    """One permission: an action on a resource."""

    resource: str
    """The resource, such as `project` or `scan-all` (relative to the system scope)."""
    action: str
    """The action, such as `create`, `read`, `update` or `delete`."""


@attrs.frozen
class Identity:
    """Who a client is connected as, and what it may do at system level."""

    username: str | None
    """The username (robots: the full `robot$...` name)."""
    robot: bool
    """Whether the account is a robot account."""
    permissions: tuple[Permission, ...] = ()
    """The system-level permissions (`GET /users/current/permissions?scope=/system`)."""

    def can(self, resource: str, action: str) -> bool:
        """Whether the account holds this system-level permission (`can("project", "create")`)."""
        return Permission(resource, action) in self.permissions


@attrs.define
class _WirePermission:
    resource: str
    action: str


def whoami(
    base: httpx.URL, username: str | None, *, robot_prefix: str = DEFAULT_ROBOT_PREFIX
) -> Op[Identity]:
    """Check the credentials: `GET /users/current/permissions?scope=/system&relative=true`.

    Harbor treats bad credentials as anonymous and still answers many reads; this call
    fails instead.

    Args:
        base: The Harbor URL.
        username: The username the client sends (None: anonymous).
        robot_prefix: Harbor's `robot_name_prefix` (default `robot$`).

    Raises:
        UnauthorizedError: Harbor did not accept the credentials, or none were given.
    """
    url = api_url(base, "users", "current", "permissions").copy_merge_params(
        {"scope": "/system", "relative": "true"}
    )
    response = yield httpx.Request("GET", url)
    try:
        raise_for_status(response)
    except UnauthorizedError as exc:
        if username is None:
            reason = "no credentials were given (anonymous)"
        else:
            reason = (
                f"Harbor did not accept the credentials of {username!r} (wrong username or "
                "password, or a disabled or expired robot: Harbor then treats the caller "
                "as anonymous)"
            )
        raise UnauthorizedError(
            f"not authenticated: {reason}",
            status_code=exc.status_code,
            errors=exc.errors,
            request_id=exc.request_id,
            method=exc.method,
            url=exc.url,
        ) from None
    wire: list[_WirePermission] = structure(
        json_body(response), list[_WirePermission], "permission list"
    )
    permissions = tuple(dict.fromkeys(Permission(p.resource, p.action) for p in wire))
    robot = username is not None and username.startswith(robot_prefix)
    return Identity(username=username, robot=robot, permissions=permissions)
