import base64
import logging

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborsec._core._redact import (
    REDACTED,
    SECRETS_EXTENSION,
    SecretsFilter,
    mask_untrusted,
    redact,
    request_secrets,
    watch,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_request_secrets_of_a_basic_request():
    request = httpx.Request("GET", "https://h/", headers={"Authorization": f"Basic {b64('u:p:w')}"})
    assert request_secrets(request) == [b64("u:p:w"), "p:w"]


def test_request_secrets_of_a_bearer_request_and_attached_secrets():
    request = httpx.Request("POST", "https://h/", headers={"Authorization": "Bearer tok"})
    request.extensions[SECRETS_EXTENSION] = ("refresh",)
    assert request_secrets(request) == ["refresh", "tok"]


@pytest.mark.parametrize("header", [None, "", "Basic", "Basic !!!not-base64", "Basic " + b64("u")])
def test_request_secrets_of_odd_headers(header):
    headers = {} if header is None else {"Authorization": header}
    secrets = request_secrets(httpx.Request("GET", "https://h/", headers=headers))
    assert all(secret for secret in secrets)


def test_redact_replaces_every_form_of_a_secret():
    secret = "p a+s/s="
    text = f"{secret} {b64(secret)} p+a%2Bs%2Fs%3D p%20a%2Bs%2Fs%3D"
    assert redact(text, [secret]) == " ".join([REDACTED] * 4)


def test_redact_replaces_a_longer_secret_whole():
    assert redact("abcdef", ["abc", "abcdef"]) == REDACTED
    assert redact("nothing here", ["", "absent"]) == "nothing here"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("error: keychain is locked", "error: keychain is locked"),
        ("Error: NOT FOUND (code 404).", "Error: NOT FOUND (code 404)."),
        ("token s3cr3t expired", f"token {REDACTED} expired"),
        ("auth YWRtaW46cGFzcw== bad", f"auth {REDACTED} bad"),
        ("see /home/u/.docker", f"see {REDACTED}"),
        ("pass HarborPass", f"pass {REDACTED}"),  # mixed case
    ],
)
def test_mask_untrusted(text, expected):
    assert mask_untrusted(text) == expected


class _Holder:
    def __init__(self, *secrets: str) -> None:
        self._secrets = secrets

    def secrets(self):
        return self._secrets


def test_the_filter_redacts_the_secrets_of_live_sources_only():
    holder = _Holder("hunter2")
    watch(holder)
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "got %s and %s", ("hunter2", 3), None
    )
    assert SecretsFilter().filter(record)
    assert record.getMessage() == f"got {REDACTED} and 3"
    del holder
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "got %s", ("hunter2",), None)
    SecretsFilter().filter(record)
    assert record.getMessage() == "got hunter2"  # the source is gone: nothing to redact


@settings(max_examples=300, deadline=None)
@given(
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    secrets=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3),
)
def test_no_whole_secret_is_left_outside_the_markers(before, after, secrets):
    # What lies between the markers is original text where no secret starts.
    text = before + "".join(f"{s} {b64(s)} " for s in secrets) + after
    result = redact(text, secrets)
    for piece in result.split(REDACTED):
        for secret in secrets:
            assert secret not in piece


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_mask_untrusted_keeps_only_plain_words(text):
    for word in mask_untrusted(text).split():
        assert (
            word == REDACTED
            or not any(c.isdigit() for c in word.strip("().,:;!?'\"[]"))
            or (word.strip("().,:;!?'\"[]").isdigit() and len(word.strip("().,:;!?'\"[]")) <= 6)
        )
