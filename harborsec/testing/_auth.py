"""Who is calling, and what they may do: principals and Harbor's role-based permissions.

Harbor decides access from `(resource, action)` policies, per project. This module holds a
subset of Harbor's role tables (those a supply-chain SDK touches: repositories, artifacts, tags,
accessories, scans, SBOMs, labels, members, metadata) and answers two questions:

* `project_policies`: which policies a principal holds in a project (the API's
  `/users/current/permissions`);
* `repository_actions`: which of `pull`, `push`, `delete` it holds on a repository (`/v2/` and
  the token service).

Bad credentials never fail a request by themselves: as in Harbor, the caller becomes anonymous.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Literal

import attrs

from harborsec.testing._state import Project, Role, State

__all__ = [
    "ANONYMOUS",
    "REPOSITORY_ACTIONS",
    "SYSTEM_RESOURCES",
    "Policy",
    "Principal",
    "TokenGrant",
    "authenticate_basic",
    "can_in_project",
    "can_in_system",
    "parse_basic",
    "project_policies",
    "repository_actions",
    "robot_permissions",
    "system_policies",
]

Policy = tuple[str, str]
"""A `(resource, action)` pair, such as `("repository", "pull")`."""

REPOSITORY_ACTIONS = ("pull", "push", "delete")
"""The actions of registry tokens, in Harbor's order."""


def _policies(*tables: Mapping[str, str]) -> tuple[Policy, ...]:
    """Merge tables of `{resource: "action action ..."}` into a tuple of policies."""
    policies = [
        (resource, action)
        for table in tables
        for resource, actions in table.items()
        for action in actions.split()
    ]
    return tuple(dict.fromkeys(policies))


_PROJECT_READ = {
    "project": "read",
    "member": "read list",
    "log": "list",
    "label": "read list",
    "quota": "read",
    "scanner": "read",
    "accessory": "list",
    "artifact-addition": "read",
    "tag": "list",
}
_GUEST = {
    "repository": "read list pull",
    "artifact": "read list",
    "scan": "read",
    "sbom": "read",
}
_DEVELOPER = {
    "repository": "push",
    "artifact": "create",
    "tag": "create",
    "scan": "create",
    "sbom": "create",
    "artifact-label": "create delete",
}
_MAINTAINER = {
    "metadata": "create read update delete",
    "repository": "update delete",
    "artifact": "delete",
    "tag": "delete",
    "scan": "stop",
    "sbom": "stop",
    "immutable-tag": "create update delete list",
    "robot": "read list",
}
_PROJECT_ADMIN = {
    "project": "update delete",
    "member": "create update delete",
    "robot": "create update delete",
    "scanner": "create",
}

_ROLE_POLICIES: dict[str, tuple[Policy, ...]] = {
    Role.LIMITED_GUEST: _policies(
        {"project": "read", "tag": "list", "accessory": "list", "artifact-addition": "read"},
        {"scanner": "read", "quota": "read"},
        _GUEST,
    ),
    Role.GUEST: _policies(_PROJECT_READ, _GUEST),
    Role.DEVELOPER: _policies(_PROJECT_READ, _GUEST, _DEVELOPER),
    Role.MAINTAINER: _policies(_PROJECT_READ, _GUEST, _DEVELOPER, _MAINTAINER),
    Role.PROJECT_ADMIN: _policies(_PROJECT_READ, _GUEST, _DEVELOPER, _MAINTAINER, _PROJECT_ADMIN),
}
"""Each role's project policies: a subset of Harbor's (`src/common/rbac/project/rbac_role.go`).

`project` is the project itself (Harbor's `ResourceSelf`: `/project/<id>`, relative `.`). Only
maintainers and project admins hold `metadata` and `immutable-tag`; only project admins may
update or delete the project and choose its scanner (`scanner:create`). No role lists
`metadata`: in Harbor, only system admins may list a project's metadata.
"""

_PUBLIC_POLICIES = _policies(
    {"project": "read", "label": "read list", "tag": "list", "scanner": "read"},
    {"accessory": "list", "artifact-addition": "read"},
    _GUEST,
)
"""What anyone, even anonymous, may do in a public project."""

SYSTEM_RESOURCES = frozenset(
    {"project", "catalog", "scanner", "scan-all", "system-cve-allowlist", "user", "audit-log"}
)
"""Resources of Harbor's `/system` namespace (a `project` there means creating projects)."""

_ADMIN_SYSTEM_POLICIES = _policies(
    {
        "project": "create list",
        "catalog": "read",
        "scanner": "create read update delete list",
        "scan-all": "create read update stop",
        "system-cve-allowlist": "read update",
        "user": "create read update delete list",
        "audit-log": "list",
    }
)
_USER_SYSTEM_POLICIES = _policies({"project": "create", "system-cve-allowlist": "read"})


