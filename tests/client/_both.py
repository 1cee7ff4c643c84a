"""Helpers for tests that run one body against both `Registry` and `AsyncRegistry`."""

from __future__ import annotations

import inspect
from typing import Any

from harborsec import AsyncRegistry

__all__ = ["call", "close"]


async def call(value: Any) -> Any:
    """The value, awaited when it is awaitable (an async facade's result)."""
    return await value if inspect.isawaitable(value) else value


async def close(registry: Any) -> None:
    """Close a sync or an async registry."""
    if isinstance(registry, AsyncRegistry):
        await registry.aclose()
    else:
        registry.close()
