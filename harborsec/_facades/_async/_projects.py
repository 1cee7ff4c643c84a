"""One Harbor project: `registry.project(name)`, and what hangs off it."""

from __future__ import annotations

from harborsec._core._runner import AsyncRunner
from harborsec._facades._async._allowlists import AsyncProjectAllowlist
from harborsec._facades._async._immutability import AsyncImmutabilityRules
from harborsec._facades._async._plan import AsyncPlan
from harborsec._facades._async._scanners import AsyncProjectScanner
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

__all__ = ["AsyncProject"]


class AsyncProject:
    """One Harbor project, by name: no request is made until a method is called.

    Get one with `registry.project(name)` or `await registry.create_project(name)`.
    """

    def __init__(self, runner: AsyncRunner, name: str) -> None:
        project_segment(name)
        self._runner = runner
        self.name = name
        """The project's name."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    async def info(self) -> ProjectInfo:
        """Read the project: id, owner, repository count, configuration, own allowlist.

        Raises:
            NotFoundError: No such project.
            ForbiddenError: The project exists, but this account may not read it.
        """
        return await self._runner.run(get_project(self._runner.url, self.name))

    async def config(self) -> ProjectConfig:
        """The security configuration in force, every field resolved as Harbor resolves it."""
        return await self._runner.run(project_config(self._runner.url, self.name))

    async def update_config(
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
        return await self._runner.run(op)

    async def delete(self) -> None:
        """Delete the project.

        Raises:
            PreconditionFailedError: It still has repositories.
        """
        return await self._runner.run(delete_project(self._runner.url, self.name))

    @property
    def allowlist(self) -> AsyncProjectAllowlist:
        """The project's CVE allowlist."""
        return AsyncProjectAllowlist(self._runner, self.name)

    @property
    def immutability(self) -> AsyncImmutabilityRules:
        """The project's tag immutability rules."""
        return AsyncImmutabilityRules(self._runner, self.name)

    async def is_immutable(self, repository: str, tag: str) -> bool:
        """Whether Harbor would refuse to overwrite or delete this tag (rules evaluated here).

        Args:
            repository: The repository, with or without the project prefix (`app`, `team/app`).
            tag: The tag.
        """
        return await self.immutability.is_immutable(repository, tag)

    @property
    def scanner(self) -> AsyncProjectScanner:
        """The scanner this project uses."""
        return AsyncProjectScanner(self._runner, self.name)

    async def plan(self, policy: Policy) -> AsyncPlan:
        """Compare the project with a policy: the changes that `apply()` would make.

        Args:
            policy: The wanted security state.

        Returns:
            The plan (`diff()` to show it, `apply()` to make it so; empty when nothing differs).

        Raises:
            InvalidPolicyError: The policy names a scanner the project cannot use.
            NotFoundError: No such project.
        """
        changes = await self._runner.run(plan_op(self._runner.url, self.name, policy))
        return AsyncPlan(self._runner, self.name, policy, changes)