@attrs.frozen
class TokenGrant:
    """The content of a verified registry token."""

    subject: str
    issued_at: int
    access: Mapping[str, frozenset[str]]
    """Granted actions by repository name."""


@attrs.frozen
class Principal:
    """The caller of one request."""

    kind: Literal["anonymous", "user", "robot", "token"]
    name: str = ""
    """Username, robot full name, or a token's `sub` (empty when anonymous)."""
    admin: bool = False
    robot_project: str | None = None
    """For a project robot, its project."""
    robot_policies: tuple[Policy, ...] = ()
    token: TokenGrant | None = None

    @property
    def authenticated(self) -> bool:
        """Whether the caller proved an identity (a token for anonymous counts as none)."""
        return self.kind != "anonymous" and bool(self.name)


ANONYMOUS = Principal("anonymous")


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """Return `(username, password)` from a `Basic` Authorization header, or None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def authenticate_basic(
    state: State, authorization: str | None, *, robot_prefix: str = "robot$"
) -> Principal | None:
    """Return the user or robot named by Basic credentials, or None if they are absent or bad."""
    credentials = parse_basic(authorization)
    if credentials is None:
        return None
    username, password = credentials
    if username.startswith(robot_prefix):
        robot = state.robots.get(username)
        if robot is None or not robot.check_secret(password):
            return None
        return Principal(
            "robot", robot.name, robot_project=robot.project, robot_policies=robot.permissions
        )
    user = state.users.get(username)
    if user is None or not user.check_password(password):
        return None
    return Principal("user", user.username, admin=user.admin)


def robot_permissions(actions: tuple[str, ...]) -> tuple[Policy, ...]:
    """Turn `add_robot` actions into policies.

    `"pull"`, `"push"` and `"delete"` mean `repository:<action>`; anything else must be spelled
    `"<resource>:<action>"` (for example `"scan:create"`).

    Raises:
        ValueError: An action is neither.
    """
    policies: list[Policy] = []
    for action in actions:
        if action in REPOSITORY_ACTIONS:
            policies.append(("repository", action))
            continue
        resource, sep, verb = action.partition(":")
        if not (sep and resource and verb):
            raise ValueError(f"robot action {action!r}: expected pull, push, delete or res:action")
        policies.append((resource, verb))
    return tuple(dict.fromkeys(policies))


def project_policies(principal: Principal, project: Project) -> tuple[Policy, ...]:
    """The policies `principal` holds in `project` (empty for token principals).

    A system admin holds every project policy; `can_in_project` lets it do anything.
    """
    if principal.kind == "user":
        if principal.admin:
            return _ROLE_POLICIES[Role.PROJECT_ADMIN]
        role = project.members.get(principal.name)
        if role is not None:
            return _ROLE_POLICIES[role]
    elif principal.kind == "robot":
        if principal.robot_project == project.name:
            return principal.robot_policies
        if principal.robot_project is None:
            return tuple(p for p in principal.robot_policies if p[0] not in SYSTEM_RESOURCES)
    elif principal.kind == "token":
        return ()
    return _PUBLIC_POLICIES if project.public else ()


def can_in_project(principal: Principal, project: Project, resource: str, action: str) -> bool:
    """Whether `principal` may do `action` on `resource` in `project` (system admins may do all)."""
    if principal.kind == "user" and principal.admin:
        return True
    return (resource, action) in project_policies(principal, project)


def can_in_system(principal: Principal, resource: str, action: str) -> bool:
    """Whether `principal` may do `action` on the system-level `resource`."""
    return (resource, action) in system_policies(principal)


def system_policies(principal: Principal) -> tuple[Policy, ...]:
    """The policies `principal` holds in Harbor's `/system` namespace."""
    if principal.kind == "user":
        return _ADMIN_SYSTEM_POLICIES if principal.admin else _USER_SYSTEM_POLICIES
    if principal.kind == "robot" and principal.robot_project is None:
        return tuple(p for p in principal.robot_policies if p[0] in SYSTEM_RESOURCES)
    return ()


def repository_actions(state: State, principal: Principal, repository: str) -> frozenset[str]:
    """Which of `pull`, `push`, `delete` `principal` may do on `repository`.

    Nothing is allowed in a project that does not exist. A token grants exactly the actions it
    lists for that repository (Harbor itself is looser, granting them project-wide; a real
    distribution registry is not), and only if it was issued after the project was created,
    as Harbor checks since its 2026 security fixes.
    """
    project = state.project_of(repository)
    if project is None:
        return frozenset()
    if principal.token is not None:
        if principal.token.issued_at < math.floor(project.creation_time):
            return frozenset()
        return principal.token.access.get(repository, frozenset())
    return frozenset(
        action
        for resource, action in project_policies(principal, project)
        if resource == "repository" and action in REPOSITORY_ACTIONS
    )
