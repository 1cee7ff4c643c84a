r"""Tag immutability: the rules API, Harbor's matcher, and its own doublestar globs.

Routes (under `/api/v2.0/projects/{project_name_or_id}`), as Harbor's `immutable.go` and
`src/pkg/immutable` behave:

* `GET .../immutabletagrules`: paged (default `page_size` 10), sorted by id.
* `POST .../immutabletagrules`: 201, `Location: <request path>/<id>`. **Nothing is validated**:
  any kind, decoration or pattern is stored. The stored rule is the JSON body (as Harbor's
  `model.Metadata` marshals it again), unique per project: an identical body is a 409
  `immutable rule already exists`. The rule starts enabled whatever `disabled` says (the stored
  JSON keeps what was sent). There is no limit of 15 rules.
* `PUT .../immutabletagrules/{id}`: the body's `id` must equal the path's (400 otherwise, checked
  before anything else). When the body's `disabled` differs from the stored one, **only** the
  toggle is applied and every other change in the body is discarded.
* `DELETE .../immutabletagrules/{id}`: 404 when the rule belongs to another project.

The matcher (Harbor's `src/pkg/immutable/match/rule/match.go`) walks the enabled rules in id
order; a rule applies when its **first** `scope_selectors.repository` selector selects the
repository name **without** the project, and its **first** tag selector selects the tag. An
empty pattern matches everything. Decorations: `matches`/`excludes` (tags), `repoMatches`/
`repoExcludes` (repository), `nsMatches`/`nsExcludes` (never select here: Harbor leaves the
namespace empty); the `label` kind has `withLabels`/`withoutLabels` (tags have no labels here).
A rule with an unknown kind or decoration, or a malformed pattern, makes the evaluation fail; as
Harbor's tag controller logs that failure and goes on, the tag is then simply **not**
immutable, and rules after the failing one are never consulted.

The registry enforces the result (`immutable_tag`): pushing a manifest over an **existing** tag
that is immutable is a 412 `PRECONDITION` `Failed to process request due to '<repo>:<tag>'
configured as immutable.` (`<repo>` without the project), and so is deleting a manifest that
carries an immutable tag.

`doublestar_match` follows bmatcuk/doublestar v1.3 (what Harbor vendors): `*` and `?` do not
cross `/`; `**` as a whole path component matches any number of components (as part of a
component it is a `*`; as the first thing in a `{...}` alternative it is too); `[...]` and
`[^...]` classes with ranges; `{a,b}` alternatives, nested, which may contain `/`; `\` escapes
the next character. One difference: a malformed pattern (unclosed `[` or `{`, empty class) is
refused as a whole here, while doublestar only notices when matching reaches the bad part.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from harborsec.testing._access import (
    BOOL,
    INT,
    NULLABLE_STRING,
    OBJECT,
    read_body,
    require_project,
)
from harborsec.testing._api import API_PREFIX, ApiError
from harborsec.testing._http import Call, Router, parse_int
from harborsec.testing._paging import list_response
from harborsec.testing._state import ImmutableRuleRecord, Project, State

__all__ = [
    "EvaluationError",
    "ImmutabilityApi",
    "PatternError",
    "doublestar_match",
    "evaluate_rules",
    "immutable_tag",
]

_SEAM = "\x00"
"""Marks, in an expanded pattern, where a `{...}` alternative began."""
_MAX_EXPANSIONS = 4096

_DOUBLESTAR_DECORATIONS = frozenset(
    {"matches", "excludes", "repoMatches", "repoExcludes", "nsMatches", "nsExcludes"}
)
_LABEL_DECORATIONS = frozenset({"withLabels", "withoutLabels"})

_RULE_FIELDS = {
    "id": INT,
    "priority": INT,
    "disabled": BOOL,
    "action": NULLABLE_STRING,
    "template": NULLABLE_STRING,
    "params": OBJECT,
    "scope_selectors": OBJECT,
}
_SELECTOR_KEYS = ("kind", "decoration", "pattern", "extras")


class PatternError(ValueError):
    """A doublestar pattern is malformed (doublestar's `ErrBadPattern`)."""


class EvaluationError(Exception):
    """Harbor could not evaluate a rule: unknown kind or decoration, or a bad pattern."""


# -- doublestar -----------------------------------------------------------------------------------


def _closing_brace(text: str, start: int) -> tuple[list[str], int]:
    """The alternatives of the group opening at `text[start] == "{"`, and the index of its `}`."""
    depth = 0
    options: list[str] = []
    begin = start + 1
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                options.append(text[begin:index])
                return options, index
        elif char == "," and depth == 1:
            options.append(text[begin:index])
            begin = index + 1
        index += 1
    raise PatternError(f"unclosed '{{' in pattern {text!r}")


def _expand(text: str) -> list[str]:
    """Expand the first `{...}` group (and, recursively, the rest), marking where options begin."""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            options, end = _closing_brace(text, index)
            prefix, suffix = text[:index], text[end + 1 :]
            expanded: list[str] = []
            for option in options:
                expanded.extend(prefix + tail for tail in _expand(_SEAM + option + suffix))
                if len(expanded) > _MAX_EXPANSIONS:
                    raise PatternError("too many alternatives")
            return expanded
        index += 1
    return [text]


def _split_components(text: str) -> list[str]:
    """Split on `/`, except escaped ones."""
    components = [""]
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            components[-1] += text[index : index + 2]
            index += 2
            continue
        if char == "/":
            components.append("")
        else:
            components[-1] += char
        index += 1
    return components


def _class(text: str, start: int) -> tuple[str, int]:
    """Translate the class opening at `text[start] == "["`; return the regex and the next index."""
    index = start + 1
    body: list[str] = []
    while index < len(text) and text[index] != "]":
        if text[index] == "\\":
            if index + 1 >= len(text):
                raise PatternError("trailing '\\' in a character class")
            body.append(text[index : index + 2])
            index += 2
            continue
        body.append(text[index])
        index += 1
    if index >= len(text):
        raise PatternError("unclosed '[' in pattern")
    if not body:
        raise PatternError("empty character class")
    negated = body[0] == "^"
    items = body[1:] if negated else body
    parts: list[str] = []
    position = 0
    while position < len(items):
        low = items[position]
        if low == "-":
            raise PatternError("a range has no lower bound")
        position += 1
        low_char = low[-1]
        high_char = low_char
        if position < len(items) and items[position] == "-":
            position += 1
            if position >= len(items) or items[position] == "-":
                raise PatternError("a range has no upper bound")
            high_char = items[position][-1]
            position += 1
        parts.append(
            re.escape(low_char)
            if low_char == high_char
            else f"{re.escape(low_char)}-{re.escape(high_char)}"
        )
    if negated:
        return f"[^/{''.join(parts)}]", index + 1
    return f"(?!/)[{''.join(parts)}]", index + 1


def _component(text: str) -> str:
    """Translate one path component (no globstar) into a regex."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == _SEAM:
            index += 1
        elif char == "\\":
            if index + 1 >= len(text):
                raise PatternError("trailing '\\' in pattern")
            escaped = text[index + 1]
            out.append("(?!)" if escaped == "/" else re.escape(escaped))
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            regex, index = _class(text, index)
            out.append(regex)
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


def _compile_expanded(text: str) -> str:
    components = _split_components(text)
    out: list[str] = []
    for position, component in enumerate(components):
        last = position == len(components) - 1
        # `**` is a globstar only as a whole component that no alternative began in or around
        if component == "**":
            out.append(".*" if last else "(?:[^/]*/)*")
            continue
        out.append(_component(component))
        if not last:
            out.append("/")
    return "".join(out)


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(_compile_expanded(text), re.DOTALL) for text in _expand(pattern))


def doublestar_match(pattern: str, name: str) -> bool:
    """Whether `name` matches the doublestar `pattern` (see the module docstring).

    Raises:
        PatternError: The pattern is malformed.
    """
    return any(regex.fullmatch(name) for regex in _compile(pattern))


# -- Harbor's selectors and matcher ----------------------------------------------------------------


def _pattern_selects(pattern: str, value: str) -> bool:
    if not pattern:
        return True
    try:
        return doublestar_match(pattern, value)
    except PatternError as error:
        raise EvaluationError(str(error)) from None


def _selects(selector: Mapping[str, Any], repository: str, tag: str) -> bool:
    """Whether one selector selects `repository:tag` (Harbor's `index.Get`, then `Select`)."""
    kind = selector.get("kind") or ""
    decoration = selector.get("decoration") or ""
    pattern = selector.get("pattern") or ""
    if not kind or not decoration:
        raise EvaluationError("empty selector kind or decoration")
    if kind == "label":
        if decoration not in _LABEL_DECORATIONS:
            raise EvaluationError(f"decoration {decoration} of selector {kind} is not supported")
        wanted = [label.strip() for label in pattern.split(",") if label.strip()]
        return not wanted if decoration == "withLabels" else True
    if kind != "doublestar":
        raise EvaluationError(f"selector {kind} is not registered")
    if decoration not in _DOUBLESTAR_DECORATIONS:
        raise EvaluationError(f"decoration {decoration} of selector {kind} is not supported")
    if decoration == "matches":
        return _pattern_selects(pattern, tag)
    if decoration == "excludes":
        return not _pattern_selects(pattern, tag)
    if decoration.startswith("ns"):
        return False  # the candidate's namespace is empty: nothing to match
    matched = _pattern_selects(pattern, repository)
    return matched if decoration == "repoMatches" else not matched


def evaluate_rules(rules: Iterable[Mapping[str, Any]], repository: str, tag: str) -> bool:
    """Whether any rule makes `repository:tag` immutable (`repository` without the project).

    `rules` are rule documents (`disabled`, `tag_selectors`, `scope_selectors`) in id order.

    Raises:
        EvaluationError: A rule reached before a match cannot be evaluated.
    """
    for rule in rules:
        if rule.get("disabled"):
            continue
        scope = (rule.get("scope_selectors") or {}).get("repository") or []
        if not scope or not _selects(scope[0] or {}, repository, tag):
            continue
        tag_selectors = rule.get("tag_selectors") or []
        if tag_selectors and _selects(tag_selectors[0] or {}, repository, tag):
            return True
    return False


def _rule_document(record: ImmutableRuleRecord) -> dict[str, Any]:
    """A stored rule as Harbor reads it back: the stored JSON, with the id and toggle columns."""
    document: dict[str, Any] = json.loads(record.tag_filter)
    document["id"] = record.id
    document["disabled"] = record.disabled
    return document


def _project_rules(state: State, project_id: int) -> list[ImmutableRuleRecord]:
    return sorted(
        (r for r in state.immutable_rules.values() if r.project_id == project_id),
        key=lambda r: r.id,
    )


def immutable_tag(state: State, repository: str, tag: str) -> bool:
    """Whether the tag `tag` of `repository` (`project/...`) is immutable, as Harbor reports it.

    An evaluation failure (see `evaluate_rules`) is logged by Harbor and means "not immutable".
    """
    project = state.project_of(repository)
    if project is None:
        return False
    rules = [_rule_document(r) for r in _project_rules(state, project.project_id)]
    try:
        return evaluate_rules(rules, repository.split("/", 1)[1], tag)
    except EvaluationError:
        return False


# -- the API -------------------------------------------------------------------------------------


def _check_selectors(value: Any, path: str) -> None:
    """go-swagger's binding of a selector list: objects with string fields (else 400)."""
    prefix = 'parsing ImmutableRule body from "" failed, because json: cannot unmarshal '
    if value is None:
        return
    if not isinstance(value, list):
        raise ApiError(
            400, "BAD_REQUEST", f"{prefix}value into Go struct field {path} of type array"
        )
    for selector in value:
        if selector is None:
            continue
        if not isinstance(selector, dict):
            raise ApiError(
                400, "BAD_REQUEST", f"{prefix}value into Go value of type ImmutableSelector"
            )
        for key in _SELECTOR_KEYS:
            if selector.get(key) is not None and not isinstance(selector[key], str):
                raise ApiError(
                    400,
                    "BAD_REQUEST",
                    f"{prefix}value into Go struct field ImmutableSelector.{key} of type string",
                )


def _selector(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {key: value.get(key) or "" for key in _SELECTOR_KEYS}


def _stored_json(body: Mapping[str, Any], project_id: int) -> str:
    """What Harbor stores for a rule body: its `model.Metadata` marshalled (Go's field order)."""
    scope = body.get("scope_selectors")
    document = {
        "id": body.get("id") or 0,
        "project_id": project_id,
        "disabled": bool(body.get("disabled")),
        "priority": body.get("priority") or 0,
        "action": body.get("action") or "",
        "template": body.get("template") or "",
        "params": body.get("params") or None,
        "tag_selectors": (
            None
            if body.get("tag_selectors") is None
            else [_selector(s) for s in body["tag_selectors"]]
        ),
        "scope_selectors": (
            None
            if scope is None
            else {
                key: None if selectors is None else [_selector(s) for s in selectors]
                for key, selectors in sorted(scope.items())
            }
        ),
    }
    return json.dumps(document, separators=(",", ":"))


def _render_selector(selector: Mapping[str, Any] | None) -> dict[str, str]:
    selector = selector or {}
    return {key: selector[key] for key in ("kind", "decoration", "pattern") if selector.get(key)}


def render_rule(record: ImmutableRuleRecord) -> dict[str, Any]:
    """An `ImmutableRule` as Harbor lists it (go-swagger drops empty fields)."""
    rule = _rule_document(record)
    document: dict[str, Any] = {"id": record.id}
    if record.disabled:
        document["disabled"] = True
    if rule.get("priority"):
        document["priority"] = rule["priority"]
    for key in ("action", "template"):
        if rule.get(key):
            document[key] = rule[key]
    if rule.get("params"):
        document["params"] = rule["params"]
    document["tag_selectors"] = [_render_selector(s) for s in rule.get("tag_selectors") or []]
    scope = rule.get("scope_selectors") or {}
    if scope:
        document["scope_selectors"] = {
            key: [_render_selector(s) for s in selectors or []] for key, selectors in scope.items()
        }
    return document


class ImmutabilityApi:
    """The immutable tag rules area of the API (see the module docstring).

    Args:
        state: The emulator's state.
    """

    def __init__(self, state: State) -> None:
        self._state = state

    def register(self, router: Router) -> None:
        """Add this area's routes to `router`."""
        base = f"{API_PREFIX}/projects/{{project_name_or_id}}/immutabletagrules"
        router.add("GET", base, self._list)
        router.add("POST", base, self._create)
        router.add("PUT", f"{base}/{{immutable_rule_id}}", self._update)
        router.add("DELETE", f"{base}/{{immutable_rule_id}}", self._delete)

    def _project(self, call: Call, action: str) -> Project:
        project = require_project(self._state, call, "immutable-tag", action)
        return project

    def _read_rule(self, call: Call) -> dict[str, Any]:
        body = read_body(call, "ImmutableRule", struct="ImmutableRule", fields=_RULE_FIELDS)
        if not isinstance(body, dict):
            raise ApiError(
                400,
                "BAD_REQUEST",
                'parsing ImmutableRule body from "" failed, because json: cannot unmarshal '
                "value into Go value of type models.ImmutableRule",
            )
        _check_selectors(body.get("tag_selectors"), "ImmutableRule.tag_selectors")
        for key, selectors in (body.get("scope_selectors") or {}).items():
            _check_selectors(selectors, f"ImmutableRule.scope_selectors.{key}")
        return body

    @staticmethod
    def _rule_id(call: Call) -> int:
        raw = call.params["immutable_rule_id"]
        number = parse_int(raw) if re.fullmatch(r"[+-]?[0-9]+", raw) else None
        if number is None or not -(2**63) <= number < 2**63:
            raise ApiError(
                422,
                "UNPROCESSABLE_ENTITY",
                f'immutable_rule_id in path must be of type int64: "{raw}"',
            )
        return number

    def _owned_rule(self, project: Project, rule_id: int) -> ImmutableRuleRecord:
        record = self._state.immutable_rules.get(rule_id)
        if record is None:
            raise ApiError(404, "NOT_FOUND", f"immutable rule {rule_id} not found")
        if record.project_id != project.project_id:
            raise ApiError(404, "NOT_FOUND", f"project id {project.project_id} does not match")
        return record

    def _list(self, call: Call) -> httpx.Response:
        project = self._project(call, "list")
        return list_response(call, _project_rules(self._state, project.project_id), render_rule)

    def _create(self, call: Call) -> httpx.Response:
        body = self._read_rule(call)
        project = self._project(call, "create")
        stored = _stored_json(body, project.project_id)
        for record in _project_rules(self._state, project.project_id):
            if record.tag_filter == stored:
                raise ApiError(409, "CONFLICT", "immutable rule already exists")
        record = ImmutableRuleRecord(
            self._state.next_id("immutable_rule"), project.project_id, False, stored
        )
        self._state.immutable_rules[record.id] = record
        self._state.save()
        return httpx.Response(201, headers={"Location": f"{call.path.rstrip('/')}/{record.id}"})

    def _update(self, call: Call) -> httpx.Response:
        body = self._read_rule(call)
        rule_id = self._rule_id(call)
        if (body.get("id") or 0) != rule_id:
            raise ApiError(
                400,
                "BAD_REQUEST",
                "the immutable_rule_id doesn't match the id in the payload body of ImmutableRule",
            )
        project = self._project(call, "update")
        record = self._owned_rule(project, rule_id)
        disabled = bool(body.get("disabled"))
        if disabled != record.disabled:
            record.disabled = disabled  # the toggle alone: the rest of the body is dropped
        else:
            record.tag_filter = _stored_json(body, project.project_id)
        self._state.save()
        return httpx.Response(200)

    def _delete(self, call: Call) -> httpx.Response:
        rule_id = self._rule_id(call)
        project = self._project(call, "delete")
        self._owned_rule(project, rule_id)
        del self._state.immutable_rules[rule_id]
        self._state.save()
        return httpx.Response(200)
