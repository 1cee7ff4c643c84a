"""Check JSON bodies against Harbor's OpenAPI spec (Swagger 2.0), for tests.

The spec is ``tests/data/spec/harbor-swagger.yaml``, an unmodified copy of Harbor's
``api/v2.0/swagger.yaml`` (``tests/data/README.md`` says which revision). Its schemas are turned
into JSON Schema (draft 4):

* ``$ref`` s stay references into the spec's ``definitions``, which travel with every schema;
* ``x-nullable: true`` allows ``null``; anything else does not (go-swagger only writes
  ``null`` for pointer fields, which is what ``x-nullable`` declares);
* strict mode (the default) refuses properties a schema does not declare, unless it says
  ``additionalProperties``: go-swagger only serialises declared fields, so an extra field in
  an emulator answer is a bug, and one in an SDK request would be dropped by Harbor;
* ``type: file`` accepts anything, and vendor extensions and examples are ignored.

Example::

    validate_response("GET", "/systeminfo", 200, response.json())
    validate_request_body("POST", "/projects", {"project_name": "demo"})
    validate_definition("Errors", body)  # for an answer the spec does not document

They raise AssertionError naming the operation (or definition) and every mismatch, one per line.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import yaml

from tests._data import HARBOR_SPEC

__all__ = [
    "API_BASE_PATH",
    "SpecCheckedTransport",
    "documented_statuses",
    "load_spec",
    "request_body_schema",
    "response_schema",
    "template_for",
    "validate_definition",
    "validate_request_body",
    "validate_response",
]

API_BASE_PATH = "/api/v2.0"

_IGNORED_KEYS = frozenset(
    {"example", "discriminator", "readOnly", "xml", "externalDocs", "description", "title"}
)
_CHILD_SCHEMA_KEYS = frozenset({"items", "additionalProperties", "not"})
_SCHEMA_MAP_KEYS = frozenset({"properties", "patternProperties", "definitions"})
_SCHEMA_LIST_KEYS = frozenset({"allOf", "anyOf", "oneOf"})


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec (cached; do not modify it)."""
    with HARBOR_SPEC.open(encoding="utf-8") as file:
        spec: dict[str, Any] = yaml.safe_load(file)
    return spec


