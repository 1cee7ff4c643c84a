"""A plan: the changes that would make a project match a policy, and `apply()`."""

from __future__ import annotations

from collections.abc import Iterable

from harborsec._core._display import PrettyPrinter
from harborsec._core._runner import AsyncRunner
from harborsec.policy._plan import Change, apply_op, plan_html, plan_text, render
from harborsec.policy._policy import Policy

__all__ = ["AsyncPlan"]


class AsyncPlan:
    """The changes that would make a project match a policy; `apply()` makes them.

    Get one with `project.plan(policy)` (or `policy.plan(project)`). Planning changed nothing;
    applying makes exactly these changes (plan again to check: the new plan is empty).
    """

    def __init__(
        self, runner: AsyncRunner, project: str, policy: Policy, changes: Iterable[Change]
    ) -> None:
        self._runner = runner
        self.project = project
        """The project's name."""
        self.policy = policy
        """The policy this plan was made from."""
        self.changes = tuple(changes)
        """The changes, in the order `apply()` makes them."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(project={self.project!r}, changes={len(self.changes)})"

    def _repr_html_(self) -> str:
        """Jupyter's display: the changes as a table (setting, value now, wanted value)."""
        return plan_html(self.project, self.changes)

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:
        """IPython's plain display: a title, then the diff."""
        printer.text(plan_text(self.project, self.changes))

    @property
    def empty(self) -> bool:
        """Whether the project already matches the policy."""
        return not self.changes

    def diff(self) -> str:
        """The changes, one line each: `+` added, `-` removed, `~` modified; "" when empty.

        Example output:

            ~ auto_scan: false -> true
            ~ severity: none -> high
            + allowlist.items: CVE-2024-3094
            - immutability rule 3: tags matching "latest" in repositories matching "**"
            + immutability: tags matching "v*" in repositories matching "**"
        """
        return render(self.changes)

    async def apply(self) -> None:
        """Make the changes.

        The project is read again first; if it changed since the plan was made, nothing is
        changed.

        Raises:
            PlanOutdatedError: The project changed after the plan was made (plan again).
            APIError: Harbor refused a change; the changes before it were made (plan again to
                see what is left).
        """
        await self._runner.run(apply_op(self._runner.url, self.project, self.policy, self.changes))
