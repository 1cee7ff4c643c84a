"""Scanners ("Interrogation Services"): registrations, and the scanner each project uses.

`registry.scanners` manages the scanner registrations of a Harbor instance (system admin), and
`project.scanner` picks the one a project uses. What Harbor does that this module takes care of
(harbor-api.md §12):

* `PUT /scanners/{id}` is a full replacement (a field left out falls back to its default), so
  `update_scanner` reads the registration first and sends it back with only the given changes;
* `auth` is `""`, `Basic`, `Bearer` or `APIKey` (the spec's `X-ScannerAdapter-API-Key` is
  refused), and needs a credential; both are checked before anything is sent;
* `PUT /projects/{p}/scanner` does not check the UUID (Harbor later drops the setting silently),
  so `set_project_scanner` looks the scanner up first.

Example:
    >>> from harborsec import Registry
    >>> from harborsec.testing import HarborEmulator
    >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...               transport=HarborEmulator().transport()) as registry:
    ...     scanner = registry.scanners.register(
    ...         "trivy-ha", "http://trivy.internal:8080", auth="Bearer", credential="t0k3n")
    ...     project = registry.create_project("team")
    ...     project.scanner.set("trivy-ha")
    ...     scanner.auth, scanner.is_default, project.scanner.get().name
    (<ScannerAuth.BEARER: 'Bearer'>, True, 'trivy-ha')
"""

from __future__ import annotations

import enum
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import cattrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import json_body, raise_for_status
from harborsec._core._paging import harbor_all_pages
from harborsec.errors import InvalidPolicyError, MalformedResponseError, NotFoundError
from harborsec.harbor._api import BY_NAME, api_url, optional_json, project_segment, structure

__all__ = [
    "Scanner",
    "ScannerAuth",
    "ScannerCapability",
    "ScannerMetadata",
    "delete_scanner",
    "get_project_scanner",
    "get_scanner",
    "list_scanners",
    "parse_metadata",
    "parse_scanner",
    "ping_scanner",
    "register_scanner",
    "scanner_candidates",
    "scanner_metadata",
    "set_default_scanner",
    "set_project_scanner",
    "update_scanner",
]


class ScannerAuth(enum.Enum):
    """How Harbor authenticates to a scanner adapter (`auth` of a registration)."""

    NONE = ""
    """No authentication."""
    BASIC = "Basic"
    """HTTP Basic; the credential is `user:password`."""
    BEARER = "Bearer"
    """A bearer token; the credential is the raw token."""
    API_KEY = "APIKey"
    """An API key sent in `X-ScannerAdapter-API-Key`; the credential is the raw key."""

    @classmethod
    def parse(cls, value: ScannerAuth | str | None) -> ScannerAuth:
        """The auth type for a member or a name, case-insensitively (`""` or `none`: NONE).

        Raises:
            InvalidPolicyError: Not an auth type Harbor accepts.

        Example:
            >>> ScannerAuth.parse("apikey")
            <ScannerAuth.API_KEY: 'APIKey'>
        """
        if isinstance(value, ScannerAuth):
            return value
        if value is None:
            return cls.NONE
        key = value.strip().lower().replace("-", "").replace("_", "")
        for member in cls:
            if key in (member.value.lower(), member.name.lower().replace("_", "")):
                return member
        hint = " (use APIKey: Harbor refuses the spec's wording)" if "apikey" in key else ""
        raise InvalidPolicyError(
            f"scanner auth {value!r} is not one of '', Basic, Bearer, APIKey{hint}"
        )


@attrs.frozen
class Scanner:
    """A scanner registration."""

    uuid: str
    """Harbor's identifier of the registration."""
    name: str
    """Its unique name."""
    url: str
    """The adapter's base URL."""
    description: str = ""
    """Free text."""
    auth: ScannerAuth = ScannerAuth.NONE
    """How Harbor authenticates to the adapter (the credential is never returned)."""
    skip_cert_verify: bool = False
    """Whether Harbor skips TLS verification of the adapter."""
    use_internal_address: bool = False
    """Whether the adapter pulls through Harbor's internal address."""
    disabled: bool = False
    """A disabled scanner is not used."""
    is_default: bool = False
    """Whether this is the system default scanner."""
    health: str | None = None
    """`healthy` or `unhealthy` when Harbor checked the adapter, else None."""
    adapter: str | None = None
    """The adapter's name, from its metadata."""
    vendor: str | None = None
    """The adapter's vendor."""
    version: str | None = None
    """The adapter's version."""
    capabilities: Mapping[str, bool] = attrs.field(factory=dict)
    """What it supports, such as `{"support_vulnerability": True, "support_sbom": True}`."""
    create_time: datetime | None = None
    """When it was registered."""
    update_time: datetime | None = None
    """When it was last changed."""


