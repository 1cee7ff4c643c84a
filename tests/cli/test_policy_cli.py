"""`harborsec policy plan|apply|recommended` against a served emulator."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator

import pytest

from harborsec import Registry
from harborsec.policy import Policy
from harborsec.testing import HarborEmulator
from tests.cli._run import admin_env, run

POLICY = """\
auto_scan: true
prevent_vulnerable: true
severity: high
allowlist:
  items: [CVE-2024-3094]
immutability:
  - tags: "v*"
"""
CHANGES = [
    "~ auto_scan: false -> true",
    "~ prevent_vulnerable: false -> true",
    "~ severity: none -> high",
    "~ allowlist.use_project_list: false -> true",
    "+ allowlist.items: CVE-2024-3094",
    '+ immutability: tags matching "v*" in repositories matching "**"',
]
_names = itertools.count()


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with HarborEmulator().serve() as url:
        yield url.rstrip("/")


@pytest.fixture
def env(served, monkeypatch) -> str:
    """Admin credentials in the environment; returns the URL."""
    admin_env(monkeypatch, served)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    return served


@pytest.fixture
def project(served) -> str:
    """A new project on the served emulator."""
    name = f"policy-cli-{next(_names)}"
    with Registry(served, auth=("admin", "Harbor12345")) as registry:
        registry.create_project(name)
    return name


@pytest.fixture
def policy_file(tmp_path) -> str:
    path = tmp_path / "team.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


class Terminal(io.StringIO):
    """Standard input that is a terminal, with these answers typed in."""

    def isatty(self) -> bool:
        return True


def test_plan_prints_the_diff_and_changes_nothing(env, project, policy_file):
    code, out = run("policy", "plan", policy_file, "--project", project)
    assert code == 0
    assert out.splitlines() == [f"Project {project}: 6 changes", *CHANGES]
    assert run("policy", "plan", policy_file, "--project", project)[1] == out


def test_plan_check_fails_on_drift(env, project, policy_file):
    assert run("policy", "plan", policy_file, "--project", project, "--check")[0] == 1
    assert run("policy", "apply", policy_file, "--project", project, "--yes")[0] == 0
    code, out = run("policy", "plan", policy_file, "--project", project, "--check")
    assert (code, out) == (0, f"No changes: project {project} matches the policy.\n")


def test_plan_json(env, project, policy_file):
    code, out = run("policy", "plan", policy_file, "--project", project, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["project"] == project
    assert [c["text"] for c in data["changes"]] == CHANGES
    assert data["changes"][2] == {
        "kind": "config",
        "field": "severity",
        "before": "none",
        "after": "high",
        "text": "~ severity: none -> high",
    }
    assert data["changes"][5]["kind"] == "rule_create"
    assert data["changes"][5]["after"] == {
        "id": None,
        "repositories": "**",
        "tags": "v*",
        "exclude_repositories": False,
        "exclude_tags": False,
        "disabled": False,
    }


def test_apply_with_yes_then_the_plan_is_empty(env, project, policy_file):
    code, out = run("policy", "apply", policy_file, "--project", project, "--yes")
    assert code == 0
    assert out.splitlines() == [
        f"Project {project}: 6 changes",
        *CHANGES,
        f"Applied: project {project} matches the policy.",
    ]
    code, out = run("policy", "apply", policy_file, "--project", project)  # nothing to confirm
    assert (code, out) == (0, f"No changes: project {project} matches the policy.\n")


def test_apply_never_waits_for_an_answer_when_stdin_is_not_a_terminal(
    env, project, policy_file, capsys
):
    code, out = run("policy", "apply", policy_file, "--project", project)
    assert code == 1
    assert out.splitlines()[0] == f"Project {project}: 6 changes"
    assert "pass --yes to apply" in capsys.readouterr().err
    assert run("policy", "plan", policy_file, "--project", project, "--check")[0] == 1


def test_apply_asks_on_a_terminal(env, project, policy_file, monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out = run("policy", "apply", policy_file, "--project", project)
    assert code == 1
    assert out.endswith(f"Apply these changes to project {project}? [y/N] Not applied.\n")
    assert run("policy", "plan", policy_file, "--project", project, "--check")[0] == 1

    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    code, out = run("policy", "apply", policy_file, "--project", project)
    assert code == 0
    assert out.endswith(f"Applied: project {project} matches the policy.\n")


def test_apply_with_the_password_on_stdin(served, project, policy_file, monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
    argv = ["policy", "apply", policy_file, "--project", project, "--url", served]
    argv += ["--username", "admin", "--password-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO("Harbor12345\n"))
    assert run(*argv)[0] == 1  # the password used stdin: nothing can be confirmed
    assert "pass --yes" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("Harbor12345\n"))
    assert run(*argv, "--yes")[0] == 0


def test_apply_json(env, project, policy_file):
    code, out = run("policy", "apply", policy_file, "--project", project, "--yes", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["applied"] is True and data["remaining"] == []
    assert [c["text"] for c in data["changes"]] == CHANGES


def test_a_bad_policy_file_exits_1_with_its_location(env, project, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("auto_scan: true\nseverity: severe\n")
    code, out = run("policy", "plan", str(path), "--project", project)
    assert (code, out) == (1, "")
    assert f"{path}:2 severity: unknown severity 'severe'" in capsys.readouterr().err


def test_a_missing_policy_file_exits_1(env, project, tmp_path, capsys):
    code, _ = run("policy", "apply", str(tmp_path / "nope.toml"), "--project", project, "--yes")
    assert code == 1
    assert "cannot read" in capsys.readouterr().err


def test_an_unknown_scanner_exits_1(env, project, tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text('{"scanner": "Anchore"}')
    assert run("policy", "plan", str(path), "--project", project)[0] == 1
    assert "scanner: no scanner named 'Anchore'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["policy"], ["policy", "plan", "f.yaml"], ["policy", "nope"]])
def test_usage_errors_exit_2(argv, capsys):
    assert run(*argv)[0] == 2


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_recommended_in_each_format(fmt):
    code, out = run("policy", "recommended", "--format", fmt)
    assert code == 0
    assert Policy.loads(out, format=fmt) == Policy.recommended()


def test_recommended_defaults_to_yaml():
    assert run("policy", "recommended") == (0, Policy.recommended().dumps("yaml"))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.yaml", "allowlist:\n  expires_at: 2027-02-30\n"),
        ("p.yaml", "auto_scan: !!float ''\n"),
        ("p.yaml", "auto_scan: \x01\n"),
        ("p.json", '{"auto_scan": ' + "1" * 5000 + "}"),
        ("p.toml", "auto_scan = " + "[" * 5000 + "]" * 5000),
    ],
)
def test_a_policy_file_the_parser_trips_on_exits_1_with_one_line(tmp_path, capsys, name, text):
    path = tmp_path / name
    path.write_text(text)
    code, out = run("policy", "plan", str(path), "--project", "p")
    err = capsys.readouterr().err
    assert (code, out) == (1, "")
    assert err.startswith(f"harborsec: error: {path}")
    assert err.count("\n") == 1 and "Traceback" not in err
