"""`HarborEmulator`: the public face of the emulator, and its request pipeline.

Every request, in process or from the socket server, goes through `HarborEmulator.handle`:

1. take the request's `X-Request-Id`, or make a UUID4;
2. under the state lock, pick the area by path prefix (`/v2/` registry, `/service/` token
   service, `/api/` Harbor API) and let it answer; an unexpected exception is logged and
   answered `500` with Harbor's `UNKNOWN` body;
3. record the request, set `X-Request-Id` on the response, and drop the body of a HEAD
   response (keeping its `Content-Length`).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import attrs
import httpx

from harborsec.testing._api import HarborApi
from harborsec.testing._auth import robot_permissions
from harborsec.testing._http import Call, harbor_error, text_response
from harborsec.testing._immutability import ImmutabilityApi
from harborsec.testing._projects import ProjectsApi
from harborsec.testing._registry import Registry
from harborsec.testing._scanners import ScannersApi, add_builtin_trivy
from harborsec.testing._schedule import ScanAllApi, finish_scan_all, start_scan_all
from harborsec.testing._server import serve
from harborsec.testing._state import Role, State
from harborsec.testing._token import TokenAuthority, TokenService

__all__ = ["HarborEmulator", "RecordedRequest"]

_log = logging.getLogger("harborsec.testing")

_ROBOT_PREFIX = "robot$"


class _Area(Protocol):
    prefix: str

    def handle(self, call: Call) -> httpx.Response: ...


@attrs.frozen
class RecordedRequest:
    """One request the emulator answered (see `HarborEmulator.requests`)."""

    method: str
    """The method, upper case."""
    path: str
    """The path, percent-decoded once."""
    query: str
    """The raw query string, without `?` (empty when there was none)."""
    status: int
    """The status code of the answer."""
    request_id: str = ""
    """The request's `X-Request-Id` (or the one the emulator made): harborsec sends one per
    call, the same on every retry, so that the writes applied per call can be counted."""


class HarborEmulator:
    """A Harbor instance in a Python object: the OCI registry, token service and API.

    Built to Harbor's OpenAPI spec and to how Harbor's code behaves (auth, errors, CSRF, request
    IDs), so that an SDK can be tested without a Harbor. Use it in process through
    `transport()`, or on a real socket with `serve()`.

    Args:
        admin_username: The system administrator's username.
        admin_password: Its password.
        storage_dir: Where to persist projects, accounts and content, so that another emulator
            over the same directory sees them; None keeps everything in memory.
        harbor_version: What `/api/v2.0/systeminfo` reports to authenticated callers.
        token_expiration: Lifetime of registry tokens, in seconds.
        referrers_api: Whether `GET /v2/<name>/referrers/<digest>` is served. False makes it
            answer 404 like CNCF Distribution 2.8, to test the tag-schema fallback.
        trivy: Register Harbor's built-in, immutable `Trivy` scanner (the default), as a
            Harbor installed with Trivy has. False (the default) starts with no scanner at all,
            like a Harbor without Trivy: scan-all endpoints then answer 412 until one is
            registered.

    Attributes:
        requests: Every request answered so far (method, path, query, status), in order.
            Clear it with `requests.clear()`.
        token_issuer: The `iss` of registry tokens (`harbor-token-issuer`).
        token_service: Their `aud`, and the token service's `service` (`harbor-registry`).
        token_certificate_pem: The PEM of the self-signed certificate whose EC P-256 key signs
            the tokens (ES256); a registry that trusts it accepts the tokens.
        harbor_version: The version `systeminfo` reports.

    Example:
        >>> import httpx
        >>> from harborsec.testing import HarborEmulator
        >>> harbor = HarborEmulator()
        >>> client = httpx.Client(transport=harbor.transport(), base_url="http://harbor.test")
        >>> client.get("/api/v2.0/ping").text
        'Pong'
        >>> client.get("/v2/library/demo/manifests/v1").headers["www-authenticate"]
        'Bearer realm="http://harbor.test/service/token",service="harbor-registry",scope="repository:library/demo:pull"'
    """

    def __init__(
        self,
        *,
        admin_username: str = "admin",
        admin_password: str = "Harbor12345",  # noqa: S107 - Harbor's documented default
        storage_dir: str | os.PathLike[str] | None = None,
        harbor_version: str = "v2.14.4-79a297f7",
        token_expiration: int = 1800,
        referrers_api: bool = True,
        trivy: bool = False,
    ) -> None:
        if token_expiration < 0:
            raise ValueError("token_expiration must be 0 or more seconds")
        storage = None if storage_dir is None else Path(storage_dir)
        self._state = State(storage)
        self._authority = TokenAuthority(
            issuer="harbor-token-issuer",
            service="harbor-registry",
            expiration=token_expiration,
            key_dir=storage,
        )
        self.token_issuer: str = self._authority.issuer
        self.token_service: str = self._authority.service
        self.token_certificate_pem: bytes = self._authority.certificate_pem
        self.harbor_version = harbor_version
        self.requests: list[RecordedRequest] = []
        api = HarborApi(self._state, harbor_version=harbor_version, robot_prefix=_ROBOT_PREFIX)
        ProjectsApi(self._state).register(api.router)
        ImmutabilityApi(self._state).register(api.router)
        ScannersApi(self._state).register(api.router)
        ScanAllApi(self._state).register(api.router)
        self._areas: tuple[_Area, ...] = (
            Registry(
                self._state,
                self._authority,
                referrers_api=referrers_api,
                robot_prefix=_ROBOT_PREFIX,
            ),
            TokenService(self._state, self._authority, robot_prefix=_ROBOT_PREFIX),
            api,
        )
        with self._state.lock:
            self._state.set_user(admin_username, admin_password, admin=True)
            if "library" not in self._state.projects:
                self._state.add_project("library", public=True, owner=admin_username)
            if trivy:
                add_builtin_trivy(self._state)
            self._state.save()

    # -- configuration -------------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, admin: bool = False) -> None:
        """Create a local user, or reset an existing user's password and admin flag.

        Raises:
            ValueError: The username is empty, contains `:`, or starts with `robot$`.
        """
        if not username or ":" in username or username.startswith(_ROBOT_PREFIX):
            raise ValueError(f"invalid username {username!r}")
        with self._state.lock:
            self._state.set_user(username, password, admin=admin)
            self._state.save()

    def add_robot(
        self,
        name: str,
        secret: str,
        *,
        project: str | None = None,
        actions: Sequence[str] = ("pull", "push"),
    ) -> str:
        """Create a robot account (or replace one of the same name).

        Args:
            name: The robot's short name.
            secret: Its secret (its password for Basic auth).
            project: The project of a project robot; None makes a system robot whose
                permissions apply to every project.
            actions: `pull`, `push` and `delete` (on repositories), or `resource:action`
                pairs of Harbor's robot permissions, such as `artifact:read` or `scan:create`.

        Returns:
            The full name to log in with: `robot$<name>` or `robot$<project>+<name>`.

        Raises:
            ValueError: The name is empty, the project does not exist, or an action is not
                understood.
        """
        if not name or ":" in name:
            raise ValueError(f"invalid robot name {name!r}")
        permissions = robot_permissions(tuple(actions))
        full_name = (
            f"{_ROBOT_PREFIX}{name}" if project is None else f"{_ROBOT_PREFIX}{project}+{name}"
        )
        with self._state.lock:
            if project is not None and project not in self._state.projects:
                raise ValueError(f"project {project!r} does not exist")
            self._state.set_robot(full_name, secret, project=project, permissions=permissions)
            self._state.save()
        return full_name

    def create_project(self, name: str, *, public: bool = False) -> None:
        """Create a project owned by the admin (`library` exists from the start, public).

        Raises:
            ValueError: The name is not a valid project name, or the project exists.
        """
        with self._state.lock:
            admin = min((u for u in self._state.users.values() if u.admin), key=lambda u: u.user_id)
            self._state.add_project(name, public=public, owner=admin.username)
            self._state.save()

    def add_member(
        self, project: str, username: str, *, push: bool = True, role: str | None = None
    ) -> None:
        """Make a user a member of a project.

        Args:
            project: The project's name.
            username: The user.
            push: Without `role`: developer (pull and push) or guest (pull only).
            role: One of Harbor's role names, overriding `push`: `projectAdmin`,
                `maintainer`, `developer`, `guest` or `limitedGuest`.

        Raises:
            ValueError: The project or the user does not exist, or the role is unknown.
        """
        if role is not None and role not in Role.IDS:
            raise ValueError(f"unknown role {role!r}: expected one of {sorted(Role.IDS)}")
        with self._state.lock:
            found = self._state.projects.get(project)
            if found is None:
                raise ValueError(f"project {project!r} does not exist")
            if username not in self._state.users:
                raise ValueError(f"user {username!r} does not exist")
            found.members[username] = role or (Role.DEVELOPER if push else Role.GUEST)
            self._state.save()

    def finish_scan_all(self) -> bool:
        """Complete the running scan-all runs: every artifact is scanned successfully.

        A scan-all run (`POST /api/v2.0/system/scanAll/schedule` with type `Manual`, or
        `run_scheduled_scan_all`) covers every manifest in the registry and stays ongoing
        until this is called, or until it is stopped through the API.

        Returns:
            Whether a run was going on.
        """
        with self._state.lock:
            return finish_scan_all(self._state)

    def run_scheduled_scan_all(self) -> None:
        """Start a scan-all run as the schedule would (its metrics are `/scans/schedule/metrics`).

        Raises:
            ValueError: No scan-all schedule exists.
        """
        with self._state.lock:
            if self._state.scan_all_schedule is None:
                raise ValueError("no scan-all schedule exists")
            start_scan_all(self._state, "SCHEDULE")

    def expire_tokens(self) -> int:
        """Make every registry token issued so far invalid, as if each had expired.

        The registry then answers a request that carries one with its 401 challenge, and a
        client must get a new token: a way to test token renewal mid-run.

        Returns:
            How many tokens were issued since the previous call.
        """
        with self._state.lock:
            return self._authority.revoke_all()

    # -- serving -------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request: the single entry point of the emulator.

        Thread-safe: requests are answered one at a time.
        """
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = request.read()
        request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        call = Call(request, body, request_id)
        with self._state.lock:
            try:
                response = self._route(call)
            except Exception:
                _log.exception("emulator failed on %s %s", call.method, request.url)
                response = harbor_error(500, "UNKNOWN", "internal server error")
            self.requests.append(
                RecordedRequest(
                    method=call.method,
                    path=call.path,
                    query=request.url.query.decode("ascii", "replace"),
                    status=response.status_code,
                    request_id=request_id,
                )
            )
        response.headers["X-Request-Id"] = request_id
        if call.method == "HEAD" and response.content:
            response = httpx.Response(response.status_code, headers=response.headers)
        return response

    def _route(self, call: Call) -> httpx.Response:
        path = call.path
        for area in self._areas:
            if path.startswith(area.prefix) or path == area.prefix.rstrip("/"):
                return area.handle(call)
        return text_response(404, "404 page not found\n")

    def transport(self) -> httpx.MockTransport:
        """A transport that sends requests to `handle`, for `httpx.Client` or `AsyncClient`."""
        return httpx.MockTransport(self.handle)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve the emulator over HTTP/1.1 on a real socket while the context is open.

        Args:
            host: The address to bind.
            port: The port; 0 picks a free one.

        Returns:
            A context manager that yields the base URL (`http://127.0.0.1:PORT`) and stops the
            server, closing its connections, on exit.
        """
        return serve(self.handle, host, port)
