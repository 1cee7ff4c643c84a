"""Tag immutability rules: the model, Harbor's matching, and a project's rule set.

A rule makes tags immutable: once pushed, a tag that the rule selects cannot be pushed over,
re-pointed or deleted (Harbor answers 412). A rule selects a tag when its repository pattern
selects the repository (matched **without** the project: `api/server`, not `team/api/server`)
and its tag pattern selects the tag; either pattern can be inverted (`exclude_*`). Patterns are
doublestar globs, evaluated by `doublestar_match` exactly
as Harbor does.

Harbor itself does not validate rules when it saves them (a bad pattern quietly stops the
evaluation of the project's rules, so that tags they should protect are not), accepts more than
the 15 rules its UI allows, and drops every edit sent in the same request as an enable/disable
toggle (harbor-pitfalls #10). This module validates on the client, enforces the limit by
default, and sends edits and toggles separately.

Example:
    >>> from harborsec import Registry
    >>> from harborsec.testing import HarborEmulator
    >>> rule = ImmutabilityRule(repositories="api/**", tags="v[0-9]*")
    >>> rule.matches("api/server", "v1.2.3"), rule.matches("api/server", "latest")
    (True, False)
    >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...               transport=HarborEmulator().transport()) as registry:
    ...     project = registry.create_project("team")
    ...     created = project.immutability.create(rule)
    ...     project.is_immutable("team/api/server", "v2.0.0")
    True
"""

from __future__ import annotations

import builtins
import enum
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import httpx

from harborsec._core._driver import Op
from harborsec._core._http import raise_for_status, safe_url
from harborsec._core._paging import harbor_all_pages
from harborsec.errors import InvalidPolicyError, MalformedResponseError, NotFoundError
from harborsec.harbor._api import BY_NAME, api_url, project_segment
from harborsec.harbor._doublestar import doublestar_match, validate_pattern

__all__ = [
    "MAX_RULES",
    "ImmutabilityRule",
    "RepositoryDecoration",
    "TagDecoration",
    "create_rule",
    "delete_rule",
    "is_immutable",
    "list_rules",
    "parse_rule",
    "rule_is_immutable",
    "rule_to_wire",
    "set_rule_disabled",
    "update_rule",
]

_log = logging.getLogger("harborsec")

MAX_RULES = 15
"""The most immutability rules Harbor's UI lets a project have (the API accepts more)."""

SELECTOR_KIND = "doublestar"
"""The only selector kind Harbor registers."""
ACTION = "immutable"
"""The `action` Harbor's UI stores (Harbor ignores it when matching)."""
TEMPLATE = "immutable_template"
"""The `template` Harbor's UI stores (Harbor ignores it when matching)."""

_NO_REPOSITORY_SELECTOR = "the rule has no repository selector, so Harbor never applies it"
_NO_TAG_SELECTOR = "the rule has no tag selector, so Harbor never applies it"
_NEVER_APPLIES = frozenset({_NO_REPOSITORY_SELECTOR, _NO_TAG_SELECTOR})


class TagDecoration(enum.Enum):
    """How a rule's tag pattern selects tags (the selector's `decoration`)."""

    MATCHES = "matches"
    """Tags that match the pattern."""
    EXCLUDES = "excludes"
    """Tags that do not match the pattern."""


class RepositoryDecoration(enum.Enum):
    """How a rule's repository pattern selects repositories (the selector's `decoration`)."""

    MATCHES = "repoMatches"
    """Repositories that match the pattern."""
    EXCLUDES = "repoExcludes"
    """Repositories that do not match the pattern."""


