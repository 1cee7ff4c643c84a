"""Credentials: environment variables, Docker config files and real credential-helper programs."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harborsec.errors import CredentialsError
from harborsec.oci._credentials import (
    IDENTITY_TOKEN_USERNAME,
    Credentials,
    credentials_from_env,
    docker_credentials,
)

SECRET = "s3cr3t-Pa55w0rd"
HARBOR = "harbor.example.com"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(autouse=True)
def _secrets_never_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert SECRET not in caplog.text
    assert b64(f"admin:{SECRET}") not in caplog.text


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def bindir(tmp_path: Path) -> Path:
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.fixture
def env(home: Path, bindir: Path) -> dict[str, str]:
    """An environment whose PATH starts with the fake helpers' directory."""
    return {"HOME": str(home), "PATH": f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin"}


def write_config(directory: Path, config: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def write_helper(bindir: Path, name: str, body: str) -> Path:
    """A real executable `docker-credential-<name>` shell script."""
    path = bindir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def echo_helper(bindir: Path, name: str = "test", username: str = "helper-user") -> Path:
    """A helper that records its argument and stdin, and answers like docker-credential-pass."""
    log = bindir / f"{name}.calls"
    return write_helper(
        bindir,
        name,
        f'server=$(cat)\nprintf "%s %s\\n" "$1" "$server" >> "{log}"\n'
        f'printf \'{{"ServerURL":"%s","Username":"{username}","Secret":"{SECRET}"}}\' '
        '"$server"\n',
    )


def calls(bindir: Path, name: str = "test") -> list[str]:
    log = bindir / f"{name}.calls"
    return log.read_text().splitlines() if log.exists() else []


# --- Credentials --------------------------------------------------------------------------------


def test_repr_and_str_hide_the_password() -> None:
    creds = Credentials("robot$ci", SECRET)
    for text in (
        repr(creds),
        str(creds),
        f"{creds}",
        f"{creds!r}",
        repr([creds]),
        repr({1: creds}),
    ):
        assert SECRET not in text
        assert "robot$ci" in text
    assert repr(creds) == "Credentials(username='robot$ci', password=<hidden>)"
    assert creds.password == SECRET


def test_credentials_value_semantics() -> None:
    assert Credentials("a", "b") == Credentials("a", "b")
    assert Credentials("a", "b") != Credentials("a", "c")
    assert len({Credentials("a", "b"), Credentials("a", "b")}) == 1
    with pytest.raises(AttributeError):
        Credentials("a", "b").password = "c"  # type: ignore[misc]


def test_identity_token_marker() -> None:
    assert Credentials(IDENTITY_TOKEN_USERNAME, "tok").is_identity_token
    assert not Credentials("admin", "tok").is_identity_token


# --- environment variables ----------------------------------------------------------------------


def test_env_all_set() -> None:
    url, creds = credentials_from_env(
        {
            "HARBOR_URL": "https://h.example",
            "HARBOR_USERNAME": "robot$ci",
            "HARBOR_PASSWORD": SECRET,
        }
    )
    assert url == "https://h.example"
    assert creds == Credentials("robot$ci", SECRET)


def test_env_nothing_set() -> None:
    assert credentials_from_env({}) == (None, None)
    assert credentials_from_env({"HARBOR_URL": "", "HARBOR_USERNAME": ""}) == (None, None)


def test_env_url_only_and_whitespace() -> None:
    url, creds = credentials_from_env({"HARBOR_URL": " https://h.example\n"})
    assert (url, creds) == ("https://h.example", None)
    _, creds = credentials_from_env({"HARBOR_USERNAME": " admin ", "HARBOR_PASSWORD": " pw "})
    assert creds == Credentials("admin", " pw ")


def test_env_credentials_without_url() -> None:
    assert credentials_from_env({"HARBOR_USERNAME": "a", "HARBOR_PASSWORD": SECRET}) == (
        None,
        Credentials("a", SECRET),
    )


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"HARBOR_USERNAME": "admin"}, "HARBOR_PASSWORD is not"),
        ({"HARBOR_USERNAME": "admin", "HARBOR_PASSWORD": ""}, "HARBOR_PASSWORD is not"),
        ({"HARBOR_PASSWORD": SECRET}, "HARBOR_USERNAME is not"),
    ],
)
def test_env_half_set_is_an_error(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(CredentialsError, match=fragment) as info:
        credentials_from_env(environ)
    assert SECRET not in str(info.value)


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARBOR_URL", "https://from-os.example")
    monkeypatch.setenv("HARBOR_USERNAME", "os-user")
    monkeypatch.setenv("HARBOR_PASSWORD", SECRET)
    assert credentials_from_env() == ("https://from-os.example", Credentials("os-user", SECRET))


# --- config file: location ----------------------------------------------------------------------


def test_default_location_is_home_docker_config(home: Path, env: dict[str, str]) -> None:
    write_config(home / ".docker", {"auths": {HARBOR: {"auth": b64(f"admin:{SECRET}")}}})
    assert docker_credentials(HARBOR, environ=env) == Credentials("admin", SECRET)


def test_docker_config_variable(tmp_path: Path, home: Path, env: dict[str, str]) -> None:
    write_config(home / ".docker", {"auths": {HARBOR: {"auth": b64("home:pw")}}})
    write_config(tmp_path / "elsewhere", {"auths": {HARBOR: {"auth": b64("dockerconfig:pw")}}})
    env["DOCKER_CONFIG"] = str(tmp_path / "elsewhere")
    assert docker_credentials(HARBOR, environ=env) == Credentials("dockerconfig", "pw")


def test_config_path_argument_wins(tmp_path: Path, env: dict[str, str]) -> None:
    write_config(tmp_path / "elsewhere", {"auths": {HARBOR: {"auth": b64("dockerconfig:pw")}}})
    env["DOCKER_CONFIG"] = str(tmp_path / "elsewhere")
    path = write_config(tmp_path / "explicit", {"auths": {HARBOR: {"auth": b64("explicit:pw")}}})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials(
        "explicit", "pw"
    )
    assert docker_credentials(HARBOR, config_path=str(path), environ=env) == Credentials(
        "explicit", "pw"
    )


def test_missing_config_means_no_credentials(tmp_path: Path, env: dict[str, str]) -> None:
    assert docker_credentials(HARBOR, environ=env) is None
    assert docker_credentials(HARBOR, config_path=tmp_path / "nope.json", environ=env) is None


def test_empty_config_file_means_no_credentials(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, "")
    assert docker_credentials(HARBOR, config_path=path, environ=env) is None


# --- config file: auths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "registry"),
    [
        (HARBOR, HARBOR),
        (f"https://{HARBOR}", HARBOR),
        (f"https://{HARBOR}/", HARBOR),
        (f"http://{HARBOR}/v1/", HARBOR),
        (f"https://{HARBOR}/v2/", HARBOR),
        ("HTTPS://Harbor.Example.com", HARBOR),
        (HARBOR, f"https://{HARBOR}"),
        (HARBOR, "Harbor.Example.COM"),
        ("localhost:5000", "localhost:5000"),
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("[::1]:5000", "[::1]:5000"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("https://index.docker.io/v1/", "registry-1.docker.io"),
        ("docker.io", "docker.io"),
        ("index.docker.io", "docker.io"),
    ],
)
def test_auths_key_normalisation(
    tmp_path: Path, env: dict[str, str], key: str, registry: str
) -> None:
    path = write_config(tmp_path, {"auths": {key: {"auth": b64(f"admin:{SECRET}")}}})
    assert docker_credentials(registry, config_path=path, environ=env) == Credentials(
        "admin", SECRET
    )


@pytest.mark.parametrize(
    ("key", "registry"),
    [
        (HARBOR, "other.example.com"),
        ("harbor.example.com:5000", HARBOR),
        (HARBOR, "harbor.example.com:5000"),
        ("https://index.docker.io/v1/", HARBOR),
        (HARBOR, "docker.io"),
    ],
)
def test_auths_other_registries_do_not_match(
    tmp_path: Path, env: dict[str, str], key: str, registry: str
) -> None:
    path = write_config(tmp_path, {"auths": {key: {"auth": b64(f"admin:{SECRET}")}}})
    assert docker_credentials(registry, config_path=path, environ=env) is None


def test_exact_key_is_preferred(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(
        tmp_path,
        {
            "auths": {
                f"https://{HARBOR}/v1/": {"auth": b64("by-host:pw")},
                HARBOR: {"auth": b64("exact:pw")},
            }
        },
    )
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials("exact", "pw")
    hub = write_config(
        tmp_path / "hub",
        {
            "auths": {
                "docker.io": {"auth": b64("by-host:pw")},
                "https://index.docker.io/v1/": {"auth": b64("exact:pw")},
            }
        },
    )
    assert docker_credentials("docker.io", config_path=hub, environ=env) == Credentials(
        "exact", "pw"
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"auth": b64(f"admin:{SECRET}")}, Credentials("admin", SECRET)),
        ({"auth": b64("robot$ci:pa:ss:word")}, Credentials("robot$ci", "pa:ss:word")),
        ({"auth": b64("admin:")}, Credentials("admin", "")),
        ({"auth": b64("admin:pw\x00\x00")}, Credentials("admin", "pw")),
        ({"auth": " " + b64("admin:pw") + "\n"}, Credentials("admin", "pw")),
        ({"auth": b64("ädmin:pässword")}, Credentials("ädmin", "pässword")),
        ({"username": "admin", "password": SECRET}, Credentials("admin", SECRET)),
        # "auth" wins over username/password, as in Docker
        ({"auth": b64("from-auth:pw"), "username": "u", "password": "p"},
         Credentials("from-auth", "pw")),
        ({"auth": b64("admin:pw"), "email": "a@b.c"}, Credentials("admin", "pw")),
        ({"identitytoken": SECRET}, Credentials(IDENTITY_TOKEN_USERNAME, SECRET)),
        ({"auth": b64("admin:pw"), "identitytoken": SECRET},
         Credentials(IDENTITY_TOKEN_USERNAME, SECRET)),
        ({}, None),
        ({"auth": ""}, None),
        ({"auth": "", "identitytoken": ""}, None),
    ],
)  # fmt: skip
def test_auths_entry_forms(
    tmp_path: Path, env: dict[str, str], entry: dict[str, str], expected: Credentials | None
) -> None:
    path = write_config(tmp_path, {"auths": {HARBOR: entry}})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == expected


