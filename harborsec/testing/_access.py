"""What the `/api/v2.0` handlers share: who may do what, request bodies, and Harbor's JSON.

Access checks follow Harbor's `BaseAPI` (`src/server/v2.0/handler/base.go`):

* `RequireProjectAccess`: a project named in the path is an ID when the segment is all digits,
  unless `X-Is-Resource-Name: true` says it is a name. A project addressed by **name** that does
  not exist fails the permission check, so every authenticated caller, the system admin
  included, gets `403` (anonymous callers `401`). One addressed by **ID** that does not exist
  gives the admin a `404` (the admin passes every check) and everyone else a `403`.
* `RequireSystemAccess`: a system-level permission; `401` when anonymous, else `403`.

Bodies are checked the way go-swagger binds them, before the handler runs: a missing required
body is `422 <name> in body is required`; a body that is not JSON, or has a value of the wrong
JSON type, is `400 parsing <name> body from "" failed, because ...`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from harborsec.testing._api import API_PREFIX, ApiError
from harborsec.testing._auth import can_in_project, can_in_system
from harborsec.testing._http import Call, loads_json, parse_int
from harborsec.testing._state import Project, State

__all__ = [
    "BOOL",
    "INT",
    "NULLABLE_BOOL",
    "NULLABLE_INT",
    "NULLABLE_STRING",
    "OBJECT",
    "STRING",
    "ZERO_TIME",
    "FieldKind",
    "format_time",
    "location",
    "project_key",
    "read_body",
    "require_authenticated",
    "require_project",
    "require_system",
]

ZERO_TIME = "0001-01-01T00:00:00.000Z"
"""How Harbor writes a time it never set (Go's zero `time.Time`)."""

_TRUE_HEADER = frozenset({"true", "1", "t"})


def format_time(timestamp: float | None) -> str:
    """A Unix time as Harbor writes it: UTC, milliseconds, `Z` (the zero time for None)."""
    if timestamp is None:
        return ZERO_TIME
    moment = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def require_authenticated(call: Call) -> None:
    """Refuse anonymous callers.

    Raises:
        ApiError: 401.
    """
    if not call.principal.authenticated:
        raise ApiError(401, "UNAUTHORIZED", "unauthorized")


def require_system(call: Call, resource: str, action: str) -> None:
    """Require a system-level permission (Harbor's `RequireSystemAccess`).

    Raises:
        ApiError: 401 when anonymous, 403 without the permission.
    """
    if can_in_system(call.principal, resource, action):
        return
    require_authenticated(call)
    raise ApiError(403, "FORBIDDEN", "forbidden")


def project_key(call: Call, param: str = "project_name_or_id") -> int | str:
    """The project a path names: an ID (all digits, no `X-Is-Resource-Name: true`) or a name."""
    value = call.params[param]
    by_name = call.headers.get("x-is-resource-name", "").lower() in _TRUE_HEADER
    if not by_name and value.isascii() and value.isdigit():
        number = parse_int(value)
        if number < 2**63:  # else Harbor's ParseInt fails: the segment is a name
            return number
    return value


def require_project(
    state: State, call: Call, resource: str, action: str, *, key: int | str | None = None
) -> Project:
    """The project the path names, if the caller may do `action` on its `resource`.

    Args:
        state: The emulator's state.
        call: The request.
        resource: `project` (the project itself), `metadata`, `immutable-tag`, `scanner`...
        action: `read`, `create`, `update`, `delete`, `list`...
        key: The project's ID or name; by default, from the path (see `project_key`).

    Raises:
        ApiError: 401, 403 or 404, as Harbor decides them (see the module docstring).
    """
    if key is None:
        key = project_key(call)
    project = state.project_by_id(key) if isinstance(key, int) else state.projects.get(key)
    if project is not None and can_in_project(call.principal, project, resource, action):
        return project
    is_admin = call.principal.kind == "user" and call.principal.admin
    if project is None and isinstance(key, int) and is_admin:
        raise ApiError(404, "NOT_FOUND", f"project {key} not found")
    require_authenticated(call)
    raise ApiError(403, "FORBIDDEN", "forbidden")


class FieldKind:
    """The JSON type a body field must have (go-swagger's binding), and its Go type name."""

    def __init__(self, go_type: str, json_types: tuple[type, ...], *, nullable: bool) -> None:
        self.go_type = go_type
        self.json_types = json_types
        self.nullable = nullable

    def accepts(self, value: Any) -> bool:
        """Whether `value` (parsed JSON) binds to this kind."""
        if value is None:
            return True  # JSON null leaves a Go field at its zero value
        if isinstance(value, bool):
            return bool in self.json_types
        return isinstance(value, self.json_types)


STRING = FieldKind("string", (str,), nullable=False)
NULLABLE_STRING = FieldKind("string", (str,), nullable=True)
BOOL = FieldKind("bool", (bool,), nullable=False)
NULLABLE_BOOL = FieldKind("bool", (bool,), nullable=True)
INT = FieldKind("int64", (int,), nullable=False)
NULLABLE_INT = FieldKind("int64", (int,), nullable=True)
OBJECT = FieldKind("map[string]interface {}", (dict,), nullable=True)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def read_body(
    call: Call,
    name: str,
    *,
    required: bool = True,
    struct: str = "",
    fields: Mapping[str, FieldKind] | None = None,
    nested: Mapping[str, tuple[str, Mapping[str, FieldKind]]] | None = None,
    values: FieldKind | None = None,
) -> Any:
    """Parse a JSON request body as go-swagger binds it.

    Args:
        call: The request.
        name: The body parameter's name in the spec (it appears in errors).
        required: Whether the spec requires the body.
        struct: The Go type of the body, for error messages.
        fields: Kinds of top-level fields of an object body; other fields pass unchecked.
        nested: For object-valued fields: their Go type and their fields' kinds.
        values: For a map body (`additionalProperties`): the kind of every value.

    Returns:
        The parsed body (None when absent and not required).

    Raises:
        ApiError: 422 when a required body is missing; 400 when it is not JSON or a field has
            the wrong JSON type.
    """
    if not call.body.strip():
        if required:
            raise ApiError(422, "UNPROCESSABLE_ENTITY", f"{name} in body is required")
        return None
    prefix = f'parsing {name} body from "" failed, because '
    try:
        document = loads_json(call.body)
    except ValueError as error:
        raise ApiError(400, "BAD_REQUEST", f"{prefix}{error}") from None

    def wrong(value: Any, path: str, kind: FieldKind) -> ApiError:
        return ApiError(
            400,
            "BAD_REQUEST",
            f"{prefix}json: cannot unmarshal {_json_type(value)} into Go struct field "
            f"{path} of type {kind.go_type}",
        )

    def check_object(obj: Any, go_type: str, path: str, kinds: Mapping[str, FieldKind]) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            raise ApiError(
                400,
                "BAD_REQUEST",
                f"{prefix}json: cannot unmarshal {_json_type(obj)} into Go value of type "
                f"models.{go_type}",
            )
        for key, kind in kinds.items():
            if key in obj and not kind.accepts(obj[key]):
                raise wrong(obj[key], f"{path}.{key}" if path else f"{go_type}.{key}", kind)

    if values is not None:
        if not isinstance(document, dict):
            raise ApiError(
                400,
                "BAD_REQUEST",
                f"{prefix}json: cannot unmarshal {_json_type(document)} into Go value of type "
                f"map[string]{values.go_type}",
            )
        for value in document.values():
            if value is not None and not values.accepts(value):
                raise ApiError(
                    400,
                    "BAD_REQUEST",
                    f"{prefix}json: cannot unmarshal {_json_type(value)} into Go value of type "
                    f"{values.go_type}",
                )
        return document
    check_object(document, struct, "", fields or {})
    for key, (go_type, kinds) in (nested or {}).items():
        if isinstance(document, dict) and key in document:
            check_object(document[key], go_type, f"{struct}.{key}", kinds)
    return document


def location(*segments: object) -> str:
    """An API path under `/api/v2.0` (for `Location` headers)."""
    return API_PREFIX + "".join(f"/{segment}" for segment in segments)