@attrs.frozen
class ImmutabilityRule:
    """One tag immutability rule of a project.

    Example:
        >>> rule = ImmutabilityRule(repositories="{api,web}", tags="latest",
        ...                         exclude_tags=True)
        >>> rule.matches("api", "v1"), rule.matches("api", "latest"), rule.matches("db", "v1")
        (True, False, False)
    """

    repositories: str = "**"
    """Doublestar pattern for repository names, **without** the project (`api/**`)."""
    tags: str = "**"
    """Doublestar pattern for tags (`v[0-9]*`, `{latest,stable}`)."""
    exclude_repositories: bool = False
    """Select the repositories that do *not* match (`repoExcludes`)."""
    exclude_tags: bool = False
    """Select the tags that do *not* match (`excludes`)."""
    disabled: bool = False
    """A disabled rule is kept but never applied."""
    id: int | None = None
    """Harbor's id for the rule; None for a rule not yet created."""
    priority: int = 0
    """Harbor's `priority` field (stored, not used for matching; the UI sends 0)."""
    problem: str | None = attrs.field(default=None, kw_only=True)
    """For a rule read from Harbor that this model cannot express (a selector missing, another
    kind or decoration): why, in words. Such a rule cannot be sent back; `matches` follows Harbor
    (never applies when a selector is missing, an error otherwise). None for normal rules."""

    @property
    def tag_decoration(self) -> TagDecoration:
        """The tag selector's decoration, as Harbor names it."""
        return TagDecoration.EXCLUDES if self.exclude_tags else TagDecoration.MATCHES

    @property
    def repository_decoration(self) -> RepositoryDecoration:
        """The repository selector's decoration, as Harbor names it."""
        return (
            RepositoryDecoration.EXCLUDES
            if self.exclude_repositories
            else (RepositoryDecoration.MATCHES)
        )

    def validate(self) -> None:
        """Check the rule before it is sent; Harbor would save it as is and fail later.

        Raises:
            InvalidPolicyError: A pattern is malformed (see
                `validate_pattern`), or the rule was read
                from Harbor in a shape this model cannot express.
        """
        location = f"immutability rule {self.id}" if self.id is not None else None
        if self.problem is not None:
            raise InvalidPolicyError(self.problem, location=location)
        try:
            validate_pattern(self.repositories, what="repository pattern")
            validate_pattern(self.tags, what="tag pattern")
        except InvalidPolicyError as exc:
            raise InvalidPolicyError(str(exc), location=location) from None

    def matches(self, repository: str, tag: str) -> bool:
        """Whether this rule makes `repository:tag` immutable, exactly as Harbor decides.

        Args:
            repository: The repository name **without** the project (`api/server`).
            tag: The tag.

        Returns:
            False for a disabled rule, an empty repository or tag (untagged artifacts never
            match), or a rule Harbor never applies; otherwise whether both selectors select.

        Raises:
            InvalidPolicyError: Harbor cannot evaluate this rule (a malformed pattern that
                matching reaches, or a selector it does not know); Harbor then treats the tag
                as not immutable (see `is_immutable`).
        """
        if self.disabled or not repository or not tag:
            return False
        location = f"immutability rule {self.id}" if self.id is not None else None
        if self.problem is not None:
            if self.problem in _NEVER_APPLIES:
                return False
            raise InvalidPolicyError(self.problem, location=location)
        try:
            if doublestar_match(self.repositories, repository) == self.exclude_repositories:
                return False
            return doublestar_match(self.tags, tag) != self.exclude_tags
        except InvalidPolicyError as exc:
            raise InvalidPolicyError(str(exc), location=location) from None


def is_immutable(rules: Iterable[ImmutabilityRule], repository: str, tag: str) -> bool:
    """Whether `rules` make `repository:tag` immutable, exactly as Harbor decides.

    Harbor evaluates the enabled rules in order and stops at the first that applies. When it
    reaches a rule it cannot evaluate (a malformed pattern, an unknown selector), it logs the
    error and treats the tag as **not** immutable, without looking at later rules; so does
    this function (and logs a warning on the `harborsec` logger). `validate()` catches such
    rules before they are saved.

    Args:
        rules: A project's rules, in Harbor's order (as `list()` returns them).
        repository: The repository name **without** the project.
        tag: The tag.

    Example:
        >>> is_immutable([ImmutabilityRule(tags="v*"), ImmutabilityRule(tags="stable")],
        ...              "api", "stable")
        True
        >>> is_immutable([ImmutabilityRule(tags="v[0-9"), ImmutabilityRule()], "api", "v1")
        False
    """
    for rule in rules:
        try:
            if rule.matches(repository, tag):
                return True
        except InvalidPolicyError as exc:
            _log.warning("Harbor cannot evaluate %s; it treats the tag as not immutable", exc)
            return False
    return False


# -- wire format ---------------------------------------------------------------------------------


def rule_to_wire(rule: ImmutabilityRule) -> dict[str, Any]:
    """The JSON body Harbor's UI sends for this rule (`ImmutableRule`); `id` only when set."""
    body: dict[str, Any] = {}
    if rule.id is not None:
        body["id"] = rule.id
    body.update(
        {
            "disabled": rule.disabled,
            "priority": rule.priority,
            "action": ACTION,
            "template": TEMPLATE,
            "tag_selectors": [
                {
                    "kind": SELECTOR_KIND,
                    "decoration": rule.tag_decoration.value,
                    "pattern": rule.tags,
                }
            ],
            "scope_selectors": {
                "repository": [
                    {
                        "kind": SELECTOR_KIND,
                        "decoration": rule.repository_decoration.value,
                        "pattern": rule.repositories,
                    }
                ]
            },
        }
    )
    return body


