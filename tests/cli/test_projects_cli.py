"""`harborsec whoami`, `projects`, `project ...` and `allowlist ...` against a served emulator."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from harborsec.testing import HarborEmulator
from tests.cli._run import admin_env, run, run_json


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[HarborEmulator, str]]:
    emulator = HarborEmulator()
    emulator.add_user("dev", "Dev12345")
    with emulator.serve() as url:
        yield emulator, url.rstrip("/")


@pytest.fixture
def harbor(served, monkeypatch) -> Iterator[tuple[HarborEmulator, str]]:
    """The served emulator, with admin credentials in the environment."""
    admin_env(monkeypatch, served[1])
    return served


def test_whoami_with_password_on_stdin(served, monkeypatch):
    _, url = served
    monkeypatch.setattr("sys.stdin", io.StringIO("Harbor12345\n"))
    code, out = run("whoami", "--url", url, "--username", "admin", "--password-stdin")
    assert code == 0
    assert out.startswith("admin (user) on ")


def test_whoami_json(harbor):
    data = run_json("whoami")
    assert data["username"] == "admin" and data["robot"] is False
    assert {"resource": "project", "action": "create"} in data["permissions"]


def test_whoami_with_a_wrong_password_exits_1(served, monkeypatch, capsys):
    _, url = served
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
    code, out = run("whoami", "--url", url, "--username", "admin", "--password-stdin")
    assert code == 1 and out == ""
    assert "did not accept the credentials of 'admin'" in capsys.readouterr().err


def test_create_list_show_delete(harbor):
    assert run("project", "create", "cli-a") == (0, "created project cli-a\n")
    assert run("project", "create", "cli-b", "--public")[0] == 0
    code, out = run("projects", "--name", "cli-")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "PUBLIC", "REPOS", "PREVENT", "VULNERABLE", "COSIGN",
                                "AUTO", "SCAN"]  # fmt: skip
    assert [line.split()[:2] for line in lines[1:]] == [["cli-a", "off"], ["cli-b", "on"]]
    assert [p["name"] for p in run_json("projects", "--public", "--name", "cli-")] == ["cli-b"]
    assert [p["name"] for p in run_json("projects", "--private", "--name", "cli-")] == ["cli-a"]
    shown = run_json("project", "show", "cli-a")
    assert shown["name"] == "cli-a" and shown["config"]["reuse_system_allowlist"] is True
    assert shown["allowlist"] == {"items": [], "expires_at": None, "expired": False}
    code, out = run("project", "show", "cli-a")
    assert "CVE allowlist:      system" in out
    assert run("project", "delete", "cli-b") == (0, "deleted project cli-b\n")
    assert [p["name"] for p in run_json("projects", "--name", "cli-")] == ["cli-a"]


def test_missing_project_exits_1(harbor, capsys):
    assert run("project", "show", "no-such-project")[0] == 1
    # Harbor answers 403 for a missing name; the SDK asks HEAD /projects?project_name= (404)
    assert "project 'no-such-project' not found" in capsys.readouterr().err


def test_set(harbor):
    run("project", "create", "cli-set")
    config = run_json(
        "project", "set", "cli-set", "--prevent-vulnerable", "High", "--auto-scan", "on",
        "--cosign-required", "on",
    )  # fmt: skip
    assert config["prevent_vulnerable"] is True and config["severity"] == "high"
    assert config["auto_scan"] is True and config["cosign_required"] is True
    code, out = run("project", "set", "cli-set", "--prevent-vulnerable", "off")
    assert code == 0
    assert "prevent vulnerable: off" in out
    assert "auto scan:          on" in out  # unchanged
    metadata = run_json("project", "show", "cli-set")["metadata"]
    assert metadata["prevent_vul"] == "false" and metadata["severity"] == "high"


@pytest.mark.parametrize(
    "argv",
    [
        ["project", "set", "cli-x"],  # nothing to change
        ["project", "set", "cli-x", "--auto-scan", "maybe"],
        ["project", "set", "cli-x", "--prevent-vulnerable", "severe"],
        ["project"],
        ["allowlist", "show"],  # --project or --system is required
        ["allowlist", "add", "--system"],  # no id
        ["allowlist", "expire", "soon", "--system"],
        ["projects", "--public", "--private"],
    ],
)
def test_usage_errors_exit_2(harbor, argv):
    assert run(*argv)[0] == 2


def test_project_allowlist(harbor):
    run("project", "create", "cli-al")
    shown = run_json("allowlist", "show", "--project", "cli-al")
    assert shown["in_force"] == "system"
    got = run_json(
        "allowlist", "replace", "CVE-2024-3094", "CVE-2024-3094", "CVE-2023-44487",
        "--project", "cli-al", "--expires", "2027-06-30",
    )  # fmt: skip
    assert got == {
        "list": "project",
        "items": ["CVE-2024-3094", "CVE-2023-44487"],
        "expires_at": "2027-06-30T00:00:00+00:00",
        "expired": False,
    }
    assert run_json("allowlist", "show", "--project", "cli-al")["in_force"] == "project"
    got = run_json("allowlist", "remove", "CVE-2024-3094", "--project", "cli-al")
    assert got["items"] == ["CVE-2023-44487"]
    got = run_json("allowlist", "add", "GHSA-xvch-5gv4-984h", "--project", "cli-al")
    assert got["items"] == ["CVE-2023-44487", "GHSA-xvch-5gv4-984h"]
    got = run_json("allowlist", "expire", "never", "--project", "cli-al")
    assert got["expires_at"] is None
    code, out = run("allowlist", "show", "--project", "cli-al")
    assert code == 0
    assert out.splitlines()[0] == "in force for cli-al: the project allowlist"
    assert "    GHSA-xvch-5gv4-984h" in out


def test_keep_source(harbor):
    run("project", "create", "cli-keep")
    run_json("allowlist", "add", "CVE-2024-3094", "--project", "cli-keep", "--keep-source")
    shown = run_json("allowlist", "show", "--project", "cli-keep")
    assert shown["in_force"] == "system"
    assert shown["project"]["items"] == ["CVE-2024-3094"]


def test_bad_ids_exit_1_and_send_nothing(harbor, capsys):
    emulator, _ = harbor
    run("project", "create", "cli-bad")
    emulator.requests.clear()
    code, _ = run("allowlist", "add", "cve-2024-3094", "--project", "cli-bad")
    assert code == 1
    assert "invalid CVE id" in capsys.readouterr().err
    assert not [r for r in emulator.requests if r.method == "PUT"]


def test_system_allowlist(harbor):
    got = run_json("allowlist", "replace", "CVE-2021-44228", "--system", "--expires", "never")
    assert got["list"] == "system" and got["items"] == ["CVE-2021-44228"]
    got = run_json("allowlist", "add", "CVE-2024-3094", "--system")
    assert got["items"] == ["CVE-2021-44228", "CVE-2024-3094"]
    got = run_json("allowlist", "expire", "2030-01-01T12:00:00Z", "--system")
    assert got["expires_at"] == "2030-01-01T12:00:00+00:00"
    code, out = run("allowlist", "show", "--system")
    assert code == 0
    assert out.splitlines()[:2] == [
        "system allowlist:",
        "  2 id(s), expires 2030-01-01T12:00:00+00:00",
    ]
    run_json("allowlist", "replace", "--system", "--expires", "never")  # clean up


def test_non_admin_cannot_write_the_system_list(harbor, monkeypatch, capsys):
    monkeypatch.setenv("HARBOR_USERNAME", "dev")
    monkeypatch.setenv("HARBOR_PASSWORD", "Dev12345")
    assert run("allowlist", "add", "CVE-2024-3094", "--system")[0] == 1
    assert "403" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["whoami", "--help"], ["projects", "--help"], ["project", "set", "--help"],
     ["allowlist", "replace", "--help"]],
)  # fmt: skip
def test_help(argv, capsys):
    assert run(*argv)[0] == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("with_username", [False, True])
def test_password_stdin_with_the_username_from_the_environment(served, monkeypatch, with_username):
    _, url = served
    monkeypatch.setenv("HARBOR_URL", url)
    monkeypatch.setenv("HARBOR_USERNAME", "admin")
    monkeypatch.delenv("HARBOR_PASSWORD", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
    monkeypatch.setattr("sys.stdin", io.StringIO("Harbor12345\n"))
    extra = ("--username", "admin") if with_username else ()
    code, out = run("whoami", "--password-stdin", *extra)
    assert code == 0
    assert out.startswith("admin (user) on ")


def test_no_url_says_which_option_to_use(monkeypatch, capsys):
    monkeypatch.delenv("HARBOR_URL", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", "/nonexistent")
    assert run("projects")[0] == 2
    err = capsys.readouterr().err
    assert "--url" in err and "HARBOR_URL" in err


def test_a_closed_pipe_ends_quietly(served):
    """`harborsec projects | head -1`: no BrokenPipeError traceback, SIGPIPE's exit status."""
    import os
    import subprocess
    import sys

    emulator, url = served
    for n in range(40):
        emulator.create_project(f"pipe-{n:02d}")
    env = {**os.environ, "HARBOR_URL": url, "HARBOR_USERNAME": "admin"}
    env.update(HARBOR_PASSWORD="Harbor12345", DOCKER_CONFIG="/nonexistent")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        result = subprocess.run(
            [sys.executable, "-m", "harborsec", "projects"],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert result.returncode == 141, result.stderr
    assert b"Traceback" not in result.stderr and b"BrokenPipe" not in result.stderr
