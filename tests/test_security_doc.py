"""docs/security.md: every claim names a test, and every test it names exists.

The claims are the rows of the tables whose header is `| claim | test |`; each row's second
cell names one or more tests as `tests/path/to/test_file.py::test_name`. A claim whose test is
renamed or deleted fails here, so the page cannot drift into promises nothing checks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def claim_rows(text: str) -> list[tuple[str, str]]:
    """The (claim, test cell) rows of every `| claim | test |` table of the page."""
    rows: list[tuple[str, str]] = []
    in_table = False
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|"):
            in_table = False
        elif [c.lower() for c in cells] == ["claim", "test"]:
            in_table = True
        elif in_table and not set(line.replace("|", "").strip()) <= set("-: "):
            rows.append((cells[0], cells[-1]))
    return rows


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
    return names


def test_the_page_has_claims():
    assert len(claim_rows(PAGE.read_text(encoding="utf-8"))) >= 20


@pytest.mark.parametrize(
    ("claim", "cell"), claim_rows(PAGE.read_text(encoding="utf-8")), ids=lambda v: v[:40]
)
def test_every_claim_names_tests_that_exist(claim: str, cell: str):
    references = REFERENCE.findall(cell)
    assert references, f"the claim {claim!r} names no test"
    for file, name in references:
        path = ROOT / file
        assert path.is_file(), f"{claim!r}: no file {file}"
        assert name in defined_tests(path), f"{claim!r}: {file} has no test {name}"


def test_the_table_reader_sees_missing_and_unknown_tests():
    page = "| claim | test |\n| --- | --- |\n| a | none |\n| b | tests/x.py::test_y |\n"
    rows = claim_rows(page)
    assert rows == [("a", "none"), ("b", "tests/x.py::test_y")]
    assert not REFERENCE.findall(rows[0][1])
