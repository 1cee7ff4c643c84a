"""Scanner registrations ("interrogation services") and each project's scanner.

Routes (under `/api/v2.0`), as Harbor's `scanner.go`, `project.go` and
`src/controller/scanner` behave:

* `GET /scanners` (paged, default 10; `name`, `description`, `url` fuzzy, `ex_name`, `ex_url`
  exact, or the same keys in `q`), `POST /scanners`, `GET/PUT/DELETE /scanners/{id}`,
  `PATCH /scanners/{id}` (`{"is_default": true}`), `POST /scanners/ping`,
  `GET /scanners/{id}/metadata`: system admins only.
* Registering checks the request (400: `missing registration name`, a URL that is not
  http(s) (`scanner registration validate: ...`), `auth type X is not supported` unless `auth` is
  `""`, `Basic`, `Bearer` or `APIKey`, `access_credential is required for auth type X`), refuses
  the reserved name `Trivy` (400), then pings the adapter, then stores it (409
  `registration name or url already exists`). The first registration becomes the default.
  URLs are stored trimmed, without a trailing `/`, with `http://` added when there is no scheme.
* The emulator has no adapters to talk to: a ping **succeeds** for any URL whose host does not
  end in `.invalid`, and fails like an unreachable adapter in Harbor (a plain error: 500)
  otherwise. A reachable adapter is a fake Trivy (`Aqua Security`, `v0.58.1`) that supports
  vulnerability and SBOM scans.
* Answers never show the credential (`access_credential` is always `""`). `capabilities` is
  present when the adapter answers.
* PUT is a full replacement: fields left out fall back to their defaults; an empty
  `access_credential` keeps the stored one while `auth` still needs one. Disabling the default
  registration is a plain error (500). PATCH with `is_default: false` does nothing; with `true`
  it marks the registration default (if it exists and is enabled) and unmarks every other one,
  so a bad uuid leaves the system without a default scanner.
* The built-in `Trivy` registration (`HarborEmulator(trivy=True)`) is immutable: PUT and DELETE
  are 403.
* `GET /projects/{p}/scanner`: the project's scanner, or the default; when the project's uuid
  no longer exists, the setting is dropped. With no scanner at all, 200 with an empty body.
  `PUT /projects/{p}/scanner` (`{"uuid"}`; project admins) does **not** check the uuid.
  `GET /projects/{p}/scanner/candidates` lists the registrations (paged).
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from typing import Any

import httpx

from harborsec.testing._access import (
    BOOL,
    STRING,
    format_time,
    location,
    read_body,
    require_authenticated,
    require_project,
    require_system,
)
from harborsec.testing._api import API_PREFIX, ApiError
from harborsec.testing._http import Call, Router, json_response
from harborsec.testing._paging import Exact, Fuzzy, Term, list_response, matches, parse_q
from harborsec.testing._state import ScannerRecord, State, hash_secret

__all__ = [
    "ADAPTER_METADATA",
    "PROJECT_SCANNER_KEY",
    "ScannersApi",
    "add_builtin_trivy",
    "default_scanner",
    "project_scanner",
    "render_scanner",
]

PROJECT_SCANNER_KEY = "projectScanner"
"""The project metadata key under which Harbor keeps a project's scanner uuid."""

_AUTH_TYPES = frozenset({"", "Basic", "Bearer", "APIKey"})
_RESERVED_NAMES = frozenset({"Trivy"})
_MIME_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]
ADAPTER_METADATA: dict[str, Any] = {
    "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "v0.58.1"},
    "capabilities": [
        {
            "type": "vulnerability",
            "consumes_mime_types": _MIME_TYPES,
            "produces_mime_types": ["application/vnd.security.vulnerability.report; version=1.1"],
        },
        {
            "type": "sbom",
            "consumes_mime_types": _MIME_TYPES,
            "produces_mime_types": ["application/vnd.security.sbom.report+json; version=1.0"],
        },
    ],
    "properties": {
        "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
        "harbor.scanner-adapter/registry-authorization-type": "Bearer",
    },
}
"""What every reachable adapter of the emulator answers to `GET /api/v1/metadata`."""

