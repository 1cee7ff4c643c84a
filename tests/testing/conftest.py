"""Fixtures for the Harbor emulator's tests."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # `tests._spec`, `tests._real` and `tests.testing._emu` import from here
    sys.path.insert(0, _ROOT)

from harborsec.testing import HarborEmulator  # noqa: E402
from tests.testing._emu import BASE_URL  # noqa: E402


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
