"""`Registry` and `AsyncRegistry`: the entry points, over one protocol core.

Both classes share [`_RegistryBase`][harborsec._client._RegistryBase], which holds the settings,
parses references and builds the operations; each public method of the two facades is one line
that runs an operation with its own driver. The twins' docstrings are one text: the async methods
take theirs from the sync ones.

Example:
    >>> from harborsec import Registry
    >>> from harborsec.testing import HarborEmulator
    >>> emulator = HarborEmulator()
    >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...               transport=emulator.transport()) as registry:
    ...     registry.ping()
    True
"""

from __future__ import annotations

import os
import ssl
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from harborsec._core._docs import same_doc
from harborsec._core._driver import Op, run_async, run_sync
from harborsec._core._http import (
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    USER_AGENT,
    NoCookies,
    NotGiven,
    safe_url,
)
from harborsec._core._paging import AsyncPager, Pager
from harborsec._core._retry import RetryPolicy
from harborsec.errors import CredentialsError, InvalidReferenceError, TransportError
from harborsec.harbor import _projects
from harborsec.harbor._projects import (
    AsyncProject,
    AsyncSystemAllowlist,
    Identity,
    Project,
    ProjectConfig,
    ProjectInfo,
    SystemAllowlist,
)
from harborsec.harbor._scanners import AsyncScanAll, AsyncScanners, ScanAll, Scanners
from harborsec.oci import _ops
from harborsec.oci._auth import RegistryAuth
from harborsec.oci._credentials import (
    Credentials,
    credentials_from_env,
    docker_credentials,
    harbor_url_from_env,
)
from harborsec.oci._digest import DigestVerifier
from harborsec.oci._layout import OciLayout
from harborsec.oci._models import Descriptor, Manifest, Platform
from harborsec.oci._reference import ImageReference, LayoutReference, parse_reference

if TYPE_CHECKING:
    from harborsec._core._aiohttp import AiohttpTransport

