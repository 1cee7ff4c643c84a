"""Registry and AsyncRegistry against the Harbor emulator, in process and over real sockets."""

import asyncio
import json

import httpx
import pytest

import harborsec
from harborsec.cli._demo import build_demo_image
from harborsec.oci import OCI_INDEX, OCI_MANIFEST, ImageManifest, compute_digest
from harborsec.testing import HarborEmulator

ADMIN = ("admin", "Harbor12345")
URL = "https://harbor.test"
SIG_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json"
SBOM_TYPE = "application/spdx+json"


class Recording(httpx.MockTransport):
    """The emulator's transport, keeping every request (headers included)."""

    def __init__(self, emulator: HarborEmulator):
        self.seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            self.seen.append(request)
            return emulator.handle(request)

        super().__init__(handler)


def push_demo(registry, repository="library/app"):
    blobs, manifests, index = build_demo_image()
    for data in blobs.values():
        registry.push_blob(repository, data)
    for _, content in manifests:
        registry.push_manifest(repository, content, media_type=OCI_MANIFEST)
    digest = registry.push_manifest(repository, index, media_type=OCI_INDEX, tag="1.0")
    return digest, [content for _, content in manifests]


def referrer(
    subject_digest: str, subject_size: int, artifact_type: str, payload: bytes
) -> tuple[bytes, bytes]:
    empty = harborsec.Descriptor.for_content("application/vnd.oci.empty.v1+json", b"{}")
    layer = harborsec.Descriptor.for_content("application/octet-stream", payload)
    subject = harborsec.Descriptor(media_type=OCI_INDEX, digest=subject_digest, size=subject_size)
    manifest = ImageManifest(
        config=empty, layers=(layer,), subject=subject, artifact_type=artifact_type
    )
    return manifest.to_bytes(), payload


@pytest.fixture
def emulator():
    return HarborEmulator()


def test_push_resolve_and_read_back(emulator):
    with harborsec.Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        digest, manifests = push_demo(registry)
        assert registry.resolve("library/app:1.0") == digest
        assert registry.resolve("harbor.test/library/app:1.0") == digest
        assert registry.resolve(f"library/app@{digest}") == digest
        for (platform, _), content in zip(build_demo_image()[1], manifests):
            assert registry.resolve("library/app:1.0", platform=platform) == compute_digest(content)
        manifest = registry.get_manifest("library/app:1.0")
        assert manifest.is_index and manifest.digest == digest
        image = registry.get_manifest(f"library/app@{manifest.document.manifests[0].digest}")
        layer = image.document.layers[0]
        data = registry.get_blob("library/app", layer.digest, size=layer.size)
        assert compute_digest(data) == layer.digest
        assert registry.list_tags("library/app") == ["1.0"]


def test_a_reference_to_another_registry_is_refused(emulator):
    with harborsec.Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        with pytest.raises(harborsec.InvalidReferenceError, match=r"ghcr\.io"):
            registry.resolve("ghcr.io/library/app:1.0")


def test_referrers_with_and_without_the_api():
    for api in (True, False):
        emulator = HarborEmulator(referrers_api=api)
        with harborsec.Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
            digest, _ = push_demo(registry)
            size = len(registry.get_manifest(f"library/app@{digest}").content)
            pushed = {}
            for artifact_type, payload in ((SIG_TYPE, b"sig"), (SBOM_TYPE, b"{}")):
                manifest, blob = referrer(digest, size, artifact_type, payload)
                registry.push_blob("library/app", blob)
                registry.push_blob("library/app", b"{}")
                pushed[artifact_type] = registry.push_manifest(
                    "library/app", manifest, media_type=OCI_MANIFEST
                )
            if not api:
                # A registry without the API: clients maintain the tag-schema index themselves.
                descriptors = [
                    harborsec.Descriptor(media_type=OCI_MANIFEST, digest=d, size=1, artifact_type=t)
                    for t, d in pushed.items()
                ]
                fallback = harborsec.ImageIndex(manifests=tuple(descriptors)).to_bytes()
                registry.push_manifest(
                    "library/app",
                    fallback,
                    media_type=OCI_INDEX,
                    tag=f"sha256-{digest.split(':')[1]}",
                )
            found = registry.referrers("library/app:1.0")
            assert {d.digest for d in found} == set(pushed.values()), api
            [sig] = registry.referrers(f"library/app@{digest}", artifact_type=SIG_TYPE)
            assert sig.digest == pushed[SIG_TYPE]


