import random
import ssl

import httpx
import pytest

from harborsec._core._retry import RetryPolicy, decide, parse_retry_after

NO_JITTER = RetryPolicy(retries=3, backoff=0.5, max_backoff=8.0, jitter=0.0)


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://r.test/"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=1445412470.0) == expected


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_idempotent_methods_retry_retryable_statuses(method, status):
    assert decide(NO_JITTER, method=method, attempt=0, response=response(status)) == 0.5


@pytest.mark.parametrize("status", [200, 201, 400, 401, 403, 404, 409, 412, 422, 500, 501])
def test_other_statuses_are_not_retried(status):
    # Harbor's 409 means "exists" or "already running", and its 500s are deterministic.
    assert decide(NO_JITTER, method="GET", attempt=0, response=response(status)) is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_idempotent_methods_are_not_retried_after_an_answer(method):
    assert decide(NO_JITTER, method=method, attempt=0, response=response(503)) is None
    read_timeout = httpx.ReadTimeout("slow")
    assert decide(NO_JITTER, method=method, attempt=0, error=read_timeout) is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_429_is_retried_for_every_method(method):
    # 429: refused before any processing (RFC 6585), so sending a POST again is safe.
    assert decide(NO_JITTER, method=method, attempt=0, response=response(429)) == 0.5
    with_wait = response(429, **{"Retry-After": "2"})
    assert decide(NO_JITTER, method=method, attempt=0, response=with_wait) == 2.0


@pytest.mark.parametrize("method", ["POST", "PATCH", "GET"])
def test_connection_failures_are_retried_for_every_method(method):
    # Nothing reached the server, so even a POST is safe to send again.
    assert decide(NO_JITTER, method=method, attempt=0, error=httpx.ConnectError("refused")) == 0.5


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "error",
    [httpx.ReadError("reset"), httpx.RemoteProtocolError("disconnected"), httpx.WriteError("w")],
)
def test_a_request_that_may_have_been_sent_is_not_sent_again(method, error):
    # What the default async transport raises for a reset once connected: never a POST again.
    assert decide(NO_JITTER, method=method, attempt=0, error=error) is None
    assert decide(NO_JITTER, method="GET", attempt=0, error=error) == 0.5


def test_read_errors_are_retried_for_idempotent_methods():
    assert decide(NO_JITTER, method="GET", attempt=1, error=httpx.ReadError("reset")) == 1.0


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(retries=10, backoff=0.5, max_backoff=3.0, jitter=0.0)
    delays = [decide(policy, method="GET", attempt=n, response=response(503)) for n in range(5)]
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_retries_run_out():
    assert decide(NO_JITTER, method="GET", attempt=3, response=response(503)) is None
    assert decide(RetryPolicy(retries=0), method="GET", attempt=0, response=response(503)) is None


def test_retry_after_wins_over_backoff():
    assert (
        decide(NO_JITTER, method="GET", attempt=0, response=response(429, **{"Retry-After": "7"}))
        == 7.0
    )


def test_too_long_retry_after_is_not_waited_for():
    policy = RetryPolicy(retries=3, max_retry_after=5.0)
    assert (
        decide(policy, method="GET", attempt=0, response=response(429, **{"Retry-After": "3600"}))
        is None
    )


def test_jitter_stays_within_its_fraction():
    policy = RetryPolicy(retries=5, backoff=1.0, jitter=0.25)
    rng = random.Random(7)
    delays = [
        decide(policy, method="GET", attempt=0, response=response(503), rng=rng) for _ in range(200)
    ]
    assert all(0.75 <= d <= 1.0 for d in delays)
    assert len(set(delays)) > 100  # really random


def test_policy_validates_its_values():
    with pytest.raises(ValueError):
        RetryPolicy(retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2)


def _connect_error_caused_by(cause: BaseException) -> httpx.ConnectError:
    """A `ConnectError` chained to `cause` as httpx chains it (through httpcore's own error)."""
    error = httpx.ConnectError(str(cause))
    middle = OSError(str(cause))
    middle.__cause__ = cause
    error.__cause__ = middle
    return error


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "cause",
    [
        ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate"),
        ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] Hostname mismatch"),
        ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
        ssl.SSLError(1, "[SSL: RECORD_LAYER_FAILURE] record layer failure"),
    ],
)
def test_a_tls_failure_is_not_retried(method, cause):
    # The same certificate or the same plain-HTTP server fails the same way on the next try.
    error = _connect_error_caused_by(cause)
    assert decide(NO_JITTER, method=method, attempt=0, error=error) is None


@pytest.mark.parametrize(
    "cause", [ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), ConnectionResetError()]
)
def test_a_connection_cut_during_the_handshake_is_retried(cause):
    error = _connect_error_caused_by(cause)
    assert decide(NO_JITTER, method="POST", attempt=0, error=error) == 0.5