__all__ = ["AsyncRegistry", "Registry", "resolve_digest"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

AuthArg = Credentials | tuple[str, str] | None | NotGiven
"""`auth=`: credentials, a `(username, password)` pair, None for anonymous, or not given to look
them up (the `HARBOR_USERNAME`/`HARBOR_PASSWORD` environment variables, then docker's config)."""
TimeoutArg = httpx.Timeout | float | NotGiven | None


def _platform(platform: Platform | str | None) -> Platform | None:
    return Platform.parse(platform) if isinstance(platform, str) else platform


class _RegistryBase:
    """Settings, reference parsing and operation building shared by both facades."""

    def __init__(
        self,
        url: str | None = None,
        *,
        auth: AuthArg = NOT_GIVEN,
        insecure: bool = False,
        ca_bundle: str | os.PathLike[str] | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        retries: int | RetryPolicy = 2,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        max_connections: int = 100,
    ) -> None:
        env_url = harbor_url_from_env(environ)
        text = url or env_url
        if not text:
            raise ValueError("no registry URL: pass one, or set HARBOR_URL")
        if "://" not in text:
            text = ("http://" if insecure else "https://") + text
        parsed = httpx.URL(text)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(
                f"invalid registry URL {safe_url(parsed)!r}: expected https://host[:port]"
            )
        if parsed.userinfo:
            raise ValueError("put credentials in auth=, not in the registry URL")
        self.url = parsed.copy_with(path=parsed.path.rstrip("/") or "/", query=None, fragment=None)
        """The registry's base URL."""
        self.host = self.url.netloc.decode("ascii")
        """The registry's host (and port), as image references name it."""
        self.insecure = insecure
        """Whether TLS certificates are not verified."""
        self._credentials = self._find_credentials(auth, env_url, environ)
        self._auth = RegistryAuth(self.url, self._credentials)
        self._policy = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries=retries)
        self._timeout = timeout
        self._verify: ssl.SSLContext | bool
        if insecure:
            self._verify = False
        elif ca_bundle is not None:
            self._verify = ssl.create_default_context(cafile=os.fspath(ca_bundle))
        else:
            self._verify = True
        self._connect(transport, max_connections)

    def _connect(
        self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None, max_connections: int
    ) -> None:
        raise NotImplementedError

    def _find_credentials(
        self,
        auth: AuthArg,
        env_url: str | None,
        environ: Mapping[str, str] | None,
    ) -> Credentials | None:
        if isinstance(auth, Credentials) or auth is None:
            return auth
        if isinstance(auth, tuple):
            if len(auth) != 2 or not all(isinstance(x, str) for x in auth):
                raise CredentialsError("auth= must be a (username, password) pair of strings")
            return Credentials(username=auth[0], password=auth[1])
        _, env_credentials = credentials_from_env(environ)  # only when they would be used
        if env_credentials is not None and (
            env_url is None
            or httpx.URL(env_url if "://" in env_url else f"https://{env_url}").netloc
            == self.url.netloc
        ):
            return env_credentials
        return docker_credentials(self.host, environ=environ)

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"{type(self).__name__}({str(self.url)!r}, username={user!r})"

    def _client_options(self, max_connections: int) -> dict[str, Any]:
        return {
            "auth": self._auth,
            "timeout": self._timeout,
            "follow_redirects": True,
            "cookies": NoCookies(),
            "headers": {"User-Agent": USER_AGENT},
            "verify": self._verify,
            "limits": httpx.Limits(max_connections=max_connections),
        }

    def _locate(self, reference: str) -> tuple[str, str]:
        """Split a reference on this registry into (repository, tag or digest)."""
        if not isinstance(reference, str) or not reference:
            raise InvalidReferenceError("empty image reference")
        ref = ImageReference.parse(reference, default_registry=self.host)
        return ref.repository, ref.reference

    def _resolve(self, reference: str, platform: Platform | str | None) -> Op[str]:
        repository, ref = self._locate(reference)
        return _ops.resolve(self.url, repository, ref, platform=_platform(platform))

    def _get_manifest(self, reference: str) -> Op[Manifest]:
        repository, ref = self._locate(reference)
        return _ops.get_manifest(self.url, repository, ref)

    def _push_manifest(
        self, repository: str, content: bytes, media_type: str, tag: str | None
    ) -> Op[str]:
        return _ops.push_manifest(
            self.url, repository, content, media_type=media_type, reference=tag
        )

    def _create_project(
        self, name: str, public: bool, config: ProjectConfig | None, storage_limit: int | None
    ) -> Op[None]:
        return _projects.create_project(
            self.url, name, public=public, config=config, storage_limit=storage_limit
        )

    def _whoami(self) -> Op[Identity]:
        return _projects.whoami(self.url, self._credentials.username if self._credentials else None)

    def _referrers(self, reference: str, artifact_type: str | None) -> Op[list[Descriptor]]:
        repository, ref = self._locate(reference)
        return _ops.referrers(self.url, repository, ref, artifact_type=artifact_type)

    def _delete(self, reference: str) -> Op[None]:
        repository, ref = self._locate(reference)
        return _ops.delete_manifest(self.url, repository, ref)

    def _push_blob(
        self,
        repository: str,
        data: bytes,
        media_type: str,
        chunk_size: int | None,
        mount_from: str | None,
    ) -> Op[Descriptor]:
        return _ops.push_blob(
            self.url,
            repository,
            data,
            media_type=media_type,
            chunk_size=chunk_size,
            mount_from=mount_from,
        )