_REGISTRATION_FIELDS = {
    "name": STRING,
    "url": STRING,
    "description": STRING,
    "auth": STRING,
    "access_credential": STRING,
    "skip_certVerify": BOOL,
    "use_internal_addr": BOOL,
    "disabled": BOOL,
}


def _reachable(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".")
    return not (host == "invalid" or host.endswith(".invalid"))


def render_scanner(record: ScannerRecord) -> dict[str, Any]:
    """A `ScannerRegistration` as Harbor writes it (the credential is never shown)."""
    document: dict[str, Any] = {"uuid": record.uuid, "name": record.name}
    if record.description:
        document["description"] = record.description
    document.update(
        {
            "url": record.url,
            "disabled": record.disabled,
            "is_default": record.is_default,
            "auth": record.auth,
            "access_credential": "",
            "skip_certVerify": record.skip_cert_verify,
            "use_internal_addr": record.use_internal_addr,
            "create_time": format_time(record.create_time),
            "update_time": format_time(record.update_time),
        }
    )
    if _reachable(record.url):
        document["capabilities"] = {"support_vulnerability": True, "support_sbom": True}
    return document


def default_scanner(state: State) -> ScannerRecord | None:
    """The system default registration, if there is one."""
    return next((s for s in state.scanners.values() if s.is_default), None)


def project_scanner(state: State, project_metadata: dict[str, str]) -> ScannerRecord | None:
    """The scanner a project uses: its own (dropping a dangling setting), else the default."""
    chosen = project_metadata.get(PROJECT_SCANNER_KEY)
    if chosen:
        record = state.scanners.get(chosen)
        if record is not None:
            return record
        del project_metadata[PROJECT_SCANNER_KEY]
    return default_scanner(state)


def add_builtin_trivy(state: State) -> None:
    """Register Harbor's built-in, immutable Trivy (the default unless another one is)."""
    if any(s.immutable for s in state.scanners.values()):
        return
    now = time.time()
    record = ScannerRecord(
        uuid=str(uuid.uuid4()),
        name="Trivy",
        url="http://trivy-adapter:8080",
        description="The Trivy scanner adapter",
        use_internal_addr=True,
        immutable=True,
        is_default=default_scanner(state) is None,
        create_time=now,
        update_time=now,
    )
    state.scanners[record.uuid] = record


def _validate_url(raw: str) -> str:
    """Harbor's `ValidateHTTPURL`: trimmed, no trailing `/`, `http://` by default, http(s) only."""
    url = raw.strip(" ").rstrip("/")
    if not url:
        raise ApiError(400, "BAD_REQUEST", "scanner registration validate: empty string")
    if "://" not in url:
        url = "http://" + url
    scheme = url.split("://", 1)[0]
    if scheme not in ("http", "https"):
        raise ApiError(
            400, "BAD_REQUEST", f"scanner registration validate: invalid HTTP scheme: {scheme}"
        )
    return url


def _validate(name: str, url: str, auth: str, credential: str) -> str:
    """Harbor's `Registration.Validate`; return the normalised URL."""
    if not name:
        raise ApiError(400, "BAD_REQUEST", "missing registration name")
    url = _validate_url(url)
    if auth not in _AUTH_TYPES:
        raise ApiError(400, "BAD_REQUEST", f"auth type {auth} is not supported")
    if auth and not credential:
        raise ApiError(400, "BAD_REQUEST", f"access_credential is required for auth type {auth}")
    return url


def _ping(url: str) -> None:
    """Reach the adapter; an unreachable one fails with a plain error, as in Harbor (500)."""
    if not _reachable(url):
        raise ApiError(500, "UNKNOWN", "internal server error")


