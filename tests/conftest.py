"""Session fixtures for tests against a real registry (CNCF Distribution) and skopeo.

The helpers live in ``tests/_real.py``. Every fixture here is session-scoped: a registry starts
once per test run. Tests that use them are marked ``real_registry`` (and ``skopeo`` for the seeded
registry) automatically, so ``-m "not real_registry"`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests._real import RealRegistry, SeededRegistry, require_binary, seed_registry

if TYPE_CHECKING:
    from harborsec.testing import HarborEmulator

TOKEN_USER = "registry-user"
TOKEN_PASSWORD = "Registry-Passw0rd"

_REGISTRY_FIXTURES = frozenset(
    {"real_registry", "real_registry_anon", "real_registry_token", "seeded_real_registry"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use a real registry (``real_registry``) or skopeo (``skopeo``)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _REGISTRY_FIXTURES:
            item.add_marker(pytest.mark.real_registry)
        if "seeded_real_registry" in fixtures:
            item.add_marker(pytest.mark.skopeo)


def _started(registry: RealRegistry) -> Iterator[RealRegistry]:
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def real_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRegistry]:
    """A Distribution registry with htpasswd (Basic) auth; user and password are attributes."""
    yield from _started(RealRegistry(tmp_path_factory.mktemp("registry-htpasswd"), auth="htpasswd"))


@pytest.fixture(scope="session")
def real_registry_anon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRegistry]:
    """A Distribution registry without auth: anyone may push and pull."""
    yield from _started(RealRegistry(tmp_path_factory.mktemp("registry-anon"), auth="none"))


@pytest.fixture(scope="session")
def harbor_token_service() -> Iterator[tuple[HarborEmulator, str]]:
    """The Harbor emulator served on 127.0.0.1, with an admin ``registry-user``.

    Yields ``(emulator, url)``. Its token service (``<url>/service/token``) issues the tokens
    ``real_registry_token`` accepts, as Harbor's core does for Harbor's registry.
    """
    from harborsec.testing import HarborEmulator

    emulator = HarborEmulator()
    emulator.add_user(TOKEN_USER, TOKEN_PASSWORD, admin=True)
    with emulator.serve() as url:
        yield emulator, url.rstrip("/")


@pytest.fixture(scope="session")
def real_registry_token(
    tmp_path_factory: pytest.TempPathFactory, harbor_token_service: tuple[HarborEmulator, str]
) -> Iterator[RealRegistry]:
    """A Distribution registry whose token issuer is the Harbor emulator, as Harbor's core is.

    ``username``/``password`` are an emulator administrator (so every project is writable;
    ``library`` exists); ``token_realm`` is the emulator's ``/service/token``.
    """
    emulator, url = harbor_token_service
    registry = RealRegistry(
        tmp_path_factory.mktemp("registry-token"),
        auth="token",
        username=TOKEN_USER,
        password=TOKEN_PASSWORD,
        token_realm=f"{url}/service/token",
        token_service=emulator.token_service,
        token_issuer=emulator.token_issuer,
        token_certificate_pem=emulator.token_certificate_pem,
    )
    yield from _started(registry)


@pytest.fixture(scope="session")
def seeded_real_registry(
    real_registry: RealRegistry, tmp_path_factory: pytest.TempPathFactory
) -> SeededRegistry:
    """``real_registry`` with real content pushed once by skopeo (see ``_real.seed_registry``).

    ``.refs`` lists every reference (at least 20: ``repo:tag`` and ``repo@digest``) with the
    digest skopeo reports for it.
    """
    require_binary("skopeo")
    return seed_registry(real_registry, Path(tmp_path_factory.mktemp("seed")))