def _convert(schema: Any, *, strict: bool) -> Any:
    """Turn one Swagger 2.0 schema into a JSON Schema (draft 4) schema."""
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:  # draft 4 ignores a $ref's siblings; keep only nullability
        converted: dict[str, Any] = {"$ref": schema["$ref"]}
    else:
        converted = {}
        for key, value in schema.items():
            if key.startswith("x-") or key in _IGNORED_KEYS:
                continue
            if key == "type" and value == "file":
                continue
            if key in _SCHEMA_MAP_KEYS:
                converted[key] = {k: _convert(v, strict=strict) for k, v in value.items()}
            elif key in _CHILD_SCHEMA_KEYS:
                converted[key] = _convert(value, strict=strict)
            elif key in _SCHEMA_LIST_KEYS:
                # Members of a composition cannot each forbid the others' properties.
                converted[key] = [_convert(v, strict=False) for v in value]
            else:
                converted[key] = value
        is_object = converted.get("type") == "object" or "properties" in converted
        composed = any(key in converted for key in _SCHEMA_LIST_KEYS)
        if strict and is_object and not composed and "additionalProperties" not in converted:
            converted["additionalProperties"] = False
    if schema.get("x-nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.cache
def _definitions(strict: bool) -> dict[str, Any]:
    definitions = load_spec().get("definitions", {})
    return {name: _convert(schema, strict=strict) for name, schema in definitions.items()}


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a `#/responses/...` or `#/parameters/...` reference (not a schema one)."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target: Any = load_spec()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return _resolve(target)


def _operation(method: str, path_template: str) -> tuple[dict[str, Any], list[Any]]:
    """The operation object and the path item's own parameters."""
    paths = load_spec()["paths"]
    path = path_template.removeprefix(API_BASE_PATH) or "/"
    item = paths.get(path)
    if item is None:
        raise AssertionError(f"{path_template} is not a path of the Harbor spec")
    operation = item.get(method.lower())
    if operation is None:
        documented = sorted(m.upper() for m in item if m != "parameters")
        raise AssertionError(f"{method.upper()} {path} is not in the spec (it has {documented})")
    return operation, item.get("parameters", [])


def documented_statuses(method: str, path_template: str) -> list[str]:
    """The response codes the spec documents for an operation (`"200"`, ..., `"default"`)."""
    operation, _ = _operation(method, path_template)
    return sorted(operation.get("responses", {}))


def response_schema(
    method: str, path_template: str, status: int, *, strict: bool = True
) -> dict[str, Any] | None:
    """The JSON Schema of a response body, or None when the spec gives the response no body.

    Raises:
        AssertionError: The operation, or this status for it, is not in the spec.
    """
    operation, _ = _operation(method, path_template)
    responses = operation.get("responses", {})
    response = responses.get(str(status), responses.get("default"))
    if response is None:
        raise AssertionError(
            f"{method.upper()} {path_template}: status {status} is not documented "
            f"(documented: {sorted(responses)})"
        )
    schema = _resolve(response).get("schema")
    if schema is None:
        return None
    return {"definitions": _definitions(strict), "allOf": [_convert(schema, strict=strict)]}


def request_body_schema(
    method: str, path_template: str, *, strict: bool = True
) -> tuple[dict[str, Any], bool] | None:
    """The JSON Schema of an operation's body and whether it is required, or None if it has none.

    Raises:
        AssertionError: The operation is not in the spec.
    """
    operation, path_parameters = _operation(method, path_template)
    for parameter in [*path_parameters, *operation.get("parameters", [])]:
        parameter = _resolve(parameter)
        if parameter.get("in") == "body":
            schema = {
                "definitions": _definitions(strict),
                "allOf": [_convert(parameter.get("schema", {}), strict=strict)],
            }
            return schema, bool(parameter.get("required", False))
    return None


def _check(schema: dict[str, Any], document: Any, what: str) -> None:
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    lines = []
    for error in errors:
        lines.append(f"  - {error.json_path}: {error.message}")
        lines.extend(f"      {sub.json_path}: {sub.message}" for sub in error.context or ())
    raise AssertionError(f"{what} does not match the Harbor spec:\n" + "\n".join(lines))


def validate_response(
    method: str, path_template: str, status: int, json_body: Any, *, strict: bool = True
) -> None:
    """Check a response body against the spec.

    Args:
        method: The HTTP method.
        path_template: The spec's path (`/projects/{project_name}`), with or without `/api/v2.0`.
        status: The response status code.
        json_body: The parsed JSON body (or the text, for `text/plain` answers such as ping's);
            None for an empty body (always accepted for HEAD).
        strict: Refuse properties the spec does not declare.

    Raises:
        AssertionError: The body does not match, or the operation or status is not documented.
    """
    what = f"{method.upper()} {path_template} {status} response body"
    schema = response_schema(method, path_template, status, strict=strict)
    if method.upper() == "HEAD" and json_body in (None, ""):
        return  # a HEAD answer never has a body, whatever the spec says it would hold
    if schema is None:
        if json_body not in (None, ""):
            raise AssertionError(f"{what}: the spec documents no body, got {json_body!r}")
        return
    _check(schema, json_body, what)


def validate_definition(name: str, json_body: Any, *, strict: bool = True) -> None:
    """Check a body against one of the spec's `definitions` (for answers it does not document).

    Raises:
        AssertionError: The body does not match, or there is no such definition.
    """
    definitions = _definitions(strict)
    if name not in definitions:
        raise AssertionError(f"{name} is not a definition of the Harbor spec")
    schema = {"definitions": definitions, "allOf": [{"$ref": f"#/definitions/{name}"}]}
    _check(schema, json_body, f"{name} body")


def validate_request_body(
    method: str, path_template: str, json_body: Any, *, strict: bool = True
) -> None:
    """Check a request body against the spec's `in: body` parameter.

    Args:
        method: The HTTP method.
        path_template: The spec's path, with or without `/api/v2.0`.
        json_body: The parsed JSON body, or None when there is none.
        strict: Refuse properties the spec does not declare.

    Raises:
        AssertionError: The body does not match, is missing but required, or is present but the
            operation takes none.
    """
    what = f"{method.upper()} {path_template} request body"
    found = request_body_schema(method, path_template, strict=strict)
    if found is None:
        if json_body is not None:
            raise AssertionError(f"{what}: the spec documents no body, got {json_body!r}")
        return
    schema, required = found
    if json_body is None:
        if required:
            raise AssertionError(f"{what}: the body is required")
        return
    _check(schema, json_body, what)


def template_for(method: str, raw_path: str) -> str | None:
    """The spec path template a concrete `/api/v2.0/...` path (still percent-encoded) matches.

    Literal segments win over `{parameters}` (so `/scanners/ping` is not `/scanners/{id}`); paths
    outside `/api/v2.0`, and those the spec does not list for `method`, give None.
    """
    path = raw_path.split("?", 1)[0]
    if not path.startswith(API_BASE_PATH + "/"):
        return None
    segments = path.removeprefix(API_BASE_PATH).strip("/").split("/")
    best: tuple[int, str] | None = None
    for template, item in load_spec()["paths"].items():
        if method.lower() not in item:
            continue
        parts = template.strip("/").split("/")
        if len(parts) != len(segments):
            continue
        literal = 0
        for part, segment in zip(parts, segments):
            if part.startswith("{") and part.endswith("}"):
                if not segment:
                    break
            elif part != segment:
                break
            else:
                literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, template)
    return best[1] if best else None