def test_bad_credentials_are_unauthorized(emulator):
    with harborsec.Registry(
        URL, auth=("admin", "wrong"), transport=emulator.transport()
    ) as registry:
        with pytest.raises(harborsec.UnauthorizedError) as info:
            registry.push_blob("library/app", b"x")
    assert info.value.request_id
    assert "wrong" not in str(info.value)


def test_robot_accounts_push_and_pull(emulator):
    emulator.create_project("team")
    name = emulator.add_robot("ci", "robot-secret", project="team")
    assert name == "robot$team+ci"
    with harborsec.Registry(
        URL, auth=(name, "robot-secret"), transport=emulator.transport()
    ) as registry:
        digest, _ = push_demo(registry, "team/app")
        assert registry.resolve("team/app:1.0") == digest
        with pytest.raises((harborsec.UnauthorizedError, harborsec.ForbiddenError)):
            registry.push_blob("library/other", b"x")


def test_anonymous_pull_of_a_public_project(emulator):
    with harborsec.Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        digest, _ = push_demo(registry)
    with harborsec.Registry(URL, auth=None, transport=emulator.transport()) as registry:
        assert registry.resolve("library/app:1.0") == digest


def test_one_request_per_resolution_once_the_token_is_cached(emulator):
    transport = Recording(emulator)
    with harborsec.Registry(URL, auth=ADMIN, transport=transport) as registry:
        push_demo(registry)
        registry.resolve("library/app:1.0")
        transport.seen.clear()
        for _ in range(5):
            registry.resolve("library/app:1.0")
    assert [r.method for r in transport.seen] == ["HEAD"] * 5


def test_no_cookie_ever_goes_back(emulator):
    transport = Recording(emulator)
    with harborsec.Registry(URL, auth=ADMIN, transport=transport) as registry:
        registry._runner._client.get(
            f"{URL}/api/v2.0/systeminfo"
        )  # Harbor sets its `sid` cookie here
        push_demo(registry)
    assert emulator.handle(httpx.Request("GET", f"{URL}/api/v2.0/ping")).headers.get("set-cookie")
    assert all("cookie" not in r.headers for r in transport.seen)
    assert all(r.headers["User-Agent"].startswith("harborsec/") for r in transport.seen)


async def test_async_registry_in_process(emulator):
    async with harborsec.AsyncRegistry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        blobs, manifests, index = build_demo_image()
        await asyncio.gather(*(registry.push_blob("library/app", b) for b in blobs.values()))
        await asyncio.gather(
            *(
                registry.push_manifest("library/app", m, media_type=OCI_MANIFEST)
                for _, m in manifests
            )
        )
        digest = await registry.push_manifest("library/app", index, media_type=OCI_INDEX, tag="1.0")
        assert await registry.resolve("library/app:1.0") == digest
        assert await registry.list_tags("library/app") == ["1.0"]
        manifest = await registry.get_manifest(f"library/app@{digest}")
        child = manifest.document.manifests[0]
        image = await registry.get_manifest(f"library/app@{child.digest}")
        layer = image.document.layers[0]
        async with registry.stream_blob("library/app", layer.digest, chunk_size=7) as chunks:
            data = b"".join([c async for c in chunks])
        assert compute_digest(data) == layer.digest
        await registry.delete(f"library/app@{digest}")
        with pytest.raises(harborsec.NotFoundError):
            await registry.resolve("library/app:1.0")


@pytest.mark.parametrize("transport", ["default", "httpx"])
async def test_async_registry_over_a_socket(emulator, transport):
    with emulator.serve() as url:
        kwargs = {"transport": httpx.AsyncHTTPTransport()} if transport == "httpx" else {}
        async with harborsec.AsyncRegistry(url, auth=ADMIN, **kwargs) as registry:
            assert await registry.ping()
            data = b"x" * 100_000
            descriptor = await registry.push_blob("library/app", data, chunk_size=30_000)
            assert await registry.get_blob("library/app", descriptor.digest) == data
            mounted = await registry.push_blob("library/copy", data, mount_from="library/app")
            assert mounted.digest == descriptor.digest


def test_sync_registry_over_a_socket_with_chunked_upload(emulator):
    with emulator.serve() as url, harborsec.Registry(url, auth=ADMIN) as registry:
        digest, _ = push_demo(registry)
        data = bytes(range(256)) * 1000
        descriptor = registry.push_blob("library/app", data, chunk_size=10_000)
        with registry.stream_blob("library/app", descriptor.digest, size=len(data)) as chunks:
            assert b"".join(chunks) == data
        assert registry.resolve("library/app:1.0") == digest


