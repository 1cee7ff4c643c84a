"""`FaultProxy`: an HTTP proxy that injects faults, in front of the emulator or any registry.

The proxy is a real HTTP/1.1 server (the emulator's, `_server.serve`). For each request it
draws one outcome from a seeded random generator, with the probabilities of `Faults`:

* `server_error`: answer a 5xx (one of `server_error_statuses`) without forwarding;
* `rate_limit`: answer `429 Too Many Requests` with `Retry-After: <retry_after>`, not forwarded;
* `reset_before`: reset the connection (TCP RST) without forwarding: the request never reached
  the upstream;
* `reset_after`: forward the request, then reset the connection instead of answering: the
  upstream acted on it, the client cannot know;
* `truncate`: forward, then send the answer's headers (with the full `Content-Length`) and only
  half of its body, and close the connection (an answer without a body is passed through);
* `slow`: forward, and hold the answer `slow_seconds` before sending it;
* `expire_token`: forward a request that carries a `Bearer` token without it, as if the token
  had expired: the upstream answers with its 401 challenge, and a client must get a new token
  (a request without one is passed through);
* otherwise, forward and pass the answer through.

Errors of the proxy's own are answered as the emulator answers them (JSON 4xx). The request's
`Host` header is forwarded as it came, so that the emulator builds its URLs (token realm,
`Location`) on the proxy's address and every later request goes through the proxy too. A real
registry behind the proxy sees the proxy's address as its host: fine for registries that answer
any host and use relative URLs; otherwise set `preserve_host=False`.

With one client making one request at a time, a seed gives the same faults in the same order.
With concurrent requests, the draws follow the order in which requests arrive.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import ClassVar

import attrs
import httpx

from harborsec.testing._http import error_body, json_response
from harborsec.testing._server import Abort, serve

__all__ = ["FaultProxy", "Faults"]

_KINDS = (
    "server_error",
    "rate_limit",
    "reset_before",
    "reset_after",
    "truncate",
    "slow",
    "expire_token",
)

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
)


def _probability(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, not {value!r}")


@attrs.frozen
class Faults:
    """How often `FaultProxy` injects each fault: a probability per request for each kind.

    Raises:
        ValueError: A probability is outside [0, 1], or they add up to more than 1.

    Example:
        >>> round(Faults.spread(0.2).rate_limit, 4)
        0.0286
    """

    KINDS: ClassVar[tuple[str, ...]] = _KINDS
    """The names of the faults: these fields, and the keys of `FaultProxy.counts`."""

    server_error: float = attrs.field(default=0.0, validator=_probability)
    """A 5xx answer, the request not forwarded."""
    rate_limit: float = attrs.field(default=0.0, validator=_probability)
    """A 429 answer with `Retry-After`, the request not forwarded."""
    reset_before: float = attrs.field(default=0.0, validator=_probability)
    """A connection reset, the request not forwarded."""
    reset_after: float = attrs.field(default=0.0, validator=_probability)
    """A connection reset after the request was forwarded (and acted on)."""
    truncate: float = attrs.field(default=0.0, validator=_probability)
    """Half of the answer's body, then the connection closed."""
    slow: float = attrs.field(default=0.0, validator=_probability)
    """The answer held back `slow_seconds`."""
    expire_token: float = attrs.field(default=0.0, validator=_probability)
    """A `Bearer` token dropped on the way, as if it had expired."""
    retry_after: int = 0
    """The `Retry-After` of the 429 answers, in seconds."""
    slow_seconds: float = 0.2
    """How long a slow answer is held."""
    server_error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    """The statuses a server error is drawn from."""

    def __attrs_post_init__(self) -> None:
        if self.total() > 1.0 + 1e-9:
            raise ValueError(f"the fault probabilities add up to {self.total()}, more than 1")
        if self.retry_after < 0 or self.slow_seconds < 0:
            raise ValueError("retry_after and slow_seconds must be 0 or more")
        if not self.server_error_statuses or not all(
            500 <= status <= 599 for status in self.server_error_statuses
        ):
            raise ValueError("server_error_statuses must be 5xx statuses")

    @classmethod
    def spread(cls, rate: float, **settings: float | int | tuple[int, ...]) -> Faults:
        """`rate` spread evenly over every kind of fault (`settings` for the other fields)."""
        share = rate / len(_KINDS)
        return cls(**dict.fromkeys(_KINDS, share), **settings)  # type: ignore[arg-type]

    def total(self) -> float:
        """The probability that a request meets some fault."""
        return float(sum(getattr(self, kind) for kind in _KINDS))