def _first_selector(value: Any, what: str) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise MalformedResponseError(f"immutability rule: {what} is not a list")
    if not value:
        return None
    first = value[0]
    if not isinstance(first, Mapping):
        raise MalformedResponseError(f"immutability rule: {what}[0] is not an object")
    return first


def _short(value: object) -> str:
    """`repr(value)` for a message: short, and never failing on a 5,000-digit integer."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"{value[:60]!r}..."
    if value is None or isinstance(value, bool) or (isinstance(value, int) and abs(value) < 2**64):
        return repr(value)
    return f"a JSON {type(value).__name__}"


def _pattern_problem(selector: Mapping[str, Any], what: str) -> str | None:
    pattern = selector.get("pattern")
    if pattern is None or isinstance(pattern, str):
        return None
    return f"the {what} selector's pattern is {_short(pattern)}, not a string"


def _pattern(selector: Mapping[str, Any]) -> str:
    pattern = selector.get("pattern")
    return pattern if isinstance(pattern, str) else ""


def _selector_problem(
    selector: Mapping[str, Any], what: str, allowed: builtins.list[str]
) -> str | None:
    kind, decoration = selector.get("kind"), selector.get("decoration")
    if kind != SELECTOR_KIND:
        return f"the {what} selector has kind {_short(kind)}; Harbor only knows {SELECTOR_KIND!r}"
    if decoration not in allowed:
        return (
            f"the {what} selector has decoration {_short(decoration)}, which harborsec does not "
            f"evaluate (expected one of {sorted(allowed)})"
        )
    return None


def parse_rule(data: Any) -> ImmutabilityRule:
    """A rule from Harbor's JSON (`ImmutableRule`), as Harbor's matcher reads it.

    Only the first tag selector and the first repository selector count (Harbor ignores the
    others). A rule in a shape the model cannot express gets `problem` set, rather than failing
    the listing, so that it can still be seen and deleted.

    Raises:
        MalformedResponseError: The JSON is not a rule object.
    """
    if not isinstance(data, Mapping):
        raise MalformedResponseError("an immutability rule is not a JSON object")
    rule_id = data.get("id")
    priority = data.get("priority") or 0
    if (rule_id is not None and not isinstance(rule_id, int)) or not isinstance(priority, int):
        raise MalformedResponseError("an immutability rule has a non-integer id or priority")
    scope = data.get("scope_selectors")
    if scope is None:
        scope = {}
    if not isinstance(scope, Mapping):
        raise MalformedResponseError("immutability rule: scope_selectors is not an object")
    repository = _first_selector(scope.get("repository"), "scope_selectors.repository")
    tag = _first_selector(data.get("tag_selectors"), "tag_selectors")
    problem: str | None = None
    if repository is None:
        problem = _NO_REPOSITORY_SELECTOR
    elif tag is None:
        problem = _NO_TAG_SELECTOR
    else:
        problem = _selector_problem(
            repository, "repository", [d.value for d in RepositoryDecoration]
        ) or _selector_problem(tag, "tag", [d.value for d in TagDecoration])
        problem = (
            problem or _pattern_problem(repository, "repository") or _pattern_problem(tag, "tag")
        )
    repository = repository or {}
    tag = tag or {}
    return ImmutabilityRule(
        repositories=_pattern(repository),
        tags=_pattern(tag),
        exclude_repositories=repository.get("decoration") == RepositoryDecoration.EXCLUDES.value,
        exclude_tags=tag.get("decoration") == TagDecoration.EXCLUDES.value,
        disabled=bool(data.get("disabled", False)),
        id=rule_id,
        priority=priority,
        problem=problem,
    )


# -- operations ----------------------------------------------------------------------------------


def _rules_url(base: httpx.URL, project: str, *rest: str) -> httpx.URL:
    return api_url(base, "projects", project_segment(project), "immutabletagrules", *rest)


def list_rules(base: httpx.URL, project: str) -> Op[list[ImmutabilityRule]]:
    """Every immutability rule of a project, in Harbor's order (by id), all pages."""
    return (yield from harbor_all_pages(_rules_url(base, project), parse_rule, headers=BY_NAME))


def _put(base: httpx.URL, project: str, rule: ImmutabilityRule) -> Op[None]:
    assert rule.id is not None
    url = _rules_url(base, project, str(rule.id))
    response = yield httpx.Request("PUT", url, json=rule_to_wire(rule), headers=BY_NAME)
    raise_for_status(response)


