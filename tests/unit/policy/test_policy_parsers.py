"""Policy files the parsers trip on: every failure is an `InvalidPolicyError`, located.

The regressions are the inputs issue 8 named; the fuzz tests feed random text and random
documents of the right shape in all three formats.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborsec import InvalidPolicyError
from harborsec.policy import Policy

DEEP = 5000


@pytest.fixture(autouse=True)
def _default_recursion_limit():
    """Python's default recursion limit: the nesting cases need it (earlier tests in a run may
    have raised it, and then 5,000 levels parse, and fail later with another message)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


BIG = "1" * 5000


@pytest.mark.parametrize(
    ("fmt", "text", "location", "message"),
    [
        ("yaml", "auto_scan: \x01\n", "p:1", "character U+0001 is not allowed"),
        ("yaml", "auto_scan: true\nscanner: \ud800\n", "p:2", "character U+D800"),
        ("yaml", "? !!python/name:os.system\n: 1\n", "p:1", "not a valid YAML value"),
        ("yaml", "auto_scan: !!python/object:os.system {}\n", "p:1", "is not supported"),
        ("yaml", "auto_scan: !!set {a}\n", "p:1", "is not supported"),
        ("yaml", "allowlist:\n  expires_at: 2027-02-30\n", "p:2", "day is out of range"),
        ("yaml", "auto_scan: !!float ''\n", "p:1", "not a float"),
        ("yaml", "auto_scan: !!timestamp 'x'\n", "p:1", "not a timestamp"),
        ("yaml", f"auto_scan: {BIG}\n", "p:1", "more than 4300 digits"),
        ("yaml", "auto_scan: " + "[" * DEEP + "]" * DEEP, "p", "nested too deeply"),
        ("yaml", "auto_scan: 0x" + "f" * 5000, "p:1 auto_scan", "20000-bit integer"),
        (
            "yaml",
            "allowlist:\n  expires_at: 0001-01-01T00:00:00+05:00\n",
            "p:2 allowlist.expires_at",
            "out of range",
        ),
        ("json", f'{{"auto_scan": {BIG}}}', "p", "more than 4300 digits"),
        ("json", '{"auto_scan": ' + "[" * DEEP + "]" * DEEP + "}", "p", "nested too deeply"),
        ("toml", f"auto_scan = {BIG}\n", "p", "more than 4300 digits"),
        ("toml", "auto_scan = " + "[" * DEEP + "]" * DEEP, "p", "nested too deeply"),
        ("toml", "auto_scan = 0x" + "f" * 5000, "p auto_scan", "20000-bit integer"),
        ("toml", "[allowlist]\nexpires_at = 2027-02-30\n", "p:2", "Invalid date"),
    ],
)
def test_what_the_parsers_trip_on_is_an_invalid_policy_error(fmt, text, location, message):
    with pytest.raises(InvalidPolicyError) as info:
        Policy.loads(text, format=fmt, source="p")
    if info.value.location == f"{location} auto_scan" and message == "nested too deeply":
        # Python 3.13's JSON decoder is not bound by the recursion limit: the deep document
        # parses, and is refused for its shape instead (still an InvalidPolicyError).
        assert "got a list" in str(info.value)
    else:
        assert info.value.location == location
        assert message in str(info.value)
    assert len(str(info.value)) < 400  # no 5,000-digit echo


def test_a_billion_laughs_document_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    started = time.monotonic()
    with pytest.raises(InvalidPolicyError, match="more than 100000 values"):
        Policy.loads("\n".join(lines) + "\n", format="yaml")
    assert time.monotonic() - started < 5


def test_load_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"auto_scan: true\nscanner: \xff\n")
    with pytest.raises(InvalidPolicyError, match="not UTF-8 text: byte 0xff") as info:
        Policy.load(path)
    assert info.value.location == f"{path}:2"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.yaml", "allowlist:\n  expires_at: 2027-02-30\n"),
        ("p.json", f'{{"auto_scan": {BIG}}}'),
        ("p.toml", "auto_scan = " + "[" * DEEP + "]" * DEEP),
    ],
)
def test_load_from_a_file_gives_the_file_as_location(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidPolicyError) as info:
        Policy.load(path)
    assert info.value.location.startswith(str(path))


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        ["high", "Critical", "CVE-2024-3094", "2027-02-30", "2027-06-30T00:00:00Z", "v*", "**"]
    )
)
KEYS = st.sampled_from(
    [
        "public",
        "auto_scan",
        "severity",
        "allowlist",
        "items",
        "expires_at",
        "use_project_list",
        "immutability",
        "tags",
        "repositories",
        "disabled",
        "scanner",
    ]
) | st.text(max_size=8)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)
YAML_BITS = st.sampled_from(
    [
        *("auto_scan:", " true", "\n", "  ", "- ", "[", "]", "{", "}", ",", ": ", "&a ", "*a"),
        *("!!float ", "!!int ", "!!timestamp ", "!!binary ", "!!python/object:os.system ", "? "),
        *("'", '"', "\\", "#", "<<: ", "2027-02-30", "0x", "1" * 50, "\x00", "\t", "\ufeff"),
        *("allowlist:\n  items:\n  - ", "immutability:\n- tags: ", "expires_at: ", "%YAML 1.1\n"),
    ]
)
TOML_BITS = st.sampled_from(
    [
        *("auto_scan", " = ", "true", "\n", "[", "]", "[[immutability]]", "{", "}", ",", '"'),
        *("'", "'''", '"""', "2027-02-30", "1979-05-27T07:32:00Z", "0x", "1" * 50, ".", "a"),
        *("[allowlist]\n", "expires_at", "items", "inf", "nan", "\\u0000", "#", "\x00", "\r"),
    ]
)
JSON_BITS = st.sampled_from(
    [
        *("{", "}", "[", "]", ",", ":", '"auto_scan"', '"allowlist"', '"items"', "true", "null"),
        *("1" * 50, "1e999", "-", '"\\ud800"', '"\\u0000"', "NaN", "Infinity", " ", "\n"),
    ]
)


def _check(text: str, fmt: str) -> None:
    started = time.monotonic()
    with contextlib.suppress(InvalidPolicyError):
        Policy.loads(text, format=fmt, source="fuzz")
    assert time.monotonic() - started < 2


@FUZZ
@given(st.text(max_size=200), st.sampled_from(["yaml", "json", "toml"]))
def test_random_text_gives_a_policy_or_an_invalid_policy_error(text, fmt):
    _check(text, fmt)


@FUZZ
@given(st.lists(YAML_BITS, max_size=30).map("".join))
def test_yaml_ish_text_gives_a_policy_or_an_invalid_policy_error(text):
    _check(text, "yaml")


@FUZZ
@given(st.lists(TOML_BITS, max_size=30).map("".join))
def test_toml_ish_text_gives_a_policy_or_an_invalid_policy_error(text):
    _check(text, "toml")


@FUZZ
@given(st.lists(JSON_BITS, max_size=30).map("".join))
def test_json_ish_text_gives_a_policy_or_an_invalid_policy_error(text):
    _check(text, "json")


@FUZZ
@given(DOCUMENTS)
def test_random_documents_give_a_policy_or_an_invalid_policy_error(data):
    import yaml

    _check(yaml.safe_dump(data, allow_unicode=True), "yaml")
    try:
        text = json.dumps(data, allow_nan=True)
    except ValueError:
        return
    _check(text, "json")
    if isinstance(data, dict):
        with contextlib.suppress(InvalidPolicyError):
            Policy.from_dict(data)
