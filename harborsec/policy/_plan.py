"""Planning and applying a policy: read a project's state, diff it, make the changes.

Three pieces, each written once for both clients:

* `plan_op` reads what the policy manages (and nothing else) through the Harbor operations of
  `harborsec.harbor`, into a `ProjectState`;
* `diff` is a pure function from a state and a policy to the changes, in the order they are
  applied;
* `apply_op` makes the changes through the same operations (immutability rules: deletions
  first, so the 15-rule limit holds, then edits, whose enable or disable toggle goes in its own
  request, then creations).

`Plan` and `AsyncPlan` (facades, in `harborsec._facades`) hold the changes and run `apply_op`
with the sync or the async client.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs
import httpx

from harborsec._core._display import html_table
from harborsec._core._driver import Op
from harborsec.errors import InvalidPolicyError, PlanOutdatedError
from harborsec.harbor._allowlists import CveAllowlist, replacing
from harborsec.harbor._config import ConfigChanges, ProjectConfig
from harborsec.harbor._immutability import (
    ImmutabilityRule,
    create_rule,
    delete_rule,
    list_rules,
    update_rule,
)
from harborsec.harbor._project_allowlist import edit_project_allowlist
from harborsec.harbor._projects import get_project, update_project_config
from harborsec.harbor._scanners import (
    Scanner,
    get_project_scanner,
    scanner_candidates,
    set_project_scanner,
)
from harborsec.harbor._severity import Severity
from harborsec.policy._policy import CONFIG_FIELDS, Policy, PolicyAllowlist

__all__ = [
    "Change",
    "ChangeKind",
    "ProjectState",
    "apply_op",
    "diff",
    "plan_op",
    "read_state",
    "render",
]


_ITEMS = "allowlist.items"
_EXPIRY = "allowlist.expires_at"
_USE = "allowlist.use_project_list"


class ChangeKind(enum.Enum):
    """What a `Change` touches."""

    CONFIG = "config"
    """A configuration setting (`field` names it: `auto_scan`, `severity`...)."""
    ALLOWLIST = "allowlist"
    """The project allowlist: an item added or removed, its expiry, or whether it is in force."""
    RULE_CREATE = "rule_create"
    """A new tag immutability rule (`after`)."""
    RULE_UPDATE = "rule_update"
    """An immutability rule edited or enabled/disabled (`before` has its id, `after` too)."""
    RULE_DELETE = "rule_delete"
    """An immutability rule deleted (`before`)."""
    SCANNER = "scanner"
    """The project's scanner (`before`, `after`: `Scanner`s; `before` may be None)."""


@attrs.frozen
class Change:
    """One difference between a project and a policy, and what applying it does.

    Example:
        >>> print(Change(ChangeKind.CONFIG, "auto_scan", False, True))
        ~ auto_scan: false -> true
        >>> print(Change(ChangeKind.ALLOWLIST, "allowlist.items", None, "CVE-2024-3094"))
        + allowlist.items: CVE-2024-3094
    """

    kind: ChangeKind
    """What is changed."""
    field: str
    """The policy key: `auto_scan`, `allowlist.items`, `immutability`, `scanner`..."""
    before: Any
    """The current value (None when something is added, or a setting is not set)."""
    after: Any
    """The wanted value (None when something is removed)."""

    @property
    def symbol(self) -> str:
        """`+` for an addition, `-` for a removal, `~` for a modification."""
        if self.kind is ChangeKind.RULE_CREATE:
            return "+"
        if self.kind is ChangeKind.RULE_DELETE:
            return "-"
        if self.field == _ITEMS:
            return "+" if self.before is None else "-"
        return "~"

    def parts(self) -> tuple[str, str, str, str]:
        """The change as table cells: symbol, what is changed, its value now, the wanted value.

        Example:
            >>> Change(ChangeKind.CONFIG, "severity", Severity.NONE, Severity.HIGH).parts()
            ('~', 'severity', 'none', 'high')

        An addition has no value now and a removal no wanted value (`""`).
        """
        symbol = self.symbol
        if self.kind is ChangeKind.RULE_CREATE:
            return symbol, "immutability", "", describe_rule(self.after)
        if self.kind is ChangeKind.RULE_DELETE:
            return symbol, _rule_name(self.before), describe_rule(self.before), ""
        if self.kind is ChangeKind.RULE_UPDATE:
            name = _rule_name(self.before)
            if _rule_key(self.before) == _rule_key(self.after):
                name = f"{name} ({describe_rule(self.before, state=False)})"
                return symbol, name, _toggle(self.before.disabled), _toggle(self.after.disabled)
            return symbol, name, describe_rule(self.before), describe_rule(self.after)
        if self.field == _ITEMS:
            item = str(self.before if self.after is None else self.after)
            return (
                (symbol, self.field, "", item) if symbol == "+" else (symbol, self.field, item, "")
            )
        return symbol, self.field, _show(self.field, self.before), _show(self.field, self.after)

    def __str__(self) -> str:
        symbol, what, before, after = self.parts()
        if not before or not after:  # an addition or a removal: its one value
            return f"{symbol} {what}: {before or after}"
        return f"{symbol} {what}: {before} -> {after}"


