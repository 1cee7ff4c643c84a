"""CVE allowlists: the model, id checks, edits, and the system allowlist's operations.

A project's own allowlist is read and written through the project (`_project_allowlist.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, Literal

import attrs
import cattrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import NOT_GIVEN, NotGiven, json_body, raise_for_status
from harborsec.errors import InvalidPolicyError, MalformedResponseError
from harborsec.harbor._api import api_url, structure

__all__ = [
    "CveAllowlist",
    "Edit",
    "EffectiveAllowlist",
    "adding",
    "allowlist_body",
    "edit_system_allowlist",
    "expiring",
    "get_system_allowlist",
    "normalize_cve_ids",
    "parse_allowlist",
    "removing",
    "replace_system_allowlist",
    "replacing",
    "to_allowlist",
]

_CVE_ID = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}")  # ASCII digits only, not \d
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


def _short(value: object) -> str:
    if isinstance(value, int) and abs(value) >= 10**100:
        return f"(a {value.bit_length()}-bit integer)"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}..."


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


def to_allowlist(wire: _WireAllowlist | None) -> CveAllowlist:
    if wire is None:
        return CveAllowlist()
    items = [item.cve_id for item in wire.items or () if item.cve_id]
    expires = None
    if wire.expires_at is not None:
        try:
            expires = datetime.fromtimestamp(wire.expires_at, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # past year 9999, or the platform's range
            raise MalformedResponseError(
                f"unexpected CVE allowlist from Harbor: expires_at {_short(wire.expires_at)} is "
                "not a time"
            ) from None
    return CveAllowlist(items=tuple(items), expires_at=expires)


def parse_allowlist(data: Any, *, converter: cattrs.Converter | None = None) -> CveAllowlist:
    """Read a `CVEAllowlist` JSON object.

    Args:
        data: The parsed JSON.
        converter: The converter to use (tests pass a strict one).

    Raises:
        MalformedResponseError: The object does not have the expected shape.
    """
    return to_allowlist(structure(data, _WireAllowlist, "CVE allowlist", converter))


def allowlist_body(items: tuple[str, ...], expires_at: datetime | None) -> dict[str, Any]:
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
    body = allowlist_body(wanted.items, wanted.expires_at)
    url = api_url(base, "system", "CVEAllowlist")
    response = yield httpx.Request("PUT", url, json=body)
    raise_for_status(response)
    return (yield from get_system_allowlist(base))


def replace_system_allowlist(
    base: httpx.URL, items: Iterable[str], expires_at: datetime | NotGiven | None = NOT_GIVEN
) -> Op[CveAllowlist]:
    """Replace the system allowlist's items (and its expiry, when given); ids checked first."""
    edit, needs_current = replacing(items, expires_at)
    return (yield from edit_system_allowlist(base, edit, needs_current=needs_current))