class FaultProxy:
    """An HTTP proxy that forwards to `upstream` and injects the faults of `faults`.

    Put it between a client and the emulator (or a real registry) to test that the client's
    retries, errors and writes hold under a flaky network and a flaky server.

    Args:
        upstream: The base URL to forward to, such as the URL `HarborEmulator.serve()` yields.
        faults: How often each fault happens.
        seed: Seeds the random generator, so that a run can be repeated (None: not seeded).
        timeout: The timeout of the forwarded requests, in seconds.
        preserve_host: Forward the client's `Host` header (the default), so that URLs the
            upstream builds from it point at the proxy.
        verify: How to verify an `https` upstream's certificate: True (the system's CAs),
            False, or the path of a CA bundle.

    Attributes:
        faults: The probabilities in use; assign a new `Faults` to change them mid-run.

    Example:
        >>> import httpx
        >>> from harborsec.testing import FaultProxy, Faults, HarborEmulator
        >>> harbor = HarborEmulator()
        >>> with harbor.serve() as upstream:
        ...     proxy = FaultProxy(upstream, Faults(server_error=1.0), seed=1)
        ...     with proxy.serve() as url:
        ...         status = httpx.get(f"{url}/api/v2.0/ping").status_code
        >>> status, proxy.counts["server_error"]
        (500, 1)
    """

    def __init__(
        self,
        upstream: str,
        faults: Faults | None = None,
        *,
        seed: int | None = 0,
        timeout: float = 30.0,
        preserve_host: bool = True,
        verify: bool | str = True,
    ) -> None:
        self.upstream = httpx.URL(upstream)
        self.faults = faults or Faults()
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not cryptography
        self._lock = threading.Lock()
        self._counts: collections.Counter[str] = collections.Counter()
        self._preserve_host = preserve_host
        self._timeout = timeout
        self._verify = verify
        self._client = self._new_client()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(
            timeout=self._timeout, follow_redirects=False, trust_env=False, verify=self._verify
        )

    @property
    def counts(self) -> dict[str, int]:
        """How many of each fault were injected (`Faults.KINDS`), and `passed`: those without."""
        with self._lock:
            return {kind: self._counts[kind] for kind in (*_KINDS, "passed")}

    def reset_counts(self) -> None:
        """Set every count back to 0."""
        with self._lock:
            self._counts.clear()

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve the proxy on a real socket while the context is open; yields its base URL."""
        return self._serve(host, port)

    @contextmanager
    def _serve(self, host: str, port: int) -> Iterator[str]:
        if self._client.is_closed:
            self._client = self._new_client()
        try:
            with serve(self.handle, host, port) as url:
                yield url
        finally:
            self._client.close()

    def _draw(self) -> tuple[str | None, int]:
        faults = self.faults
        with self._lock:
            roll = self._random.random()
            status = self._random.choice(faults.server_error_statuses)
        for kind in _KINDS:
            roll -= getattr(faults, kind)
            if roll < 0:
                return kind, status
        return None, status

    def _count(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request: forward it, or inject the fault drawn for it.

        Raises:
            Abort: For the faults that end the connection; the server acts on it.
        """
        kind, status = self._draw()
        faults = self.faults
        if kind == "server_error":
            self._count(kind)
            return json_response(
                status, error_body("UNKNOWN", "fault injected: server error"), newline=True
            )
        if kind == "rate_limit":
            self._count(kind)
            return json_response(
                429,
                error_body("TOOMANYREQUESTS", "fault injected: too many requests"),
                headers={"Retry-After": str(faults.retry_after)},
                newline=True,
            )
        if kind == "reset_before":
            self._count(kind)
            raise Abort()
        drop_token = kind == "expire_token" and request.headers.get(
            "authorization", ""
        ).lower().startswith("bearer ")
        response = self._forward(request, drop_token=drop_token)
        if kind == "reset_after":
            self._count("reset_after")
            raise Abort()
        if kind == "truncate" and len(response.content) >= 2 and request.method != "HEAD":
            self._count("truncate")
            raise Abort(response, body_bytes=len(response.content) // 2, reset=False)
        if kind == "slow":
            self._count("slow")
            time.sleep(faults.slow_seconds)
        elif drop_token:
            self._count("expire_token")
        else:
            self._count("passed")
        return response

    def _forward(self, request: httpx.Request, *, drop_token: bool) -> httpx.Response:
        url = self.upstream.copy_with(raw_path=request.url.raw_path)
        headers = [
            (name, value)
            for name, value in request.headers.raw
            if name.lower().decode("latin-1") not in _HOP_BY_HOP
            and not (drop_token and name.lower() == b"authorization")
            and not (not self._preserve_host and name.lower() == b"host")
        ]
        forwarded = httpx.Request(request.method, url, headers=headers, content=request.content)
        try:
            upstream = self._client.send(forwarded)
        except httpx.HTTPError as error:
            return json_response(
                502,
                error_body("UNKNOWN", f"the upstream failed: {type(error).__name__}"),
                newline=True,
            )
        decoded = "content-encoding" in upstream.headers  # httpx decoded the body
        headers_out = [
            (name, value)
            for name, value in upstream.headers.raw
            if name.lower().decode("latin-1") not in _HOP_BY_HOP
            and not (decoded and name.lower() in (b"content-encoding", b"content-length"))
        ]
        return httpx.Response(upstream.status_code, headers=headers_out, content=upstream.content)
