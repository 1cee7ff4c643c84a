"""A credential helper that fails and prints its secret: the `CredentialsError` does not hold it.

Real executables (`docker-credential-leaky`, a shell script written to `tmp_path` and put first on
`PATH`) print the secret they hold, in words of a message, on stderr or stdout, and exit 1. The
error quotes the helper's first line for diagnosis with every word that could be a secret masked;
nothing reaches a log either.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from harborsec.errors import CredentialsError
from harborsec.oci import docker_credentials

SECRETS = ["s3cr3t-Pa55w0rd", "Harbor12345", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "a+b/c=="]


def _helper(tmp_path: Path, script: str) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-leaky"
    helper.write_text("#!/bin/sh\ncat > /dev/null\n" + script)
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "leaky"}))
    return {
        "HOME": str(tmp_path),
        "DOCKER_CONFIG": str(tmp_path),
        "PATH": f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin",
    }


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("stream", ["stderr", "stdout"])
def test_a_secret_printed_by_a_failing_helper_is_not_quoted(
    tmp_path: Path, secret: str, stream: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    redirect = " >&2" if stream == "stderr" else ""
    env = _helper(tmp_path, f"echo 'error: password {secret} was rejected'{redirect}\nexit 1\n")
    with pytest.raises(CredentialsError) as caught:
        docker_credentials("harbor.example.com", environ=env)
    message = str(caught.value)
    assert "exit status 1" in message
    assert "error: password [redacted] was rejected" in message  # still says what went wrong
    encoded = base64.b64encode(secret.encode()).decode()
    for text in (message, repr(caught.value), caplog.text):
        assert secret not in text
        assert encoded not in text


def test_a_plain_message_is_quoted_whole(tmp_path: Path) -> None:
    env = _helper(tmp_path, "echo 'error: keychain is locked (code 3)' >&2\nexit 3\n")
    with pytest.raises(CredentialsError, match=r"error: keychain is locked \(code 3\)"):
        docker_credentials("harbor.example.com", environ=env)
