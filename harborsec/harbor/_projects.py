"""Projects: `ProjectInfo`, and the operations on `/projects`.

The functions here are operations (no I/O): facades such as `Registry.projects()` and
`Project.info()` run them.

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

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs
import cattrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import json_body, raise_for_status, safe_url
from harborsec._core._paging import MAX_PAGE_SIZE, Page, harbor_page, merge_params
from harborsec.errors import InvalidPolicyError, NotFoundError
from harborsec.harbor._allowlists import CveAllowlist, _WireAllowlist, to_allowlist
from harborsec.harbor._api import BY_NAME, api_url, project_segment, structure
from harborsec.harbor._config import ConfigChanges, ProjectConfig

__all__ = [
    "ProjectInfo",
    "create_project",
    "delete_project",
    "get_project",
    "list_projects_page",
    "on_project",
    "parse_project",
    "project_config",
    "project_pages",
    "update_project_config",
]


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
        allowlist=to_allowlist(wire.cve_allowlist),
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
    config: ConfigChanges | None = None,
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
    metadata = (config or ConfigChanges()).to_metadata()
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


def update_project_config(base: httpx.URL, name: str, changes: ConfigChanges) -> Op[ProjectConfig]:
    """`PUT /projects/{name}` with only the metadata keys that `changes` sets, then read back.

    Harbor merges metadata keys, so settings left as None stay as they are. With no change
    given, nothing is written.

    Returns:
        The configuration in force afterwards.
    """
    metadata = changes.to_metadata()
    if metadata:
        yield from on_project(base, name, "PUT", {"metadata": metadata})
    info = yield from get_project(base, name)
    return info.config


def project_config(base: httpx.URL, name: str) -> Op[ProjectConfig]:
    """The configuration in force for a project (`GET /projects/{name}`)."""
    return (yield from get_project(base, name)).config
