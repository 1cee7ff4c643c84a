"""tests/data/README.md lists every data file, with its source and sha256, and nothing else."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest

from tests._data import DATA, HARBOR_SPEC, NOTATION_GO_LAYOUT, VALID_LAYOUT

README = DATA / "README.md"

_FILE_ROW = re.compile(
    r"\| `(?P<file>[^`]+)` \| (?P<repository>[\w.-]+/[\w.-]+) \| `(?P<path>[^`]+)` "
    r"\| `(?P<commit>[0-9a-f]{12,40})` \| (?P<licence>[^|]+?) \| `(?P<sha256>[0-9a-f]{12,64})` \|"
)
_SOURCE_ROW = re.compile(r"\| (?P<repository>[\w.-]+/[\w.-]+) \| `(?P<commit>[0-9a-f]{40})` \|")


@dataclass(frozen=True)
class Row:
    """One row of the README's file table."""

    file: str
    repository: str
    path: str
    commit: str
    licence: str
    sha256: str


def _section(title: str) -> list[str]:
    """The table lines (``| ...``) of the README section ``## title``."""
    text = README.read_text(encoding="utf-8")
    _, found, rest = text.partition(f"\n## {title}\n")
    assert found, f"no section '## {title}' in {README}"
    body = rest.split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line.startswith("| ") and "---" not in line]


def _rows() -> list[Row]:
    rows = []
    for line in _section("Files")[1:]:  # after the header
        match = _FILE_ROW.fullmatch(line)
        assert match, f"malformed row in {README}: {line}"
        rows.append(Row(**match.groupdict()))
    return rows


def _sources() -> dict[str, str]:
    sources = {}
    for line in _section("Sources")[1:]:
        match = _SOURCE_ROW.match(line)
        assert match, f"malformed source in {README}: {line}"
        sources[match["repository"]] = match["commit"]
    return sources


def _data_files() -> list[str]:
    return sorted(
        path.relative_to(DATA).as_posix()
        for path in DATA.rglob("*")
        if path.is_file() and path != README
    )


def test_every_data_file_is_listed_once_and_every_listed_file_exists() -> None:
    listed = [row.file for row in _rows()]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(listed) == _data_files()


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row.file)
def test_file_is_unmodified(row: Row) -> None:
    actual = hashlib.sha256((DATA / row.file).read_bytes()).hexdigest()
    assert actual.startswith(row.sha256), f"{row.file}: sha256 {actual}, README says {row.sha256}"


def test_every_row_names_a_revision_of_a_listed_source() -> None:
    sources = _sources()
    for row in _rows():
        assert sources.get(row.repository, "").startswith(row.commit), row


def test_the_paths_the_tests_use_are_listed() -> None:
    listed = {row.file for row in _rows()}
    for path in (HARBOR_SPEC, VALID_LAYOUT / "index.json", NOTATION_GO_LAYOUT / "index.json"):
        assert path.relative_to(DATA).as_posix() in listed
