"""Harbor's REST API on `/api/v2.0`: the parts implemented so far.

* `GET /ping`: `text/plain` `Pong`, no auth.
* `GET /systeminfo`: anonymous callers get only the public fields; `harbor_version` and the
  other protected fields need an authenticated caller.
* `GET /health`: always 200; every component healthy.
* `GET /users/current/permissions[?scope=/project/<id>|/system&relative=true]`: the caller's
  policies; 401 when anonymous. Works for users and robots. The project itself is the resource
  `/project/<id>` (relative: `.`), as in Harbor.

Cross-cutting behaviour, as in Harbor: only Basic credentials count here (bad ones make the
caller anonymous; registry tokens are ignored); responses set a `sid` session cookie; and a
POST, PUT, PATCH or DELETE that carries a `sid` cookie is refused with `403 CSRF token invalid`
(the CSRF check that Harbor skips only for requests without a session).

Other areas add their routes with `HarborApi.router` and raise `ApiError` from their handlers:
projects, metadata, CVE allowlists and the current user (`_projects`), immutable tag rules
(`_immutability`), scanners and project scanners (`_scanners`), and scan all (`_schedule`).
Their shared access checks and body binding are in `_access`, list conventions in `_paging`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from http.cookies import CookieError, SimpleCookie

import httpx

from harborsec.testing._auth import (
    ANONYMOUS,
    Policy,
    authenticate_basic,
    project_policies,
    system_policies,
)
from harborsec.testing._http import Call, Router, harbor_error, json_response
from harborsec.testing._state import State

__all__ = ["API_PREFIX", "ApiError", "HarborApi", "parse_bool"]

API_PREFIX = "/api/v2.0"

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HEALTH_COMPONENTS = (
    "core",
    "database",
    "jobservice",
    "portal",
    "redis",
    "registry",
    "registryctl",
    "trivy",
)
_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off", ""})
_PROJECT_SCOPE = re.compile(r"/project/([0-9]{1,18})(?:/.*)?")  # ASCII, int64-sized


class ApiError(Exception):
    """An error answer in Harbor's shape; handlers raise it, `HarborApi.handle` sends it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def parse_bool(call: Call, name: str) -> bool | None:
    """A boolean query parameter as go-swagger reads it (None when absent).

    Raises:
        ApiError: 422 when the value is not a boolean.
    """
    value = call.query.get(name)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ApiError(422, "UNPROCESSABLE_ENTITY", f"{name} in query must be of type boolean")


def _session_id(call: Call) -> str | None:
    """The `sid` cookie of the request, if it has one."""
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load("; ".join(call.headers.get_list("cookie")))
    except CookieError:
        return None
    morsel = cookies.get("sid")
    return None if morsel is None else morsel.value


class HarborApi:
    """The `/api/` area.

    Args:
        state: The emulator's state.
        harbor_version: What `systeminfo` reports as `harbor_version`.
        robot_prefix: The prefix that marks robot usernames.
    """

    prefix = "/api/"

    def __init__(self, state: State, *, harbor_version: str, robot_prefix: str) -> None:
        self._state = state
        self._harbor_version = harbor_version
        self._robot_prefix = robot_prefix
        self.router = Router()
        """Routes on full paths (`/api/v2.0/...`); other modules may add theirs."""
        self.router.add("GET", f"{API_PREFIX}/ping", self._ping)
        self.router.add("GET", f"{API_PREFIX}/systeminfo", self._systeminfo)
        self.router.add("GET", f"{API_PREFIX}/health", self._health)
        self.router.add("GET", f"{API_PREFIX}/users/current/permissions", self._permissions)

    def handle(self, call: Call) -> httpx.Response:
        """Answer a request under `/api/`."""
        session = _session_id(call)
        if session is not None and call.method in _WRITES:
            return harbor_error(403, "FORBIDDEN", "CSRF token invalid")
        response = self._dispatch(call)
        if session is None:
            response.headers["Set-Cookie"] = f"sid={secrets.token_hex(16)}; Path=/; HttpOnly"
        return response

    def _dispatch(self, call: Call) -> httpx.Response:
        call.principal = (
            authenticate_basic(self._state, call.authorization, robot_prefix=self._robot_prefix)
            or ANONYMOUS
        )
        found = self.router.match(call.method, call.path)
        if found is None:
            return harbor_error(404, "NOT_FOUND", f"path {call.path} was not found")
        if isinstance(found, list):
            allowed = ", ".join(found)
            message = f"method {call.method} is not allowed, but [{allowed}] are"
            return harbor_error(405, "METHOD_NOT_ALLOWED", message, headers={"Allow": allowed})
        route, call.params = found
        try:
            return route.handler(call)
        except ApiError as error:
            return harbor_error(error.status, error.code, error.message)

    def _require_authenticated(self, call: Call) -> None:
        if not call.principal.authenticated:
            raise ApiError(401, "UNAUTHORIZED", "UnAuthorized")

    # -- handlers ------------------------------------------------------------------------------

    def _ping(self, call: Call) -> httpx.Response:
        return httpx.Response(200, content=b"Pong", headers={"Content-Type": "text/plain"})

    def _systeminfo(self, call: Call) -> httpx.Response:
        info: dict[str, object] = {
            "auth_mode": "db_auth",
            "primary_auth_mode": False,
            "self_registration": False,
            "banner_message": "",
        }
        if call.principal.authenticated:
            now = dt.datetime.now(dt.timezone.utc)
            host = call.base_url.split("://", 1)[1]
            info.update(
                {
                    "harbor_version": self._harbor_version,
                    "current_time": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "registry_url": host,
                    "external_url": call.base_url,
                    "project_creation_restriction": "everyone",
                    "has_ca_root": False,
                    "read_only": False,
                    "notification_enable": True,
                    "registry_storage_provider_name": "filesystem",
                }
            )
        return json_response(200, info)

    def _health(self, call: Call) -> httpx.Response:
        components = [{"name": name, "status": "healthy"} for name in _HEALTH_COMPONENTS]
        return json_response(200, {"status": "healthy", "components": components})

    def _permissions(self, call: Call) -> httpx.Response:
        self._require_authenticated(call)
        scope = call.query.get("scope", "")
        relative = parse_bool(call, "relative") or False
        policies: tuple[Policy, ...] = ()
        namespace = ""
        found = _PROJECT_SCOPE.fullmatch(scope)
        if scope == "/system" or scope.startswith("/system/"):
            namespace = "/system"
            policies = system_policies(call.principal)
        elif found is not None:
            namespace = f"/project/{found.group(1)}"
            project_id = int(found.group(1))
            for project in self._state.projects.values():
                if project.project_id == project_id:
                    policies = project_policies(call.principal, project)
        permissions = []
        for resource, action in policies:
            # In a project, `project` is the project itself: Harbor's `/project/<id>`.
            is_self = namespace.startswith("/project/") and resource == "project"
            full = namespace if is_self else f"{namespace}/{resource}"
            if relative and scope:
                full = full.removeprefix(scope.rstrip("/")).lstrip("/") or "."
            permissions.append({"resource": full, "action": action})
        return json_response(200, permissions)
