"""Harbor REST API helpers shared by every Harbor operation: URLs, headers and the converter.

Pure functions only. Paths are under `/api/v2.0`; project names are addressed with
`X-Is-Resource-Name: true` (Harbor reads an all-digit segment as an ID otherwise), and
repository names are encoded twice (`a/b` -> `a%252Fb`), since Harbor's nginx decodes once
before core decodes again (harbor-pitfalls #1).
"""

from __future__ import annotations

import itertools
import urllib.parse
from datetime import datetime, timezone
from typing import Any, TypeVar

import cattrs
import httpx

from harborsec._core._http import json_body, with_path
from harborsec.errors import MalformedResponseError

T = TypeVar("T")

__all__ = [
    "API_PREFIX",
    "BY_NAME",
    "api_url",
    "make_harbor_converter",
    "optional_json",
    "structure",
    "project_segment",
    "repository_segment",
]

API_PREFIX = "/api/v2.0"
"""The prefix of Harbor's REST API."""

BY_NAME = {"X-Is-Resource-Name": "true"}
"""Headers for requests that address a project by name (names such as `123` are valid)."""


def project_segment(name: str) -> str:
    """A project name as one path segment (percent-encoded once)."""
    if not name:
        raise ValueError("empty project name")
    return urllib.parse.quote(name, safe="")


def repository_segment(name: str) -> str:
    """A repository name (without its project) as one path segment: encoded twice.

    Example:
        >>> repository_segment("team/app")
        'team%252Fapp'
    """
    if not name:
        raise ValueError("empty repository name")
    return urllib.parse.quote(urllib.parse.quote(name, safe=""), safe="")


def api_url(base: httpx.URL, *segments: str) -> httpx.URL:
    """`<base>/api/v2.0/<segments...>`; segments must already be encoded (see the helpers above).

    Example:
        >>> str(api_url(httpx.URL("https://h.test"), "projects", project_segment("a b")))
        'https://h.test/api/v2.0/projects/a%20b'
    """
    path = base.path.rstrip("/") + API_PREFIX + "".join(f"/{s}" for s in segments)
    return with_path(base, path)


def _structure_datetime(value: object, _: object) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if not isinstance(value, str):
        raise TypeError(f"expected a date-time, got {value!r}")
    text = value.replace("Z", "+00:00")
    if "." in text:  # Go writes 1 to 9 fractional digits; Python 3.10 reads exactly 3 or 6
        head, _, tail = text.partition(".")
        digits = "".join(itertools.takewhile(str.isdigit, tail))
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits) :]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _structure_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TypeError(f"expected a boolean, got {value!r}")


def make_harbor_converter(*, strict: bool = False) -> cattrs.Converter:
    """The converter between Harbor JSON (snake_case) and harborsec models.

    Args:
        strict: Refuse unknown keys (tests); at run time Harbor's extra fields are ignored.
    """
    converter = cattrs.Converter(forbid_extra_keys=strict)
    converter.register_structure_hook(datetime, _structure_datetime)
    # cattrs' default would read the string "false" as True
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
    return converter


_CONVERTER = make_harbor_converter()


def structure(data: Any, cls: type[T], what: str, converter: cattrs.Converter | None = None) -> T:
    """Read Harbor JSON into a model, turning any mismatch into `MalformedResponseError`.

    Args:
        data: The parsed JSON.
        cls: The model class.
        what: What it is, for the message ("project", "scanner registration"...).
        converter: Another converter (tests pass a strict one).
    """
    try:
        result: T = (converter or _CONVERTER).structure(data, cls)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as exc:
        raise MalformedResponseError(f"unexpected {what} from Harbor: {exc}") from None
    return result


def optional_json(response: httpx.Response) -> Any:
    """The JSON body, or None for an empty one (go-swagger writes nothing for a nil payload)."""
    return json_body(response) if response.content.strip() else None
