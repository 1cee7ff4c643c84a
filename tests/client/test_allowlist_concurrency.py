"""Concurrent CVE allowlist edits against the emulator on a real socket, sync and async.

Harbor has no compare-and-set: an allowlist edit reads the list, changes it and writes it back.
Issue 8 found fifty tasks calling `allowlist.add` on one project reporting 126 successes for 79
ids at the end. These tests hold the promise that replaced that: a call that returns has its
edit in place; an edit another writer overwrote is made again, or raises
`ConcurrentUpdateError`; never a success for a lost write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harborsec import AsyncRegistry, Registry
from harborsec.errors import ConcurrentUpdateError
from harborsec.testing import HarborEmulator
from tests.client._both import ADMIN

PROJECT = "team"
IDS = [f"CVE-2024-{n:04d}" for n in range(1000, 1050)]  # fifty ids


@pytest.fixture
def emulator() -> HarborEmulator:
    emulator = HarborEmulator()
    emulator.create_project(PROJECT)
    return emulator


@pytest.fixture
def url(emulator: HarborEmulator) -> Iterator[str]:
    with emulator.serve() as served:
        yield served


def stored(emulator: HarborEmulator) -> set[str]:
    """The project's list as the emulator holds it (read without the SDK)."""
    with Registry(
        "https://harbor.test", auth=ADMIN, transport=httpx.MockTransport(emulator.handle)
    ) as reg:
        return set(reg.project(PROJECT).allowlist.get().items)


async def test_fifty_tasks_adding_to_one_list_lose_nothing(emulator, url):
    async with AsyncRegistry(url, auth=ADMIN) as registry:
        allowlist = registry.project(PROJECT).allowlist
        results = await asyncio.gather(*(allowlist.add(cve) for cve in IDS))
    assert all(cve in result for cve, result in zip(IDS, results, strict=True))
    assert stored(emulator) == set(IDS)


async def test_tasks_of_two_clients_in_one_process_lose_nothing(emulator, url):
    async with AsyncRegistry(url, auth=ADMIN) as one, AsyncRegistry(url, auth=ADMIN) as two:
        calls = [
            (one if n % 2 else two).project(PROJECT).allowlist.add(cve)
            for n, cve in enumerate(IDS[:20])
        ]
        await asyncio.gather(*calls)
    assert stored(emulator) == set(IDS[:20])


async def test_adds_and_removes_interleaved_end_as_asked(emulator, url):
    async with AsyncRegistry(url, auth=ADMIN) as registry:
        allowlist = registry.project(PROJECT).allowlist
        await allowlist.add(*IDS[:10])
        await asyncio.gather(
            *(allowlist.remove(cve) for cve in IDS[:5]), *(allowlist.add(cve) for cve in IDS[10:15])
        )
    assert stored(emulator) == set(IDS[5:15])


def test_fifty_threads_adding_to_one_list_lose_nothing(emulator, url):
    with Registry(url, auth=ADMIN) as registry:
        allowlist = registry.project(PROJECT).allowlist
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda cve: allowlist.add(cve), IDS))
    assert all(cve in result for cve, result in zip(IDS, results, strict=True))
    assert stored(emulator) == set(IDS)


class StaleWriter(httpx.MockTransport):
    """The emulator, plus another client that overwrites the list right after our writes.

    After each of our first `times` writes of the project, before we can read it back, the
    rival writes the list as it was before our write (what a client that read earlier would
    send), as a real second Harbor client can.
    """

    def __init__(self, emulator: HarborEmulator, times: int) -> None:
        self.emulator = emulator
        self.left = times
        self.rival_writes = 0
        super().__init__(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        before = None
        is_write = request.method == "PUT" and request.url.path.endswith(f"/projects/{PROJECT}")
        if is_write and self.left:
            before = sorted(stored(self.emulator))
        response = self.emulator.handle(request)
        if before is not None:
            self.left -= 1
            self.rival_writes += 1
            with Registry(
                "https://harbor.test",
                auth=ADMIN,
                transport=httpx.MockTransport(self.emulator.handle),
            ) as rival:
                rival.project(PROJECT).allowlist.replace(before)
        return response


async def add_through(transport: httpx.BaseTransport, kind: str, cve: str) -> object:
    """`allowlist.add(cve)` with a `Registry` or an `AsyncRegistry` over `transport`."""
    if kind == "sync":
        with Registry("https://harbor.test", auth=ADMIN, transport=transport) as registry:
            return registry.project(PROJECT).allowlist.add(cve)
    async with AsyncRegistry("https://harbor.test", auth=ADMIN, transport=transport) as reg:
        return await reg.project(PROJECT).allowlist.add(cve)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_write_another_client_overwrote_is_made_again(emulator, kind):
    transport = StaleWriter(emulator, times=2)
    result = await add_through(transport, kind, "CVE-2024-3094")
    assert transport.rival_writes == 2
    assert "CVE-2024-3094" in result
    assert stored(emulator) == {"CVE-2024-3094"}


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_write_always_overwritten_is_a_typed_conflict(emulator, kind):
    transport = StaleWriter(emulator, times=100)
    with pytest.raises(ConcurrentUpdateError) as caught:
        await add_through(transport, kind, "CVE-2024-3094")
    assert caught.value.what == f"project {PROJECT!r} CVE allowlist"
    assert transport.rival_writes == caught.value.attempts
    assert stored(emulator) == set()