def test_tls_is_verified_by_default(emulator):
    with emulator.serve() as url:
        https = url.replace("http://", "https://")
        with harborsec.Registry(https, auth=ADMIN, retries=0) as registry:
            with pytest.raises(harborsec.TransportError):
                registry.ping()


def test_credentials_from_the_environment(emulator, tmp_path):
    environ = {"HARBOR_URL": URL, "HARBOR_USERNAME": "admin", "HARBOR_PASSWORD": "Harbor12345"}
    with harborsec.Registry(transport=emulator.transport(), environ=environ) as registry:
        assert "admin" in repr(registry) and "Harbor12345" not in repr(registry)
        push_demo(registry)


def test_credentials_from_docker_config(emulator, tmp_path):
    import base64

    auth = base64.b64encode(b"admin:Harbor12345").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"harbor.test": {"auth": auth}}}))
    environ = {"DOCKER_CONFIG": str(tmp_path)}
    with harborsec.Registry(URL, transport=emulator.transport(), environ=environ) as registry:
        push_demo(registry)


def test_missing_url_is_a_clear_error():
    with pytest.raises(ValueError, match="HARBOR_URL"):
        harborsec.Registry(environ={})
    with pytest.raises(ValueError, match="auth="):
        harborsec.Registry("https://u:p@harbor.test", environ={})
    with pytest.raises(TypeError, match="asynchronous"):
        harborsec.AsyncRegistry(URL, auth=None, transport=httpx.HTTPTransport())


def test_harbor_env_credentials_never_go_to_another_registry(monkeypatch, tmp_path):
    # resolve_digest can reach any registry: HARBOR_* credentials are only for HARBOR_URL's.
    emulator = HarborEmulator()
    emulator.create_project("private")
    monkeypatch.setenv("HARBOR_USERNAME", "admin")
    monkeypatch.setenv("HARBOR_PASSWORD", "Harbor12345")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    with emulator.serve() as url:
        reference = f"{url.removeprefix('http://')}/private/app:1.0"
        with harborsec.Registry(url, auth=ADMIN) as registry:
            digest, _ = push_demo(registry, "private/app")
        for elsewhere in ("https://harbor.elsewhere.test", None):
            if elsewhere:
                monkeypatch.setenv("HARBOR_URL", elsewhere)
            else:
                monkeypatch.delenv("HARBOR_URL")
            with pytest.raises(harborsec.UnauthorizedError):
                harborsec.resolve_digest(reference, insecure=True)
        monkeypatch.setenv("HARBOR_URL", url)
        assert harborsec.resolve_digest(reference, insecure=True) == digest


async def test_async_direct_path_follows_redirects_without_leaking_credentials():
    # GETs skip httpx's client layer; a redirect sends them back through it, which drops the
    # Authorization header on the way to another host (blob storage).
    data = b"blob bytes"
    digest = compute_digest(data)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("Authorization")))
        if request.url.host != "harbor.test":
            return httpx.Response(200, content=data)
        if "Authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="registry"'})
        return httpx.Response(307, headers={"Location": "https://storage.test/b?sig=1"})

    transport = httpx.MockTransport(handler)
    async with harborsec.AsyncRegistry(URL, auth=ADMIN, transport=transport) as registry:
        assert registry._runner._direct
        assert await registry.get_blob("library/app", digest) == data
    assert ("storage.test", None) in seen
    assert any(host == "harbor.test" and auth for host, auth in seen)  # credentials were in use