def test_identity_token_is_flagged(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, {"auths": {HARBOR: {"identitytoken": SECRET}}})
    creds = docker_credentials(HARBOR, config_path=path, environ=env)
    assert creds is not None
    assert creds.is_identity_token


def test_no_auths_section(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, {"psFormat": "table"})
    assert docker_credentials(HARBOR, config_path=path, environ=env) is None


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        (json.dumps({"auths": {HARBOR: {"auth": b64(f"admin:{SECRET}")}}})[:-1],
         "not valid JSON"),
        (json.dumps({"auths": {HARBOR: {"password": SECRET}}}) + " trailing", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"auths": []}, '"auths"'),
        ({"auths": {HARBOR: "admin"}}, "is not an object"),
        ({"auths": {HARBOR: {"auth": 12}}}, '"auth"'),
        ({"auths": {HARBOR: {"username": "a", "password": 1}}}, '"password"'),
        ({"auths": {HARBOR: {"auth": "not base64!!" + SECRET}}}, "not base64"),
        ({"auths": {HARBOR: {"auth": b64("no-colon-" + SECRET)}}}, "not base64"),
        ({"auths": {HARBOR: {"auth": b64(":" + SECRET)}}}, "not base64"),
        ({"auths": {HARBOR: {"auth": base64.b64encode(b"\xff\xfe:" + SECRET.encode()).decode()}}},
         "not base64"),
        ({"credHelpers": ["x"]}, '"credHelpers"'),
    ],
)  # fmt: skip
def test_malformed_configs(tmp_path: Path, env: dict[str, str], config: Any, fragment: str) -> None:
    path = write_config(tmp_path, config)
    with pytest.raises(CredentialsError) as info:
        docker_credentials(HARBOR, config_path=path, environ=env)
    message = str(info.value)
    assert fragment in message
    assert SECRET not in message
    assert b64(f"admin:{SECRET}") not in message
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ or info.value.__context__ is None


