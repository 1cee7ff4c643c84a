"""Real-registry test helpers: CNCF Distribution (Debian's ``docker-registry``) and ``skopeo``.

Nothing here is SDK code: these helpers start a real registry process on 127.0.0.1, push real
content into it with skopeo, and record what skopeo says the digests are, so that the SDK's own
answers can be compared with an independent implementation.

The fixtures that use these helpers live in ``tests/conftest.py``:

* ``real_registry``: htpasswd (Basic) auth, session scope;
* ``real_registry_anon``: no auth;
* ``real_registry_token``: token auth whose issuer is the Harbor emulator's token service;
* ``seeded_real_registry``: ``real_registry`` with content pushed once (see `seed_registry`).

When a binary is missing the tests are skipped, unless ``HARBORSEC_REQUIRE_REAL=1`` (set by
``.ci/run``), in which case they fail.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

import httpx
import pytest

from tests._data import DATA, NOTATION_E2E, NOTATION_GO_LAYOUT

__all__ = [
    "INSTALL_HINT",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "PLATFORMS",
    "DOCKER_MANIFEST",
    "AuthMode",
    "RealRegistry",
    "SeededRef",
    "SeededRegistry",
    "build_multiplatform_layout",
    "free_port",
    "require_binary",
    "require_real",
    "seed_registry",
    "sha256_digest",
    "skopeo_copy",
    "skopeo_inspect_digest",
]

INSTALL_HINT = "apt-get install docker-registry skopeo (CI installs them in .ci/run)"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
_REF_NAME = "org.opencontainers.image.ref.name"
_ACCEPT = ", ".join(
    [
        OCI_MANIFEST,
        OCI_INDEX,
        DOCKER_MANIFEST,
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)

AuthMode = Literal["none", "htpasswd", "token"]

PLATFORMS: tuple[str, ...] = ("linux/amd64", "linux/arm64/v8", "linux/arm/v7")
"""The platforms of the multi-platform index that `build_multiplatform_layout` writes."""


def require_real() -> bool:
    """Whether real-tool tests must run (``HARBORSEC_REQUIRE_REAL=1``, set by CI)."""
    return os.environ.get("HARBORSEC_REQUIRE_REAL") == "1"


def _skip_or_fail(message: str) -> NoReturn:
    if require_real():
        pytest.fail(f"{message}; HARBORSEC_REQUIRE_REAL=1 forbids skipping")
    pytest.skip(message)


def require_binary(name: str) -> str:
    """Return the path of the binary `name`, or skip the test (fail it in CI) when it is missing."""
    path = shutil.which(name)
    if path is None:
        _skip_or_fail(f"{name} not installed: {INSTALL_HINT}")
    return path


def sha256_digest(data: bytes) -> str:
    """Return ``sha256:<hex>`` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bcrypt_htpasswd(username: str, password: str) -> str:
    import bcrypt  # in the test extra: a missing one is an error, not a skip

    # Cost 4 is the minimum Go accepts; the registry checks the hash on every request.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    return f"{username}:{hashed}\n"


