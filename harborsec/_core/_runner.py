"""What a facade needs from a client: the base URL, and a way to run an operation.

Facades (`Project`, `ScanAll`, `Plan`...) are typed against these protocols, not against
`Registry`: a facade only runs operations, so it can be built from anything that does (a
registry's connection, or a test double that answers from canned responses). Children receive
their parent's runner: `registry.project(name)` is `Project(runner, name)`.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

import httpx

from harborsec._core._driver import Op
from harborsec._core._http import NotGiven

__all__ = ["AsyncRunner", "Runner", "TimeoutArg"]

T = TypeVar("T")

TimeoutArg = httpx.Timeout | float | NotGiven | None
"""`timeout=` of a call: a timeout, None for none, or `NOT_GIVEN` for the client's."""


class Runner(Protocol):
    """Runs operations synchronously against one registry."""

    @property
    def url(self) -> httpx.URL:
        """The registry's base URL, which operations take."""
        ...

    def run(self, op: Op[T], timeout: TimeoutArg = ...) -> T:
        """Run an operation and return its value."""
        ...


class AsyncRunner(Protocol):
    """Runs operations asynchronously against one registry."""

    @property
    def url(self) -> httpx.URL:
        """The registry's base URL, which operations take."""
        ...

    async def run(self, op: Op[T], timeout: TimeoutArg = ...) -> T:
        """Run an operation and return its value."""
        ...
