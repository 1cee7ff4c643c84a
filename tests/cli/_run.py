"""Helpers shared by the CLI tests: run `harborsec` in process, and log in as the admin."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from harborsec.cli import main

__all__ = ["admin_env", "run", "run_json"]


def run(*argv: str) -> tuple[int, str]:
    """`harborsec ARGV...` in this process: its exit code and what it printed."""
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def run_json(*argv: str) -> Any:
    """`harborsec ARGV... --json`, which must succeed: its output, parsed."""
    code, out = run(*argv, "--json")
    assert code == 0, out
    return json.loads(out)


def admin_env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Harbor's default administrator in `HARBOR_*`, and no docker config to fall back on."""
    monkeypatch.setenv("HARBOR_URL", url)
    monkeypatch.setenv("HARBOR_USERNAME", "admin")
    monkeypatch.setenv("HARBOR_PASSWORD", "Harbor12345")
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