def test_non_utf8_config(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"auths": {"\xff": {}}}')
    with pytest.raises(CredentialsError, match="not UTF-8"):
        docker_credentials(HARBOR, config_path=path, environ=env)


def test_config_with_bom(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"auths": {HARBOR: {"auth": b64("a:b")}}}).encode()
    )
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials("a", "b")


def test_unreadable_config(tmp_path: Path, env: dict[str, str]) -> None:
    # a directory where the file should be: reading fails with an OSError that is not "missing"
    (tmp_path / "config.json").mkdir()
    with pytest.raises(CredentialsError, match="cannot read docker config"):
        docker_credentials(HARBOR, config_path=tmp_path / "config.json", environ=env)


def test_empty_registry_is_a_value_error(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="no registry host"):
        docker_credentials("", environ=env)
    with pytest.raises(ValueError, match="no registry host"):
        docker_credentials("https://", environ=env)


HOSTILE_CONFIGS = {
    "a 5,000-digit number": '{"auths": {"' + HARBOR + '": {"password": "' + SECRET + '"}}, '
    '"n": ' + "7" * 5000 + "}",
    "deep nesting": '{"auths": {"'
    + HARBOR
    + '": {"password": "'
    + SECRET
    + '"}}, "x": '
    + "[" * 100_000
    + "]" * 100_000
    + "}",
    "deep nesting, unclosed": '{"x": ' + "{" * 100_000,
}


