"""Locks that serialize this process's read-modify-write edits of one thing on one registry.

Harbor has no compare-and-set, so two tasks of one program that each read a CVE allowlist, edit
it and write it back lose one of the edits. The facades that edit that way (`allowlist.add`,
`remove`, `set_expiry`, `replace`) hold the lock of what they edit for the whole read, write and
read-back, so edits made by one process never race each other; what other processes do is
caught by the read-back (`harborsec.harbor.rewrite_allowlist`).

Locks are keyed by the registry's URL and a name, so two clients of one registry in one process
share them. `WriteLocks` gives re-entrant thread locks (for the synchronous facades),
`AsyncWriteLocks` asyncio locks, one set per event loop (an asyncio lock belongs to one loop).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, ClassVar

__all__ = ["AsyncWriteLocks", "WriteLocks"]


def _key(runner: Any, name: str) -> tuple[str, str]:
    return str(runner.url), name


class WriteLocks:
    """The thread locks of the synchronous facades' edits."""

    _locks: ClassVar[dict[tuple[str, str], threading.RLock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def get(cls, runner: Any, name: str) -> threading.RLock:
        """The lock for `name` on the registry of `runner` (created on first use)."""
        key = _key(runner, name)
        with cls._guard:
            lock = cls._locks.get(key)
            if lock is None:
                lock = cls._locks[key] = threading.RLock()
            return lock


class AsyncWriteLocks:
    """The asyncio locks of the asynchronous facades' edits, one table per event loop."""

    _tables: ClassVar[
        weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Lock]]
    ] = weakref.WeakKeyDictionary()

    @classmethod
    def get(cls, runner: Any, name: str) -> asyncio.Lock:
        """The lock for `name` on the registry of `runner`, in the running event loop."""
        table = cls._tables.setdefault(asyncio.get_running_loop(), {})
        key = _key(runner, name)
        lock = table.get(key)
        if lock is None:
            lock = table[key] = asyncio.Lock()
        return lock
