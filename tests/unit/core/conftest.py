"""The `driver` fixture: every test that takes it runs in both drivers."""

from __future__ import annotations

import pytest

from tests.unit.core._both import Driver


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Driver:
    """Each test runs once with `run_sync` and once with `run_async`."""
    return Driver(request.param)
