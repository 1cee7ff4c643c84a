"""What every facade is: a runner (and, for project-scoped ones, the project's name).

Generic in the runner type, so that one base serves the async facades (`AsyncRunner`) and the
generated sync ones (`Runner`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from harborsec.harbor._api import project_segment

__all__ = ["Facade", "ProjectFacade"]

R = TypeVar("R")


class Facade(Generic[R]):
    """A facade over a runner: it runs operations, and holds nothing else."""

    def __init__(self, runner: R) -> None:
        self._runner = runner

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ProjectFacade(Facade[R]):
    """A facade over one project's part (`project.allowlist`, `project.immutability`...)."""

    def __init__(self, runner: R, project: str) -> None:
        project_segment(project)
        super().__init__(runner)
        self.project = project
        """The project's name."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.project!r})"