class Registry(_RegistryBase):
    """A synchronous client for one OCI registry or Harbor instance.

    Args:
        url: The registry, such as `https://harbor.example.com` (a bare host means HTTPS);
            default: the `HARBOR_URL` environment variable.
        auth: `(username, password)` (robot accounts: `("robot$name", secret)`), a
            `Credentials`, None for anonymous, or not given to use `HARBOR_USERNAME` and
            `HARBOR_PASSWORD`, then docker's `~/.docker/config.json` (and credential helpers).
        insecure: Do not verify TLS certificates, and use plain HTTP for a bare host. Only for
            test registries.
        ca_bundle: A PEM file of CA certificates to trust instead of the system's.
        timeout: Default timeouts (10 s connect, 60 s read); each method takes `timeout=` too.
        retries: Retries for transport errors, 429, 502, 503 and 504 on idempotent requests,
            or a `RetryPolicy`.
        transport: An httpx transport, such as `HarborEmulator().transport()` in tests
            (synchronous for `Registry`, asynchronous for `AsyncRegistry`).
        environ: The environment to read `HARBOR_*` and `DOCKER_CONFIG` from (default:
            `os.environ`).
        max_connections: The size of the connection pool.

    Use it as a context manager, or call `close()`.

    Example:
        >>> from harborsec.testing import HarborEmulator
        >>> registry = Registry("https://harbor.test", auth=("admin", "Harbor12345"),
        ...                     transport=HarborEmulator().transport())
        >>> registry.push_blob("library/hello", b"hello").digest
        'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
        >>> registry.resolve("library/hello:missing")
        Traceback (most recent call last):
        ...
        harborsec.errors.NotFoundError: HEAD https://harbor.test/v2/... failed with 404...
        >>> registry.close()
    """

    _client: httpx.Client

    def _connect(
        self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None, max_connections: int
    ) -> None:
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise TypeError("Registry needs a synchronous transport (httpx.BaseTransport)")
        self._client = httpx.Client(transport=transport, **self._client_options(max_connections))

    def _run(self, op: Op[T], timeout: TimeoutArg = NOT_GIVEN) -> T:
        return run_sync(self._client, op, policy=self._policy, timeout=timeout)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def ping(self, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Check that the registry answers the distribution API (`GET /v2/`).

        Returns:
            True; failures raise.

        Raises:
            TransportError: The registry cannot be reached.
        """
        return self._run(_ops.ping(self.url), timeout)

    def resolve(
        self,
        reference: str,
        *,
        platform: Platform | str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> str:
        """Resolve `repository:tag` (or check `repository@digest`) to a manifest digest.

        One HEAD request once the repository's token is cached. A full reference naming this
        registry is accepted too.

        Args:
            reference: `project/app:1.0`, `project/app@sha256:...` or `host/project/app:1.0`.
            platform: Pick this platform's manifest from a multi-platform index, such as
                `linux/arm64/v8`.
            timeout: A timeout for this call.

        Returns:
            The digest, such as `sha256:b8479de3...`.

        Raises:
            InvalidReferenceError: The reference does not parse or names another registry.
            NotFoundError: No such repository, tag or manifest.
            PlatformNotFoundError: The index has no manifest for `platform`.
            DigestMismatchError: The registry answered a digest reference with another digest.
        """
        return self._run(self._resolve(reference, platform), timeout)

    def get_manifest(self, reference: str, *, timeout: TimeoutArg = NOT_GIVEN) -> Manifest:
        """Fetch a manifest by tag or digest, verified against its digest.

        Returns:
            The manifest's exact bytes, digest, media type and parsed document.

        Raises:
            DigestMismatchError: The bytes do not hash to the digest asked for.
            NotFoundError: No such manifest.
        """
        return self._run(self._get_manifest(reference), timeout)

    def get_blob(
        self,
        repository: str,
        digest: str,
        *,
        size: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> bytes:
        """Download a blob into memory, verified against its digest (and size when given).

        For large blobs use `stream_blob`.

        Raises:
            DigestMismatchError: The bytes do not hash to `digest`.
        """
        return self._run(_ops.get_blob(self.url, repository, digest, size=size), timeout)

    @contextmanager
    def stream_blob(
        self, repository: str, digest: str, *, size: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[Iterator[bytes]]:
        """Stream a blob in chunks; the digest is checked when the last chunk has been read.

        Example: `with registry.stream_blob(repo, digest) as chunks: for c in chunks: ...`

        Raises:
            DigestMismatchError: At the end of the stream, if the bytes do not hash to `digest`
                (or exceed `size`); consume every chunk before trusting any.
        """
        response = self._run(_ops.open_blob(self.url, repository, digest))
        verifier = DigestVerifier(digest, what=f"blob of {repository}", size=size)
        try:
            yield verifier.chunks(response.iter_bytes(chunk_size))
        finally:
            response.close()

    def blob_exists(self, repository: str, digest: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Whether the repository has this blob."""
        return self._run(_ops.blob_exists(self.url, repository, digest), timeout)

    def push_blob(
        self,
        repository: str,
        data: bytes,
        *,
        media_type: str = "application/octet-stream",
        chunk_size: int | None = None,
        mount_from: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Descriptor:
        """Upload a blob unless the repository already has it.

        Args:
            repository: The target repository, such as `library/app`.
            data: The blob's bytes.
            media_type: The media type recorded in the returned descriptor.
            chunk_size: Upload in PATCH chunks of this size when the blob is larger (default 8 MiB).
            mount_from: A repository on this registry that has the blob: mount it from there
                instead of uploading (falls back to uploading when the registry refuses).
            timeout: A timeout for this call.

        Returns:
            The blob's descriptor.
        """
        return self._run(
            self._push_blob(repository, data, media_type, chunk_size, mount_from), timeout
        )

    def push_manifest(
        self,
        repository: str,
        content: bytes,
        *,
        media_type: str,
        tag: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> str:
        """Upload manifest bytes (by tag when given, else by digest) and return their digest."""
        return self._run(self._push_manifest(repository, content, media_type, tag), timeout)

    def list_tags(
        self, repository: str, *, page_size: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """List every tag of a repository (all pages)."""
        return self._run(_ops.list_tags(self.url, repository, page_size=page_size), timeout)

    def referrers(
        self, reference: str, *, artifact_type: str | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[Descriptor]:
        """List the manifests that refer to an image (signatures, SBOMs, attestations...).

        Args:
            reference: The image, by digest or tag (a tag is resolved first).
            artifact_type: Only referrers of this artifact type.
            timeout: A timeout for this call.

        Returns:
            Their descriptors (with `artifact_type` and annotations). The OCI referrers API is
            used, or the `sha256-<hex>` tag schema when the registry has no such API.
        """
        return self._run(self._referrers(reference, artifact_type), timeout)

    def delete(self, reference: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a manifest (by digest; by tag where the registry allows it)."""
        return self._run(self._delete(reference), timeout)

    # -- Harbor ---------------------------------------------------------------------------------

    def whoami(self, *, timeout: TimeoutArg = NOT_GIVEN) -> Identity:
        """Who this client is connected as, and what it may do; fails on bad credentials.

        Harbor silently treats bad credentials as anonymous, so a wrong password often shows up
        only later as a puzzling 401 or an empty listing; this call checks them at once.

        Raises:
            UnauthorizedError: No credentials, or Harbor did not accept them.
        """
        return self._run(self._whoami(), timeout)

    def projects(
        self,
        *,
        name: str | None = None,
        q: str | None = None,
        public: bool | None = None,
        page_size: int = 100,
    ) -> Pager[ProjectInfo]:
        """Every project visible to this client, fetched lazily page by page.

        Args:
            name: Only projects whose name contains this (Harbor's filter is fuzzy).
            q: A Harbor query, such as `name=~team`.
            public: Only public (True) or private (False) projects.
            page_size: Projects per request, 1 to 100 (Harbor refuses more).

        Returns:
            A pager: iterate it, or call `all()`, `first_page()` or `pages()`.
        """
        pages = _projects.project_pages(
            self.url, name=name, q=q, public=public, page_size=page_size
        )
        return Pager(self._run, pages)

    def project(self, name: str) -> Project:
        """A handle on one Harbor project (no request is made until a method is called)."""
        return Project(self, name)

    def create_project(
        self,
        name: str,
        *,
        public: bool = False,
        config: ProjectConfig | None = None,
        storage_limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Project:
        """Create a project and return its handle.

        Args:
            name: The project's name.
            public: Whether anyone may pull from it.
            config: Security settings to create it with.
            storage_limit: Its quota in bytes (-1 for unlimited); None for Harbor's default.
            timeout: A timeout for this call.

        Raises:
            ConflictError: A project of that name exists.
            ForbiddenError: Not allowed to create projects (project-level robots never are).
        """
        self._run(self._create_project(name, public, config, storage_limit), timeout)
        return self.project(name)

    def delete_project(self, name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a project.

        Raises:
            PreconditionFailedError: It still has repositories.
        """
        return self._run(_projects.delete_project(self.url, name), timeout)

    @property
    def system_allowlist(self) -> SystemAllowlist:
        """The system CVE allowlist."""
        return SystemAllowlist(self)

    @property
    def scanners(self) -> Scanners:
        """The scanner registrations ("Interrogation Services")."""
        return Scanners(self)

    @property
    def scan_all(self) -> ScanAll:
        """The scan-all job: schedule, runs, metrics."""
        return ScanAll(self)


class AsyncRegistry(_RegistryBase):
    """An asynchronous client for one OCI registry or Harbor instance.

    The same arguments, methods, models and errors as [`Registry`][harborsec.Registry]; methods
    are coroutines, and it is closed with `aclose()` or `async with`.

    When the `harborsec[aiohttp]` extra is installed and no `transport` is given, requests go
    through aiohttp (`httpx-aiohttp`), whose connection pool is much faster than httpx's own under
    concurrency; otherwise through httpx's default transport. Cookies are never kept either way.

    Example:
        >>> import asyncio
        >>> from harborsec.testing import HarborEmulator
        >>> async def main() -> bool:
        ...     async with AsyncRegistry("https://harbor.test", auth=None,
        ...                              transport=HarborEmulator().transport()) as registry:
        ...         return await registry.ping()
        >>> asyncio.run(main())
        True
    """

    _client: httpx.AsyncClient

    def _connect(
        self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None, max_connections: int
    ) -> None:
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                "AsyncRegistry needs an asynchronous transport (httpx.AsyncBaseTransport)"
            )
        # The default aiohttp transport can also hand back a response whole: the direct path
        # uses that, and skips httpx's response streaming.
        self._fetch: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None
        if transport is None:
            transport = _aiohttp_transport(self._verify, max_connections)
            if transport is not None:
                self._fetch = transport.fetch
        if transport is None:
            limits = httpx.Limits(max_connections=max_connections)
            transport = httpx.AsyncHTTPTransport(verify=self._verify, limits=limits)
        self._transport: httpx.AsyncBaseTransport = transport
        # The direct path skips httpx's client layer (about half of the client's CPU time per
        # request). Environment proxies are mounted by that layer, so with them it is not used.
        self._direct = not urllib.request.getproxies()
        self._client = httpx.AsyncClient(
            transport=transport, **self._client_options(max_connections)
        )

    async def _send(self, request: httpx.Request, stream: bool) -> httpx.Response:
        """Send a GET or HEAD straight to the transport, with the auth flow but nothing else.

        Everything else (bodies, streams, redirects, proxies) goes through the httpx client.
        """
        if stream or not self._direct or request.method not in ("GET", "HEAD"):
            return await self._client.send(request, stream=stream)
        request.extensions.setdefault("timeout", self._client.timeout.as_dict())
        fetch = self._fetch
        flow = self._auth.async_auth_flow(request)
        sent = await flow.__anext__()
        while True:
            if fetch is not None:
                response = await fetch(sent)
            else:
                response = await self._transport.handle_async_request(sent)
                response.request = sent
            if response.is_redirect:
                await response.aclose()
                await flow.aclose()
                return await self._client.send(request, stream=stream)
            try:
                following = await flow.asend(response)
            except StopAsyncIteration:
                await response.aread()
                return response
            await response.aread()
            sent = following

    async def _run(self, op: Op[T], timeout: TimeoutArg = NOT_GIVEN) -> T:
        return await run_async(
            self._client, op, policy=self._policy, timeout=timeout, send=self._send
        )

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def __aenter__(self) -> AsyncRegistry:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @same_doc(Registry.ping)
    async def ping(self, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Async form of [`Registry.ping`][harborsec.Registry.ping]."""
        return await self._run(_ops.ping(self.url), timeout)

    @same_doc(Registry.resolve)
    async def resolve(
        self,
        reference: str,
        *,
        platform: Platform | str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> str:
        """Async form of [`Registry.resolve`][harborsec.Registry.resolve]."""
        return await self._run(self._resolve(reference, platform), timeout)

    @same_doc(Registry.get_manifest)
    async def get_manifest(self, reference: str, *, timeout: TimeoutArg = NOT_GIVEN) -> Manifest:
        """Async form of [`Registry.get_manifest`][harborsec.Registry.get_manifest]."""
        return await self._run(self._get_manifest(reference), timeout)

    @same_doc(Registry.get_blob)
    async def get_blob(
        self,
        repository: str,
        digest: str,
        *,
        size: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> bytes:
        """Async form of [`Registry.get_blob`][harborsec.Registry.get_blob]."""
        return await self._run(_ops.get_blob(self.url, repository, digest, size=size), timeout)

    @same_doc(Registry.stream_blob)
    @asynccontextmanager
    async def stream_blob(
        self, repository: str, digest: str, *, size: int | None = None, chunk_size: int = 1 << 20
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Async form of [`Registry.stream_blob`][harborsec.Registry.stream_blob]."""
        response = await self._run(_ops.open_blob(self.url, repository, digest))
        verifier = DigestVerifier(digest, what=f"blob of {repository}", size=size)
        try:
            yield verifier.achunks(response.aiter_bytes(chunk_size))
        finally:
            await response.aclose()

    @same_doc(Registry.blob_exists)
    async def blob_exists(
        self, repository: str, digest: str, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> bool:
        """Async form of [`Registry.blob_exists`][harborsec.Registry.blob_exists]."""
        return await self._run(_ops.blob_exists(self.url, repository, digest), timeout)

    @same_doc(Registry.push_blob)
    async def push_blob(
        self,
        repository: str,
        data: bytes,
        *,
        media_type: str = "application/octet-stream",
        chunk_size: int | None = None,
        mount_from: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Descriptor:
        """Async form of [`Registry.push_blob`][harborsec.Registry.push_blob]."""
        return await self._run(
            self._push_blob(repository, data, media_type, chunk_size, mount_from), timeout
        )

    @same_doc(Registry.push_manifest)
    async def push_manifest(
        self,
        repository: str,
        content: bytes,
        *,
        media_type: str,
        tag: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> str:
        """Async form of [`Registry.push_manifest`][harborsec.Registry.push_manifest]."""
        return await self._run(self._push_manifest(repository, content, media_type, tag), timeout)

    @same_doc(Registry.list_tags)
    async def list_tags(
        self, repository: str, *, page_size: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """Async form of [`Registry.list_tags`][harborsec.Registry.list_tags]."""
        return await self._run(_ops.list_tags(self.url, repository, page_size=page_size), timeout)

    @same_doc(Registry.referrers)
    async def referrers(
        self, reference: str, *, artifact_type: str | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[Descriptor]:
        """Async form of [`Registry.referrers`][harborsec.Registry.referrers]."""
        return await self._run(self._referrers(reference, artifact_type), timeout)

    @same_doc(Registry.delete)
    async def delete(self, reference: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Async form of [`Registry.delete`][harborsec.Registry.delete]."""
        return await self._run(self._delete(reference), timeout)

    # -- Harbor ---------------------------------------------------------------------------------

    @same_doc(Registry.whoami)
    async def whoami(self, *, timeout: TimeoutArg = NOT_GIVEN) -> Identity:
        """Async form of [`Registry.whoami`][harborsec.Registry.whoami]."""
        return await self._run(self._whoami(), timeout)

    @same_doc(Registry.projects)
    def projects(
        self,
        *,
        name: str | None = None,
        q: str | None = None,
        public: bool | None = None,
        page_size: int = 100,
    ) -> AsyncPager[ProjectInfo]:
        """Async form of [`Registry.projects`][harborsec.Registry.projects]."""
        pages = _projects.project_pages(
            self.url, name=name, q=q, public=public, page_size=page_size
        )
        return AsyncPager(self._run, pages)

    @same_doc(Registry.project)
    def project(self, name: str) -> AsyncProject:
        """Async form of [`Registry.project`][harborsec.Registry.project]."""
        return AsyncProject(self, name)

    @same_doc(Registry.create_project)
    async def create_project(
        self,
        name: str,
        *,
        public: bool = False,
        config: ProjectConfig | None = None,
        storage_limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncProject:
        """Async form of [`Registry.create_project`][harborsec.Registry.create_project]."""
        await self._run(self._create_project(name, public, config, storage_limit), timeout)
        return self.project(name)

    @same_doc(Registry.delete_project)
    async def delete_project(self, name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Async form of [`Registry.delete_project`][harborsec.Registry.delete_project]."""
        return await self._run(_projects.delete_project(self.url, name), timeout)

    @property
    def system_allowlist(self) -> AsyncSystemAllowlist:
        """The system CVE allowlist."""
        return AsyncSystemAllowlist(self)

    @property
    def scanners(self) -> AsyncScanners:
        """The scanner registrations ("Interrogation Services")."""
        return AsyncScanners(self)

    @property
    def scan_all(self) -> AsyncScanAll:
        """The scan-all job: schedule, runs, metrics."""
        return AsyncScanAll(self)


def _aiohttp_transport(
    verify: ssl.SSLContext | bool, max_connections: int
) -> AiohttpTransport | None:
    """The aiohttp transport when the `harborsec[aiohttp]` extra is installed, else None."""
    try:
        from harborsec._core._aiohttp import aiohttp_transport
    except ImportError:
        return None
    return aiohttp_transport(verify, max_connections)


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def _registry_url(registry: str, insecure: bool) -> str:
    if registry == "docker.io":
        return "https://registry-1.docker.io"
    host = registry.rsplit(":", 1)[0] if not registry.endswith("]") else registry
    if insecure and (host in _LOOPBACK or host.startswith("127.")):
        return f"http://{registry}"
    return f"https://{registry}"


def resolve_digest(
    reference: str,
    *,
    platform: Platform | str | None = None,
    insecure: bool = False,
    auth: AuthArg = NOT_GIVEN,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
) -> str:
    """Resolve any image reference to its manifest digest, like `crane digest`.

    Args:
        reference: A full reference (`ubuntu:24.04`, `harbor.example.com/p/app:1`,
            `127.0.0.1:5000/x@sha256:...`) or a local OCI layout (`oci:PATH`, `oci:PATH:TAG`,
            `oci:PATH@DIGEST`).
        platform: Pick this platform's manifest from a multi-platform index (`linux/arm64/v8`).
        insecure: Skip TLS verification, and allow plain HTTP: loopback registries are then
            reached over HTTP, others over HTTPS first and HTTP if that fails.
        auth: Credentials as for `Registry`; by default they are looked up: docker's config
            for that registry, and `HARBOR_USERNAME`/`HARBOR_PASSWORD` only when `HARBOR_URL`
            names that registry.
        timeout: Timeouts for the requests.

    Returns:
        The digest, such as `sha256:...`.

    Raises:
        InvalidReferenceError: The reference does not parse.
        NotFoundError: No such repository, tag or manifest.
        PlatformNotFoundError: The index has no manifest for `platform`.
        TransportError: The registry cannot be reached.

    Example:
        With `layout` the directory of an OCI image layout holding an image tagged `v1`:

        >>> resolve_digest(f"oci:{layout}:v1")
        'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'
    """
    platform = _platform(platform)
    parsed = parse_reference(reference)
    if isinstance(parsed, LayoutReference):
        return OciLayout(parsed.path).resolve(parsed.digest or parsed.tag, platform=platform)
    target = (
        f"{parsed.repository}@{parsed.digest}"
        if parsed.digest
        else f"{parsed.repository}:{parsed.reference}"
    )
    url = _registry_url(parsed.registry, insecure)
    environ: Mapping[str, str] = os.environ
    if not environ.get("HARBOR_URL"):
        # HARBOR_USERNAME/HARBOR_PASSWORD belong to the Harbor that HARBOR_URL names: this function
        # reaches any registry, so without HARBOR_URL they must not go to whichever it names.
        environ = {k: v for k, v in environ.items() if not k.startswith("HARBOR_")}
    options: dict[str, Any] = {"auth": auth, "timeout": timeout, "environ": environ}
    try:
        with Registry(url, insecure=insecure, **options) as registry:
            return registry.resolve(target, platform=platform)
    except TransportError:
        if not (insecure and url.startswith("https://")):
            raise
    with Registry(f"http://{parsed.registry}", insecure=True, **options) as registry:
        return registry.resolve(target, platform=platform)
