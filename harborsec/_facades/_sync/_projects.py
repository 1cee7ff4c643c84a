# Generated from harborsec/_facades/_async/_projects.py by scripts/unasync.py; do not edit.
"""One Harbor project: `registry.project(name)`, and what hangs off it."""

from __future__ import annotations

from harborsec._core._runner import Runner
from harborsec._facades._sync._allowlists import ProjectAllowlist
from harborsec._facades._sync._immutability import ImmutabilityRules
from harborsec._facades._sync._plan import Plan
from harborsec._facades._sync._scanners import ProjectScanner
from harborsec.harbor._api import project_segment
from harborsec.harbor._config import ConfigChanges, ProjectConfig
from harborsec.harbor._projects import (
    ProjectInfo,
    delete_project,
    get_project,
    project_config,
    update_project_config,
)
from harborsec.harbor._severity import Severity
from harborsec.policy._plan import plan_op
from harborsec.policy._policy import Policy

__all__ = ["Project"]


class Project:
    """One Harbor project, by name: no request is made until a method is called.

    Get one with `registry.project(name)` or `registry.create_project(name)`.
    """

    def __init__(self, runner: Runner, name: str) -> None:
        project_segment(name)
        self._runner = runner
        self.name = name
        """The project's name."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def info(self) -> ProjectInfo:
        """Read the project: id, owner, repository count, configuration, own allowlist.

        Raises:
            NotFoundError: No such project.
            ForbiddenError: The project exists, but this account may not read it.
        """
        return self._runner.run(get_project(self._runner.url, self.name))

    def config(self) -> ProjectConfig:
        """The security configuration in force, every field resolved as Harbor resolves it."""
        return self._runner.run(project_config(self._runner.url, self.name))

    def update_config(
        self,
        *,
        public: bool | None = None,
        auto_scan: bool | None = None,
        auto_sbom_generation: bool | None = None,
        prevent_vulnerable: bool | None = None,
        severity: Severity | str | None = None,
        cosign_required: bool | None = None,
        notation_required: bool | None = None,
        reuse_system_allowlist: bool | None = None,
    ) -> ProjectConfig:
        """Change some settings; those left as None stay as they are.

        Sends only the given keys (Harbor merges metadata), as lowercase strings.

        Args:
            public: Anyone may pull.
            auto_scan: Scan on push.
            auto_sbom_generation: Generate an SBOM on push.
            prevent_vulnerable: Block pulls of artifacts with findings at or above `severity`.
            severity: The threshold: a `Severity` or `none`/`low`/`medium`/`high`/`critical`.
            cosign_required: Block pulls of artifacts without a cosign signature.
            notation_required: Block pulls of artifacts without a Notation signature.
            reuse_system_allowlist: Use the system CVE allowlist instead of the project's.

        Returns:
            The configuration in force afterwards.

        Raises:
            InvalidPolicyError: A bad severity or a non-boolean flag (nothing is sent).
        """
        changes = ConfigChanges(
            public=public,
            auto_scan=auto_scan,
            auto_sbom_generation=auto_sbom_generation,
            prevent_vulnerable=prevent_vulnerable,
            severity=severity,
            cosign_required=cosign_required,
            notation_required=notation_required,
            reuse_system_allowlist=reuse_system_allowlist,
        )
        op = update_project_config(self._runner.url, self.name, changes)
        return self._runner.run(op)

    def delete(self) -> None:
        """Delete the project.

        Raises:
            PreconditionFailedError: It still has repositories.
        """
        return self._runner.run(delete_project(self._runner.url, self.name))

    @property
    def allowlist(self) -> ProjectAllowlist:
        """The project's CVE allowlist."""
        return ProjectAllowlist(self._runner, self.name)

    @property
    def immutability(self) -> ImmutabilityRules:
        """The project's tag immutability rules."""
        return ImmutabilityRules(self._runner, self.name)

    def is_immutable(self, repository: str, tag: str) -> bool:
        """Whether Harbor would refuse to overwrite or delete this tag (rules evaluated here).

        Args:
            repository: The repository, with or without the project prefix (`app`, `team/app`).
            tag: The tag.
        """
        return self.immutability.is_immutable(repository, tag)

    @property
    def scanner(self) -> ProjectScanner:
        """The scanner this project uses."""
        return ProjectScanner(self._runner, self.name)

    def plan(self, policy: Policy) -> Plan:
        """Compare the project with a policy: the changes that `apply()` would make.

        Args:
            policy: The wanted security state.

        Returns:
            The plan (`diff()` to show it, `apply()` to make it so; empty when nothing differs).

        Raises:
            InvalidPolicyError: The policy names a scanner the project cannot use.
            NotFoundError: No such project.
        """
        changes = self._runner.run(plan_op(self._runner.url, self.name, policy))
        return Plan(self._runner, self.name, policy, changes)
