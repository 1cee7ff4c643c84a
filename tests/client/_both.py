"""Helpers for tests that run one body against both `Registry` and `AsyncRegistry`."""

from __future__ import annotations

import inspect
from typing import Any

from harborsec import AsyncRegistry, Registry
from harborsec.testing import HarborEmulator

__all__ = ["ADMIN", "URL", "call", "close", "open_registry", "team_emulator"]

URL = "https://harbor.test"
ADMIN = ("admin", "Harbor12345")


async def call(value: Any) -> Any:
    """The value, awaited when it is awaitable (an async facade's result)."""
    return await value if inspect.isawaitable(value) else value


async def close(registry: Any) -> None:
    """Close a sync or an async registry."""
    if isinstance(registry, AsyncRegistry):
        await registry.aclose()
    else:
        registry.close()


def open_registry(kind: str, transport: Any) -> Any:
    """A `Registry` (`kind` "sync") or `AsyncRegistry` as the administrator over `transport`,
    which the tests read back as `registry.transport`."""
    cls = Registry if kind == "sync" else AsyncRegistry
    registry: Any = cls(URL, auth=ADMIN, transport=transport)
    registry.transport = transport
    return registry


def team_emulator() -> HarborEmulator:
    """An emulator with a project `team` that the user `dev` may push to."""
    emulator = HarborEmulator()
    emulator.create_project("team")
    emulator.add_user("dev", "Dev12345")
    emulator.add_member("team", "dev", push=True)
    return emulator
