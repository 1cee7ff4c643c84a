# Generated from harborsec/_facades/_async/_registry.py by scripts/unasync.py; do not edit.
"""The registry client: the entry point, and the parent of every other facade.

Example:
    >>> from harborsec import Registry
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
    >>> registry.ping()
    Traceback (most recent call last):
    ...
    harborsec.errors.ClientClosedError: this Registry is closed: ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

import httpx

from harborsec._core._http import DEFAULT_TIMEOUT, NOT_GIVEN, iter_bytes
from harborsec._core._paging import Pager
from harborsec._core._retry import RetryPolicy
from harborsec._core._runner import TimeoutArg
from harborsec._facades._runners import Connection
from harborsec._facades._settings import AuthArg, client_settings, locate, platform_arg
from harborsec._facades._sync._allowlists import SystemAllowlist
from harborsec._facades._sync._projects import Project
from harborsec._facades._sync._scan_all import ScanAll
from harborsec._facades._sync._scanners import Scanners
from harborsec.harbor._config import ConfigChanges
from harborsec.harbor._identity import Identity, whoami
from harborsec.harbor._projects import (
    ProjectInfo,
    create_project,
    delete_project,
    project_pages,
)
from harborsec.oci import _ops
from harborsec.oci._digest import DigestVerifier
from harborsec.oci._models import Descriptor, Manifest, Platform

__all__ = ["Registry"]


class Registry:
    """A client for one OCI registry or Harbor instance.

    Args:
        url: The registry, such as `https://harbor.example.com` (a bare host means HTTPS);
            default: the `HARBOR_URL` environment variable.
        auth: `(username, password)` (robot accounts: `("robot$name", secret)`), a
            `Credentials`, None for anonymous, or not given to use `HARBOR_USERNAME` and
            `HARBOR_PASSWORD`, then docker's `~/.docker/config.json` (and credential helpers).
            Looked-up credentials stay where they were set for: `HARBOR_USERNAME` goes only to
            the scheme, host and port of `HARBOR_URL` (set for `https://h`, never to
            `http://h`), and docker's go over plain HTTP only with `insecure=True` or to a
            loopback address.
        insecure: Do not verify TLS certificates, and use plain HTTP for a bare host. Only for
            test registries.
        ca_bundle: A PEM file of CA certificates to trust instead of the system's.
        timeout: httpx's timeouts for each phase of each request (default 10 s to connect,
            60 s for each read or write, 60 s for a free connection), not for a whole call: a
            server sending a byte now and then never trips them. Each method takes `timeout=`
            too.
        deadline: Seconds each call may take in all: its requests, reading their bodies,
            retries and their waits, polling and fanned-out sub-operations (default None: no
            bound). Past it the call raises `DeadlineExceededError`. `deadline(seconds)`, a
            context manager, bounds a block of calls together.
        retries: Retries for transport errors, 429, 502, 503 and 504 on idempotent requests,
            or a `RetryPolicy`.
        transport: An httpx transport, such as `HarborEmulator().transport()` in tests.
            Without one, requests go through httpx's default transport; for the asynchronous
            client, through aiohttp (`httpx-aiohttp`) when the `harborsec[aiohttp]` extra is
            installed, whose connection pool is much faster than httpx's own under
            concurrency. Cookies are never kept.
        environ: The environment to read `HARBOR_*` and `DOCKER_CONFIG` from (default:
            `os.environ`).
        max_connections: The size of the connection pool.

    Bodies read whole are bounded: a manifest to 4 MiB (as CNCF Distribution), a token answer
    to 1 MiB, any other answer to 16 MiB (`ResponseTooLargeError` past it, checked against
    `Content-Length` before reading); of an error answer only the first 64 KiB are read. Blobs
    from `stream_blob` are not limited; `get_blob` reads at most the `size` it is given.

    Use it as a context manager (`with`), or call `close()`; a closed client raises
    `ClientClosedError`.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        auth: AuthArg = NOT_GIVEN,
        insecure: bool = False,
        ca_bundle: str | os.PathLike[str] | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        retries: int | RetryPolicy = 2,
        transport: httpx.BaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        max_connections: int = 100,
        deadline: float | None = None,
    ) -> None:
        settings = client_settings(
            url,
            auth=auth,
            insecure=insecure,
            ca_bundle=ca_bundle,
            timeout=timeout,
            retries=retries,
            environ=environ,
            deadline=deadline,
        )
        self._runner = Connection(settings, transport, max_connections)
        self.url = settings.url
        """The registry's base URL."""
        self.host = settings.host
        """The registry's host (and port), as image references name it."""
        self.insecure = insecure
        """Whether TLS certificates are not verified."""

    def __repr__(self) -> str:
        user = self._runner.settings.username
        return f"{type(self).__name__}({str(self.url)!r}, username={user!r})"

    def close(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        self._runner.close()

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
        return self._runner.run(_ops.ping(self.url), timeout)

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
            timeout: Per-phase timeouts for this call's requests (connect, each read or write,
                pool), instead of the client's; to bound the whole call, see `deadline=`.

        Returns:
            The digest, such as `sha256:b8479de3...`.

        Raises:
            InvalidReferenceError: The reference does not parse or names another registry.
            NotFoundError: No such repository, tag or manifest.
            PlatformNotFoundError: The index has no manifest for `platform`.
            DigestMismatchError: The registry answered a digest reference with another digest.
            DigestAlgorithmError: The digest reference is in an algorithm harborsec cannot
                check (sha256, sha384 and sha512 are checked); nothing is fetched.
        """
        repository, ref = locate(self.host, reference)
        op = _ops.resolve(self.url, repository, ref, platform=platform_arg(platform))
        return self._runner.run(op, timeout)

    def get_manifest(self, reference: str, *, timeout: TimeoutArg = NOT_GIVEN) -> Manifest:
        """Fetch a manifest by tag or digest, verified against its digest.

        Returns:
            The manifest's exact bytes, digest, media type and parsed document.

        Raises:
            DigestMismatchError: The bytes do not hash to the digest asked for.
            DigestAlgorithmError: The digest asked for is in an algorithm harborsec cannot
                check (sha256, sha384 and sha512 are checked); nothing is fetched.
            NotFoundError: No such manifest.
        """
        repository, ref = locate(self.host, reference)
        return self._runner.run(_ops.get_manifest(self.url, repository, ref), timeout)

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
            DigestAlgorithmError: `digest` is in an algorithm harborsec cannot check (sha256,
                sha384 and sha512 are checked); nothing is fetched.
        """
        op = _ops.get_blob(self.url, repository, digest, size=size)
        return self._runner.run(op, timeout)

    @contextmanager
    def stream_blob(
        self, repository: str, digest: str, *, size: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[Iterator[bytes]]:
        """Stream a blob in chunks; the digest is checked when the last chunk has been read.

        Use it as `with registry.stream_blob(repository, digest) as chunks:`, then
        `for chunk in chunks: ...`.

        Raises:
            DigestMismatchError: At the end of the stream, if the bytes do not hash to `digest`
                (or exceed `size`); consume every chunk before trusting any.
            TransportError: While iterating, the body could not be read whole (truncated,
                reset); `RequestTimeoutError` when a read timed out.
            DigestAlgorithmError: `digest` is in an algorithm harborsec cannot check (sha256,
                sha384 and sha512 are checked); nothing is fetched.
        """
        response = self._runner.run(_ops.open_blob(self.url, repository, digest))
        verifier = DigestVerifier(digest, what=f"blob of {repository}", size=size)
        try:
            yield verifier.chunks(iter_bytes(response, chunk_size))
        finally:
            response.close()

    def blob_exists(self, repository: str, digest: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Whether the repository has this blob."""
        op = _ops.blob_exists(self.url, repository, digest)
        return self._runner.run(op, timeout)

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
            timeout: Per-phase timeouts for this call's requests (connect, each read or write,
                pool), instead of the client's; to bound the whole call, see `deadline=`.

        Returns:
            The blob's descriptor.
        """
        op = _ops.push_blob(
            self.url,
            repository,
            data,
            media_type=media_type,
            chunk_size=chunk_size,
            mount_from=mount_from,
        )
        return self._runner.run(op, timeout)

    def push_manifest(
        self,
        repository: str,
        content: bytes,
        *,
        media_type: str,
        tag: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> str:
        """Upload manifest bytes (by tag when given, else by digest) and return their digest.

        `tag` may also be a digest (sha256, sha384 or sha512) to push by: the bytes are checked
        against it before anything is sent, and it is the digest returned.

        Raises:
            DigestMismatchError: `tag` is a digest the bytes do not hash to, or the registry
                says it stored other bytes.
        """
        op = _ops.push_manifest(self.url, repository, content, media_type=media_type, reference=tag)
        return self._runner.run(op, timeout)

    def list_tags(
        self, repository: str, *, page_size: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """List every tag of a repository (all pages), each once, in the registry's order.

        Raises:
            MalformedResponseError: An answer is not `{"tags": [strings]}` (`"tags": null` is
                an empty list), or the paging does not end: a `Link` to a page already fetched,
                a page of tags already listed, or more than 10,000 pages.
        """
        op = _ops.list_tags(self.url, repository, page_size=page_size)
        return self._runner.run(op, timeout)

    def referrers(
        self, reference: str, *, artifact_type: str | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[Descriptor]:
        """List the manifests that refer to an image (signatures, SBOMs, attestations...).

        Args:
            reference: The image, by digest or tag (a tag is resolved first).
            artifact_type: Only referrers of this artifact type.
            timeout: Per-phase timeouts for this call's requests (connect, each read or write,
                pool), instead of the client's; to bound the whole call, see `deadline=`.

        Returns:
            Their descriptors (with `artifact_type` and annotations). The OCI referrers API is
            used, or the `sha256-<hex>` tag schema when the registry has no such API.
        """
        repository, ref = locate(self.host, reference)
        op = _ops.referrers(self.url, repository, ref, artifact_type=artifact_type)
        return self._runner.run(op, timeout)

    def delete(self, reference: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a manifest (by digest; by tag where the registry allows it)."""
        repository, ref = locate(self.host, reference)
        return self._runner.run(_ops.delete_manifest(self.url, repository, ref), timeout)

    # -- Harbor ---------------------------------------------------------------------------------

    def whoami(self, *, timeout: TimeoutArg = NOT_GIVEN) -> Identity:
        """Who this client is connected as, and what it may do; fails on bad credentials.

        Harbor silently treats bad credentials as anonymous, so a wrong password often shows up
        only later as a puzzling 401 or an empty listing; this call checks them at once.

        Raises:
            UnauthorizedError: No credentials, or Harbor did not accept them.
        """
        op = whoami(self.url, self._runner.settings.username)
        return self._runner.run(op, timeout)

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
        pages = project_pages(self.url, name=name, q=q, public=public, page_size=page_size)
        return Pager(self._runner.run, pages)

    def project(self, name: str) -> Project:
        """A handle on one Harbor project (no request is made until a method is called)."""
        return Project(self._runner, name)

    def create_project(
        self,
        name: str,
        *,
        public: bool = False,
        config: ConfigChanges | None = None,
        storage_limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Project:
        """Create a project and return its handle.

        Args:
            name: The project's name.
            public: Whether anyone may pull from it.
            config: Security settings to create it with (those left as None take Harbor's
                defaults).
            storage_limit: Its quota in bytes (-1 for unlimited); None for Harbor's default.
            timeout: Per-phase timeouts for this call's requests (connect, each read or write,
                pool), instead of the client's; to bound the whole call, see `deadline=`.

        Raises:
            ConflictError: A project of that name exists.
            ForbiddenError: Not allowed to create projects (project-level robots never are).
        """
        op = create_project(
            self.url, name, public=public, config=config, storage_limit=storage_limit
        )
        self._runner.run(op, timeout)
        return self.project(name)

    def delete_project(self, name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a project.

        Raises:
            PreconditionFailedError: It still has repositories.
        """
        return self._runner.run(delete_project(self.url, name), timeout)

    @property
    def system_allowlist(self) -> SystemAllowlist:
        """The system CVE allowlist."""
        return SystemAllowlist(self._runner)

    @property
    def scanners(self) -> Scanners:
        """The scanner registrations ("Interrogation Services")."""
        return Scanners(self._runner)

    @property
    def scan_all(self) -> ScanAll:
        """The scan-all job: schedule, runs, metrics."""
        return ScanAll(self._runner)
