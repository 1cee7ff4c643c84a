"""`harborsec immutability ...`, `scanners ...` and `schedule ...` against a served emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from harborsec.testing import HarborEmulator
from tests.cli._run import admin_env, run, run_json


@pytest.fixture
def harbor(monkeypatch) -> Iterator[HarborEmulator]:
    """A fresh served emulator (with projects team and other), admin credentials in the env."""
    emulator = HarborEmulator()
    emulator.create_project("team")
    emulator.create_project("other")
    with emulator.serve() as url:
        admin_env(monkeypatch, url.rstrip("/"))
        yield emulator


# -- immutability ----------------------------------------------------------------------------------


def test_immutability_rules_from_the_command_line(harbor):
    code, out = run("immutability", "list", "--project", "team")
    assert (code, out) == (0, "project team has no immutability rules\n")

    code, out = run(
        "immutability", "add", "--project", "team", "--repositories", "api/**", "--tags", "v*"
    )
    assert code == 0
    assert out == "added rule 1: repositories api/**, tags v*\n"
    added = run_json(
        "immutability", "add", "--project", "team", "--tags", "latest", "--exclude-tags",
        "--disabled",
    )  # fmt: skip
    assert added["exclude_tags"] and added["disabled"] and added["id"] == 2

    rules = run_json("immutability", "list", "--project", "team")
    assert [(r["id"], r["repositories"], r["tags"], r["disabled"]) for r in rules] == [
        (1, "api/**", "v*", False),
        (2, "**", "latest", True),
    ]
    code, out = run("immutability", "list", "--project", "team")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "REPOSITORIES", "TAGS", "PROBLEM"]
    assert lines[2].split() == ["2", "disabled", "**", "excluding", "latest"]

    assert run("immutability", "enable", "--project", "team", "2") == (
        0,
        "enabled rule 2 of project team\n",
    )
    assert run("immutability", "disable", "--project", "team", "1")[0] == 0
    assert run_json("immutability", "list", "--project", "team")[0]["disabled"] is True
    assert run("immutability", "delete", "--project", "team", "1")[0] == 0
    assert [r["id"] for r in run_json("immutability", "list", "--project", "team")] == [2]


def test_check_exits_0_when_immutable_and_1_when_not(harbor):
    run("immutability", "add", "--project", "team", "--repositories", "api/**", "--tags", "v*")
    code, out = run("immutability", "check", "--project", "team", "team/api/server", "v1.0")
    assert code == 0
    assert out == "team/api/server:v1.0 is immutable (rule 1: repositories api/**, tags v*)\n"
    code, out = run("immutability", "check", "--project", "team", "api/server", "latest")
    assert (code, out) == (1, "team/api/server:latest is not immutable\n")
    code, out = run("immutability", "check", "--project", "team", "api/x", "v2", "--json")
    assert code == 0
    assert json.loads(out)["rule"]["id"] == 1


def test_invalid_rules_and_the_limit_fail_with_a_reason(harbor, capsys):
    code, _ = run("immutability", "add", "--project", "team", "--tags", "v[0-9")
    assert code == 1
    assert "unclosed '['" in capsys.readouterr().err
    for number in range(15):
        assert run("immutability", "add", "--project", "team", "--tags", f"t{number}")[0] == 0
    code, _ = run("immutability", "add", "--project", "team", "--tags", "x")
    assert code == 1
    assert "at most 15" in capsys.readouterr().err
    assert run("immutability", "add", "--project", "team", "--tags", "x", "--no-limit")[0] == 0


def test_missing_rules_and_usage_errors(harbor, capsys):
    assert run("immutability", "delete", "--project", "team", "42")[0] == 1
    assert run("immutability", "list")[0] == 2  # --project is required
    assert run("immutability", "enable", "--project", "team", "one")[0] == 2


def test_password_on_stdin(harbor, monkeypatch):
    monkeypatch.delenv("HARBOR_USERNAME")
    monkeypatch.delenv("HARBOR_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO("Harbor12345\n"))
    code, _ = run(
        "immutability", "list", "--project", "team", "--username", "admin", "--password-stdin"
    )
    assert code == 0


# -- scanners --------------------------------------------------------------------------------------


def test_scanners_from_the_command_line(harbor, monkeypatch, capsys):
    assert run("scanners", "list") == (0, "no scanners registered\n")
    monkeypatch.setenv("TRIVY_TOKEN", "s3cr3t")
    code, out = run(
        "scanners", "register", "trivy-ha", "http://trivy.internal:8080", "--auth", "bearer",
        "--credential-env", "TRIVY_TOKEN", "--use-internal-address",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("registered scanner trivy-ha ") and "(the default scanner)" in out
    grype = run_json("scanners", "register", "grype", "http://grype.internal")
    assert grype["is_default"] is False and grype["auth"] == ""

    listed = run_json("scanners", "list")
    assert {s["name"]: s["is_default"] for s in listed} == {"trivy-ha": True, "grype": False}
    assert "s3cr3t" not in json.dumps(listed)
    code, out = run("scanners", "list")
    assert out.splitlines()[0].split() == ["NAME", "UUID", "URL", "DEFAULT", "STATUS", "HEALTH"]

    assert run("scanners", "default", "grype") == (0, "grype is now the default scanner\n")
    assert {s["name"]: s["is_default"] for s in run_json("scanners", "list")}["grype"]

    code, out = run("scanners", "set-project", "--project", "team", "trivy-ha")
    assert (code, out) == (0, "project team now uses scanner trivy-ha\n")

    assert run("scanners", "ping", "http://up.internal")[0] == 0
    assert run("scanners", "ping", "http://down.invalid")[0] == 1

    assert run("scanners", "delete", grype["uuid"])[0] == 0
    assert [s["name"] for s in run_json("scanners", "list")] == ["trivy-ha"]
    assert run("scanners", "delete", "ghost")[0] == 1
    assert "no scanner named" in capsys.readouterr().err


def test_scanner_credential_problems(harbor, capsys):
    code, _ = run("scanners", "register", "x", "http://x.internal", "--auth", "basic")
    assert code == 1
    assert "needs a credential" in capsys.readouterr().err
    code, _ = run(
        "scanners", "register", "x", "http://x.internal", "--auth", "basic",
        "--credential-env", "NOT_SET_ANYWHERE",
    )  # fmt: skip
    assert code == 2
    assert "NOT_SET_ANYWHERE is not set" in capsys.readouterr().err
    assert run("scanners", "register", "x", "http://x", "--auth", "digest")[0] == 2


def push_one_image(emulator: HarborEmulator) -> None:
    from harborsec import Descriptor, Registry
    from harborsec.oci import OCI_MANIFEST, ImageManifest

    config = Descriptor.for_content("application/vnd.oci.image.config.v1+json", b"{}")
    layer = Descriptor.for_content("application/vnd.oci.image.layer.v1.tar", b"x")
    manifest = ImageManifest(config=config, layers=(layer,))
    auth = ("admin", "Harbor12345")
    with Registry("https://harbor.test", auth=auth, transport=emulator.transport()) as registry:
        registry.push_blob("team/app", b"{}")
        registry.push_blob("team/app", b"x")
        registry.push_manifest("team/app", manifest.to_bytes(), media_type=OCI_MANIFEST, tag="1")


# -- schedule --------------------------------------------------------------------------------------


def test_schedule_from_the_command_line(harbor, capsys):
    assert run("schedule", "show")[0] == 1  # no default scanner: Harbor's 412
    assert "no scanner" in capsys.readouterr().err
    assert run("scanners", "register", "trivy-ha", "http://trivy.internal")[0] == 0

    assert run("schedule", "show") == (0, "no scan-all schedule\n")
    code, out = run("schedule", "set", "daily")
    assert code == 0 and out.startswith("Daily: 0 0 0 * * * (next run ")
    shown = run_json("schedule", "set", "custom", "--cron", "0 30 2 * * *")
    assert (shown["type"], shown["cron"]) == ("Custom", "0 30 2 * * *")
    assert run_json("schedule", "show")["cron"] == "0 30 2 * * *"

    assert run("schedule", "set", "custom", "--cron", "*/5 * * * * *")[0] == 1
    assert "seconds field must be 0" in capsys.readouterr().err
    assert run("schedule", "set", "monthly")[0] == 2

    push_one_image(harbor)
    assert run("schedule", "run") == (0, "scan-all started\n")
    metrics = run_json("schedule", "metrics")
    assert metrics["ongoing"] is True and metrics["trigger"] == "Manual"
    code, out = run("schedule", "metrics")
    assert out.splitlines()[0] == "0/1 scans done (running, started by Manual)"
    assert run("schedule", "stop") == (0, "scan-all stopped\n")
    assert run_json("schedule", "metrics", "--scheduled")["total"] == 0

    assert run("schedule", "set", "none") == (0, "no scan-all schedule\n")
    assert run_json("schedule", "show") is None