class ScannersApi:
    """The scanners area of the API (see the module docstring).

    Args:
        state: The emulator's state.
    """

    def __init__(self, state: State) -> None:
        self._state = state

    def register(self, router: Router) -> None:
        """Add this area's routes to `router`."""
        base = f"{API_PREFIX}/scanners"
        one = f"{base}/{{registration_id}}"
        router.add("GET", base, self._list)
        router.add("POST", base, self._create)
        router.add("POST", f"{base}/ping", self._ping)
        router.add("GET", one, self._get)
        router.add("PUT", one, self._update)
        router.add("DELETE", one, self._delete)
        router.add("PATCH", one, self._set_default)
        router.add("GET", f"{one}/metadata", self._metadata)
        project = f"{API_PREFIX}/projects/{{project_name_or_id}}/scanner"
        router.add("GET", project, self._get_project_scanner)
        router.add("PUT", project, self._set_project_scanner)
        router.add("GET", f"{project}/candidates", self._candidates)

    # -- helpers -------------------------------------------------------------------------------

    def _registration_body(self, call: Call, name: str) -> dict[str, Any]:
        body = read_body(call, name, struct="ScannerRegistrationReq", fields=_REGISTRATION_FIELDS)
        if not isinstance(body, dict):
            raise ApiError(
                400,
                "BAD_REQUEST",
                f'parsing {name} body from "" failed, because json: cannot unmarshal value into '
                "Go value of type models.ScannerRegistrationReq",
            )
        for required in ("name", "url"):
            if body.get(required) is None:
                raise ApiError(422, "UNPROCESSABLE_ENTITY", f"{required} in body is required")
        return body

    def _found(self, registration_id: str) -> ScannerRecord:
        record = self._state.scanners.get(registration_id)
        if record is None:
            raise ApiError(404, "NOT_FOUND", f"scanner {registration_id} not found")
        return record

    def _conflicts(self, record: ScannerRecord) -> None:
        for other in self._state.scanners.values():
            if other.uuid != record.uuid and (other.name == record.name or other.url == record.url):
                raise ApiError(409, "CONFLICT", "registration name or url already exists")

    def _filtered(self, call: Call) -> list[ScannerRecord]:
        terms: dict[str, Term] = parse_q(call)
        for key in ("name", "description", "url"):
            value = call.query.get(key)
            if value:
                terms[key] = Fuzzy(value)
        for key in ("ex_name", "ex_url"):
            value = call.query.get(key)
            if value:
                terms[key.removeprefix("ex_")] = Exact(value)
        selected = []
        for record in self._state.scanners.values():
            fields = {"name": record.name, "description": record.description, "url": record.url}
            if all(matches(fields[k], t) for k, t in terms.items() if k in fields):
                selected.append(record)
        return selected

    # -- registrations -------------------------------------------------------------------------

    def _list(self, call: Call) -> httpx.Response:
        require_system(call, "scanner", "list")
        return list_response(call, self._filtered(call), render_scanner)

    def _create(self, call: Call) -> httpx.Response:
        body = self._registration_body(call, "registration")
        require_system(call, "scanner", "create")
        name, auth = body.get("name") or "", body.get("auth") or ""
        credential = body.get("access_credential") or ""
        url = _validate(name, body.get("url") or "", auth, credential)
        if name in _RESERVED_NAMES:
            raise ApiError(
                400, "BAD_REQUEST", f'name "{name}" is reserved, please try a different name'
            )
        _ping(url)
        now = time.time()
        record = ScannerRecord(
            uuid=str(uuid.uuid4()),
            name=name,
            url=url,
            description=body.get("description") or "",
            auth=auth,
            credential_hash=hash_secret(credential, "scanner") if credential else "",
            skip_cert_verify=bool(body.get("skip_certVerify")),
            use_internal_addr=bool(body.get("use_internal_addr")),
            disabled=bool(body.get("disabled")),
            is_default=not self._state.scanners,
            create_time=now,
            update_time=now,
        )
        self._conflicts(record)
        self._state.scanners[record.uuid] = record
        self._state.save()
        return httpx.Response(201, headers={"Location": location("scanners", record.uuid)})

    def _get(self, call: Call) -> httpx.Response:
        require_system(call, "scanner", "read")
        return json_response(200, render_scanner(self._found(call.params["registration_id"])))

    def _update(self, call: Call) -> httpx.Response:
        body = self._registration_body(call, "registration")
        require_system(call, "scanner", "update")
        record = self._found(call.params["registration_id"])
        if record.immutable:
            raise ApiError(
                403,
                "FORBIDDEN",
                f"registration {record.name} is not allowed to update as it is immutable: "
                "scanner API: update",
            )
        name, auth = body.get("name") or "", body.get("auth") or ""
        credential = body.get("access_credential") or ""
        kept_credential = record.credential_hash if not credential and auth else ""
        url = _validate(name, body.get("url") or "", auth, credential or kept_credential)
        disabled = bool(body.get("disabled"))
        if record.is_default and disabled:
            # "default registration <uuid> can not be marked to deactivated": a plain error
            raise ApiError(500, "UNKNOWN", "internal server error")
        if name in _RESERVED_NAMES:
            raise ApiError(
                400, "BAD_REQUEST", f'name "{name}" is reserved, please try a different name'
            )
        updated = ScannerRecord(
            uuid=record.uuid,
            name=name,
            url=url,
            description=body.get("description") or "",
            auth=auth,
            credential_hash=(hash_secret(credential, "scanner") if credential else kept_credential),
            skip_cert_verify=bool(body.get("skip_certVerify")),
            use_internal_addr=bool(body.get("use_internal_addr")),
            disabled=disabled,
            is_default=record.is_default,
            create_time=record.create_time,
            update_time=time.time(),
        )
        self._conflicts(updated)
        self._state.scanners[record.uuid] = updated
        self._state.save()
        return httpx.Response(200)

    def _delete(self, call: Call) -> httpx.Response:
        require_system(call, "scanner", "delete")
        record = self._found(call.params["registration_id"])
        if record.immutable:
            raise ApiError(
                403,
                "FORBIDDEN",
                f"registration {record.name} is not allowed to delete as it is immutable: "
                "scanner API: delete",
            )
        del self._state.scanners[record.uuid]
        self._state.save()
        return json_response(200, render_scanner(record))

    def _set_default(self, call: Call) -> httpx.Response:
        body = read_body(call, "payload", struct="IsDefault", fields={"is_default": BOOL})
        require_system(call, "scanner", "update")
        if isinstance(body, dict) and body.get("is_default"):
            wanted = call.params["registration_id"]
            target = self._state.scanners.get(wanted)
            if target is not None and not target.disabled:
                target.is_default = True
            for record in self._state.scanners.values():
                if record.uuid != wanted and record.is_default:
                    record.is_default = False
            self._state.save()
        return httpx.Response(200)

    def _ping(self, call: Call) -> httpx.Response:
        body = self._registration_body(call, "settings")
        require_system(call, "scanner", "read")
        auth = body.get("auth") or ""
        url = _validate(
            body.get("name") or "", body.get("url") or "", auth, body.get("access_credential") or ""
        )
        _ping(url)
        return httpx.Response(200)

    def _metadata(self, call: Call) -> httpx.Response:
        require_system(call, "scanner", "read")
        registration_id = call.params["registration_id"]
        record = self._state.scanners.get(registration_id)
        if record is None:
            raise ApiError(404, "NOT_FOUND", f"registration {registration_id} not found")
        _ping(record.url)
        return json_response(200, ADAPTER_METADATA)

    # -- a project's scanner -------------------------------------------------------------------

    def _get_project_scanner(self, call: Call) -> httpx.Response:
        require_authenticated(call)
        project = require_project(self._state, call, "scanner", "read")
        had_setting = PROJECT_SCANNER_KEY in project.metadata
        record = project_scanner(self._state, project.metadata)
        if had_setting and PROJECT_SCANNER_KEY not in project.metadata:
            self._state.save()
        if record is None:
            return httpx.Response(200)
        return json_response(200, render_scanner(record))

    def _set_project_scanner(self, call: Call) -> httpx.Response:
        body = read_body(call, "payload", struct="ProjectScanner", fields={"uuid": STRING})
        if not isinstance(body, dict) or body.get("uuid") is None:
            raise ApiError(422, "UNPROCESSABLE_ENTITY", "payload.uuid in body is required")
        require_authenticated(call)
        project = require_project(self._state, call, "scanner", "create")
        if not body["uuid"]:
            raise ApiError(500, "UNKNOWN", "internal server error")  # "missing scanner UUID"
        project.metadata[PROJECT_SCANNER_KEY] = body["uuid"]
        self._state.save()
        return httpx.Response(200)

    def _candidates(self, call: Call) -> httpx.Response:
        require_authenticated(call)
        require_project(self._state, call, "scanner", "create")
        return list_response(call, self._filtered(call), render_scanner)
