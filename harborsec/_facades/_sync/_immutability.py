# Generated from harborsec/_facades/_async/_immutability.py by scripts/unasync.py; do not edit.
"""The tag immutability rules of one project: `project.immutability`."""

from __future__ import annotations

import builtins

from harborsec._core._runner import Runner
from harborsec._facades._base import ProjectFacade
from harborsec.harbor._immutability import (
    ImmutabilityRule,
    create_rule,
    delete_rule,
    list_rules,
    rule_is_immutable,
    set_rule_disabled,
    update_rule,
)

__all__ = ["ImmutabilityRules"]


class ImmutabilityRules(ProjectFacade[Runner]):
    """The tag immutability rules of one project: `project.immutability`."""

    def list(self) -> builtins.list[ImmutabilityRule]:
        """Every rule of the project, in Harbor's order (all pages)."""
        return self._runner.run(list_rules(self._runner.url, self.project))

    def create(self, rule: ImmutabilityRule, *, enforce_limit: bool = True) -> ImmutabilityRule:
        """Validate and create a rule; returns it with its id.

        Harbor enables every new rule: a rule with `disabled=True` is created, then disabled.

        Args:
            rule: The rule (its `id` is ignored).
            enforce_limit: Refuse a 16th rule, like Harbor's UI (the API accepts more).

        Raises:
            InvalidPolicyError: A pattern is malformed, or the limit is reached; nothing is sent.
            ConflictError: An identical rule exists.
        """
        op = create_rule(self._runner.url, self.project, rule, enforce_limit=enforce_limit)
        return self._runner.run(op)

    def update(self, rule: ImmutabilityRule) -> ImmutabilityRule:
        """Replace the stored rule `rule.id` with `rule`, enable/disable toggle included.

        Edits and the toggle are sent as two PUTs: Harbor discards every edit sent together
        with a change of `disabled`.

        Raises:
            InvalidPolicyError: `rule.id` is None or a pattern is malformed; nothing is sent.
            NotFoundError: The project has no such rule.
        """
        return self._runner.run(update_rule(self._runner.url, self.project, rule))

    def enable(self, rule_id: int) -> None:
        """Enable a rule (nothing is sent if it is enabled already).

        Raises:
            NotFoundError: The project has no such rule.
        """
        op = set_rule_disabled(self._runner.url, self.project, rule_id, disabled=False)
        return self._runner.run(op)

    def disable(self, rule_id: int) -> None:
        """Disable a rule, keeping it (nothing is sent if it is disabled already).

        Raises:
            NotFoundError: The project has no such rule.
        """
        op = set_rule_disabled(self._runner.url, self.project, rule_id, disabled=True)
        return self._runner.run(op)

    def delete(self, rule_id: int) -> None:
        """Delete a rule.

        Raises:
            NotFoundError: The project has no such rule.
        """
        return self._runner.run(delete_rule(self._runner.url, self.project, rule_id))

    def is_immutable(self, repository: str, tag: str) -> bool:
        """Whether the project's rules make `repository:tag` immutable, as Harbor decides.

        Lists the rules and evaluates them on the client (no tag needs to exist), with
        Harbor's semantics, including its handling of rules it cannot evaluate (see
        `harborsec.harbor.is_immutable`).

        Args:
            repository: The repository, with or without the project (`team/api` or `api`).
            tag: The tag.
        """
        op = rule_is_immutable(self._runner.url, self.project, repository, tag)
        return self._runner.run(op)
