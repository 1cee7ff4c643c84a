"""Fixtures for the Harbor emulator's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests.testing._emu import BASE_URL


@pytest.fixture
def harbor() -> HarborEmulator:
    """A fresh in-memory emulator."""
    return HarborEmulator()


@pytest.fixture
def client(harbor: HarborEmulator) -> Iterator[httpx.Client]:
    """A plain httpx client (no credentials) wired to `harbor` in process."""
    with httpx.Client(transport=harbor.transport(), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def aclient(harbor: HarborEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """An async httpx client (no credentials) wired to `harbor` in process."""
    async with httpx.AsyncClient(transport=harbor.transport(), base_url=BASE_URL) as client:
        yield client
