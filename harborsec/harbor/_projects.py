"""Projects, their security configuration, CVE allowlists and `whoami`.

Harbor keeps a project's settings as **string** metadata (`"true"`, `"high"`...);
[`ProjectConfig`][harborsec.harbor.ProjectConfig] is the typed view, read exactly as Harbor reads
it (booleans are `"true"` or `"1"` in any case; an absent `reuse_sys_cve_allowlist` means the
system allowlist is in force; `severity` is title-cased, so `"HIGH"` is *not* `High`).

The functions here are operations (no I/O): `Registry` and `AsyncRegistry` run them, and the
[`Project`][harborsec.harbor.Project] facades wrap them one line per method.

Example:
    >>> from harborsec import Registry
    >>> from harborsec.testing import HarborEmulator
    >>> registry = Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...                     transport=HarborEmulator().transport())
    >>> project = registry.project("library")
    >>> project.update_config(prevent_vulnerable=True, severity="high").severity
    <Severity.HIGH: 'high'>
    >>> project.allowlist.replace(["CVE-2024-3094", "CVE-2024-3094"]).items
    ('CVE-2024-3094',)
    >>> project.allowlist.effective().source
    'project'
    >>> registry.close()
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import attrs
import cattrs
import httpx

from harborsec._core._docs import same_doc
from harborsec._core._driver import Op
from harborsec._core._http import NOT_GIVEN, NotGiven, json_body, raise_for_status, safe_url
from harborsec._core._paging import MAX_PAGE_SIZE, Page, harbor_page, merge_params
from harborsec.errors import (
    InvalidPolicyError,
    NotFoundError,
    UnauthorizedError,
)
from harborsec.harbor._api import (
    BY_NAME,
    api_url,
    project_segment,
    structure,
)

if TYPE_CHECKING:
    from harborsec._client import AsyncRegistry, Registry, _RegistryBase
    from harborsec.harbor._immutability import AsyncImmutabilityRules, ImmutabilityRules
    from harborsec.harbor._scanners import AsyncProjectScanner, ProjectScanner
    from harborsec.policy._plan import AsyncPlan, Plan
    from harborsec.policy._policy import Policy

R = TypeVar("R", bound="_RegistryBase")

__all__ = [
    "DEFAULT_ROBOT_PREFIX",
    "Edit",
    "AsyncProject",
    "AsyncProjectAllowlist",
    "AsyncSystemAllowlist",
    "CveAllowlist",
    "EffectiveAllowlist",
    "Identity",
    "Permission",
    "Project",
    "ProjectAllowlist",
    "ProjectConfig",
    "ProjectInfo",
    "Severity",
    "SystemAllowlist",
    "adding",
    "create_project",
    "delete_project",
    "edit_project_allowlist",
    "edit_system_allowlist",
    "effective_allowlist",
    "expiring",
    "get_project",
    "get_system_allowlist",
    "list_projects_page",
    "normalize_cve_ids",
    "on_project",
    "parse_allowlist",
    "parse_project",
    "project_pages",
    "removing",
    "replacing",
    "update_project_config",
    "whoami",
]

DEFAULT_ROBOT_PREFIX = "robot$"
"""Harbor's default `robot_name_prefix`: usernames starting with it are robot accounts."""


# -- Severity ------------------------------------------------------------------------------------


@functools.total_ordering
class Severity(enum.Enum):
    """A vulnerability severity threshold, ordered: `NONE < LOW < MEDIUM < HIGH < CRITICAL`.

    The value is the lowercase string Harbor's project metadata (`severity`) holds. Comparison
    operators follow the order, as Harbor's blocking rule does: an artifact is blocked when its
    highest severity is at or above the threshold.

    Example:
        >>> Severity.parse("High") >= Severity.MEDIUM
        True
        >>> Severity.parse("negligible")
        <Severity.NONE: 'none'>
    """

    NONE = "none"
    """No threshold: with `prevent_vulnerable`, any finding blocks the pull."""
    LOW = "low"
    """Low and above."""
    MEDIUM = "medium"
    """Medium and above."""
    HIGH = "high"
    """High and above."""
    CRITICAL = "critical"
    """Critical only."""

    @property
    def rank(self) -> int:
        """The position in the order, as Harbor's severity codes: 0 (none) to 5 (critical)."""
        return _RANKS[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: Severity | str) -> Severity:
        """Read a severity given by a person or a file, in any case.

        Args:
            value: A `Severity`, or `none`, `negligible` (Harbor maps it to none), `low`,
                `medium`, `high` or `critical`, in any case.

        Raises:
            InvalidPolicyError: Another value.
        """
        if isinstance(value, Severity):
            return value
        if not isinstance(value, str):
            raise InvalidPolicyError(f"severity must be a string, not {type(value).__name__}")
        text = value.strip().lower()
        if text == "negligible":
            return cls.NONE
        for member in cls:
            if member.value == text:
                return member
        choices = ", ".join(m.value for m in cls)
        raise InvalidPolicyError(f"unknown severity {value!r}: expected one of {choices}")

    @classmethod
    def from_harbor(cls, value: str) -> Severity:
        """Read the `severity` metadata exactly as Harbor's pull policy does.

        Harbor title-cases the first letter only (Go's `strings.Title`): `high` and `High`
        are High, but `HIGH` is not recognised. Unrecognised values, `negligible` and the
        empty string all rank as none (code 0), which blocks any finding.
        """
        titled = value[:1].upper() + value[1:]
        for member in cls:
            if member.value.title() == titled:
                return member
        return cls.NONE