@attrs.frozen
class ScannerCapability:
    """One capability an adapter declares in its metadata."""

    type: str
    """`vulnerability` or `sbom`."""
    consumes_mime_types: tuple[str, ...] = ()
    """The artifact media types it scans."""
    produces_mime_types: tuple[str, ...] = ()
    """The report media types it produces."""


@attrs.frozen
class ScannerMetadata:
    """What a scanner adapter says about itself (`GET /scanners/{id}/metadata`)."""

    name: str | None
    """The scanner's name, such as `Trivy`."""
    vendor: str | None
    """Its vendor."""
    version: str | None
    """Its version."""
    capabilities: tuple[ScannerCapability, ...] = ()
    """Its capabilities."""
    properties: Mapping[str, str] = attrs.field(factory=dict)
    """Adapter properties (`harbor.scanner-adapter/...`)."""


def _check_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidPolicyError(f"scanner URL {url!r} must be an http:// or https:// URL")
    if len(url) > 512:
        raise InvalidPolicyError("a scanner URL has at most 512 characters")
    return url.strip()


def _check_settings(
    name: str, url: str, auth: ScannerAuth, credential: str | None, *, description: str = ""
) -> None:
    if not name.strip():
        raise InvalidPolicyError("a scanner needs a name")
    if len(name) > 128:
        raise InvalidPolicyError("a scanner name has at most 128 characters")
    if len(description) > 1024:
        raise InvalidPolicyError("a scanner description has at most 1024 characters")
    _check_url(url)
    if auth is ScannerAuth.NONE and credential:
        raise InvalidPolicyError("a credential was given but auth is NONE: set auth as well")
    if credential is not None and len(credential) > 512:
        raise InvalidPolicyError("a scanner credential has at most 512 characters")
    if credential and auth is ScannerAuth.BASIC and ":" not in credential:
        raise InvalidPolicyError("a Basic credential is 'user:password'")


def _settings_body(
    name: str, url: str, auth: ScannerAuth, credential: str | None
) -> dict[str, Any]:
    return {
        "name": name,
        "url": url.strip(),
        "auth": auth.value,
        "access_credential": credential or "",
    }


# -- wire format ---------------------------------------------------------------------------------


@attrs.define
class _WireScanner:
    uuid: str
    name: str
    url: str = ""
    description: str | None = None
    auth: str | None = None
    access_credential: str | None = None
    skip_certVerify: bool | None = None
    use_internal_addr: bool | None = None
    disabled: bool | None = None
    is_default: bool | None = None
    health: str | None = None
    adapter: str | None = None
    vendor: str | None = None
    version: str | None = None
    capabilities: dict[str, Any] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@attrs.define
class _WireScannerInfo:
    name: str | None = None
    vendor: str | None = None
    version: str | None = None


@attrs.define
class _WireCapability:
    type: str | None = None
    consumes_mime_types: list[str] | None = None
    produces_mime_types: list[str] | None = None


@attrs.define
class _WireMetadata:
    scanner: _WireScannerInfo | None = None
    capabilities: list[_WireCapability] | None = None
    properties: dict[str, str] | None = None