def _find(base: httpx.URL, project: str, rule_id: int, method: str) -> Op[ImmutabilityRule]:
    for rule in (yield from list_rules(base, project)):
        if rule.id == rule_id:
            return rule
    url = _rules_url(base, project, str(rule_id))
    raise NotFoundError(
        f"project {project!r} has no immutability rule {rule_id} (nothing was sent)",
        status_code=404,
        method=method,
        url=safe_url(url),
    )


def _created_id(response: httpx.Response) -> int | None:
    location = response.headers.get("Location", "")
    last = location.rstrip("/").rpartition("/")[2]
    # ASCII digits only (int() also reads other scripts' digits), and few enough to convert
    return int(last) if last.isascii() and last.isdigit() and len(last) <= 18 else None


def _content(rule: ImmutabilityRule) -> tuple[Any, ...]:
    """What an edit can change (everything but the id and the toggle)."""
    return (
        rule.repositories,
        rule.tags,
        rule.exclude_repositories,
        rule.exclude_tags,
        rule.priority,
        rule.problem,
    )


def create_rule(
    base: httpx.URL, project: str, rule: ImmutabilityRule, *, enforce_limit: bool = True
) -> Op[ImmutabilityRule]:
    """Validate and create a rule; returns it with its id.

    Harbor enables every new rule: a disabled rule is created, then disabled.

    Raises:
        InvalidPolicyError: The rule is invalid, or the project has `MAX_RULES` rules already
            and `enforce_limit` is true (nothing is sent).
    """
    rule.validate()
    if enforce_limit:
        existing = yield from list_rules(base, project)
        if len(existing) >= MAX_RULES:
            raise InvalidPolicyError(
                f"project {project!r} has {len(existing)} immutability rules; Harbor's UI "
                f"allows at most {MAX_RULES} (pass enforce_limit=False to go beyond)",
                location=f"immutability rule {len(existing) + 1}",
            )
    wanted = attrs.evolve(rule, id=None, disabled=False)
    url = _rules_url(base, project)
    response = yield httpx.Request("POST", url, json=rule_to_wire(wanted), headers=BY_NAME)
    raise_for_status(response)
    rule_id = _created_id(response)
    if rule_id is None:  # no usable Location: find the rule that was just saved
        for stored in (yield from list_rules(base, project)):
            if _content(stored) == _content(wanted):
                rule_id = stored.id
        if rule_id is None:
            raise MalformedResponseError(
                f"POST {safe_url(url)} answered {response.status_code} without a rule id"
            )
    created = attrs.evolve(wanted, id=rule_id)
    if rule.disabled:
        created = attrs.evolve(created, disabled=True)
        yield from _put(base, project, created)
    return created


def update_rule(base: httpx.URL, project: str, rule: ImmutabilityRule) -> Op[ImmutabilityRule]:
    """Make the stored rule `rule.id` equal to `rule`.

    One PUT for the edits, another for the enable/disable toggle (Harbor drops edits sent
    together with a toggle).

    Raises:
        InvalidPolicyError: `rule.id` is None, or the rule is invalid.
        NotFoundError: The project has no rule with that id.
    """
    if rule.id is None:
        raise InvalidPolicyError("cannot update a rule without an id (create it instead)")
    rule.validate()
    current = yield from _find(base, project, rule.id, "PUT")
    if _content(current) != _content(rule):
        yield from _put(base, project, attrs.evolve(rule, disabled=current.disabled))
    if current.disabled != rule.disabled:
        yield from _put(base, project, rule)
    return rule


def set_rule_disabled(base: httpx.URL, project: str, rule_id: int, disabled: bool) -> Op[None]:
    """Enable or disable a rule, sending its stored content so nothing else changes.

    Raises:
        NotFoundError: The project has no rule with that id.
    """
    current = yield from _find(base, project, rule_id, "PUT")
    if current.disabled != disabled:
        yield from _put(base, project, attrs.evolve(current, disabled=disabled, problem=None))


def delete_rule(base: httpx.URL, project: str, rule_id: int) -> Op[None]:
    """Delete a rule (Harbor answers 404 for a rule of another project)."""
    url = _rules_url(base, project, str(rule_id))
    response = yield httpx.Request("DELETE", url, headers=BY_NAME)
    raise_for_status(response)


def _strip_project(project: str, repository: str) -> str:
    prefix = f"{project}/"
    return repository[len(prefix) :] if repository.startswith(prefix) else repository


def rule_is_immutable(base: httpx.URL, project: str, repository: str, tag: str) -> Op[bool]:
    """Fetch a project's rules and evaluate `repository:tag` against them on the client.

    `repository` may include the project (`team/api`) or not (`api`).
    """
    if not repository or not tag:
        raise ValueError("repository and tag must not be empty")
    rules = yield from list_rules(base, project)
    return is_immutable(rules, _strip_project(project, repository), tag)
