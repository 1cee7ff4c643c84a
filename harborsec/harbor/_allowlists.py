"""CVE allowlists: the model, id checks, edits, and the system allowlist's operations.

A project's own allowlist is read and written through the project (`_project_allowlist.py`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

import attrs
import cattrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import NOT_GIVEN, NotGiven, json_body, raise_for_status
from harborsec._core._steps import sleep
from harborsec.errors import ConcurrentUpdateError, InvalidPolicyError, MalformedResponseError
from harborsec.harbor._api import api_url, structure

__all__ = [
    "WRITE_ATTEMPTS",
    "CveAllowlist",
    "Edit",
    "EffectiveAllowlist",
    "adding",
    "allowlist_body",
    "edit_system_allowlist",
    "expiring",
    "get_system_allowlist",
    "holds",
    "normalize_cve_ids",
    "parse_allowlist",
    "removing",
    "replace_system_allowlist",
    "replacing",
    "rewrite_allowlist",
    "to_allowlist",
]

S = TypeVar("S")

WRITE_ATTEMPTS = 4
"""How many times an allowlist edit is written before `ConcurrentUpdateError` (see
`rewrite_allowlist`)."""

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


def _stored_form(allowlist: CveAllowlist) -> tuple[frozenset[str], int | None]:
    expiry = allowlist.expires_at
    return frozenset(allowlist.items), None if expiry is None else int(expiry.timestamp())


def holds(edit: Edit, stored: CveAllowlist) -> bool:
    """Whether `stored` already is what `edit` asks for, as Harbor stores it.

    Harbor keeps whole seconds of the expiry, and the order of the ids does not matter to it.

    Example:
        >>> holds(adding(["CVE-2024-3094"]), CveAllowlist(("CVE-2024-3094", "CVE-2023-44487")))
        True
        >>> holds(removing(["CVE-2024-3094"]), CveAllowlist(("CVE-2024-3094",)))
        False
    """
    return _stored_form(edit(stored)) == _stored_form(stored)


def rewrite_allowlist(
    read: Callable[[], Op[S]],
    allowlist_of: Callable[[S], CveAllowlist],
    write: Callable[[CveAllowlist], Op[Any]],
    edit: Edit,
    *,
    needs_current: bool,
    what: str,
    settled: Callable[[S], bool] = lambda state: True,
) -> Op[S]:
    """Read, edit and write an allowlist back, and check by reading again that the edit stuck.

    Harbor has no compare-and-set: two clients that read the same list and each write back their
    edit lose one of the edits. So every write is read back; when the edit is not in what Harbor
    stored (another writer's older version replaced it), the edit is made again on the stored
    content, up to `WRITE_ATTEMPTS` writes with a short random pause, then
    `ConcurrentUpdateError`. Nothing is written when the current content already is what the
    edit asks for. (The facades also serialize this process's edits of one list, so that its own
    tasks and threads never race each other; this check is for other clients.)

    What this cannot see: another client writing an older version after the read-back. No
    client of Harbor can prevent that; `docs/security.md` says so.

    Args:
        read: An operation that reads the state that holds the list.
        allowlist_of: The list in that state.
        write: An operation that writes a list.
        edit: From the current list to the wanted one.
        needs_current: Whether `edit` reads the current list (otherwise it is not read first).
        what: What is edited, for the error message.
        settled: Whether the rest of the state is as wanted too (checked with the list).

    Returns:
        The state read back after the write (or before, when no write was needed).

    Raises:
        ConcurrentUpdateError: The edit was overwritten after each of its writes.
    """
    current = CveAllowlist()
    if needs_current:
        state = yield from read()
        current = allowlist_of(state)
        if holds(edit, current) and settled(state):
            return state
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        yield from write(edit(current))
        state = yield from read()
        current = allowlist_of(state)
        if holds(edit, current) and settled(state):
            return state
        if attempt < WRITE_ATTEMPTS:
            yield from sleep(0.05 * attempt * (0.5 + random.random()))  # noqa: S311 - jitter
    raise ConcurrentUpdateError(
        f"the {what} was changed by another writer after each of {WRITE_ATTEMPTS} writes, so "
        "the edit may not be in place: read it again, and look for the other client editing it",
        what=what,
        attempts=WRITE_ATTEMPTS,
    )


def get_system_allowlist(base: httpx.URL) -> Op[CveAllowlist]:
    """`GET /system/CVEAllowlist`."""
    response = yield httpx.Request("GET", api_url(base, "system", "CVEAllowlist"))
    raise_for_status(response)
    return parse_allowlist(json_body(response))


def edit_system_allowlist(
    base: httpx.URL, edit: Edit, *, needs_current: bool = True
) -> Op[CveAllowlist]:
    """Rewrite the system allowlist: read it, edit it, `PUT /system/CVEAllowlist`, read back.

    The read-back is checked, and the edit made again if another writer overwrote it (see
    `rewrite_allowlist`).

    Raises:
        ForbiddenError: The account is not a system administrator.
        ConcurrentUpdateError: Another writer kept overwriting the edit.
    """

    def write(wanted: CveAllowlist) -> Op[None]:
        body = allowlist_body(wanted.items, wanted.expires_at)
        response = yield httpx.Request("PUT", api_url(base, "system", "CVEAllowlist"), json=body)
        raise_for_status(response)

    return (
        yield from rewrite_allowlist(
            lambda: get_system_allowlist(base),
            lambda stored: stored,
            write,
            edit,
            needs_current=needs_current,
            what="system CVE allowlist",
        )
    )


def replace_system_allowlist(
    base: httpx.URL, items: Iterable[str], expires_at: datetime | NotGiven | None = NOT_GIVEN
) -> Op[CveAllowlist]:
    """Replace the system allowlist's items (and its expiry, when given); ids checked first."""
    edit, needs_current = replacing(items, expires_at)
    return (yield from edit_system_allowlist(base, edit, needs_current=needs_current))
