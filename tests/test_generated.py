"""The sync facades are what `scripts/unasync.py` generates from the async ones, and nothing else.

So the test suite (hence CI) fails when an async facade was changed without regenerating, when a
generated file was edited by hand, or when a substitution of the generator's table is unused.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "unasync.py"


@pytest.fixture
def generator(tmp_path, monkeypatch):
    """The generator, working on a copy of the facades in a temporary directory."""
    spec = importlib.util.spec_from_file_location("unasync_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    copy = tmp_path / "harborsec" / "_facades"
    shutil.copytree(ROOT / "harborsec" / "_facades", copy)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "SOURCE", copy / "_async")
    monkeypatch.setattr(module, "TARGET", copy / "_sync")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # ruff's settings
    (tmp_path / "harborsec" / "__init__.py").touch()  # so that ruff sorts it as first-party
    return module


def test_the_generated_code_is_current():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_generated_file_says_so():
    for path in (ROOT / "harborsec" / "_facades" / "_sync").glob("*.py"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == (
            f"# Generated from harborsec/_facades/_async/{path.name} by scripts/unasync.py; "
            "do not edit."
        )


def test_the_copy_checks_clean(generator):
    assert generator.main(["--check"]) == 0


def test_a_hand_edit_of_a_generated_file_fails_the_check(generator, capsys):
    target = generator.TARGET / "_scan_all.py"
    target.write_text(target.read_text() + "\n# a hand edit\n")
    assert generator.main(["--check"]) == 1
    assert "_scan_all.py is not what the generator writes" in capsys.readouterr().err
    assert generator.main([]) == 0  # regenerating repairs it
    assert generator.main(["--check"]) == 0


def test_an_async_change_not_regenerated_fails_the_check(generator, capsys):
    source = generator.SOURCE / "_plan.py"
    source.write_text(source.read_text().replace("Whether the project", "If the project"))
    assert generator.main(["--check"]) == 1
    assert "_plan.py is not what the generator writes" in capsys.readouterr().err


def test_a_generated_file_without_source_fails_the_check(generator, capsys):
    (generator.TARGET / "_orphan.py").write_text("")
    assert generator.main(["--check"]) == 1
    assert "_orphan.py has no source" in capsys.readouterr().err


def test_an_unused_substitution_fails_the_check(generator, monkeypatch, capsys):
    table = [*generator.SUBSTITUTIONS, (r"\bnever_written_anywhere\b", "x")]
    monkeypatch.setattr(generator, "SUBSTITUTIONS", table)
    assert generator.main(["--check"]) == 1
    assert "never_written_anywhere" in capsys.readouterr().err


def test_substitutions_apply_on_whole_words(generator):
    used: set[int] = set()
    text = "async def f(): await x.aclose(); StopAsyncIteration; AsyncPager; closeAsync"
    assert (
        generator.unasync_text(text, used)
        == "def f(): x.close(); StopAsyncIteration; Pager; closeAsync"
    )
