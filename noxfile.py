"""nox sessions: tests on every supported Python, lint, typecheck, docs and the benchmark.

With pyenv, ``export PYENV_VERSION=3.11.7:3.10.13:3.12.1:3.13.0`` puts every interpreter on PATH.
``nox`` runs the default sessions; ``nox -s tests-3.12 -- tests/integration -q`` passes arguments
to pytest.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.error_on_missing_interpreters = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
LINT_PATHS = ["harborsec", "tests", "benchmarks", "scripts", "conftest.py", "noxfile.py"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite; arguments after ``--`` go to pytest."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check, and the generated sync facades are current."""
    session.install("ruff")
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)
    session.run("python", "scripts/unasync.py", "--check")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package (with the optional extras it imports, to check those uses)."""
    session.install("-e", ".[aiohttp]", "mypy")
    session.run("mypy", "--strict", "harborsec")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with ``mkdocs build --strict``, without network access."""
    session.install("-e", ".[docs]", "ruff")  # ruff formats the signatures
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        f"{session.create_tmp()}/site",
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the digest-resolution benchmark."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/digest_resolution.py", *session.posargs)