def parse_scanner(data: Any, *, converter: cattrs.Converter | None = None) -> Scanner:
    """Read a `ScannerRegistration` JSON object.

    Args:
        data: The parsed JSON.
        converter: The converter to use (tests pass a strict one).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    wire: _WireScanner = structure(data, _WireScanner, "scanner registration", converter)
    try:
        auth = ScannerAuth.parse(wire.auth or "")
    except InvalidPolicyError as exc:
        raise MalformedResponseError(
            f"unexpected scanner registration from Harbor: {exc}"
        ) from None
    return Scanner(
        uuid=wire.uuid,
        name=wire.name,
        url=wire.url,
        description=wire.description or "",
        auth=auth,
        skip_cert_verify=bool(wire.skip_certVerify),
        use_internal_address=bool(wire.use_internal_addr),
        disabled=bool(wire.disabled),
        is_default=bool(wire.is_default),
        health=wire.health or None,
        adapter=wire.adapter or None,
        vendor=wire.vendor or None,
        version=wire.version or None,
        capabilities={
            key: value
            for key, value in (wire.capabilities or {}).items()
            if isinstance(value, bool)
        },
        create_time=wire.create_time,
        update_time=wire.update_time,
    )


def parse_metadata(data: Any, *, converter: cattrs.Converter | None = None) -> ScannerMetadata:
    """Read a `ScannerAdapterMetadata` JSON object.

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    wire: _WireMetadata = structure(data, _WireMetadata, "scanner metadata", converter)
    info = wire.scanner or _WireScannerInfo()
    return ScannerMetadata(
        name=info.name,
        vendor=info.vendor,
        version=info.version,
        capabilities=tuple(
            ScannerCapability(
                type=capability.type or "",
                consumes_mime_types=tuple(capability.consumes_mime_types or ()),
                produces_mime_types=tuple(capability.produces_mime_types or ()),
            )
            for capability in wire.capabilities or ()
        ),
        properties=dict(wire.properties or {}),
    )


# -- operations: registrations -------------------------------------------------------------------


def _scanners_url(base: httpx.URL, *rest: str) -> httpx.URL:
    return api_url(base, "scanners", *rest)


def _uuid_segment(uuid: str) -> str:
    if not uuid:
        raise ValueError("empty scanner id")
    return urllib.parse.quote(uuid, safe="")


def list_scanners(base: httpx.URL) -> Op[list[Scanner]]:
    """Every scanner registration (all pages)."""
    return (yield from harbor_all_pages(_scanners_url(base), parse_scanner))


def get_scanner(base: httpx.URL, uuid: str) -> Op[Scanner]:
    """One scanner registration by UUID."""
    response = yield httpx.Request("GET", _scanners_url(base, _uuid_segment(uuid)))
    raise_for_status(response)
    return parse_scanner(json_body(response))


def register_scanner(
    base: httpx.URL,
    name: str,
    url: str,
    *,
    auth: ScannerAuth | str = ScannerAuth.NONE,
    credential: str | None = None,
    description: str = "",
    skip_cert_verify: bool = False,
    use_internal_address: bool = False,
    disabled: bool = False,
) -> Op[Scanner]:
    """Validate and register a scanner, then read it back.

    Raises:
        InvalidPolicyError: A setting is invalid (nothing is sent).
    """
    kind = ScannerAuth.parse(auth)
    _check_settings(name, url, kind, credential, description=description)
    if kind is not ScannerAuth.NONE and not credential:
        raise InvalidPolicyError(f"auth {kind.value} needs a credential")
    if name == "Trivy":
        raise InvalidPolicyError("the scanner name 'Trivy' is reserved by Harbor")
    body = {
        **_settings_body(name, url, kind, credential),
        "description": description,
        "skip_certVerify": skip_cert_verify,
        "use_internal_addr": use_internal_address,
        "disabled": disabled,
    }
    response = yield httpx.Request("POST", _scanners_url(base), json=body)
    raise_for_status(response)
    uuid = response.headers.get("Location", "").rstrip("/").rpartition("/")[2]
    if not uuid:
        for scanner in (yield from list_scanners(base)):
            if scanner.name == name:
                return scanner
        raise MalformedResponseError("Harbor registered the scanner but did not say where")
    return (yield from get_scanner(base, urllib.parse.unquote(uuid)))


def update_scanner(
    base: httpx.URL,
    uuid: str,
    *,
    name: str | None = None,
    url: str | None = None,
    auth: ScannerAuth | str | None = None,
    credential: str | None = None,
    description: str | None = None,
    skip_cert_verify: bool | None = None,
    use_internal_address: bool | None = None,
    disabled: bool | None = None,
) -> Op[Scanner]:
    """Change some settings of a registration: read it, merge, send it whole, read it back.

    A credential left out is kept by Harbor as long as the auth type does not change.

    Raises:
        InvalidPolicyError: A setting is invalid, or the auth type changes without a new
            credential (nothing is sent).
    """
    new_auth = ScannerAuth.parse(auth) if auth is not None else None
    current = yield from get_scanner(base, uuid)
    kind = new_auth if new_auth is not None else current.auth
    merged_name = current.name if name is None else name
    merged_url = current.url if url is None else url
    merged_description = current.description if description is None else description
    _check_settings(merged_name, merged_url, kind, credential, description=merged_description)
    if kind is not ScannerAuth.NONE and not credential and kind is not current.auth:
        raise InvalidPolicyError(
            f"changing auth from {current.auth.name} to {kind.name} needs the new credential"
        )
    body = {
        **_settings_body(merged_name, merged_url, kind, credential),
        "description": merged_description,
        "skip_certVerify": current.skip_cert_verify
        if skip_cert_verify is None
        else skip_cert_verify,
        "use_internal_addr": (
            current.use_internal_address if use_internal_address is None else use_internal_address
        ),
        "disabled": current.disabled if disabled is None else disabled,
    }
    target = _scanners_url(base, _uuid_segment(uuid))
    response = yield httpx.Request("PUT", target, json=body)
    raise_for_status(response)
    return (yield from get_scanner(base, uuid))