def _toggle(disabled: bool) -> str:
    return "disabled" if disabled else "enabled"


def _rule_name(rule: ImmutabilityRule) -> str:
    return f"immutability rule {rule.id}" if rule.id is not None else "immutability rule"


def _show(field: str, value: Any) -> str:
    if value is None:
        return {"scanner": "(none)", _EXPIRY: "never"}.get(field, "(not set)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Severity):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Scanner):
        return value.name
    return str(value)


def describe_rule(rule: ImmutabilityRule, *, state: bool = True) -> str:
    """A rule in words: `tags matching "v*" in repositories matching "**"`.

    Args:
        rule: The rule.
        state: Say `(disabled)` after a disabled rule.
    """
    tags = "not matching" if rule.exclude_tags else "matching"
    repositories = "not matching" if rule.exclude_repositories else "matching"
    text = f'tags {tags} "{rule.tags}" in repositories {repositories} "{rule.repositories}"'
    if state and rule.disabled:
        text += " (disabled)"
    if rule.problem is not None:
        text += f" (unusable: {rule.problem})"
    return text


def _rule_key(rule: ImmutabilityRule) -> tuple[str, str, bool, bool]:
    return (rule.repositories, rule.tags, rule.exclude_repositories, rule.exclude_tags)


# -- state and diff ---------------------------------------------------------------------------


@attrs.frozen
class ProjectState:
    """What a plan compares: the parts of a project a policy can manage."""

    config: ProjectConfig
    """The configuration in force (every field resolved, as `ProjectConfig.from_metadata`)."""
    allowlist: CveAllowlist = attrs.field(factory=CveAllowlist)
    """The project's own CVE allowlist."""
    rules: tuple[ImmutabilityRule, ...] | None = None
    """The tag immutability rules (with their ids); None when not read."""
    scanner: Scanner | None = None
    """The scanner the project uses (its own, else the system default); None if there is none."""
    scanners: tuple[Scanner, ...] = ()
    """The scanners the project may use (Harbor's candidates), to find the policy's scanner by
    name or uuid."""


def diff(state: ProjectState, policy: Policy) -> tuple[Change, ...]:
    """The changes that make a project in `state` match `policy`, in the order they are applied.

    Configuration first, then the allowlist, then immutability rules (deletions, edits,
    creations), then the scanner. Settings the policy leaves as None give no change. Allowlist
    items are compared as sets (Harbor's order does not matter), immutability rules by their
    selectors, ignoring ids and priorities.

    Raises:
        InvalidPolicyError: The policy's scanner is not among `state.scanners`.
        ValueError: The policy manages immutability rules but `state.rules` is None.
    """
    changes: list[Change] = []
    for field in CONFIG_FIELDS:
        wanted = getattr(policy, field)
        current = getattr(state.config, field)
        if wanted is not None and wanted != current:
            changes.append(Change(ChangeKind.CONFIG, field, current, wanted))
    if policy.allowlist is not None:
        changes.extend(_allowlist_changes(state, policy.allowlist))
    if policy.immutability is not None:
        if state.rules is None:
            raise ValueError("the policy manages immutability rules, but the state has none read")
        changes.extend(_rule_changes(state.rules, policy.immutability))
    if policy.scanner is not None:
        wanted_scanner = find_scanner(state.scanners, policy.scanner)
        current_scanner = state.scanner
        if current_scanner is None or current_scanner.uuid != wanted_scanner.uuid:
            changes.append(Change(ChangeKind.SCANNER, "scanner", current_scanner, wanted_scanner))
    return tuple(changes)


def _allowlist_changes(state: ProjectState, wanted: PolicyAllowlist) -> list[Change]:
    changes = []
    in_use = state.config.reuse_system_allowlist is False
    if in_use != wanted.use_project_list:
        changes.append(Change(ChangeKind.ALLOWLIST, _USE, in_use, wanted.use_project_list))
    current = state.allowlist.items
    changes.extend(
        Change(ChangeKind.ALLOWLIST, _ITEMS, None, item)
        for item in wanted.items
        if item not in current
    )
    changes.extend(
        Change(ChangeKind.ALLOWLIST, _ITEMS, item, None)
        for item in current
        if item not in wanted.items
    )
    if state.allowlist.expires_at != wanted.expires_at:
        changes.append(
            Change(ChangeKind.ALLOWLIST, _EXPIRY, state.allowlist.expires_at, wanted.expires_at)
        )
    return changes


def _rule_changes(
    current: Sequence[ImmutabilityRule], wanted: Sequence[ImmutabilityRule]
) -> list[Change]:
    ordered = sorted(current, key=lambda r: (r.id is None, r.id or 0))
    # a rule Harbor stores in a shape the model cannot express is replaced, never matched
    broken = [rule for rule in ordered if rule.problem is not None]
    left = [rule for rule in ordered if rule.problem is None]
    missing: list[ImmutabilityRule] = []
    updates: list[Change] = []
    # 1. the same selectors: at most a toggle
    for rule in wanted:
        match = next((c for c in left if _rule_key(c) == _rule_key(rule)), None)
        if match is None:
            missing.append(rule)
            continue
        left.remove(match)
        if match.disabled != rule.disabled:
            after = attrs.evolve(match, disabled=rule.disabled)
            updates.append(Change(ChangeKind.RULE_UPDATE, "immutability", match, after))
    # 2. the same repository selector: an edit of the tag selector (and maybe a toggle)
    creates: list[Change] = []
    for rule in missing:
        match = next(
            (
                c
                for c in left
                if (c.repositories, c.exclude_repositories)
                == (rule.repositories, rule.exclude_repositories)
            ),
            None,
        )
        if match is None:
            creates.append(Change(ChangeKind.RULE_CREATE, "immutability", None, rule))
            continue
        left.remove(match)
        after = attrs.evolve(rule, id=match.id, priority=match.priority)
        updates.append(Change(ChangeKind.RULE_UPDATE, "immutability", match, after))
    deletes = [
        Change(ChangeKind.RULE_DELETE, "immutability", rule, None)
        for rule in ordered
        if rule in broken or rule in left
    ]
    return [*deletes, *updates, *creates]


def find_scanner(scanners: Iterable[Scanner], name_or_uuid: str) -> Scanner:
    """The registered scanner with this uuid, else this name (exactly, else ignoring case).

    Raises:
        InvalidPolicyError: None matches, or several names match ignoring case.
    """
    registered = list(scanners)
    for scanner in registered:
        if scanner.uuid == name_or_uuid:
            return scanner
    for scanner in registered:
        if scanner.name == name_or_uuid:
            return scanner
    folded = [s for s in registered if s.name.casefold() == name_or_uuid.casefold()]
    if len(folded) == 1:
        return folded[0]
    names = ", ".join(sorted(s.name for s in registered)) or "none"
    raise InvalidPolicyError(
        f"no scanner named {name_or_uuid!r} (or with that uuid) is registered; registered: {names}",
        location="scanner",
    )


# -- operations -------------------------------------------------------------------------------


def read_state(base: httpx.URL, project: str, policy: Policy) -> Op[ProjectState]:
    """Read what `policy` manages in a project (rules and scanners only when it manages them).

    Raises:
        NotFoundError: No such project.
    """
    info = yield from get_project(base, project)
    rules = None
    if policy.immutability is not None:
        rules = tuple((yield from list_rules(base, project)))
    scanner = None
    scanners: tuple[Scanner, ...] = ()
    if policy.scanner is not None:
        scanners = tuple((yield from scanner_candidates(base, project)))
        scanner = yield from get_project_scanner(base, project)
    return ProjectState(info.config, info.allowlist, rules, scanner, scanners)


def plan_op(base: httpx.URL, project: str, policy: Policy) -> Op[tuple[Change, ...]]:
    """Read a project's state and diff it against a policy; nothing is changed.

    Raises:
        InvalidPolicyError: The policy names a scanner that is not registered.
        NotFoundError: No such project.
    """
    state = yield from read_state(base, project, policy)
    return diff(state, policy)


def apply_op(base: httpx.URL, project: str, policy: Policy, changes: Sequence[Change]) -> Op[None]:
    """Make planned changes, in order.

    One configuration update, one allowlist rewrite, the immutability rules one by one
    (deletions, edits, creations), then the scanner.

    First the project is read again: if a plan made now would differ, nothing is changed.

    Args:
        base: The Harbor URL.
        project: The project's name.
        policy: The policy the changes were planned from (for the complete allowlist).
        changes: The changes, from `diff`.

    Raises:
        PlanOutdatedError: The project changed after the plan was made.
    """
    if not changes:
        return
    current = diff((yield from read_state(base, project, policy)), policy)
    if current != tuple(changes):
        raise PlanOutdatedError(
            f"project {project!r} changed after the plan was made; nothing was changed. "
            "Plan again and review the new plan. A plan made now would be:\n"
            + (render(current) or "(no changes)"),
            project=project,
            current=current,
        )
    config: dict[str, Any] = {}
    rewrite_list = False
    for change in changes:
        if change.kind is ChangeKind.CONFIG:
            config[change.field] = change.after
        elif change.kind is ChangeKind.ALLOWLIST:
            if change.field == _USE:
                config["reuse_system_allowlist"] = not change.after
            else:
                rewrite_list = True
    if config:
        yield from update_project_config(base, project, ConfigChanges(**config))
    if rewrite_list:
        wanted = policy.allowlist
        assert wanted is not None
        edit, needs_current = replacing(wanted.items, wanted.expires_at)
        yield from edit_project_allowlist(
            base, project, edit, use=False, needs_current=needs_current
        )
    for change in changes:
        if change.kind is ChangeKind.RULE_DELETE:
            yield from delete_rule(base, project, change.before.id)
    for change in changes:
        if change.kind is ChangeKind.RULE_UPDATE:
            yield from update_rule(base, project, change.after)
    for change in changes:
        if change.kind is ChangeKind.RULE_CREATE:
            yield from create_rule(base, project, change.after)
    for change in changes:
        if change.kind is ChangeKind.SCANNER:
            yield from set_project_scanner(base, project, change.after)


def render(changes: Sequence[Change]) -> str:
    """The changes, one line each (see `Plan.diff`)."""
    return "\n".join(str(change) for change in changes)


_HEADERS = ("", "setting", "now", "wanted")
_NOTHING = "nothing to change: the project matches the policy"


def _title(project: str, changes: Sequence[Change]) -> str:
    count = len(changes)
    return f"Plan for project {project!r}: {count} change{'' if count == 1 else 's'}"


def plan_html(project: str, changes: Sequence[Change]) -> str:
    """A plan as an HTML table, for notebooks (`Plan._repr_html_`)."""
    return html_table(
        _title(project, changes), _HEADERS, (c.parts() for c in changes), empty=_NOTHING
    )


def plan_text(project: str, changes: Sequence[Change]) -> str:
    """A plan as a title and its diff, for `_repr_pretty_` (IPython) and printing."""
    if not changes:
        return f"{_title(project, changes)}\n  {_NOTHING}"
    return "\n".join([_title(project, changes), *(f"  {change}" for change in changes)])
