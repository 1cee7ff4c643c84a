"""Generate the synchronous facades from the asynchronous ones (httpcore's unasync, adapted).

Each file of `harborsec/_facades/_async/` is the one definition of its public methods. This
script rewrites it with the substitutions of `SUBSTITUTIONS` (applied line by line, in order,
on whole words), formats the result with ruff, and writes it to `harborsec/_facades/_sync/`
under the same name, headed by a "generated; do not edit" comment.

Usage:
    python scripts/unasync.py           # regenerate the sync files
    python scripts/unasync.py --check   # fail if a sync file is stale, missing or extra, or if
                                        # a substitution of the table is never used

`tests/test_generated.py` runs the check, so the test suite (and CI) fails when someone edits an
async facade without regenerating, or edits a generated file by hand.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "harborsec" / "_facades" / "_async"
TARGET = ROOT / "harborsec" / "_facades" / "_sync"

SUBSTITUTIONS: list[tuple[str, str]] = [
    # syntax
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    # protocols and context managers
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\basynccontextmanager\b", "contextmanager"),
    # method names of the async side
    (r"\baclose\b", "close"),
    (r"\baiter_bytes\b", "iter_bytes"),
    (r"\bachunks\b", "chunks"),
    # modules
    (r"\bharborsec\._facades\._async\b", "harborsec._facades._sync"),
    # names: AsyncRegistry -> Registry, AsyncIterator -> Iterator, httpx.AsyncClient -> Client...
    (r"\bAsync([A-Z][A-Za-z0-9_]*)", r"\1"),
]
"""(pattern, replacement) pairs; every one must be used by some file (`--check` says which is
not)."""

HEADER = "# Generated from {source} by scripts/unasync.py; do not edit.\n"


def unasync_text(text: str, used: set[int]) -> str:
    """Apply the substitutions to a whole file, recording which ones matched."""
    lines = []
    for line in text.splitlines(keepends=True):
        for index, (pattern, replacement) in enumerate(SUBSTITUTIONS):
            line, count = re.subn(pattern, replacement, line)
            if count:
                used.add(index)
        lines.append(line)
    return "".join(lines)


def _ruff(args: list[str], text: str, name: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter, running ruff
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", name, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode:
        raise SystemExit(f"ruff {args[0]} failed on the output for {name}:\n{result.stderr}")
    return result.stdout


def ruff_format(text: str, name: str) -> str:
    """Sort the imports and format the code as the repository's ruff configuration says.

    Renaming changes the order of imports and the length of lines, hence both passes.
    """
    text = _ruff(["check", "--select", "I", "--fix", "--exit-zero", "--quiet"], text, name)
    return _ruff(["format", "--quiet"], text, name)


def generate() -> tuple[dict[Path, str], set[int]]:
    """The sync files that the async sources give, by target path, and the substitutions used."""
    used: set[int] = set()
    outputs: dict[Path, str] = {}
    for source in sorted(SOURCE.glob("*.py")):
        target = TARGET / source.name
        body = unasync_text(source.read_text(encoding="utf-8"), used)
        header = HEADER.format(source=source.relative_to(ROOT).as_posix())
        outputs[target] = ruff_format(header + body, str(target.relative_to(ROOT)))
    return outputs, used


def main(argv: list[str] | None = None) -> int:
    """Regenerate, or with `--check` report what differs; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")
    args = parser.parse_args(argv)
    outputs, used = generate()
    problems = [
        f"substitution {SUBSTITUTIONS[index][0]!r} is never used: remove it from the table"
        for index in range(len(SUBSTITUTIONS))
        if index not in used
    ]
    existing = set(TARGET.glob("*.py"))
    for extra in sorted(existing - set(outputs)):
        problems.append(f"{extra.relative_to(ROOT)} has no source in {SOURCE.relative_to(ROOT)}")
    for target, text in outputs.items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            problems.append(f"{target.relative_to(ROOT)} is not what the generator writes")
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    if not args.check:
        for extra in sorted(existing - set(outputs)):
            extra.unlink()
            print(f"removed {extra.relative_to(ROOT)}")
        problems = [p for p in problems if "has no source" not in p]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems and args.check:
        print("run: python scripts/unasync.py", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
