"""The emulator's state: projects, accounts, repositories, uploads, and their persistence.

Everything a Harbor instance keeps in its database and registry storage lives in one `State`.
Request handlers run under `State.lock` (one request at a time) and call `State.save` after a
change. In memory, `save` does nothing; with a storage directory, blobs and manifests go to
`<dir>/blobs/<algorithm>/<hex>` as they arrive and the rest to `<dir>/state.json`, rewritten
atomically, so a new emulator over the same directory sees the same content.

Passwords and robot secrets are stored salted and hashed (SHA-256). This is a test double, not a
password store: the hash only keeps secrets out of plain sight in a test's temporary directory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from pathlib import Path

import attrs
import cattrs.preconf.json

from harborsec.testing._store import (
    BlobStore,
    DirectoryBlobStore,
    MemoryBlobStore,
    write_atomically,
)

__all__ = [
    "PROJECT_NAME_PATTERN",
    "ManifestRecord",
    "Project",
    "Repository",
    "Robot",
    "Role",
    "State",
    "Upload",
    "User",
    "hash_secret",
]

PROJECT_NAME_PATTERN = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
"""Harbor's project name grammar (also one OCI repository path component)."""

_STATE_FORMAT = 1


class Role:
    """Harbor's project member roles, by the names its API uses."""

    PROJECT_ADMIN = "projectAdmin"
    MAINTAINER = "maintainer"
    DEVELOPER = "developer"
    GUEST = "guest"
    LIMITED_GUEST = "limitedGuest"


def hash_secret(secret: str, salt: str) -> str:
    """Return the hex SHA-256 of `salt` and `secret` (see the module docstring)."""
    return hashlib.sha256(f"{salt}\0{secret}".encode()).hexdigest()


def _new_salt() -> str:
    return secrets.token_hex(16)


@attrs.define
class User:
    """A local (database) user."""

    username: str
    salt: str
    password_hash: str = attrs.field(repr=False)
    admin: bool = False

    def check_password(self, password: str) -> bool:
        """Whether `password` is this user's password (constant-time comparison)."""
        return hmac.compare_digest(hash_secret(password, self.salt), self.password_hash)


@attrs.define
class Robot:
    """A robot account.

    `permissions` are `(resource, action)` pairs as in Harbor's robot API, for example
    `("repository", "pull")`. A robot with no `project` is a system robot whose permissions
    apply to every project.
    """

    name: str
    """The full name, `robot$<name>` or `robot$<project>+<name>`."""
    salt: str
    secret_hash: str = attrs.field(repr=False)
    project: str | None
    permissions: tuple[tuple[str, str], ...]

    def check_secret(self, secret: str) -> bool:
        """Whether `secret` is this robot's secret (constant-time comparison)."""
        return hmac.compare_digest(hash_secret(secret, self.salt), self.secret_hash)


@attrs.define
class Project:
    """A Harbor project: the first path component of its repositories."""

    project_id: int
    name: str
    public: bool
    creation_time: float
    members: dict[str, str] = attrs.field(factory=dict)
    """Role (a `Role` value) by username."""


@attrs.define
class ManifestRecord:
    """What the registry knows about one stored manifest (its bytes are in the blob store)."""

    digest: str
    media_type: str
    size: int
    push_time: float
    references: tuple[str, ...] = ()
    """Digests this manifest needs: config and layers, or an index's child manifests."""
    subject: str | None = None
    """The digest of the manifest's `subject`, if it has one."""
    artifact_type: str | None = None
    """`artifactType`, else the config's media type (what the referrers API reports)."""
    annotations: dict[str, str] | None = None


@attrs.define
class Repository:
    """One repository: its manifests, tags and the blobs linked into it."""

    name: str
    creation_time: float
    manifests: dict[str, ManifestRecord] = attrs.field(factory=dict)
    tags: dict[str, str] = attrs.field(factory=dict)
    """Manifest digest by tag."""
    blobs: set[str] = attrs.field(factory=set)
    """Digests of the blobs (configs, layers) this repository may serve."""

    @property
    def project_name(self) -> str:
        """The Harbor project: the first path component."""
        return self.name.split("/", 1)[0]