class RealRegistry:
    """A CNCF Distribution registry (``docker-registry serve``) on 127.0.0.1 with a free port.

    Storage is the filesystem under `workdir`; deletes are enabled; the log level is ``warn``.
    Use it as a context manager, or call `start` and `stop`.

    Attributes:
        url: ``http://127.0.0.1:PORT``.
        host: ``127.0.0.1:PORT``, as in image references.
        username: The user that may push and pull (empty when `auth` is ``"none"``).
        password: Its password (empty when `auth` is ``"none"``).
        auth: ``"none"``, ``"htpasswd"`` or ``"token"``.
        storage_dir: The registry's filesystem storage root.
        log_path: The registry's combined stdout and stderr.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        auth: AuthMode = "none",
        username: str = "",
        password: str = "",
        token_realm: str = "",
        token_service: str = "harbor-registry",
        token_issuer: str = "harbor-token-issuer",
        token_certificate_pem: bytes = b"",
    ) -> None:
        if auth == "htpasswd" and not (username and password):
            username, password = "harborsec", secrets.token_urlsafe(12)
        if auth == "token" and not (token_realm and token_certificate_pem):
            raise ValueError("token auth needs token_realm and token_certificate_pem")
        self.workdir = workdir
        self.auth: AuthMode = auth
        self.username = username
        self.password = password
        self.token_realm = token_realm
        self.token_service = token_service
        self.token_issuer = token_issuer
        self._token_certificate_pem = token_certificate_pem
        self.storage_dir = workdir / "storage"
        self.log_path = workdir / "registry.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    @property
    def creds(self) -> str | None:
        """``user:password`` for skopeo's ``--creds``, or None without credentials."""
        return f"{self.username}:{self.password}" if self.username else None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """``(username, password)`` for httpx, or None without credentials."""
        return (self.username, self.password) if self.username else None

    def image(self, reference: str) -> str:
        """Return ``host/reference``, e.g. ``127.0.0.1:5000/library/x:1``."""
        return f"{self.host}/{reference}"

    def log_text(self) -> str:
        """The registry's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage_dir)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.host, "secret": secrets.token_hex(16)},
            "health": {"storagedriver": {"enabled": False}},
        }
        if self.auth == "htpasswd":
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(_bcrypt_htpasswd(self.username, self.password))
            config["auth"] = {"htpasswd": {"realm": "harborsec-test", "path": str(htpasswd)}}
        elif self.auth == "token":
            bundle = self.workdir / "token-root.pem"
            bundle.write_bytes(self._token_certificate_pem)
            config["auth"] = {
                "token": {
                    "realm": self.token_realm,
                    "service": self.token_service,
                    "issuer": self.token_issuer,
                    "rootcertbundle": str(bundle),
                }
            }
        return config

    def start(self, timeout: float = 30.0) -> None:
        """Start the registry and wait until ``GET /v2/`` answers (any status).

        Raises:
            RuntimeError: It did not come up; the message holds its log.
        """
        binary = require_binary("docker-registry")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage_dir.mkdir(exist_ok=True)
        last_error = ""
        for _attempt in range(3):  # another process may grab the port between probe and bind
            self.port = free_port()
            config_path = self.workdir / "config.yml"
            # JSON is YAML: no YAML writer needed.
            config_path.write_text(json.dumps(self._config(), indent=2))
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(
                    [binary, "serve", str(config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                )
            last_error = self._wait_ready(timeout)
            if not last_error:
                return
            self.stop()
            if "address already in use" not in self.log_text():
                break
        raise RuntimeError(
            f"docker-registry did not start on {self.host}: {last_error}\n"
            f"--- {self.log_path} ---\n{self.log_text()}"
        )

    def _wait_ready(self, timeout: float) -> str:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        error = "timed out"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return f"exited with status {self._process.returncode}"
                try:
                    client.get(f"{self.url}/v2/")
                except httpx.TransportError as exc:
                    error = repr(exc)
                    time.sleep(0.05)
                    continue
                return ""
        return error

    def stop(self) -> None:
        """Stop the registry: terminate, then kill after 5 seconds."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    @property
    def running(self) -> bool:
        """Whether the registry process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> RealRegistry:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- raw writes, for what skopeo cannot push unchanged ------------------------------------

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT `body` as a manifest (no SDK code, Basic auth only); return its digest."""
        if self.auth == "token":
            raise NotImplementedError("raw pushes use Basic auth; seed an htpasswd registry")
        response = httpx.put(
            f"{self.url}/v2/{repository}/manifests/{reference}",
            content=body,
            headers={"Content-Type": media_type},
            auth=self.basic_auth,
            timeout=10.0,
        )
        if response.status_code != 201:
            raise RuntimeError(f"PUT manifest {repository}:{reference}: {response.text}")
        digest = sha256_digest(body)
        assert response.headers.get("Docker-Content-Digest") == digest, response.headers
        return digest

    def plant_manifest(
        self,
        repository: str,
        manifest: bytes,
        *,
        tags: Sequence[str] = (),
        blobs: Sequence[bytes] = (),
    ) -> str:
        """Write a manifest straight into the registry's storage, bypassing its blob checks.

        The registry refuses a manifest whose blobs it does not have; this is how a manifest
        whose layer is missing (as in notation-go's test layout) gets served anyway. `blobs`
        are stored and linked into the repository. Storage is read on every request, so this
        works while the registry runs. Returns the manifest's digest.
        """
        root = self.storage_dir / "docker" / "registry" / "v2"
        repo_dir = root / "repositories" / repository

        def store(data: bytes) -> str:
            digest = sha256_digest(data)
            hex_ = digest.removeprefix("sha256:")
            blob = root / "blobs" / "sha256" / hex_[:2] / hex_ / "data"
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(data)
            return hex_

        def link(path: Path, digest_hex: str) -> None:
            path.mkdir(parents=True, exist_ok=True)
            (path / "link").write_text(f"sha256:{digest_hex}")

        for blob in blobs:
            blob_hex = store(blob)
            link(repo_dir / "_layers" / "sha256" / blob_hex, blob_hex)
        manifest_hex = store(manifest)
        link(repo_dir / "_manifests" / "revisions" / "sha256" / manifest_hex, manifest_hex)
        for tag in tags:
            tag_dir = repo_dir / "_manifests" / "tags" / tag
            link(tag_dir / "current", manifest_hex)
            link(tag_dir / "index" / "sha256" / manifest_hex, manifest_hex)
        return f"sha256:{manifest_hex}"