@pytest.mark.parametrize("name", list(HOSTILE_CONFIGS))
def test_a_config_too_deep_or_with_a_huge_number_is_a_credentials_error(
    tmp_path: Path, env: dict[str, str], name: str
) -> None:
    """`json` raises `ValueError` (a number over 4,300 digits) or `RecursionError`: both are
    reported as the config being invalid, with no exception chained (none holds the text)."""
    text = HOSTILE_CONFIGS[name]
    path = write_config(tmp_path, text)
    inline = {**env, "DOCKER_AUTH_CONFIG": text}
    for source, kwargs in [
        ("docker config", {"config_path": path, "environ": env}),
        ("DOCKER_AUTH_CONFIG", {"environ": inline}),
    ]:
        with pytest.raises(CredentialsError, match=f"{source}.* is not valid JSON") as info:
            docker_credentials(HARBOR, **kwargs)
        assert SECRET not in str(info.value)
        assert info.value.__context__ is None and info.value.__cause__ is None


# --- DOCKER_AUTH_CONFIG -------------------------------------------------------------------------


def test_docker_auth_config_comes_first(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, {"auths": {HARBOR: {"auth": b64("file:pw")}}})
    env["DOCKER_AUTH_CONFIG"] = json.dumps({"auths": {HARBOR: {"auth": b64("env:pw")}}})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials("env", "pw")


def test_docker_auth_config_falls_back_to_the_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, {"auths": {HARBOR: {"auth": b64("file:pw")}}})
    env["DOCKER_AUTH_CONFIG"] = json.dumps({"auths": {"other.example": {"auth": b64("env:pw")}}})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials("file", "pw")
    # and works without any file
    assert docker_credentials("other.example", environ=env) == Credentials("env", "pw")


def test_docker_auth_config_malformed(env: dict[str, str]) -> None:
    env["DOCKER_AUTH_CONFIG"] = '{"auths": {"' + HARBOR + '": {"password": "' + SECRET + '"'
    with pytest.raises(CredentialsError, match="DOCKER_AUTH_CONFIG is not valid JSON") as info:
        docker_credentials(HARBOR, environ=env)
    assert SECRET not in str(info.value)


# --- credential helpers (real subprocesses) -----------------------------------------------------