def drive(op: Any, *answers: httpx.Response) -> tuple[Any, list[httpx.Request]]:
    """Run an operation (a generator of requests) against canned answers, in order.

    Returns its result and the requests it sent. Every request must be in the spec, with a body
    the spec accepts; every request that names a project must say it names it by name
    (`X-Is-Resource-Name: true`); every answer must be used.
    """
    sent: list[httpx.Request] = []
    queue = list(answers)
    try:
        request = next(op)
        while True:
            sent.append(request)
            body = json.loads(request.content) if request.content else None
            found = template_for(request.method, request.url.raw_path.decode())
            assert found is not None, f"{request.method} {request.url} is not in the spec"
            validate_request_body(request.method, found, body)
            if "/projects/" in request.url.path:
                assert request.headers["X-Is-Resource-Name"] == "true"
            assert queue, f"unexpected request {request.method} {request.url}"
            response = queue.pop(0)
            response.request = request
            request = op.send(response)
    except StopIteration as stop:
        assert not queue, f"{len(queue)} answers left"
        return stop.value, sent


class SpecCheckedTransport(httpx.MockTransport):
    """An in-process transport that checks every exchange against the spec; keeps the requests.

    For each `/api/v2.0` request: no cookie is sent (harbor-pitfalls #2), the JSON body
    validates against the operation's body schema, `page_size` is at most 100 (pitfall #4), and
    the answer validates against the documented response (or the `Errors` definition for the
    statuses Harbor answers without documenting them).

    Args:
        handle: The server, such as `HarborEmulator().handle`.
        require_documented: Fail on an `/api/v2.0` request the spec does not describe.
        check_answer: Called with the template and the JSON of every successful GET, to parse
            it further (for example with a strict converter).
    """

    def __init__(
        self,
        handle: Callable[[httpx.Request], httpx.Response],
        *,
        require_documented: bool = False,
        check_answer: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.seen: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []

        def handler(request: httpx.Request) -> httpx.Response:
            self.seen.append(request)
            assert "cookie" not in request.headers, "a cookie was sent (harbor-pitfalls #2)"
            raw_path = request.url.raw_path.decode()
            template = template_for(request.method, raw_path)
            if template is None:
                assert not (require_documented and raw_path.startswith(API_BASE_PATH)), (
                    f"{request.method} {raw_path} is not described by the spec"
                )
                response = handle(request)
                self.answers.append(response)
                return response
            if request.content:
                body = json.loads(request.content)
                validate_request_body(request.method, API_BASE_PATH + template, body)
            if "page_size" in request.url.params:
                assert 1 <= int(request.url.params["page_size"]) <= 100  # pitfall #4
            response = handle(request)
            response.read()
            answer = json.loads(response.content) if response.content.strip() else None
            status = response.status_code
            if answer is None and status == 200 and request.method == "GET":
                pass  # go-swagger writes nothing for a nil payload (no schedule, no scanner)
            elif status < 400 or str(status) in documented_statuses(request.method, template):
                validate_response(request.method, API_BASE_PATH + template, status, answer)
            else:
                validate_definition("Errors", answer)
            if check_answer is not None and status == 200 and request.method == "GET":
                check_answer(template, answer)
            self.answers.append(response)
            return response

        super().__init__(handler)

    def writes(self) -> list[httpx.Request]:
        """The requests that were not GET or HEAD."""
        return [r for r in self.seen if r.method not in ("GET", "HEAD")]