# -- skopeo ---------------------------------------------------------------------------------------

_TRANSPORTS = ("docker://", "oci:", "oci-archive:", "dir:", "docker-archive:")


def _skopeo_policy() -> Path:
    """A signature policy that accepts anything, so the host's policy.json does not matter."""
    path = Path(tempfile.gettempdir()) / f"harborsec-skopeo-policy-{os.getuid()}.json"
    if not path.exists():
        path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return path


def _skopeo(args: Sequence[str], *, timeout: float = 120.0) -> bytes:
    binary = require_binary("skopeo")
    env = dict(os.environ)
    # Keep the user's stored registry logins out of the tests.
    env["REGISTRY_AUTH_FILE"] = os.devnull
    result = subprocess.run(
        [binary, "--policy", str(_skopeo_policy()), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"skopeo {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stderr.decode(errors='replace')}"
        )
    return result.stdout


def _as_transport(ref: str) -> str:
    return ref if ref.startswith(_TRANSPORTS) else f"docker://{ref}"


def _platform_flags(platform: str | None) -> list[str]:
    if platform is None:
        return []
    parts = platform.split("/")
    flags = ["--override-os", parts[0], "--override-arch", parts[1]]
    if len(parts) > 2:
        flags += ["--override-variant", parts[2]]
    return flags


def skopeo_copy(
    src: str,
    dst: str,
    *,
    creds: str | None = None,
    extra: Sequence[str] = (),
) -> None:
    """Copy an image with ``skopeo copy``.

    `src` and `dst` are skopeo references (``oci:DIR:TAG``, ``docker://HOST/REPO:TAG``...); a
    reference without a transport is taken as ``docker://``. `creds` (``user:password``) is used
    for every ``docker://`` side, and TLS is never verified. `extra` is appended as is (``--all``,
    ``--format v2s2``, ``--preserve-digests``...).

    Raises:
        RuntimeError: skopeo failed; the message holds its stderr.
    """
    src, dst = _as_transport(src), _as_transport(dst)
    args = ["copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false"]
    for side, ref in (("src", src), ("dest", dst)):
        if ref.startswith("docker://"):
            args += [f"--{side}-creds", creds] if creds else [f"--{side}-no-creds"]
    _skopeo([*args, *extra, src, dst])


def skopeo_inspect_digest(
    ref: str,
    *,
    creds: str | None = None,
    raw: bool = False,
    platform: str | None = None,
) -> str:
    """Return the digest skopeo reports for `ref` (TLS never verified).

    * By default: ``skopeo inspect --format '{{.Digest}}'``. This only works on images (skopeo
      refuses artifacts whose config is not an image config), and for an index it is the
      index's digest, although the other fields describe the host platform's image.
    * With `raw`: the sha256 of ``skopeo inspect --raw``, the exact manifest or index the
      reference names; works on anything.
    * With `platform` (``os/arch[/variant]``): the digest of the image skopeo selects from an
      index with ``--override-os/--override-arch/--override-variant``. ``skopeo inspect`` does
      not report that, so the image is copied with ``--preserve-digests`` into a ``dir:`` and
      its ``manifest.json`` hashed. `raw` is then ignored.

    Raises:
        RuntimeError: skopeo failed; the message holds its stderr.
    """
    ref = _as_transport(ref)
    if platform is not None:
        with tempfile.TemporaryDirectory(prefix="harborsec-skopeo-") as tmp:
            args = ["copy", "--quiet", "--src-tls-verify=false", "--preserve-digests"]
            args += ["--src-creds", creds] if creds else ["--src-no-creds"]
            _skopeo([*_platform_flags(platform), *args, ref, f"dir:{tmp}"])
            return sha256_digest((Path(tmp) / "manifest.json").read_bytes())
    args = ["inspect", "--tls-verify=false"]
    args += ["--creds", creds] if creds else ["--no-creds"]
    if raw:
        return sha256_digest(_skopeo([*args, "--raw", ref]))
    return _skopeo([*args, "--format", "{{.Digest}}", ref]).decode().strip()


# -- content --------------------------------------------------------------------------------------


def _dumps(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _tar_gz(name: str, content: bytes) -> tuple[bytes, bytes]:
    """Return (uncompressed tar, gzip of it): one file, reproducible bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mode = 0o644
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = buffer.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, mtime=0)


@dataclass(frozen=True)
class MultiPlatformLayout:
    """An OCI image layout holding one multi-platform index (see `build_multiplatform_layout`).

    Attributes:
        path: The layout directory.
        tag: The index's ``org.opencontainers.image.ref.name``.
        index_digest: The digest of the index.
        platforms: ``os/arch[/variant]`` to the digest of that platform's image manifest.
        single_tags: ``os/arch[/variant]`` to a tag in the layout naming that image alone.
    """

    path: Path
    tag: str
    index_digest: str
    platforms: Mapping[str, str]
    single_tags: Mapping[str, str]


def build_multiplatform_layout(path: Path, *, tag: str = "1.0") -> MultiPlatformLayout:
    """Write an OCI layout with a linux/amd64, linux/arm64/v8 and linux/arm/v7 index.

    Each image has a tiny config and one gzip layer holding ``platform.txt``. Documents are
    compact JSON in Go's field order, so skopeo copies them byte for byte.
    """
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def write(data: bytes) -> dict[str, Any]:
        digest = sha256_digest(data)
        (blobs / digest[7:]).write_bytes(data)
        return {"digest": digest, "size": len(data)}

    children: list[dict[str, Any]] = []
    index_entries: list[dict[str, Any]] = []
    platforms: dict[str, str] = {}
    single_tags: dict[str, str] = {}
    for platform in PLATFORMS:
        os_, arch, *rest = platform.split("/")
        tar_bytes, layer = _tar_gz("platform.txt", f"{platform}\n".encode())
        config: dict[str, Any] = {"architecture": arch, "os": os_}
        if rest:
            config["variant"] = rest[0]
        config["config"] = {"Cmd": ["/platform.txt"]}
        config["rootfs"] = {"type": "layers", "diff_ids": [sha256_digest(tar_bytes)]}
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": _OCI_CONFIG, **write(_dumps(config))},
            "layers": [{"mediaType": _OCI_LAYER, **write(layer)}],
        }
        descriptor = {"mediaType": OCI_MANIFEST, **write(_dumps(manifest))}
        platform_field = {"architecture": arch, "os": os_}
        if rest:
            platform_field["variant"] = rest[0]
        index_entries.append({**descriptor, "platform": platform_field})
        platforms[platform] = descriptor["digest"]
        single_tags[platform] = f"{tag}-{platform.replace('/', '-')}"
        children.append({**descriptor, "annotations": {_REF_NAME: single_tags[platform]}})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_entries}
    index_descriptor = {"mediaType": OCI_INDEX, **write(_dumps(index))}
    layout_index = {
        "schemaVersion": 2,
        "manifests": [{**index_descriptor, "annotations": {_REF_NAME: tag}}, *children],
    }
    (path / "index.json").write_bytes(_dumps(layout_index))
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return MultiPlatformLayout(
        path=path,
        tag=tag,
        index_digest=index_descriptor["digest"],
        platforms=platforms,
        single_tags=single_tags,
    )


# -- seeding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededRef:
    """One reference pushed by `seed_registry`, with the digest skopeo reports for it.

    Attributes:
        repository: The repository, e.g. ``multi/app``.
        tag: The tag, or None for a by-digest reference.
        digest: The digest of the manifest or index the reference names (sha256 of the bytes
            ``skopeo inspect --raw`` returns).
        media_type: The manifest's media type.
        platforms: For an index: ``os/arch[/variant]`` to the digest skopeo reports with
            ``--override-os/-arch/-variant`` (empty otherwise).
        source: Where the content came from (a path under tests/data, or a description).
    """

    repository: str
    tag: str | None
    digest: str
    media_type: str
    platforms: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def reference(self) -> str:
        """``repository:tag`` or ``repository@digest``."""
        return f"{self.repository}:{self.tag}" if self.tag else f"{self.repository}@{self.digest}"


@dataclass
class SeededRegistry:
    """A `RealRegistry` with content pushed by `seed_registry`.

    Attributes:
        registry: The registry.
        refs: Every reference pushed, tags and digests (at least 20, all distinct).
    """

    registry: RealRegistry
    refs: list[SeededRef]

    def get(self, reference: str) -> SeededRef:
        """Return the seeded reference ``repository:tag`` or ``repository@digest``."""
        for ref in self.refs:
            if ref.reference == reference:
                return ref
        raise KeyError(reference)

    def image(self, ref: SeededRef | str) -> str:
        """Return ``host/repository:tag`` (or ``@digest``) for `ref`."""
        return self.registry.image(ref.reference if isinstance(ref, SeededRef) else ref)


NOTATION_LAYOUTS: Mapping[str, Path] = {
    "notation/valid": NOTATION_E2E / "e2e-valid-signature",
    "notation/expired": NOTATION_E2E / "e2e-expired-signature",
    "notation/invalid": NOTATION_E2E / "e2e-invalid-signature",
    "notation/timestamped": NOTATION_E2E / "e2e-with-timestamped-signature",
}
"""Repository to OCI layout (under tests/data) for the notation e2e layouts (tag ``v1``)."""

NOTATION_GO_REPOSITORY = "notation/alpine"


@contextlib.contextmanager
def _single_manifest_layout(layout: Path, entry: Mapping[str, Any]) -> Iterator[str]:
    """A temporary layout whose only entry is `entry`, tagged; yields ``oci:DIR:TAG``."""
    with tempfile.TemporaryDirectory(prefix="harborsec-layout-") as tmp:
        root = Path(tmp)
        (root / "blobs").symlink_to(layout / "blobs")
        (root / "oci-layout").write_bytes((layout / "oci-layout").read_bytes())
        tagged = {**entry, "annotations": {_REF_NAME: "push"}}
        (root / "index.json").write_bytes(_dumps({"schemaVersion": 2, "manifests": [tagged]}))
        yield f"oci:{root}:push"


def _push_layout(registry: RealRegistry, repository: str, layout: Path) -> list[SeededRef]:
    """Push every manifest of a notation e2e layout: tagged ones by tag, others by digest."""
    index = json.loads((layout / "index.json").read_bytes())
    refs: list[SeededRef] = []
    for entry in index["manifests"]:
        digest, media_type = entry["digest"], entry["mediaType"]
        tag = entry.get("annotations", {}).get(_REF_NAME)
        if media_type == OCI_INDEX:
            # A referrers tag-schema index: skopeo 1.9 drops its `artifactType` fields and
            # so rewrites it. Its children are pushed already (they come first in index.json),
            # so PUT the exact bytes.
            body = (layout / "blobs" / "sha256" / digest[7:]).read_bytes()
            registry.put_manifest(repository, tag or digest, body, media_type)
        elif tag:
            skopeo_copy(
                f"oci:{layout}:{tag}",
                registry.image(f"{repository}:{tag}"),
                creds=registry.creds,
                extra=["--preserve-digests"],
            )
        else:
            with _single_manifest_layout(layout, entry) as src:
                skopeo_copy(
                    src,
                    registry.image(f"{repository}@{digest}"),
                    creds=registry.creds,
                    extra=["--preserve-digests"],
                )
        source = f"{layout.relative_to(DATA)} {digest}"
        if tag:
            refs.append(SeededRef(repository, tag, digest, media_type, source=source))
        refs.append(SeededRef(repository, None, digest, media_type, source=source))
    return refs


def seed_registry(registry: RealRegistry, workdir: Path) -> SeededRegistry:
    """Push real content into `registry` once and record the digests skopeo reports.

    Content:

    * ``notation/{valid,expired,invalid,timestamped}``: the notation e2e OCI layouts under
      tests/data: image ``v1``, its signature manifests (by digest) and, where the layout has one,
      the referrers tag-schema index ``sha256-<hex>`` (pushed byte for byte with a raw PUT).
    * ``notation/alpine:v2``: notation-go's test layout. Its 3 MB layer blob is not in the layout
      and the registry refuses manifests whose blobs it lacks, so the manifest and config are
      written into the registry's storage; fetching the layer answers 404.
    * ``multi/app:1.0`` and ``:latest``: a linux/amd64, linux/arm64/v8, linux/arm/v7 OCI index
      (built by `build_multiplatform_layout`, copied with ``skopeo copy --all``), plus one
      ``1.0-<os>-<arch>[-<variant>]`` tag per platform.
    * ``docker/app:v2s2``: the linux/amd64 image converted by ``skopeo copy --format v2s2``.

    Every tag is checked with ``skopeo inspect --raw``: a digest that differs from the source
    layout's fails the seeding.

    Raises:
        RuntimeError: A push failed or skopeo reports another digest than expected.
    """
    refs: list[SeededRef] = []
    for repository, layout in NOTATION_LAYOUTS.items():
        refs += _push_layout(registry, repository, layout)

    layout = NOTATION_GO_LAYOUT
    entry = json.loads((layout / "index.json").read_bytes())["manifests"][0]
    manifest = (layout / "blobs" / "sha256" / entry["digest"][7:]).read_bytes()
    config_digest = json.loads(manifest)["config"]["digest"]
    config = (layout / "blobs" / "sha256" / config_digest[7:]).read_bytes()
    tag = entry["annotations"][_REF_NAME]
    digest = registry.plant_manifest(NOTATION_GO_REPOSITORY, manifest, tags=[tag], blobs=[config])
    source = f"{layout.relative_to(DATA)} (layer blob missing)"
    refs.append(SeededRef(NOTATION_GO_REPOSITORY, tag, digest, OCI_MANIFEST, source=source))
    refs.append(SeededRef(NOTATION_GO_REPOSITORY, None, digest, OCI_MANIFEST, source=source))

    multi = build_multiplatform_layout(workdir / "multi-layout", tag="1.0")
    source = "multi-platform layout built by tests/_real.py"
    for tag in (multi.tag, "latest"):
        skopeo_copy(
            f"oci:{multi.path}:{multi.tag}",
            registry.image(f"multi/app:{tag}"),
            creds=registry.creds,
            extra=["--all", "--preserve-digests"],
        )
        refs.append(
            SeededRef("multi/app", tag, multi.index_digest, OCI_INDEX, multi.platforms, source)
        )
    refs.append(
        SeededRef("multi/app", None, multi.index_digest, OCI_INDEX, multi.platforms, source)
    )
    for platform, single_tag in multi.single_tags.items():
        skopeo_copy(
            f"oci:{multi.path}:{single_tag}",
            registry.image(f"multi/app:{single_tag}"),
            creds=registry.creds,
            extra=["--preserve-digests"],
        )
        child = multi.platforms[platform]
        refs.append(SeededRef("multi/app", single_tag, child, OCI_MANIFEST, source=source))
        refs.append(SeededRef("multi/app", None, child, OCI_MANIFEST, source=source))

    amd64_tag = multi.single_tags["linux/amd64"]
    skopeo_copy(
        f"oci:{multi.path}:{amd64_tag}",
        registry.image("docker/app:v2s2"),
        creds=registry.creds,
        extra=["--format", "v2s2"],
    )
    v2s2 = skopeo_inspect_digest(registry.image("docker/app:v2s2"), creds=registry.creds, raw=True)
    source = "linux/amd64 image converted by skopeo copy --format v2s2"
    refs.append(SeededRef("docker/app", "v2s2", v2s2, DOCKER_MANIFEST, source=source))
    refs.append(SeededRef("docker/app", None, v2s2, DOCKER_MANIFEST, source=source))

    _check_seeded(registry, refs)
    return SeededRegistry(registry=registry, refs=refs)


def _check_seeded(registry: RealRegistry, refs: Sequence[SeededRef]) -> None:
    references = [ref.reference for ref in refs]
    duplicates = {r for r in references if references.count(r) > 1}
    if duplicates or len(references) < 20:
        raise RuntimeError(f"seeded references: {len(references)}, duplicated: {duplicates}")
    for ref in refs:
        if ref.tag is None:
            continue
        reported = skopeo_inspect_digest(
            registry.image(ref.reference), creds=registry.creds, raw=True
        )
        if reported != ref.digest:
            raise RuntimeError(f"{ref.reference}: skopeo reports {reported}, expected {ref.digest}")
        for platform, expected in ref.platforms.items():
            reported = skopeo_inspect_digest(
                registry.image(ref.reference), creds=registry.creds, platform=platform
            )
            if reported != expected:
                raise RuntimeError(
                    f"{ref.reference} {platform}: skopeo reports {reported}, expected {expected}"
                )