async def test_async_direct_path_is_off_with_proxies(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    async with harborsec.AsyncRegistry(URL, auth=None, transport=HarborEmulator().transport()) as r:
        assert not r._runner._direct
        assert await r.ping()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_single_platform_image_is_checked_against_the_platform_asked_for(emulator, kind):
    from tests.client._both import call, close, open_registry

    blobs, manifests, _ = build_demo_image(("linux/amd64",))
    registry = open_registry(kind, emulator.transport())
    try:
        for data in blobs.values():
            await call(registry.push_blob("library/single", data))
        digest = await call(
            registry.push_manifest(
                "library/single", manifests[0][1], media_type=OCI_MANIFEST, tag="1.0"
            )
        )
        assert await call(registry.resolve("library/single:1.0", platform="linux/amd64")) == digest
        assert await call(registry.resolve("library/single:1.0", platform="linux/x86_64")) == digest
        with pytest.raises(harborsec.PlatformNotFoundError) as caught:
            await call(registry.resolve("library/single:1.0", platform="linux/s390x"))
        assert caught.value.platform == "linux/s390x"
        assert caught.value.available == ("linux/amd64",)
        assert "single-platform image for linux/amd64" in str(caught.value)
        # an artifact (empty config) names no platform: refused too, never its digest
        empty = harborsec.Descriptor.for_content("application/vnd.oci.empty.v1+json", b"{}")
        layer = harborsec.Descriptor.for_content("text/plain", b"payload")
        for data in (b"{}", b"payload"):
            await call(registry.push_blob("library/single", data))
        artifact = ImageManifest(
            config=empty, layers=(layer,), artifact_type="application/example"
        ).to_bytes()
        await call(
            registry.push_manifest("library/single", artifact, media_type=OCI_MANIFEST, tag="a")
        )
        with pytest.raises(harborsec.PlatformNotFoundError, match="no platform") as caught:
            await call(registry.resolve("library/single:a", platform="linux/amd64"))
        assert caught.value.available == ()
    finally:
        await close(registry)


def test_explicit_auth_ignores_half_set_environment_credentials(emulator):
    environ = {"HARBOR_USERNAME": "admin"}  # no HARBOR_PASSWORD: only an error when used
    with harborsec.Registry(
        URL, auth=ADMIN, transport=emulator.transport(), environ=environ
    ) as registry:
        assert registry.whoami().username == "admin"
    with pytest.raises(harborsec.CredentialsError, match="HARBOR_PASSWORD is not"):
        harborsec.Registry(URL, transport=emulator.transport(), environ=environ)


def test_tls_errors_say_what_to_do(emulator, tmp_path):
    import http.server
    import threading

    from tests._tls import server_context

    with emulator.serve() as url:  # plain HTTP where https:// was asked for
        with harborsec.Registry(url.replace("http://", "https://"), auth=None, retries=0) as r:
            with pytest.raises(harborsec.TransportError, match=r"plain HTTP.*--insecure"):
                r.ping()
    context = server_context(tmp_path)
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        https = f"https://127.0.0.1:{server.server_port}"
        with harborsec.Registry(https, auth=None, retries=0) as registry:
            with pytest.raises(harborsec.TransportError, match="not trusted: pass ca_bundle="):
                registry.ping()
    finally:
        server.shutdown()
        server.server_close()


# -- a closed client -------------------------------------------------------------------------------


def test_a_registry_used_after_its_with_block_says_it_is_closed(emulator):
    with harborsec.Registry(URL, auth=ADMIN, transport=emulator.transport()) as registry:
        project = registry.project("library")
        assert registry.ping()
    seen = len(emulator.requests)
    for call in (registry.ping, project.config, registry.scan_all.schedule):
        with pytest.raises(harborsec.ClientClosedError, match="create a new client") as caught:
            call()
        assert "inside its `with` block" in str(caught.value)
    with pytest.raises(harborsec.ClientClosedError), registry.stream_blob("library/a", "sha256:0"):
        pass
    assert len(emulator.requests) == seen  # nothing was sent
    registry.close()  # closing again is harmless


async def test_an_async_registry_used_after_async_with_says_it_is_closed(emulator):
    with emulator.serve() as url:
        async with harborsec.AsyncRegistry(url, auth=ADMIN) as registry:  # aiohttp by default
            assert await registry.ping()
            transport = registry._runner._transport
        seen = len(emulator.requests)
        with pytest.raises(harborsec.ClientClosedError, match="`async with` block"):
            await registry.ping()
        with pytest.raises(harborsec.ClientClosedError):
            await registry.project("library").info()
        with pytest.raises(harborsec.ClientClosedError):
            await registry.resolve("library/app:1.0")
        assert len(emulator.requests) == seen
    # no aiohttp session was opened again behind the closed client
    session = getattr(transport, "client", None)
    assert not hasattr(session, "closed") or session.closed


async def test_a_closed_async_registry_with_an_httpx_transport(emulator):
    registry = harborsec.AsyncRegistry(URL, auth=ADMIN, transport=emulator.transport())
    await registry.aclose()
    with pytest.raises(harborsec.ClientClosedError):
        await registry.whoami()
    with pytest.raises(harborsec.ClientClosedError):
        await registry.projects().all()


def test_closed_error_is_a_harborsec_error_and_a_runtime_error():
    assert issubclass(harborsec.ClientClosedError, harborsec.HarborsecError)
    assert issubclass(harborsec.ClientClosedError, RuntimeError)