@attrs.define
class Upload:
    """A blob upload session (kept in memory only, as registries drop stale uploads anyway)."""

    uuid: str
    repository: str
    data: bytearray = attrs.field(factory=bytearray, repr=False)


@attrs.define
class _Snapshot:
    """The persisted part of `State` (`state.json`)."""

    format: int
    next_project_id: int
    projects: list[Project]
    users: list[User]
    robots: list[Robot]
    repositories: list[Repository]


class State:
    """All the emulator's data, guarded by `lock`.

    Args:
        storage_dir: Where to persist; None keeps everything in memory. An existing state in
            this directory is loaded.
    """

    def __init__(self, storage_dir: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.users: dict[str, User] = {}
        self.robots: dict[str, Robot] = {}
        self.repositories: dict[str, Repository] = {}
        self.uploads: dict[str, Upload] = {}
        self.blobs: BlobStore
        self._next_project_id = 1
        self._state_file: Path | None = None
        self._converter = cattrs.preconf.json.make_converter()
        if storage_dir is None:
            self.blobs = MemoryBlobStore()
        else:
            storage_dir.mkdir(parents=True, exist_ok=True)
            self.blobs = DirectoryBlobStore(storage_dir / "blobs")
            self._state_file = storage_dir / "state.json"
            if self._state_file.exists():
                self._load(self._state_file)

    # -- persistence ---------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        snapshot = self._converter.structure(json.loads(path.read_text()), _Snapshot)
        if snapshot.format != _STATE_FORMAT:
            raise ValueError(f"{path}: unknown state format {snapshot.format}")
        self._next_project_id = snapshot.next_project_id
        self.projects = {p.name: p for p in snapshot.projects}
        self.users = {u.username: u for u in snapshot.users}
        self.robots = {r.name: r for r in snapshot.robots}
        self.repositories = {r.name: r for r in snapshot.repositories}

    def save(self) -> None:
        """Persist the state (a no-op in memory). Call it after every change."""
        if self._state_file is None:
            return
        snapshot = _Snapshot(
            format=_STATE_FORMAT,
            next_project_id=self._next_project_id,
            projects=list(self.projects.values()),
            users=list(self.users.values()),
            robots=list(self.robots.values()),
            repositories=list(self.repositories.values()),
        )
        text = json.dumps(self._converter.unstructure(snapshot), indent=1, sort_keys=True)
        write_atomically(self._state_file, text.encode())

    # -- accounts and projects -----------------------------------------------------------------

    def set_user(self, username: str, password: str, *, admin: bool) -> None:
        """Create the user `username`, or replace its password and admin flag."""
        salt = _new_salt()
        self.users[username] = User(username, salt, hash_secret(password, salt), admin)

    def set_robot(
        self,
        name: str,
        secret: str,
        *,
        project: str | None,
        permissions: tuple[tuple[str, str], ...],
    ) -> None:
        """Create the robot `name` (its full name), or replace its secret and permissions."""
        salt = _new_salt()
        self.robots[name] = Robot(name, salt, hash_secret(secret, salt), project, permissions)

    def add_project(self, name: str, *, public: bool) -> Project:
        """Create the project `name`.

        Raises:
            ValueError: The name is invalid, or the project exists.
        """
        if len(name) > 255 or not PROJECT_NAME_PATTERN.fullmatch(name):
            raise ValueError(f"invalid project name {name!r}")
        if name in self.projects:
            raise ValueError(f"project {name!r} exists")
        project = Project(self._next_project_id, name, public, time.time())
        self._next_project_id += 1
        self.projects[name] = project
        return project

    def project_of(self, repository: str) -> Project | None:
        """The project that `repository` (`project/...`) belongs to, if it exists."""
        return self.projects.get(repository.split("/", 1)[0])

    def repository(self, name: str) -> Repository | None:
        """The repository `name`, if anything was ever pushed to it."""
        return self.repositories.get(name)

    def ensure_repository(self, name: str) -> Repository:
        """The repository `name`, created if needed."""
        repository = self.repositories.get(name)
        if repository is None:
            repository = self.repositories[name] = Repository(name, time.time())
        return repository