def test_creds_store_helper(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    echo_helper(bindir)
    path = write_config(tmp_path, {"auths": {HARBOR: {}}, "credsStore": "test"})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials(
        "helper-user", SECRET
    )
    assert calls(bindir) == [f"get {HARBOR}"]


def test_helper_gets_docker_hub_server_url(
    tmp_path: Path, bindir: Path, env: dict[str, str]
) -> None:
    echo_helper(bindir)
    path = write_config(tmp_path, {"credsStore": "test"})
    assert docker_credentials("docker.io", config_path=path, environ=env) is not None
    assert docker_credentials("localhost:5000", config_path=path, environ=env) is not None
    assert calls(bindir) == ["get https://index.docker.io/v1/", "get localhost:5000"]


def test_cred_helpers_per_registry(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    echo_helper(bindir, "test", username="per-registry")
    echo_helper(bindir, "default", username="default-store")
    path = write_config(
        tmp_path,
        {"credHelpers": {HARBOR: "test"}, "credsStore": "default", "auths": {}},
    )
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials(
        "per-registry", SECRET
    )
    assert docker_credentials("ghcr.io", config_path=path, environ=env) == Credentials(
        "default-store", SECRET
    )
    assert calls(bindir, "test") == [f"get {HARBOR}"]
    assert calls(bindir, "default") == ["get ghcr.io"]


def test_cred_helpers_key_matched_by_host(
    tmp_path: Path, bindir: Path, env: dict[str, str]
) -> None:
    echo_helper(bindir)
    path = write_config(tmp_path, {"credHelpers": {f"https://{HARBOR}": "test"}})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials(
        "helper-user", SECRET
    )


def test_helper_shadows_auths_like_docker(
    tmp_path: Path, bindir: Path, env: dict[str, str]
) -> None:
    write_helper(bindir, "test", 'echo "credentials not found in native keychain"\nexit 1\n')
    path = write_config(
        tmp_path, {"auths": {HARBOR: {"auth": b64("inline:pw")}}, "credsStore": "test"}
    )
    assert docker_credentials(HARBOR, config_path=path, environ=env) is None


def test_empty_helper_name_means_the_file(
    tmp_path: Path, bindir: Path, env: dict[str, str]
) -> None:
    echo_helper(bindir)
    path = write_config(
        tmp_path,
        {
            "credHelpers": {HARBOR: ""},
            "credsStore": "test",
            "auths": {HARBOR: {"auth": b64("f:p")}},
        },
    )
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials("f", "p")
    assert calls(bindir) == []


@pytest.mark.parametrize(
    "script",
    [
        'echo "credentials not found in native keychain"\nexit 1\n',
        'echo "Credentials not found" >&2\nexit 1\n',
        'echo "credentials not found in native keychain"\n',
    ],
)
def test_helper_not_found_answer(
    tmp_path: Path, bindir: Path, env: dict[str, str], script: str
) -> None:
    write_helper(bindir, "test", script)
    path = write_config(tmp_path, {"credsStore": "test"})
    assert docker_credentials(HARBOR, config_path=path, environ=env) is None


@pytest.mark.parametrize(
    "answer",
    ['{"ServerURL":"x","Username":"u","Secret":""}', '{"ServerURL":"x"}'],
)
def test_helper_without_secret(
    tmp_path: Path, bindir: Path, env: dict[str, str], answer: str
) -> None:
    write_helper(bindir, "test", f"cat > /dev/null\necho '{answer}'\n")
    path = write_config(tmp_path, {"credsStore": "test"})
    assert docker_credentials(HARBOR, config_path=path, environ=env) is None


def test_helper_identity_token(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    echo_helper(bindir, username="<token>")
    path = write_config(tmp_path, {"credsStore": "test"})
    creds = docker_credentials(HARBOR, config_path=path, environ=env)
    assert creds == Credentials(IDENTITY_TOKEN_USERNAME, SECRET)
    assert creds is not None
    assert creds.is_identity_token


def test_failing_helper(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    write_helper(bindir, "test", 'echo "error: keychain is locked" >&2\nexit 3\n')
    path = write_config(tmp_path, {"credsStore": "test"})
    with pytest.raises(CredentialsError) as info:
        docker_credentials(HARBOR, config_path=path, environ=env)
    message = str(info.value)
    assert "docker-credential-test" in message
    assert "exit status 3" in message
    assert "keychain is locked" in message


def test_failing_helper_does_not_leak_its_output(
    tmp_path: Path, bindir: Path, env: dict[str, str]
) -> None:
    write_helper(
        bindir,
        "test",
        f'echo \'{{"Username":"admin","Secret":"{SECRET}"}}\'\necho "{{{SECRET}" >&2\nexit 1\n',
    )
    path = write_config(tmp_path, {"credsStore": "test"})
    with pytest.raises(CredentialsError) as info:
        docker_credentials(HARBOR, config_path=path, environ=env)
    assert SECRET not in str(info.value)
    assert "exit status 1" in str(info.value)


@pytest.mark.parametrize(
    "output", ["not json " + SECRET, "[1, 2]", '"just a string"', "7" * 5000, "[" * 100_000]
)
def test_helper_with_unreadable_answer(
    tmp_path: Path, bindir: Path, env: dict[str, str], output: str
) -> None:
    write_helper(bindir, "test", f"echo '{output}'\n")
    path = write_config(tmp_path, {"credsStore": "test"})
    with pytest.raises(CredentialsError, match="did not answer with a JSON object") as info:
        docker_credentials(HARBOR, config_path=path, environ=env)
    assert SECRET not in str(info.value)


def test_helper_with_non_string_secret(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    write_helper(bindir, "test", """echo '{"Username":"u","Secret":123}'\n""")
    path = write_config(tmp_path, {"credsStore": "test"})
    with pytest.raises(CredentialsError, match="non-string"):
        docker_credentials(HARBOR, config_path=path, environ=env)


def test_helper_timeout(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    write_helper(bindir, "test", f'echo \'{{"Secret":"{SECRET}"\'\nexec sleep 30\n')
    path = write_config(tmp_path, {"credsStore": "test"})
    started = time.monotonic()
    with pytest.raises(CredentialsError, match=r"did not answer within 0\.5 seconds") as info:
        docker_credentials(HARBOR, config_path=path, environ=env, timeout=0.5)
    assert time.monotonic() - started < 10
    assert SECRET not in str(info.value)
    # no exception carrying the helper's partial output is attached
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


def test_missing_helper_program(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, {"credsStore": "harborsec-test-absent"})
    with pytest.raises(CredentialsError, match="docker-credential-harborsec-test-absent is not"):
        docker_credentials(HARBOR, config_path=path, environ=env)


def test_helper_that_is_not_executable(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    (bindir / "docker-credential-test").write_text("#!/bin/sh\necho {}\n")  # no x bit
    path = write_config(tmp_path, {"credsStore": "test"})
    with pytest.raises(CredentialsError, match="not installed"):
        docker_credentials(HARBOR, config_path=path, environ=env)


def test_helper_with_bad_interpreter(tmp_path: Path, bindir: Path, env: dict[str, str]) -> None:
    path = bindir / "docker-credential-test"
    path.write_text("#!/nonexistent/interpreter\n")
    path.chmod(0o755)
    config = write_config(tmp_path, {"credsStore": "test"})
    with pytest.raises(CredentialsError, match="cannot run credential helper"):
        docker_credentials(HARBOR, config_path=config, environ=env)


@pytest.mark.parametrize("name", ["../../bin/sh", "a/b", "-rf", ".hidden", 5, ["x"]])
def test_invalid_helper_names_are_refused(
    tmp_path: Path, env: dict[str, str], name: object
) -> None:
    path = write_config(tmp_path, {"credsStore": name})
    with pytest.raises(CredentialsError, match="invalid credential helper name"):
        docker_credentials(HARBOR, config_path=path, environ=env)


def test_helper_runs_with_the_given_environment(
    tmp_path: Path, bindir: Path, env: dict[str, str]
) -> None:
    write_helper(
        bindir,
        "test",
        'cat > /dev/null\nprintf \'{"Username":"%s","Secret":"x"}\' "$HARBORSEC_TEST_MARK"\n',
    )
    env["HARBORSEC_TEST_MARK"] = "marked"
    path = write_config(tmp_path, {"credsStore": "test"})
    assert docker_credentials(HARBOR, config_path=path, environ=env) == Credentials("marked", "x")


def test_helper_found_on_os_path(
    tmp_path: Path, bindir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    echo_helper(bindir)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
    path = write_config(tmp_path, {"credsStore": "test"})
    assert docker_credentials(HARBOR, config_path=path) == Credentials("helper-user", SECRET)
