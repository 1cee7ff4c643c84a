"""`FaultProxy` and `Faults`: each fault does what it says, on real sockets, reproducibly."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from harborsec.testing import FaultProxy, Faults, HarborEmulator
from tests.testing._emu import ADMIN


@pytest.fixture
def harbor() -> HarborEmulator:
    return HarborEmulator()


@pytest.fixture
def upstream(harbor: HarborEmulator) -> Iterator[str]:
    with harbor.serve() as url:
        yield url


def _proxy_client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with proxy.serve() as url, httpx.Client(base_url=url, auth=ADMIN, timeout=10) as client:
        yield client


def _fresh(harbor: HarborEmulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in harbor.requests]


def test_server_error_is_not_forwarded(harbor: HarborEmulator, upstream: str) -> None:
    proxy = FaultProxy(upstream, Faults(server_error=1.0), seed=3)
    for client in _proxy_client(proxy):
        response = client.post("/api/v2.0/projects", json={"project_name": "p1"})
    assert response.status_code in (500, 502, 503, 504)
    assert response.json()["errors"][0]["code"] == "UNKNOWN"
    assert _fresh(harbor) == []
    assert proxy.counts["server_error"] == 1


def test_rate_limit_is_a_429_with_retry_after(harbor: HarborEmulator, upstream: str) -> None:
    proxy = FaultProxy(upstream, Faults(rate_limit=1.0, retry_after=7))
    for client in _proxy_client(proxy):
        response = client.get("/api/v2.0/projects")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
    assert response.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert _fresh(harbor) == []


def test_reset_before_never_reaches_the_upstream(harbor: HarborEmulator, upstream: str) -> None:
    proxy = FaultProxy(upstream, Faults(reset_before=1.0))
    for client in _proxy_client(proxy):
        with pytest.raises(httpx.TransportError):
            client.post("/api/v2.0/projects", json={"project_name": "p1"})
    assert _fresh(harbor) == []
    assert proxy.counts["reset_before"] == 1


def test_reset_after_reaches_the_upstream(harbor: HarborEmulator, upstream: str) -> None:
    proxy = FaultProxy(upstream, Faults(reset_after=1.0))
    for client in _proxy_client(proxy):
        with pytest.raises(httpx.TransportError):
            client.post("/api/v2.0/projects", json={"project_name": "p1"})
    assert _fresh(harbor) == ["POST /api/v2.0/projects"]
    assert harbor.requests[0].status == 201  # the write was applied, the client cannot know


def test_truncate_sends_half_of_the_body(harbor: HarborEmulator, upstream: str) -> None:
    proxy = FaultProxy(upstream, Faults(truncate=1.0))
    for client in _proxy_client(proxy):
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v2.0/projects")
        # An answer without a body cannot be truncated: it passes.
        assert client.head("/api/v2.0/ping").status_code in (200, 405)
    assert proxy.counts["truncate"] == 1
    assert proxy.counts["passed"] == 1


def test_slow_holds_the_answer(upstream: str) -> None:
    proxy = FaultProxy(upstream, Faults(slow=1.0, slow_seconds=0.3))
    for client in _proxy_client(proxy):
        started = time.monotonic()
        assert client.get("/api/v2.0/ping").text == "Pong"
        assert time.monotonic() - started >= 0.3


def test_expire_token_drops_a_bearer_token(harbor: HarborEmulator, upstream: str) -> None:
    harbor.create_project("private")
    proxy = FaultProxy(upstream, Faults(expire_token=1.0))
    for client in _proxy_client(proxy):
        token = client.get(
            "/service/token",
            params={"service": "harbor-registry", "scope": "repository:private/a:pull"},
        ).json()["token"]
        response = client.get(
            "/v2/private/a/tags/list", headers={"Authorization": f"Bearer {token}"}, auth=None
        )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    # The token request had no Bearer token: it passed.
    assert (proxy.counts["expire_token"], proxy.counts["passed"]) == (1, 1)


def test_the_upstream_builds_urls_on_the_proxy(upstream: str) -> None:
    proxy = FaultProxy(upstream)
    with proxy.serve() as url:
        response = httpx.get(f"{url}/v2/library/a/tags/list")
    assert f'realm="{url}/service/token"' in response.headers["WWW-Authenticate"]


def _outcomes(upstream: str, seed: int) -> tuple[list[str], dict[str, int]]:
    faults = Faults(server_error=0.2, rate_limit=0.2, reset_before=0.2, slow=0.1, slow_seconds=0)
    proxy = FaultProxy(upstream, faults, seed=seed)
    outcomes = []
    for client in _proxy_client(proxy):
        for _ in range(40):
            try:
                outcomes.append(str(client.get("/api/v2.0/ping").status_code))
            except httpx.TransportError as error:
                outcomes.append(type(error).__name__)
    return outcomes, proxy.counts


def test_a_seed_repeats_the_same_faults(upstream: str) -> None:
    first, counts = _outcomes(upstream, 11)
    assert _outcomes(upstream, 11) == (first, counts)
    assert _outcomes(upstream, 12)[0] != first
    assert sum(counts.values()) == 40
    assert {"200", "429"} <= set(first)
    assert counts["reset_before"] == sum(
        o not in ("200", "429") and not o.startswith("5") for o in first
    )


def test_faults_are_validated() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(slow=1.5)
    with pytest.raises(ValueError, match="more than 1"):
        Faults(slow=0.6, truncate=0.6)
    with pytest.raises(ValueError, match="5xx"):
        Faults(server_error_statuses=(404,))
    spread = Faults.spread(0.2)
    assert spread.total() == pytest.approx(0.2)
    assert [getattr(spread, kind) for kind in Faults.KINDS] == [pytest.approx(0.2 / 7)] * 7


def test_expire_tokens_refuses_the_tokens_issued_so_far() -> None:
    harbor = HarborEmulator()
    harbor.create_project("private")
    with httpx.Client(transport=harbor.transport(), base_url="http://h", auth=ADMIN) as client:
        params = {"service": "harbor-registry", "scope": "repository:private/a:pull"}

        def tags(token: str) -> int:
            headers = {"Authorization": f"Bearer {token}"}
            return client.get("/v2/private/a/tags/list", headers=headers, auth=None).status_code

        old = client.get("/service/token", params=params).json()["token"]
        assert tags(old) == 404  # a valid token: the repository just does not exist
        assert harbor.expire_tokens() == 1
        assert tags(old) == 401
        new = client.get("/service/token", params=params).json()["token"]
        assert tags(new) == 404


def test_requests_record_the_request_id() -> None:
    harbor = HarborEmulator()
    with httpx.Client(transport=harbor.transport(), base_url="http://h") as client:
        client.get("/api/v2.0/ping", headers={"X-Request-Id": "abc"})
        client.get("/api/v2.0/ping")
    assert harbor.requests[0].request_id == "abc"
    assert len(harbor.requests[1].request_id) == 36  # a UUID made by the emulator


def test_a_proxy_may_be_served_again(upstream: str) -> None:
    proxy = FaultProxy(upstream)
    for _ in range(2):
        with proxy.serve() as url:
            assert httpx.get(f"{url}/api/v2.0/ping").text == "Pong"
    assert proxy.counts["passed"] == 2


def test_an_unreachable_upstream_is_a_502() -> None:
    import socket

    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    proxy = FaultProxy(f"http://127.0.0.1:{port}", timeout=2)
    with proxy.serve() as url:
        response = httpx.get(f"{url}/api/v2.0/ping")
    assert response.status_code == 502
    assert response.json()["errors"][0]["message"] == "the upstream failed: ConnectError"
