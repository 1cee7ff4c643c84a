"""The emulator on a real socket (`HarborEmulator.serve`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests.testing._emu import ADMIN, OCI_MANIFEST, get_token, image_manifest, sha256


def _connectable(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def test_serve_yields_a_local_url_and_stops(harbor: HarborEmulator) -> None:
    with harbor.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/api/v2.0/ping")
        assert response.text == "Pong"
        assert response.headers["X-Request-Id"]
    assert not _connectable(url)


def test_stops_with_idle_keep_alive_connections_open(harbor: HarborEmulator) -> None:
    client = httpx.Client()
    with harbor.serve() as url:
        for _ in range(3):
            assert client.get(f"{url}/api/v2.0/ping").status_code == 200
        # the connection stays open in the client's pool while the server stops
    with pytest.raises(httpx.TransportError):
        client.get(f"{url}/api/v2.0/ping")
    client.close()


def test_token_flow_and_push_over_the_socket(harbor: HarborEmulator) -> None:
    with harbor.serve() as url, httpx.Client(base_url=url) as client:
        challenge = client.get("/v2/library/demo/tags/list")
        realm = challenge.headers["Www-Authenticate"]
        assert realm.startswith(f'Bearer realm="{url}/service/token"')
        token = get_token(client, "repository:library/demo:pull,push", auth=ADMIN)
        headers = {"Authorization": f"Bearer {token['token']}"}
        config = b"{}"
        for blob in (config, b"layer"):
            start = client.post("/v2/library/demo/blobs/uploads/", headers=headers)
            assert start.status_code == 202
            done = client.put(
                start.headers["Location"],
                params={"digest": sha256(blob)},
                content=blob,
                headers=headers,
            )
            assert done.status_code == 201
        body = image_manifest(config, [b"layer"])
        put = client.put(
            "/v2/library/demo/manifests/v1",
            content=body,
            headers={**headers, "Content-Type": OCI_MANIFEST},
        )
        assert put.status_code == 201
        assert put.headers["Content-Length"] == "0"
        head = client.head(
            "/v2/library/demo/manifests/v1", headers={**headers, "Accept": OCI_MANIFEST}
        )
        assert head.status_code == 200
        assert head.headers["Content-Length"] == str(len(body))
        got = client.get(
            "/v2/library/demo/manifests/v1", headers={**headers, "Accept": OCI_MANIFEST}
        )
        assert got.content == body


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_chunked_request_bodies(harbor: HarborEmulator) -> None:
    data = bytes(range(256)) * 1000
    with harbor.serve() as url, httpx.Client(base_url=url, auth=ADMIN) as client:
        location = client.post("/v2/library/demo/blobs/uploads/").headers["Location"]
        # a generator body makes httpx send Transfer-Encoding: chunked, as skopeo does
        request = client.build_request("PATCH", location, content=_chunks(data, 7000))
        assert request.headers["Transfer-Encoding"] == "chunked"
        patched = client.send(request)
        assert patched.status_code == 202
        assert patched.headers["Range"] == f"0-{len(data) - 1}"
        done = client.put(location, params={"digest": sha256(data)})
        assert done.status_code == 201
        assert client.get(f"/v2/library/demo/blobs/{sha256(data)}").content == data


def test_malformed_chunked_body_is_a_400(harbor: HarborEmulator) -> None:
    with harbor.serve() as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                b"PATCH /v2/library/x/blobs/uploads/1 HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
            )
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400")


async def test_async_client_over_the_socket(harbor: HarborEmulator) -> None:
    with harbor.serve() as url:
        async with httpx.AsyncClient(base_url=url, auth=ADMIN) as client:
            response = await client.get("/api/v2.0/systeminfo")
            assert response.json()["harbor_version"] == "v2.14.4-79a297f7"
            start = await client.post("/v2/library/a/blobs/uploads/")
            done = await client.put(
                start.headers["Location"], params={"digest": sha256(b"x")}, content=b"x"
            )
            assert done.status_code == 201


def test_concurrent_uploads(harbor: HarborEmulator) -> None:
    failures: list[str] = []

    def push(url: str, index: int) -> None:
        data = f"blob {index}".encode() * 100
        with httpx.Client(base_url=url, auth=ADMIN) as client:
            for _ in range(3):
                location = client.post(f"/v2/library/r{index}/blobs/uploads/").headers["Location"]
                client.patch(location, content=data[:50])
                client.patch(location, content=data[50:])
                done = client.put(location, params={"digest": sha256(data)})
                if done.status_code != 201:
                    failures.append(done.text)

    with harbor.serve() as url:
        threads = [threading.Thread(target=push, args=(url, i)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert sum(1 for r in harbor.requests if r.method == "PUT" and r.status == 201) == 18


def test_two_servers_at_once(harbor: HarborEmulator) -> None:
    with harbor.serve() as first, harbor.serve() as second:
        assert first != second
        assert httpx.get(f"{first}/api/v2.0/ping").text == httpx.get(f"{second}/api/v2.0/ping").text


def test_small_responses_are_not_delayed(harbor: HarborEmulator) -> None:
    """Headers and body are separate writes: without TCP_NODELAY each answer waits ~40 ms."""
    with harbor.serve() as url, httpx.Client(base_url=url) as client:
        client.get("/api/v2.0/ping")
        started = time.perf_counter()
        for _ in range(20):
            client.get("/api/v2.0/ping")
        elapsed = time.perf_counter() - started
    assert elapsed < 0.6, f"20 keep-alive requests took {elapsed:.2f} s"