_RANKS = {
    Severity.NONE: 0,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}


# -- Configuration ---------------------------------------------------------------------------------

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


# -- Allowlists ------------------------------------------------------------------------------------

_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")
_OTHER_ID = re.compile(r"[A-Za-z][A-Za-z0-9.]*-[A-Za-z0-9][A-Za-z0-9._:-]*")


def _check_cve_id(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidPolicyError(f"a CVE id must be a string, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidPolicyError("empty CVE id (Harbor answers 500 on it)")
    if text[:4].upper() == "CVE-":
        if not _CVE_ID.fullmatch(text):
            raise InvalidPolicyError(
                f"invalid CVE id {value!r}: expected CVE-YYYY-NNNN (upper case, as scanners "
                "report it; Harbor matches ids exactly)"
            )
    elif not _OTHER_ID.fullmatch(text):
        raise InvalidPolicyError(
            f"invalid vulnerability id {value!r}: expected CVE-YYYY-NNNN or another "
            "scanner id such as GHSA-xxxx-xxxx-xxxx"
        )
    return text


def normalize_cve_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """Check vulnerability ids and remove duplicates, keeping the first occurrence's position.

    Ids are stripped of surrounding blanks. `CVE-` ids must read `CVE-YYYY-NNNN` in upper case
    (Harbor compares ids exactly with the scanner's); other scanner ids (`GHSA-...`,
    `GO-2024-...`) are accepted. Duplicates are removed because Harbor answers 500 on them.

    Raises:
        InvalidPolicyError: An id is empty or malformed, or `ids` is a single string.
    """
    if isinstance(ids, str | bytes):
        raise InvalidPolicyError("expected a list of CVE ids, not a single string")
    return tuple(dict.fromkeys(_check_cve_id(item) for item in ids))


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _check_expiry(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidPolicyError(f"expires_at must be a datetime or None, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPolicyError(
            "expires_at must be an aware datetime (with a timezone), such as "
            "datetime(2027, 1, 1, tzinfo=timezone.utc)"
        )
    return value


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    _check_expiry(value)


@attrs.frozen
class CveAllowlist:
    """A CVE allowlist: findings with these ids do not block pulls, until it expires."""

    items: tuple[str, ...] = attrs.field(default=(), converter=_dedupe)
    """The vulnerability ids (`CVE-2024-3094`...), without duplicates, in order."""
    expires_at: datetime | None = attrs.field(default=None, validator=_aware)
    """When the whole list stops applying (an aware datetime); None: never."""

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether the list has expired (Harbor ignores it from `expires_at` on).

        Args:
            now: The time to check at (aware); default: now.
        """
        if self.expires_at is None:
            return False
        moment = now if now is not None else datetime.now(timezone.utc)
        return moment >= self.expires_at

    def __contains__(self, cve_id: object) -> bool:
        return cve_id in self.items

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen
class EffectiveAllowlist:
    """The allowlist in force for a project, and where it comes from."""

    allowlist: CveAllowlist
    """The list Harbor applies (unless it has expired: see `CveAllowlist.is_expired`)."""
    source: Literal["system", "project"]
    """`system` when the project reuses the system list (also when the setting is absent)."""


# -- Projects --------------------------------------------------------------------------------------


@attrs.frozen
class ProjectInfo:
    """A project as Harbor describes it."""

    project_id: int
    """Harbor's numeric id."""
    name: str
    """The project's name."""
    owner_name: str | None
    """The creator's username."""
    repo_count: int
    """The number of repositories."""
    creation_time: datetime | None
    """When the project was created."""
    update_time: datetime | None
    """When it was last updated."""
    config: ProjectConfig
    """The security configuration in force (every field resolved)."""
    metadata: Mapping[str, str]
    """The raw metadata, as Harbor stores it."""
    allowlist: CveAllowlist
    """The project's own CVE allowlist (in force only when `config.reuse_system_allowlist` is
    False)."""
    registry_id: int | None = None
    """The upstream registry of a proxy-cache project, else None."""


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


# -- Wire models (Harbor's JSON; used only here) ---------------------------------------------------


@attrs.define
class _WireAllowlistItem:
    cve_id: str | None = None


@attrs.define
class _WireAllowlist:
    id: int | None = None
    project_id: int | None = None
    expires_at: int | None = None
    items: list[_WireAllowlistItem] | None = None
    creation_time: datetime | None = None
    update_time: datetime | None = None


@attrs.define
class _WireProject:
    name: str
    project_id: int = 0
    owner_id: int | None = None
    registry_id: int | None = None
    creation_time: datetime | None = None
    update_time: datetime | None = None
    deleted: bool | None = None
    owner_name: str | None = None
    togglable: bool | None = None
    current_user_role_id: int | None = None
    current_user_role_ids: list[int] | None = None
    repo_count: int | None = None
    metadata: dict[str, str] | None = None
    cve_allowlist: _WireAllowlist | None = None


@attrs.define
class _WirePermission:
    resource: str
    action: str


def _to_allowlist(wire: _WireAllowlist | None) -> CveAllowlist:
    if wire is None:
        return CveAllowlist()
    items = [item.cve_id for item in wire.items or () if item.cve_id]
    expires = (
        datetime.fromtimestamp(wire.expires_at, tz=timezone.utc)
        if wire.expires_at is not None
        else None
    )
    return CveAllowlist(items=tuple(items), expires_at=expires)


def parse_allowlist(data: Any, *, converter: cattrs.Converter | None = None) -> CveAllowlist:
    """Read a `CVEAllowlist` JSON object.

    Args:
        data: The parsed JSON.
        converter: The converter to use (tests pass a strict one).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    return _to_allowlist(structure(data, _WireAllowlist, "CVE allowlist", converter))


def parse_project(data: Any, *, converter: cattrs.Converter | None = None) -> ProjectInfo:
    """Read a `Project` JSON object.

    Args:
        data: The parsed JSON.
        converter: The converter to use (tests pass a strict one).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    wire: _WireProject = structure(data, _WireProject, "project", converter)
    metadata = dict(wire.metadata or {})
    return ProjectInfo(
        project_id=wire.project_id,
        name=wire.name,
        owner_name=wire.owner_name,
        repo_count=wire.repo_count or 0,
        creation_time=wire.creation_time,
        update_time=wire.update_time,
        config=ProjectConfig.from_metadata(metadata),
        metadata=metadata,
        allowlist=_to_allowlist(wire.cve_allowlist),
        registry_id=wire.registry_id or None,
    )


# -- Operations ------------------------------------------------------------------------------------


def _project_url(base: httpx.URL, name: str) -> httpx.URL:
    return api_url(base, "projects", project_segment(name))


def _check_page_size(page_size: int) -> None:
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(
            f"page_size must be 1 to {MAX_PAGE_SIZE}, got {page_size!r} (Harbor answers 422 "
            "above 100)"
        )


def list_projects_page(
    base: httpx.URL,
    page: int,
    *,
    name: str | None = None,
    q: str | None = None,
    public: bool | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> Op[Page[ProjectInfo]]:
    """One page of `GET /projects`.

    Args:
        base: The Harbor URL.
        page: The page number, from 1.
        name: Only projects whose name *contains* this (Harbor's `name` filter is fuzzy).
        q: A Harbor query (`name=~team,public=true`), sent as given.
        public: Only public (True) or private (False) projects.
        page_size: 1 to 100.

    Raises:
        ValueError: `page_size` is outside 1 to 100 (checked before anything is sent).
    """
    _check_page_size(page_size)
    params = merge_params(name=name, q=q, public=public)
    return harbor_page(
        api_url(base, "projects"), parse_project, page=page, page_size=page_size, params=params
    )


def project_pages(
    base: httpx.URL,
    *,
    name: str | None = None,
    q: str | None = None,
    public: bool | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> Callable[[int], Op[Page[ProjectInfo]]]:
    """The page builder of a project listing, for `Pager`/`AsyncPager`.

    The arguments are those of `list_projects_page`, checked now rather than when iteration
    starts.

    Raises:
        ValueError: `page_size` is outside 1 to 100.
    """
    _check_page_size(page_size)
    return functools.partial(
        list_projects_page, base, name=name, q=q, public=public, page_size=page_size
    )


def on_project(base: httpx.URL, name: str, method: str, body: Any = None) -> Op[httpx.Response]:
    """Send one request to `/projects/{name}`, telling a missing project from a forbidden one.

    Harbor checks permissions before existence for a project addressed by name, so a project
    that does not exist answers 403, even to the system administrator. On a 403 this asks
    `HEAD /projects?project_name=` (which only needs authentication: 200 or 404) and raises
    `NotFoundError` when the project does not exist.

    Raises:
        NotFoundError: The project does not exist.
        APIError: Any other error status (`ForbiddenError` when it exists but is off limits).
    """
    request = httpx.Request(method, _project_url(base, name), json=body, headers=BY_NAME)
    response = yield request
    if response.status_code == 403:
        exists_url = api_url(base, "projects").copy_merge_params({"project_name": name})
        exists = yield httpx.Request("HEAD", exists_url)
        if exists.status_code == 404:
            raise NotFoundError(
                f"project {name!r} not found ({method} {safe_url(request.url)} answered 403, "
                f"and HEAD /projects?project_name={name} 404)",
                status_code=404,
                request_id=exists.headers.get("X-Request-Id"),
                method=method,
                url=safe_url(request.url),
            )
    raise_for_status(response)
    return response


def get_project(base: httpx.URL, name: str) -> Op[ProjectInfo]:
    """`GET /projects/{name}` (by name, even for an all-digit name).

    Raises:
        NotFoundError: No such project (Harbor's 403 for a missing name is told apart).
        ForbiddenError: The project exists, but this account may not read it.
    """
    response = yield from on_project(base, name, "GET")
    return parse_project(json_body(response))


def create_project(
    base: httpx.URL,
    name: str,
    *,
    public: bool = False,
    config: ProjectConfig | None = None,
    storage_limit: int | None = None,
) -> Op[None]:
    """`POST /projects` with the configuration as metadata.

    Harbor ignores a CVE allowlist at creation: set it afterwards with `PUT`.

    Args:
        base: The Harbor URL.
        name: The new project's name.
        public: Whether anyone may pull.
        config: Other settings to create it with (its `public`, if set, must agree).
        storage_limit: The quota in bytes (-1: unlimited); None: Harbor's default.

    Raises:
        InvalidPolicyError: `public` and `config.public` disagree.
        ConflictError: The project exists.
    """
    project_segment(name)
    metadata = (config or ProjectConfig()).to_metadata()
    if config is not None and config.public is not None:
        if public and not config.public:
            raise InvalidPolicyError("public=True but config.public is False")
        public = public or config.public
    metadata["public"] = "true" if public else "false"
    body: dict[str, Any] = {"project_name": name, "metadata": metadata}
    if storage_limit is not None:
        body["storage_limit"] = storage_limit
    response = yield httpx.Request("POST", api_url(base, "projects"), json=body)
    raise_for_status(response)


def delete_project(base: httpx.URL, name: str) -> Op[None]:
    """`DELETE /projects/{name}`.

    Raises:
        PreconditionFailedError: The project still has repositories.
        NotFoundError: No such project.
    """
    yield from on_project(base, name, "DELETE")


def update_project_config(base: httpx.URL, name: str, changes: ProjectConfig) -> Op[ProjectConfig]:
    """`PUT /projects/{name}` with only the metadata keys that `changes` sets, then read back.

    Harbor merges metadata keys, so settings left as None stay as they are. With no change
    set, nothing is written.

    Returns:
        The configuration in force afterwards.
    """
    metadata = changes.to_metadata()
    if metadata:
        yield from on_project(base, name, "PUT", {"metadata": metadata})
    info = yield from get_project(base, name)
    return info.config


def _allowlist_body(items: tuple[str, ...], expires_at: datetime | None) -> dict[str, Any]:
    return {
        "items": [{"cve_id": item} for item in items],
        "expires_at": None if expires_at is None else int(expires_at.timestamp()),
    }


Edit = Callable[[CveAllowlist], CveAllowlist]
"""Turns the current allowlist into the wanted one."""


def replacing(
    items: Iterable[str], expires_at: datetime | NotGiven | None = NOT_GIVEN
) -> tuple[Edit, bool]:
    """An edit that replaces the items (and the expiry, when given); checks everything now.

    Returns:
        The edit, and whether it needs the current list (it does when the expiry is kept).
    """
    wanted = normalize_cve_ids(items)
    if isinstance(expires_at, NotGiven):
        return (lambda current: CveAllowlist(wanted, current.expires_at)), True
    expiry = _check_expiry(expires_at)
    return (lambda current: CveAllowlist(wanted, expiry)), False


def adding(ids: Iterable[str]) -> Edit:
    """An edit that appends these ids (those already listed stay where they are)."""
    extra = normalize_cve_ids(ids)
    return lambda current: CveAllowlist(current.items + extra, current.expires_at)


def removing(ids: Iterable[str]) -> Edit:
    """An edit that removes these ids (ids not listed are ignored).

    Ids are not checked for format, so that malformed entries stored earlier can be removed.
    """
    if isinstance(ids, str | bytes):
        raise InvalidPolicyError("expected a list of CVE ids, not a single string")
    gone = {item.strip() if isinstance(item, str) else item for item in ids}
    return lambda current: CveAllowlist(
        tuple(i for i in current.items if i not in gone), current.expires_at
    )


def expiring(expires_at: datetime | None) -> Edit:
    """An edit that sets the expiry (None: never) and keeps the items."""
    expiry = _check_expiry(expires_at)
    return lambda current: CveAllowlist(current.items, expiry)


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

    Returns:
        The project's allowlist as Harbor stored it.
    """
    current = CveAllowlist()
    if needs_current:
        current = (yield from get_project(base, name)).allowlist
    wanted = edit(current)
    body: dict[str, Any] = {"cve_allowlist": _allowlist_body(wanted.items, wanted.expires_at)}
    if use:
        body["metadata"] = {"reuse_sys_cve_allowlist": "false"}
    yield from on_project(base, name, "PUT", body)
    return (yield from get_project(base, name)).allowlist


def get_system_allowlist(base: httpx.URL) -> Op[CveAllowlist]:
    """`GET /system/CVEAllowlist`."""
    response = yield httpx.Request("GET", api_url(base, "system", "CVEAllowlist"))
    raise_for_status(response)
    return parse_allowlist(json_body(response))


def edit_system_allowlist(
    base: httpx.URL, edit: Edit, *, needs_current: bool = True
) -> Op[CveAllowlist]:
    """Rewrite the system allowlist: read it, edit it, `PUT /system/CVEAllowlist`, read back.

    Raises:
        ForbiddenError: The account is not a system administrator.
    """
    current = CveAllowlist()
    if needs_current:
        current = yield from get_system_allowlist(base)
    wanted = edit(current)
    body = _allowlist_body(wanted.items, wanted.expires_at)
    url = api_url(base, "system", "CVEAllowlist")
    response = yield httpx.Request("PUT", url, json=body)
    raise_for_status(response)
    return (yield from get_system_allowlist(base))


def effective_allowlist(base: httpx.URL, name: str) -> Op[EffectiveAllowlist]:
    """The allowlist in force for a project: the system list unless the project opted out."""
    info = yield from get_project(base, name)
    if info.config.reuse_system_allowlist is False:
        return EffectiveAllowlist(info.allowlist, "project")
    system = yield from get_system_allowlist(base)
    return EffectiveAllowlist(system, "system")


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


# -- Facades ---------------------------------------------------------------------------------------


def _settings(
    public: bool | None,
    auto_scan: bool | None,
    auto_sbom_generation: bool | None,
    prevent_vulnerable: bool | None,
    severity: Severity | str | None,
    cosign_required: bool | None,
    notation_required: bool | None,
    reuse_system_allowlist: bool | None,
) -> ProjectConfig:
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


def _update(base: httpx.URL, name: str, *args: Any) -> Op[ProjectConfig]:
    changes = _settings(*args)
    return (yield from update_project_config(base, name, changes))


def _replace_project(
    base: httpx.URL,
    name: str,
    items: Iterable[str],
    expires_at: datetime | NotGiven | None,
    use: bool,
) -> Op[CveAllowlist]:
    edit, needs_current = replacing(items, expires_at)
    return (
        yield from edit_project_allowlist(base, name, edit, use=use, needs_current=needs_current)
    )


def _edit_project(
    base: httpx.URL, name: str, make: Callable[[], Edit], use: bool
) -> Op[CveAllowlist]:
    edit = make()  # checks the arguments before any request
    return (yield from edit_project_allowlist(base, name, edit, use=use))


def _replace_system(
    base: httpx.URL, items: Iterable[str], expires_at: datetime | NotGiven | None
) -> Op[CveAllowlist]:
    edit, needs_current = replacing(items, expires_at)
    return (yield from edit_system_allowlist(base, edit, needs_current=needs_current))


def _edit_system(base: httpx.URL, make: Callable[[], Edit]) -> Op[CveAllowlist]:
    edit = make()
    return (yield from edit_system_allowlist(base, edit))


class _ProjectBase(Generic[R]):
    """What `Project` and `AsyncProject` share: the client and the (checked) name."""

    def __init__(self, registry: R, name: str) -> None:
        project_segment(name)
        self._registry = registry
        self.name = name
        """The project's name."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Project(_ProjectBase["Registry"]):
    """One Harbor project, by name: no request is made until a method is called.

    Get one with `registry.project(name)` or `registry.create_project(name)`.
    """

    def info(self) -> ProjectInfo:
        """Read the project: id, owner, repository count, configuration, own allowlist.

        Raises:
            NotFoundError: No such project.
            ForbiddenError: The project exists, but this account may not read it.
        """
        return self._registry._run(get_project(self._registry.url, self.name))

    def config(self) -> ProjectConfig:
        """The security configuration in force, every field resolved as Harbor resolves it."""
        return self._registry._run(_config(self._registry.url, self.name))

    def update_config(
        self,
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
        """Change some settings; those left as None stay as they are.

        Sends only the given keys (Harbor merges metadata), as lowercase strings.

        Args:
            public: Anyone may pull.
            auto_scan: Scan on push.
            auto_sbom_generation: Generate an SBOM on push.
            prevent_vulnerable: Block pulls of artifacts with findings at or above `severity`.
            severity: The threshold: a `Severity` or `none`/`low`/`medium`/`high`/`critical`.
            cosign_required: Block pulls of artifacts without a cosign signature.
            notation_required: Block pulls of artifacts without a Notation signature.
            reuse_system_allowlist: Use the system CVE allowlist instead of the project's.

        Returns:
            The configuration in force afterwards.

        Raises:
            InvalidPolicyError: A bad severity or a non-boolean flag (nothing is sent).
        """
        return self._registry._run(
            _update(
                self._registry.url,
                self.name,
                public,
                auto_scan,
                auto_sbom_generation,
                prevent_vulnerable,
                severity,
                cosign_required,
                notation_required,
                reuse_system_allowlist,
            )
        )

    def delete(self) -> None:
        """Delete the project.

        Raises:
            PreconditionFailedError: It still has repositories.
        """
        return self._registry._run(delete_project(self._registry.url, self.name))

    @property
    def allowlist(self) -> ProjectAllowlist:
        """The project's CVE allowlist."""
        return ProjectAllowlist(self._registry, self.name)

    @property
    def immutability(self) -> ImmutabilityRules:
        """The project's tag immutability rules."""
        from harborsec.harbor._immutability import ImmutabilityRules

        return ImmutabilityRules(self._registry, self.name)

    def is_immutable(self, repository: str, tag: str) -> bool:
        """Whether Harbor would refuse to overwrite or delete this tag (rules evaluated here).

        Args:
            repository: The repository, with or without the project prefix (`app`, `team/app`).
            tag: The tag.
        """
        return self.immutability.is_immutable(repository, tag)

    @property
    def scanner(self) -> ProjectScanner:
        """The scanner this project uses."""
        from harborsec.harbor._scanners import ProjectScanner

        return ProjectScanner(self._registry, self.name)

    def plan(self, policy: Policy) -> Plan:
        """Compare the project with a policy: the changes that `apply()` would make.

        Args:
            policy: The wanted security state.

        Returns:
            The plan (`diff()` to show it, `apply()` to make it so; empty when nothing differs).
        """
        return policy.plan(self)


def _config(base: httpx.URL, name: str) -> Op[ProjectConfig]:
    return (yield from get_project(base, name)).config


class AsyncProject(_ProjectBase["AsyncRegistry"]):
    """One Harbor project, by name (asynchronous): no request is made until a method is awaited.

    Get one with `registry.project(name)` or `await registry.create_project(name)`.
    """

    @same_doc(Project.info)
    async def info(self) -> ProjectInfo:
        """Async form of [`Project.info`][harborsec.harbor.Project.info]."""
        return await self._registry._run(get_project(self._registry.url, self.name))

    @same_doc(Project.config)
    async def config(self) -> ProjectConfig:
        """Async form of [`Project.config`][harborsec.harbor.Project.config]."""
        return await self._registry._run(_config(self._registry.url, self.name))

    @same_doc(Project.update_config)
    async def update_config(
        self,
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
        """Async form of [`Project.update_config`][harborsec.harbor.Project.update_config]."""
        return await self._registry._run(
            _update(
                self._registry.url,
                self.name,
                public,
                auto_scan,
                auto_sbom_generation,
                prevent_vulnerable,
                severity,
                cosign_required,
                notation_required,
                reuse_system_allowlist,
            )
        )

    @same_doc(Project.delete)
    async def delete(self) -> None:
        """Async form of [`Project.delete`][harborsec.harbor.Project.delete]."""
        return await self._registry._run(delete_project(self._registry.url, self.name))

    @property
    def allowlist(self) -> AsyncProjectAllowlist:
        """The project's CVE allowlist."""
        return AsyncProjectAllowlist(self._registry, self.name)

    @property
    def immutability(self) -> AsyncImmutabilityRules:
        """The project's tag immutability rules."""
        from harborsec.harbor._immutability import AsyncImmutabilityRules

        return AsyncImmutabilityRules(self._registry, self.name)

    @same_doc(Project.is_immutable)
    async def is_immutable(self, repository: str, tag: str) -> bool:
        """Async form of [`Project.is_immutable`][harborsec.harbor.Project.is_immutable]."""
        return await self.immutability.is_immutable(repository, tag)

    @property
    def scanner(self) -> AsyncProjectScanner:
        """The scanner this project uses."""
        from harborsec.harbor._scanners import AsyncProjectScanner

        return AsyncProjectScanner(self._registry, self.name)

    @same_doc(Project.plan)
    async def plan(self, policy: Policy) -> AsyncPlan:
        """Async form of [`Project.plan`][harborsec.harbor.Project.plan]."""
        return await policy.aplan(self)


class _AllowlistBase(Generic[R]):
    """What `ProjectAllowlist` and `AsyncProjectAllowlist` share: the client and the project."""

    def __init__(self, registry: R, project: str) -> None:
        self._registry = registry
        self.project = project
        """The project's name."""


class ProjectAllowlist(_AllowlistBase["Registry"]):
    """A project's own CVE allowlist, and which list is in force.

    Harbor applies the **system** allowlist unless the project's `reuse_sys_cve_allowlist` is
    false; writes here switch the project to its own list unless `use=False`.
    """

    def get(self) -> CveAllowlist:
        """The project's own list (in force or not)."""
        return self._registry._run(_own_allowlist(self._registry.url, self.project))

    def effective(self) -> EffectiveAllowlist:
        """The list in force: the system list when the project reuses it (or never chose)."""
        return self._registry._run(effective_allowlist(self._registry.url, self.project))

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
        """
        return self._registry._run(
            _replace_project(self._registry.url, self.project, items, expires_at, use)
        )

    def add(self, *cve_ids: str, use: bool = True) -> CveAllowlist:
        """Add ids to the project's list (keeping its expiry).

        Args:
            *cve_ids: The ids to add; those already listed are kept once.
            use: Also make the project's list the one in force.
        """
        return self._registry._run(
            _edit_project(self._registry.url, self.project, lambda: adding(cve_ids), use)
        )

    def remove(self, *cve_ids: str, use: bool = True) -> CveAllowlist:
        """Remove ids from the project's list (ids not listed are ignored).

        Args:
            *cve_ids: The ids to remove.
            use: Also make the project's list the one in force.
        """
        return self._registry._run(
            _edit_project(self._registry.url, self.project, lambda: removing(cve_ids), use)
        )

    def set_expiry(self, expires_at: datetime | None, *, use: bool = True) -> CveAllowlist:
        """Set when the project's list stops applying (aware datetime), or None for never.

        Args:
            expires_at: The expiry.
            use: Also make the project's list the one in force.
        """
        return self._registry._run(
            _edit_project(self._registry.url, self.project, lambda: expiring(expires_at), use)
        )


def _own_allowlist(base: httpx.URL, name: str) -> Op[CveAllowlist]:
    return (yield from get_project(base, name)).allowlist


class AsyncProjectAllowlist(_AllowlistBase["AsyncRegistry"]):
    """A project's own CVE allowlist, and which list is in force (asynchronous).

    Harbor applies the **system** allowlist unless the project's `reuse_sys_cve_allowlist` is
    false; writes here switch the project to its own list unless `use=False`.
    """

    @same_doc(ProjectAllowlist.get)
    async def get(self) -> CveAllowlist:
        """Async form of [`ProjectAllowlist.get`][harborsec.harbor.ProjectAllowlist.get]."""
        return await self._registry._run(_own_allowlist(self._registry.url, self.project))

    @same_doc(ProjectAllowlist.effective)
    async def effective(self) -> EffectiveAllowlist:
        """Async form of [`ProjectAllowlist.effective`][harborsec.harbor.ProjectAllowlist.effective]."""  # noqa: E501
        return await self._registry._run(effective_allowlist(self._registry.url, self.project))

    @same_doc(ProjectAllowlist.replace)
    async def replace(
        self,
        items: Iterable[str],
        *,
        expires_at: datetime | NotGiven | None = NOT_GIVEN,
        use: bool = True,
    ) -> CveAllowlist:
        """Async form of [`ProjectAllowlist.replace`][harborsec.harbor.ProjectAllowlist.replace]."""
        return await self._registry._run(
            _replace_project(self._registry.url, self.project, items, expires_at, use)
        )

    @same_doc(ProjectAllowlist.add)
    async def add(self, *cve_ids: str, use: bool = True) -> CveAllowlist:
        """Async form of [`ProjectAllowlist.add`][harborsec.harbor.ProjectAllowlist.add]."""
        return await self._registry._run(
            _edit_project(self._registry.url, self.project, lambda: adding(cve_ids), use)
        )

    @same_doc(ProjectAllowlist.remove)
    async def remove(self, *cve_ids: str, use: bool = True) -> CveAllowlist:
        """Async form of [`ProjectAllowlist.remove`][harborsec.harbor.ProjectAllowlist.remove]."""
        return await self._registry._run(
            _edit_project(self._registry.url, self.project, lambda: removing(cve_ids), use)
        )

    @same_doc(ProjectAllowlist.set_expiry)
    async def set_expiry(self, expires_at: datetime | None, *, use: bool = True) -> CveAllowlist:
        """Async form of [`ProjectAllowlist.set_expiry`][harborsec.harbor.ProjectAllowlist.set_expiry]."""  # noqa: E501
        return await self._registry._run(
            _edit_project(self._registry.url, self.project, lambda: expiring(expires_at), use)
        )


class SystemAllowlist:
    """The system CVE allowlist: in force for every project that does not use its own.

    Anyone authenticated may read it; writing needs a system administrator.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def get(self) -> CveAllowlist:
        """The system list."""
        return self._registry._run(get_system_allowlist(self._registry.url))

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
        """
        return self._registry._run(_replace_system(self._registry.url, items, expires_at))

    def add(self, *cve_ids: str) -> CveAllowlist:
        """Add ids to the system list (keeping its expiry)."""
        return self._registry._run(_edit_system(self._registry.url, lambda: adding(cve_ids)))

    def remove(self, *cve_ids: str) -> CveAllowlist:
        """Remove ids from the system list (ids not listed are ignored)."""
        return self._registry._run(_edit_system(self._registry.url, lambda: removing(cve_ids)))

    def set_expiry(self, expires_at: datetime | None) -> CveAllowlist:
        """Set when the system list stops applying (aware datetime), or None for never."""
        return self._registry._run(_edit_system(self._registry.url, lambda: expiring(expires_at)))


class AsyncSystemAllowlist:
    """The system CVE allowlist: in force for every project that does not use its own (async).

    Anyone authenticated may read it; writing needs a system administrator.
    """

    def __init__(self, registry: AsyncRegistry) -> None:
        self._registry = registry

    @same_doc(SystemAllowlist.get)
    async def get(self) -> CveAllowlist:
        """Async form of [`SystemAllowlist.get`][harborsec.harbor.SystemAllowlist.get]."""
        return await self._registry._run(get_system_allowlist(self._registry.url))

    @same_doc(SystemAllowlist.replace)
    async def replace(
        self, items: Iterable[str], *, expires_at: datetime | NotGiven | None = NOT_GIVEN
    ) -> CveAllowlist:
        """Async form of [`SystemAllowlist.replace`][harborsec.harbor.SystemAllowlist.replace]."""
        return await self._registry._run(_replace_system(self._registry.url, items, expires_at))

    @same_doc(SystemAllowlist.add)
    async def add(self, *cve_ids: str) -> CveAllowlist:
        """Async form of [`SystemAllowlist.add`][harborsec.harbor.SystemAllowlist.add]."""
        return await self._registry._run(_edit_system(self._registry.url, lambda: adding(cve_ids)))

    @same_doc(SystemAllowlist.remove)
    async def remove(self, *cve_ids: str) -> CveAllowlist:
        """Async form of [`SystemAllowlist.remove`][harborsec.harbor.SystemAllowlist.remove]."""
        return await self._registry._run(
            _edit_system(self._registry.url, lambda: removing(cve_ids))
        )

    @same_doc(SystemAllowlist.set_expiry)
    async def set_expiry(self, expires_at: datetime | None) -> CveAllowlist:
        """Async form of [`SystemAllowlist.set_expiry`][harborsec.harbor.SystemAllowlist.set_expiry]."""  # noqa: E501
        return await self._registry._run(
            _edit_system(self._registry.url, lambda: expiring(expires_at))
        )
