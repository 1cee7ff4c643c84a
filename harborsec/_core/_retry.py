"""Retry decisions, as pure functions.

Which failures are retried, and how long to wait, is decided here from values only (the method,
the attempt number, the response or the exception); the drivers in `_driver.py` only sleep.

Harbor's 409 means "exists" or "scan already running" and its 500s are usually deterministic, so
only transport errors, 429, 502, 503 and 504 are retried, and only for idempotent methods, with
two exceptions where nothing was done: a connection that could not be opened, and a 429 (the
server or a proxy in front of it refused the request unprocessed, RFC 6585), are retried for
every method. A TLS
handshake that failed for a reason that will not change on the next try (a certificate that is
not trusted or not for this host, a plain-HTTP server answering) is never retried.
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time

import attrs
import httpx

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "decide",
    "is_tls_failure",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
"""Methods that may be sent again after a failure that may have reached the server."""

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
"""Status codes that are worth another try."""


@attrs.frozen
class RetryPolicy:
    """How many times to try again, and how long to wait in between.

    The delay before retry *n* (0-based) is `backoff * 2**n`, capped at `max_backoff`, minus up
    to `jitter` of itself at random. A `Retry-After` header from the server wins, up to
    `max_retry_after` seconds; a longer wait is not retried at all (the error is raised with
    its `retry_after`).

    Example:
        >>> RetryPolicy(retries=0)  # never retry
        RetryPolicy(retries=0, backoff=0.5, max_backoff=8.0, jitter=0.25, max_retry_after=60.0)
    """

    retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    """How many times a request may be sent again (so up to `retries + 1` attempts)."""
    backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    """The first delay, in seconds."""
    max_backoff: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    """The longest computed delay, in seconds."""
    jitter: float = attrs.field(
        default=0.25, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    """The fraction of each computed delay that is taken off at random."""
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    """The longest server-requested delay that is honoured by waiting."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a `Retry-After` header: delay-seconds or an HTTP date.

    Args:
        value: The header value, or None when absent.
        now: The current time as a POSIX timestamp (default: the clock), for HTTP dates.

    Returns:
        The delay in seconds (never negative), or None when absent or unreadable.

    Example:
        >>> parse_retry_after("3")
        3.0
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
        10.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def decide(
    policy: RetryPolicy,
    *,
    method: str,
    attempt: int,
    response: httpx.Response | None = None,
    error: Exception | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Decide whether to send a request again, and after how long.

    Args:
        policy: The retry policy.
        method: The request method.
        attempt: How many retries were already made for this request (0 after the first try).
        response: The response received, if any.
        error: The transport exception raised instead of a response, if any.
        rng: The random source for jitter (for tests).

    Returns:
        The delay in seconds before the next try, or None not to retry.
    """
    if attempt >= policy.retries:
        return None
    method = method.upper()
    if error is not None:
        if isinstance(error, httpx.ConnectError) and is_tls_failure(error):
            return None  # the same certificate or protocol will fail the same way
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            pass  # nothing reached the server: safe for every method
        elif method not in IDEMPOTENT_METHODS or not isinstance(error, httpx.TransportError):
            return None
        return _backoff(policy, attempt, rng)
    if response is None or response.status_code not in RETRYABLE_STATUSES:
        return None
    if method not in IDEMPOTENT_METHODS and response.status_code != 429:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is not None:
        return retry_after if retry_after <= policy.max_retry_after else None
    return _backoff(policy, attempt, rng)


def is_tls_failure(error: BaseException) -> bool:
    """Whether `error` was caused by a TLS handshake that will fail again in the same way.

    That is an `ssl.SSLCertVerificationError` (a certificate not trusted, expired, or not for
    this host) or a bare `ssl.SSLError` (the server does not speak TLS, or no common protocol or
    cipher) anywhere in its chain of causes, as httpx and aiohttp both keep it. Subclasses that
    report a connection cut during the handshake (`SSLEOFError`, `SSLSyscallError`...) are not:
    those may be transient.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or type(current) is ssl.SSLError:
            return True
        current = current.__cause__ or current.__context__
    return False


def _backoff(policy: RetryPolicy, attempt: int, rng: random.Random | None) -> float:
    delay = min(policy.max_backoff, policy.backoff * 2.0**attempt)
    fraction = rng.random() if rng is not None else random.random()  # noqa: S311 - jitter
    return delay * (1 - policy.jitter * fraction)
