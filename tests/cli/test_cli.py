import subprocess
import sys

import pytest

from tests._data import VALID_LAYOUT as LAYOUT
from tests.cli._run import run

IMAGE = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"


def test_digest_of_a_layout():
    assert run("digest", f"oci:{LAYOUT}:v1") == (0, IMAGE + "\n")


def test_failure_exits_1(capsys):
    code, out = run("digest", f"oci:{LAYOUT}:v9")
    assert code == 1
    assert out == ""
    assert "v9" in capsys.readouterr().err


def test_bad_reference_exits_1_with_the_reason(capsys):
    code, _ = run("digest", "Not A Reference")
    assert code == 1
    assert "invalid reference" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["digest"], ["nope"], ["digest", "x", "--platform"]])
def test_usage_errors_exit_2(argv, capsys):
    assert run(*argv)[0] == 2


def test_bad_platform_is_a_usage_error(capsys):
    assert run("digest", f"oci:{LAYOUT}:v1", "--platform", "linux")[0] == 2
    assert "platform" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--help"], ["digest", "--help"], ["demo", "--help"], ["emulator", "--help"]]
)
def test_help_everywhere(argv, capsys):
    assert run(*argv)[0] == 0
    assert "usage:" in capsys.readouterr().out


def test_demo_walks_the_workflow():
    code, out = run("demo")
    assert code == 0
    assert "[6/6]" in out
    assert "planning again finds nothing to do" in out
    assert "refused (412: immutable)" in out
    assert "demo OK" in out
    assert "linux/arm64/v8" in out


def test_the_installed_command_runs():
    result = subprocess.run(
        [sys.executable, "-m", "harborsec", "digest", f"oci:{LAYOUT}:v1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == IMAGE


def test_a_plain_http_registry_without_insecure_says_what_to_do(capsys):
    from harborsec.testing import HarborEmulator

    with HarborEmulator().serve() as url:
        host = url.split("://", 1)[1].rstrip("/")
        code, _ = run("digest", f"{host}/library/app:1.0")
    assert code == 1
    err = capsys.readouterr().err
    assert "plain HTTP" in err and "--insecure" in err


def _broken_layouts(tmp_path):
    """A path too long for the file system, and layouts whose files are directories or junk."""
    import shutil

    yield "a" * 300
    for name, breakage in [
        ("index.json", "directory"),
        ("oci-layout", "junk"),
        ("index.json", "deep"),
    ]:
        layout = tmp_path / f"{name}-{breakage}"
        shutil.copytree(LAYOUT, layout)
        target = layout / name
        target.unlink()
        if breakage == "directory":
            target.mkdir()
        elif breakage == "junk":
            target.write_bytes(b"\xff junk")
        else:
            target.write_text('{"manifests": ' + "[" * 100_000)
        yield str(layout)


def test_a_broken_layout_exits_1_without_a_traceback(tmp_path, capsys):
    for path in _broken_layouts(tmp_path):
        code, out = run("digest", f"oci:{path}:v1")
        err = capsys.readouterr().err
        assert (code, out) == (1, ""), err
        assert "Traceback" not in err
        assert err.startswith("harborsec: ")
