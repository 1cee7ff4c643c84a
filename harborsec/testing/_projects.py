"""Projects, their metadata and CVE allowlists, the system allowlist, and the current user.

Routes (under `/api/v2.0`), with Harbor's behaviour (`src/server/v2.0/handler/project.go`,
`project_metadata.go`, `sys_cve_allowlist.go`, `user.go`):

* `GET /projects`: paged (see `harborsec.testing._paging`), sorted by name by default. `name`
  is a fuzzy match, `public` a boolean, `owner` an exact username, and `q` understands `name`,
  `project_id`, `owner` and `public`. Anonymous callers see public projects (none when they ask
  for `public=false`); users see public projects and those they are members of; system robots
  and admins see all; project robots see theirs and the public ones. "Public" in a list means
  the metadata is exactly `"true"` (Harbor filters in SQL), while access checks read it
  case-insensitively.
* `HEAD /projects?project_name=`: 200 or 404 for any authenticated caller, whether or not it
  may read the project (401 when anonymous), as in v2.14. (Harbor's main branch has since made
  it check read access, which makes a missing project a 403 like every other lookup by name.)
* `POST /projects`: 201 with `Location: /api/v2.0/projects/<id>` (`<name>` with
  `X-Resource-Name-In-Location: true`). Metadata is stored as sent, except `public`, which must be
  `"true"` or `"false"` (it defaults to `"false"`, or to the legacy `public` boolean). The
  `cve_allowlist` is ignored. The creator owns the project and becomes its project admin;
  a robot's projects are owned by the admin, and only system robots may create projects.
  409 `The project named <name> already exists`.
* `GET/PUT/DELETE /projects/{project_name_or_id}`: PUT merges the metadata keys it is given
  (values stored as sent; JSON booleans are a 400) and replaces the `cve_allowlist` as a whole,
  whose `project_id` must be absent, 0 or the project's; an empty or duplicate CVE id is a 500.
  DELETE is a 412 while the project has repositories. `GET .../_deletable` says whether it may.
* `/projects/{p}/metadatas/`: the per-key API. It validates (`public`,
  `enable_content_trust`, `enable_content_trust_cosign`, `prevent_vul`, `auto_scan`: booleans;
  `severity`: a severity) and normalises values (`"true"`/`"false"`, lowercase severity), one key
  per request (400 otherwise). Only system admins may list a project's metadata.
* `GET /system/CVEAllowlist` (any authenticated caller) and `PUT` (system admin; overwrites;
  duplicate ids are a 500).
* `GET /users/current`: the user; 412 for robots.

`effective_allowlist` is the allowlist Harbor enforces for a project (see its docstring).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import attrs
import httpx

from harborsec.testing._access import (
    NULLABLE_BOOL,
    NULLABLE_INT,
    NULLABLE_STRING,
    OBJECT,
    STRING,
    format_time,
    location,
    read_body,
    require_authenticated,
    require_project,
    require_system,
)
from harborsec.testing._api import API_PREFIX, ApiError, parse_bool
from harborsec.testing._auth import Principal, can_in_system
from harborsec.testing._http import Call, Router, json_response
from harborsec.testing._paging import (
    AnyOf,
    Exact,
    Fuzzy,
    Range,
    Term,
    list_response,
    matches,
    page_params,
    parse_q,
    sort_items,
)
from harborsec.testing._state import PROJECT_NAME_PATTERN, Allowlist, Project, Role, State, is_true

__all__ = [
    "PROJECT_METADATA_KEYS",
    "EffectiveAllowlist",
    "ProjectsApi",
    "effective_allowlist",
    "normalise_severity",
    "render_allowlist",
    "render_project",
]

PROJECT_METADATA_KEYS = (
    "public",
    "enable_content_trust",
    "enable_content_trust_cosign",
    "prevent_vul",
    "severity",
    "auto_scan",
    "auto_sbom_generation",
    "reuse_sys_cve_allowlist",
    "retention_id",
    "proxy_speed_kb",
    "max_upstream_conn",
    "proxy_cache_local_on_not_found",
    "proxy_referrer_api",
    "proxy_cache_filter_pattern",
    "proxy_cache_filter_kind",
)
"""The keys of the spec's `ProjectMetadata`: the only ones a project's JSON shows."""

_PROXY_KEYS = (
    "proxy_speed_kb",
    "max_upstream_conn",
    "proxy_cache_filter_pattern",
    "proxy_cache_filter_kind",
)
_BOOLEAN_META = (
    "public",
    "enable_content_trust",
    "enable_content_trust_cosign",
    "prevent_vul",
    "auto_scan",
)
"""Keys the `/metadatas/` API accepts as booleans (Harbor's list; not `auto_sbom_generation`)."""

_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_SEVERITIES = ("Critical", "High", "Medium", "Low", "None", "Unknown")

_METADATA_FIELDS = dict.fromkeys(PROJECT_METADATA_KEYS, NULLABLE_STRING)
_METADATA_FIELDS["public"] = STRING
_ALLOWLIST_FIELDS = {"id": NULLABLE_INT, "project_id": NULLABLE_INT, "expires_at": NULLABLE_INT}
_PROJECT_REQ = {
    "project_name": STRING,
    "public": NULLABLE_BOOL,
    "metadata": OBJECT,
    "cve_allowlist": OBJECT,
    "storage_limit": NULLABLE_INT,
    "registry_id": NULLABLE_INT,
}
_PROJECT_REQ_NESTED = {
    "metadata": ("ProjectMetadata", _METADATA_FIELDS),
    "cve_allowlist": ("CVEAllowlist", _ALLOWLIST_FIELDS),
}


def normalise_severity(value: str) -> str:
    """A severity as Harbor parses it (`ParseSeverityVersion3`), lowercase.

    Title-cased, `Negligible` becomes `none`, and anything unknown becomes `unknown`.
    """
    titled = value[:1].upper() + value[1:].lower()
    if titled == "Negligible":
        return "none"
    return titled.lower() if titled in _SEVERITIES else "unknown"


@attrs.frozen
class EffectiveAllowlist:
    """The CVE allowlist Harbor enforces for a project."""

    source: str
    """`system` or `project`."""
    cve_ids: frozenset[str]
    """The ids in force: empty when the list has expired."""
    expires_at: int | None


def effective_allowlist(
    state: State, project: Project, now: float | None = None
) -> EffectiveAllowlist:
    """The allowlist in force for `project` (Harbor's `loadEffectCVEAllowlists`).

    The system list when `reuse_sys_cve_allowlist` is true **or absent**, the project's own
    otherwise; a list whose `expires_at` has passed (`now >= expires_at`) is ignored entirely.
    Ids match exactly.
    """
    reuse = project.metadata.get("reuse_sys_cve_allowlist")
    use_system = reuse is None or is_true(reuse)
    allowlist = state.system_allowlist if use_system else project.allowlist
    moment = time.time() if now is None else now
    expired = allowlist.expires_at is not None and moment >= allowlist.expires_at
    ids = frozenset() if expired else frozenset(allowlist.items)
    return EffectiveAllowlist("system" if use_system else "project", ids, allowlist.expires_at)


def render_allowlist(allowlist: Allowlist) -> dict[str, Any]:
    """A `CVEAllowlist` as Harbor writes it (no `project_id` for the system list)."""
    document: dict[str, Any] = {"id": allowlist.id}
    if allowlist.project_id:
        document["project_id"] = allowlist.project_id
    if allowlist.expires_at is not None:
        document["expires_at"] = allowlist.expires_at
    document["items"] = [{"cve_id": item} for item in allowlist.items]
    document["creation_time"] = format_time(allowlist.creation_time)
    document["update_time"] = format_time(allowlist.update_time)
    return document


def _render_metadata(metadata: dict[str, str]) -> dict[str, str]:
    shown = {key: metadata[key] for key in PROJECT_METADATA_KEYS if key in metadata}
    if "severity" in shown:
        shown["severity"] = normalise_severity(shown["severity"])
    return shown


def _repo_count(state: State, project: Project) -> int:
    return sum(
        1
        for repository in state.repositories.values()
        if repository.project_name == project.name and repository.manifests
    )


def render_project(state: State, project: Project, principal: Principal) -> dict[str, Any]:
    """A `Project` as Harbor writes it, with the caller's roles in it."""
    owner = state.users.get(project.owner)
    document: dict[str, Any] = {
        "project_id": project.project_id,
        "owner_id": owner.user_id if owner is not None else 0,
        "name": project.name,
        "creation_time": format_time(project.creation_time),
        "update_time": format_time(project.update_time),
        "owner_name": project.owner,
    }
    if principal.kind == "user" and principal.name in project.members:
        role_id = Role.IDS[project.members[principal.name]]
        document["current_user_role_id"] = role_id
        document["current_user_role_ids"] = [role_id]
    document["repo_count"] = _repo_count(state, project)
    document["metadata"] = _render_metadata(project.metadata)
    document["cve_allowlist"] = render_allowlist(project.allowlist)
    return document


def _parse_items(raw: Any) -> list[str]:
    """The CVE ids of an allowlist body (bound by `_check_items`), validated as Harbor does.

    Harbor's validator returns a plain error for an empty id ("empty CVE ID in allowlist") or a
    duplicate one ("duplicate CVE ID in allowlist: <id>"), ids compared trimmed: a 500.
    """
    items: list[str] = []
    seen: set[str] = set()
    for entry in raw or []:
        cve_id = entry.get("cve_id") or ""
        trimmed = cve_id.strip()
        if not trimmed or trimmed in seen:
            raise ApiError(500, "UNKNOWN", "internal server error")
        seen.add(trimmed)
        items.append(cve_id)
    return items


def _write_allowlist(allowlist: Allowlist, items: list[str], expires_at: Any) -> None:
    now = time.time()
    allowlist.items = items
    allowlist.expires_at = expires_at if isinstance(expires_at, int) else None
    if allowlist.creation_time is None:
        allowlist.creation_time = now
    allowlist.update_time = now


def _parse_go_bool(value: str) -> bool | None:
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    return None


class ProjectsApi:
    """The projects area of the API (see the module docstring).

    Args:
        state: The emulator's state.
        after_project_delete: Called with a project just deleted (other areas drop what they
            keep about it).
    """

    def __init__(
        self, state: State, *, after_project_delete: Callable[[Project], None] | None = None
    ) -> None:
        self._state = state
        self._after_delete = after_project_delete

    def register(self, router: Router) -> None:
        """Add this area's routes to `router`."""
        base = f"{API_PREFIX}/projects"
        one = f"{base}/{{project_name_or_id}}"
        router.add("GET", base, self._list)
        router.add("HEAD", base, self._head)
        router.add("POST", base, self._create)
        router.add("GET", one, self._get)
        router.add("PUT", one, self._update)
        router.add("DELETE", one, self._delete)
        router.add("GET", f"{one}/_deletable", self._deletable)
        router.add("GET", f"{one}/metadatas/", self._list_metadata)
        router.add("POST", f"{one}/metadatas/", self._add_metadata)
        router.add("GET", f"{one}/metadatas/{{meta_name}}", self._get_metadata)
        router.add("PUT", f"{one}/metadatas/{{meta_name}}", self._update_metadata)
        router.add("DELETE", f"{one}/metadatas/{{meta_name}}", self._delete_metadata)
        router.add("GET", f"{API_PREFIX}/system/CVEAllowlist", self._get_system_allowlist)
        router.add("PUT", f"{API_PREFIX}/system/CVEAllowlist", self._put_system_allowlist)
        router.add("GET", f"{API_PREFIX}/users/current", self._current_user)

    # -- listing -------------------------------------------------------------------------------

    def _visible(self, principal: Principal, public: bool | None) -> Callable[[Project], bool]:
        """Harbor's visibility filter for `GET /projects`."""

        def listed_public(project: Project) -> bool:
            return project.metadata.get("public") == "true"

        with_public = public is None or public
        if not principal.authenticated:
            return listed_public
        if principal.kind == "user" and principal.admin:
            return lambda project: True
        if principal.kind == "user":
            return lambda p: principal.name in p.members or (with_public and listed_public(p))
        if principal.kind == "robot" and principal.robot_project is not None:
            own = principal.robot_project
            return lambda p: p.name == own or (with_public and listed_public(p))
        if principal.kind == "robot":
            return lambda project: True
        return listed_public

    def _list(self, call: Call) -> httpx.Response:
        terms: dict[str, Term] = parse_q(call)
        name = call.query.get("name")
        if name:
            terms["name"] = Fuzzy(name)
        owner = call.query.get("owner")
        if owner:
            terms["owner"] = Exact(owner)
        public = parse_bool(call, "public")
        parse_bool(call, "with_detail")
        if public is not None:
            terms["public"] = Exact("true" if public else "false")
        principal = call.principal
        if not principal.authenticated and public is False:
            return self._empty_list(call)
        visible = self._visible(principal, public)
        fields: dict[str, Callable[[Project], Any]] = {
            "name": lambda p: p.name,
            "project_id": lambda p: p.project_id,
            "owner": lambda p: p.owner,
        }
        selected = []
        for project in self._state.projects.values():
            if not visible(project):
                continue
            if not all(
                self._term_matches(project, key, term, fields) for key, term in terms.items()
            ):
                continue
            selected.append(project)
        if not selected:
            return self._empty_list(call)
        ordered = sort_items(
            call,
            selected,
            {
                "name": lambda p: p.name,
                "project_id": lambda p: p.project_id,
                "creation_time": lambda p: p.creation_time,
                "update_time": lambda p: p.update_time,
            },
            [("name", False)],
        )
        return list_response(call, ordered, lambda p: render_project(self._state, p, principal))

    def _empty_list(self, call: Call) -> httpx.Response:
        page_params(call)
        return json_response(200, [], headers={"X-Total-Count": "0"})

    @staticmethod
    def _term_matches(
        project: Project, key: str, term: Term, fields: dict[str, Callable[[Project], Any]]
    ) -> bool:
        if key == "public":
            value = term.value if isinstance(term, Exact) else "true"
            wanted = "true" if is_true(value) else "false"
            return project.metadata.get("public") == wanted
        getter = fields.get(key)
        if getter is None:
            return True  # Harbor ignores keys it does not know
        if key == "owner" and not isinstance(term, Exact):
            return True
        if isinstance(term, (Exact, Fuzzy, Range, AnyOf)):
            return matches(getter(project), term)
        return True

    def _head(self, call: Call) -> httpx.Response:
        name = call.query.get("project_name")
        if name is None:
            raise ApiError(422, "UNPROCESSABLE_ENTITY", "project_name in query is required")
        require_authenticated(call)
        if name not in self._state.projects:
            raise ApiError(404, "NOT_FOUND", f"project {name} not found")
        return httpx.Response(200)

    # -- create, read, update, delete -----------------------------------------------------------

    def _read_project_req(self, call: Call) -> dict[str, Any]:
        body = read_body(
            call, "project", struct="ProjectReq", fields=_PROJECT_REQ, nested=_PROJECT_REQ_NESTED
        )
        if not isinstance(body, dict):
            raise ApiError(
                400,
                "BAD_REQUEST",
                'parsing project body from "" failed, because json: cannot unmarshal '
                "array into Go value of type models.ProjectReq",
            )
        name = body.get("project_name")
        if isinstance(name, str) and len(name) > 255:
            raise ApiError(
                422,
                "UNPROCESSABLE_ENTITY",
                "validation failure list:\nproject_name in body should be at most 255 chars long",
            )
        if isinstance(body.get("cve_allowlist"), dict):
            _check_items(body["cve_allowlist"].get("items"), "project")
        return body

    def _create(self, call: Call) -> httpx.Response:
        body = self._read_project_req(call)
        principal = call.principal
        require_authenticated(call)
        if principal.kind == "robot" and principal.robot_project is not None:
            raise ApiError(403, "FORBIDDEN", "Only system level robot can create project")
        if body.get("registry_id") is not None and not can_in_system(principal, "project", "list"):
            raise ApiError(403, "FORBIDDEN", "Only system admin can create proxy cache project")
        metadata = {
            key: value
            for key, value in (body.get("metadata") or {}).items()
            if key in PROJECT_METADATA_KEYS and isinstance(value, str) and value != ""
        }
        legacy_public = body.get("public")
        if "public" not in metadata and isinstance(legacy_public, bool):
            metadata["public"] = "true" if legacy_public else "false"
        metadata.setdefault("public", "false")
        if metadata["public"] not in ("true", "false"):
            raise ApiError(
                400,
                "BAD_REQUEST",
                "metadata.public should only be 'true' or 'false', but got: "
                f"'{metadata['public']}'",
            )
        if body.get("registry_id") is None:
            for key in _PROXY_KEYS:
                metadata.pop(key, None)
        if metadata.get("retention_id"):
            raise ApiError(
                400,
                "BAD_REQUEST",
                "the retention_id in the request's payload when creating a project should be "
                "omitted, alternatively passing an empty string",
            )
        metadata.pop("retention_id", None)
        if body.get("registry_id") is not None:
            # The emulator has no registry endpoints, so any registry_id is unknown: Harbor
            # fails to look it up with a plain error.
            raise ApiError(500, "UNKNOWN", "internal server error")
        name = body.get("project_name") or ""
        if not PROJECT_NAME_PATTERN.fullmatch(name):
            raise ApiError(
                400,
                "BAD_REQUEST",
                "project name is not in lower case or contains illegal characters!",
            )
        if name in self._state.projects:
            raise ApiError(409, "CONFLICT", f"The project named {name} already exists")
        owner = principal.name if principal.kind == "user" else self._first_admin()
        project = self._state.add_project(name, metadata=metadata, owner=owner)
        self._state.save()
        in_location = call.headers.get("x-resource-name-in-location", "").lower() == "true"
        target = name if in_location else project.project_id
        return httpx.Response(201, headers={"Location": location("projects", target)})

    def _first_admin(self) -> str:
        admins = sorted((u for u in self._state.users.values() if u.admin), key=lambda u: u.user_id)
        return admins[0].username if admins else ""

    def _get(self, call: Call) -> httpx.Response:
        project = require_project(self._state, call, "project", "read")
        return json_response(200, render_project(self._state, project, call.principal))

    def _update(self, call: Call) -> httpx.Response:
        body = self._read_project_req(call)
        project = require_project(self._state, call, "project", "update")
        allowlist = body.get("cve_allowlist")
        items: list[str] | None = None
        if isinstance(allowlist, dict):
            claimed = allowlist.get("project_id") or 0
            if claimed not in (0, project.project_id):
                raise ApiError(
                    400,
                    "BAD_REQUEST",
                    f"project_id in cve_allowlist must be {project.project_id} but it's {claimed}",
                )
        merged = dict(project.metadata)
        for key, value in (body.get("metadata") or {}).items():
            if key in PROJECT_METADATA_KEYS and key not in _PROXY_KEYS and value:
                merged[key] = value
        if "retention_id" in merged and merged["retention_id"] != project.metadata.get(
            "retention_id"
        ):
            raise ApiError(
                400,
                "BAD_REQUEST",
                "the retention_id in the request's payload when updating a project should be "
                "omitted, alternatively passing the one that has already been associated to "
                "this project",
            )
        if isinstance(allowlist, dict):
            items = _parse_items(allowlist.get("items"))
            _write_allowlist(project.allowlist, items, allowlist.get("expires_at"))
        project.metadata = merged
        project.update_time = time.time()
        self._state.save()
        return httpx.Response(200)

    def _deletable_result(self, project: Project) -> dict[str, Any]:
        if _repo_count(self._state, project) > 0:
            return {
                "deletable": False,
                "message": "the project contains repositories, can not be deleted",
            }
        return {"deletable": True}

    def _delete(self, call: Call) -> httpx.Response:
        project = require_project(self._state, call, "project", "delete")
        result = self._deletable_result(project)
        if not result["deletable"]:
            raise ApiError(412, "PRECONDITION", result["message"])
        self._state.delete_project(project)
        for name in [
            n for n, r in self._state.repositories.items() if r.project_name == project.name
        ]:
            del self._state.repositories[name]
        if self._after_delete is not None:
            self._after_delete(project)
        self._state.save()
        return httpx.Response(200)

    def _deletable(self, call: Call) -> httpx.Response:
        project = require_project(self._state, call, "project", "delete")
        return json_response(200, self._deletable_result(project))

    # -- the per-key metadata API --------------------------------------------------------------

    @staticmethod
    def _validate_metadata(metadata: dict[str, Any]) -> tuple[str, str]:
        if len(metadata) != 1:
            raise ApiError(400, "BAD_REQUEST", "only allow one key/value pair")
        ((key, value),) = metadata.items()
        value = value if isinstance(value, str) else ""
        if key in _BOOLEAN_META:
            parsed = _parse_go_bool(value)
            if parsed is None:
                raise ApiError(400, "BAD_REQUEST", f"invalid value: {value}")
            return key, "true" if parsed else "false"
        if key == "severity":
            severity = normalise_severity(value.lower())
            if severity == "unknown":
                raise ApiError(400, "BAD_REQUEST", f"invalid value: {value}")
            return key, severity
        raise ApiError(400, "BAD_REQUEST", f"invalid key: {key}")

    def _read_metadata_body(self, call: Call) -> dict[str, Any]:
        body = read_body(call, "metadata", required=False, values=STRING)
        return body if isinstance(body, dict) else {}

    def _list_metadata(self, call: Call) -> httpx.Response:
        project = require_project(self._state, call, "metadata", "list")
        return json_response(200, dict(project.metadata))

    def _add_metadata(self, call: Call) -> httpx.Response:
        body = self._read_metadata_body(call)
        project = require_project(self._state, call, "metadata", "create")
        key, value = self._validate_metadata(body)
        if key in project.metadata:
            raise ApiError(409, "CONFLICT", f"metadata {key} already exists")
        project.metadata[key] = value
        self._state.save()
        return httpx.Response(200)

    def _get_metadata(self, call: Call) -> httpx.Response:
        project = require_project(self._state, call, "metadata", "read")
        key = call.params["meta_name"]
        found = {key: project.metadata[key]} if key in project.metadata else {}
        return json_response(200, found)

    def _update_metadata(self, call: Call) -> httpx.Response:
        body = self._read_metadata_body(call)
        project = require_project(self._state, call, "metadata", "update")
        key = call.params["meta_name"]
        key, value = self._validate_metadata({key: body.get(key, "")})
        project.metadata[key] = value
        self._state.save()
        return httpx.Response(200)

    def _delete_metadata(self, call: Call) -> httpx.Response:
        project = require_project(self._state, call, "metadata", "delete")
        project.metadata.pop(call.params["meta_name"], None)
        self._state.save()
        return httpx.Response(200)

    # -- the system allowlist ------------------------------------------------------------------

    def _get_system_allowlist(self, call: Call) -> httpx.Response:
        require_authenticated(call)
        return json_response(200, render_allowlist(self._state.system_allowlist))

    def _put_system_allowlist(self, call: Call) -> httpx.Response:
        body = read_body(
            call, "allowlist", required=False, struct="CVEAllowlist", fields=_ALLOWLIST_FIELDS
        )
        require_system(call, "system-cve-allowlist", "update")
        body = body if isinstance(body, dict) else {}
        _check_items(body.get("items"), "allowlist")
        items = _parse_items(body.get("items"))
        _write_allowlist(self._state.system_allowlist, items, body.get("expires_at"))
        self._state.save()
        return httpx.Response(200)

    # -- the current user ----------------------------------------------------------------------

    def _current_user(self, call: Call) -> httpx.Response:
        require_authenticated(call)
        principal = call.principal
        user = self._state.users.get(principal.name) if principal.kind == "user" else None
        if user is None:
            raise ApiError(
                412,
                "PRECONDITION",
                f"get current user not available for security context: {principal.kind}",
            )
        created = format_time(user.creation_time)
        return json_response(
            200,
            {
                "user_id": user.user_id,
                "username": user.username,
                "sysadmin_flag": user.admin,
                "admin_role_in_auth": False,
                "creation_time": created,
                "update_time": created,
            },
        )


def _check_items(raw: Any, name: str) -> None:
    """go-swagger's binding of `items`: a list of objects whose `cve_id` is a string (else 400)."""
    if raw is None:
        return
    prefix = f'parsing {name} body from "" failed, because json: cannot unmarshal '
    if not isinstance(raw, list):
        raise ApiError(
            400, "BAD_REQUEST", f"{prefix}object into Go value of type []*models.CVEAllowlistItem"
        )
    for entry in raw:
        if not isinstance(entry, dict):
            raise ApiError(
                400, "BAD_REQUEST", f"{prefix}value into Go value of type models.CVEAllowlistItem"
            )
        cve_id = entry.get("cve_id")
        if cve_id is not None and not isinstance(cve_id, str):
            raise ApiError(
                400,
                "BAD_REQUEST",
                f"{prefix}value into Go struct field CVEAllowlistItem.cve_id of type string",
            )