def ping_scanner(
    base: httpx.URL,
    url: str,
    *,
    auth: ScannerAuth | str = ScannerAuth.NONE,
    credential: str | None = None,
    name: str = "harborsec-ping",
) -> Op[None]:
    """Ask Harbor to reach an adapter with these settings.

    Raises:
        InvalidPolicyError: A setting is invalid (nothing is sent).
    """
    kind = ScannerAuth.parse(auth)
    _check_settings(name, url, kind, credential)
    if kind is not ScannerAuth.NONE and not credential:
        raise InvalidPolicyError(f"auth {kind.value} needs a credential")
    body = _settings_body(name, url, kind, credential)
    response = yield httpx.Request("POST", _scanners_url(base, "ping"), json=body)
    raise_for_status(response)


def set_default_scanner(base: httpx.URL, uuid: str) -> Op[None]:
    """Make a registration the system default."""
    url = _scanners_url(base, _uuid_segment(uuid))
    response = yield httpx.Request("PATCH", url, json={"is_default": True})
    raise_for_status(response)


def delete_scanner(base: httpx.URL, uuid: str) -> Op[Scanner]:
    """Delete a registration; returns it as it was."""
    response = yield httpx.Request("DELETE", _scanners_url(base, _uuid_segment(uuid)))
    raise_for_status(response)
    return parse_scanner(json_body(response))


def scanner_metadata(base: httpx.URL, uuid: str) -> Op[ScannerMetadata]:
    """What the adapter of a registration says about itself."""
    url = _scanners_url(base, _uuid_segment(uuid), "metadata")
    response = yield httpx.Request("GET", url)
    raise_for_status(response)
    return parse_metadata(json_body(response))


# -- operations: the project's scanner -----------------------------------------------------------


def _project_scanner_url(base: httpx.URL, project: str, *rest: str) -> httpx.URL:
    return api_url(base, "projects", project_segment(project), "scanner", *rest)


def get_project_scanner(base: httpx.URL, project: str) -> Op[Scanner | None]:
    """The scanner a project uses (its own, else the default); None when there is none."""
    response = yield httpx.Request("GET", _project_scanner_url(base, project), headers=BY_NAME)
    raise_for_status(response)
    data = optional_json(response)
    return None if data is None else parse_scanner(data)


def scanner_candidates(base: httpx.URL, project: str) -> Op[list[Scanner]]:
    """The registrations a project may use (all pages)."""
    url = _project_scanner_url(base, project, "candidates")
    return (yield from harbor_all_pages(url, parse_scanner, headers=BY_NAME))


def set_project_scanner(base: httpx.URL, project: str, scanner: Scanner | str) -> Op[None]:
    """Make a project use a scanner, given as a `Scanner`, a UUID or a name.

    The scanner is looked up among the project's candidates first: Harbor saves any UUID and
    silently falls back to the default scanner when it does not exist.

    Raises:
        NotFoundError: No candidate scanner has that UUID or name (nothing is changed).
    """
    wanted = scanner.uuid if isinstance(scanner, Scanner) else scanner
    candidates = yield from scanner_candidates(base, project)
    found = [c for c in candidates if c.uuid == wanted] or [
        c for c in candidates if c.name == wanted
    ]
    url = _project_scanner_url(base, project)
    if not found:
        raise NotFoundError(
            f"no scanner {wanted!r} among the {len(candidates)} registrations project "
            f"{project!r} can use (nothing was changed)",
            status_code=404,
            method="PUT",
            url=str(url),
        )
    response = yield httpx.Request("PUT", url, json={"uuid": found[0].uuid}, headers=BY_NAME)
    raise_for_status(response)
