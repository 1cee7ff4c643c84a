"""The public names of `harborsec.testing`."""

from __future__ import annotations

import inspect

import harborsec.testing
from harborsec.testing import HarborEmulator


def test_exports() -> None:
    assert harborsec.testing.__all__ == [
        "FaultProxy",
        "Faults",
        "HarborEmulator",
        "RecordedRequest",
    ]
    for name in harborsec.testing.__all__:
        assert getattr(harborsec.testing, name).__module__.startswith("harborsec.testing")


def test_constructor_signature() -> None:
    parameters = inspect.signature(HarborEmulator).parameters
    assert {name: p.default for name, p in parameters.items()} == {
        "admin_username": "admin",
        "admin_password": "Harbor12345",
        "storage_dir": None,
        "harbor_version": "v2.14.4-79a297f7",
        "token_expiration": 1800,
        "referrers_api": True,
        "trivy": False,
    }
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())


def test_emulator_does_not_import_the_sdk_client() -> None:
    import ast
    from pathlib import Path

    package = Path(harborsec.testing.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.startswith("harborsec.testing") or not node.module.startswith(
                    "harborsec"
                ), f"{module.name} imports {node.module}"


def test_public_attributes(harbor: HarborEmulator) -> None:
    assert harbor.token_issuer == "harbor-token-issuer"
    assert harbor.token_service == "harbor-registry"
    assert harbor.token_certificate_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert harbor.requests == []
