"""The emulator's state: projects, accounts, repositories, security settings, and persistence.

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
from typing import Any, ClassVar

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
    "Allowlist",
    "ImmutableRuleRecord",
    "ManifestRecord",
    "Project",
    "Repository",
    "Robot",
    "Role",
    "ScanAllExecution",
    "ScanAllSchedule",
    "ScannerRecord",
    "State",
    "Upload",
    "User",
    "hash_secret",
    "is_true",
]

PROJECT_NAME_PATTERN = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
"""Harbor's project name grammar (also one OCI repository path component)."""

_STATE_FORMAT = 2
_TRUE_STRINGS = frozenset({"true", "1"})


def is_true(value: str | None) -> bool:
    """Whether a project metadata string means true as Harbor reads it: `true` (any case), `1`."""
    return value is not None and value.lower() in _TRUE_STRINGS


class Role:
    """Harbor's project member roles, by the names its API uses."""

    PROJECT_ADMIN = "projectAdmin"
    MAINTAINER = "maintainer"
    DEVELOPER = "developer"
    GUEST = "guest"
    LIMITED_GUEST = "limitedGuest"

    IDS: ClassVar[dict[str, int]] = {
        PROJECT_ADMIN: 1,
        DEVELOPER: 2,
        GUEST: 3,
        MAINTAINER: 4,
        LIMITED_GUEST: 5,
    }
    """Harbor's numeric role ids (`current_user_role_id`)."""


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
    user_id: int = 0
    creation_time: float = 0.0

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
class Allowlist:
    """A CVE allowlist: a project's own, or the system's (`project_id` 0)."""

    id: int
    project_id: int
    items: list[str] = attrs.field(factory=list)
    expires_at: int | None = None
    """Unix seconds; None never expires."""
    creation_time: float | None = None
    """None until the list is first written (Harbor then reports the zero time)."""
    update_time: float | None = None


@attrs.define
class Project:
    """A Harbor project: the first path component of its repositories."""

    project_id: int
    name: str
    creation_time: float
    metadata: dict[str, str] = attrs.field(factory=dict)
    """Metadata strings as stored (`public`, `auto_scan`, `projectScanner`...)."""
    members: dict[str, str] = attrs.field(factory=dict)
    """Role (a `Role` value) by username."""
    owner: str = ""
    """The owner's username."""
    update_time: float = 0.0
    allowlist: Allowlist = attrs.field(factory=lambda: Allowlist(0, 0))

    @property
    def public(self) -> bool:
        """Whether the project is public (its `public` metadata, read as Harbor does)."""
        return is_true(self.metadata.get("public"))


@attrs.define
class ImmutableRuleRecord:
    """An immutable tag rule as Harbor stores it: the JSON it was given, and a toggle."""

    id: int
    project_id: int
    disabled: bool
    tag_filter: str
    """The rule body (Harbor's `model.Metadata` as JSON); unique per project."""


@attrs.define
class ScannerRecord:
    """A scanner registration."""

    uuid: str
    name: str
    url: str
    description: str = ""
    auth: str = ""
    credential_hash: str = attrs.field(default="", repr=False)
    """A hash of `access_credential` (empty when none), so that secrets stay out of files."""
    skip_cert_verify: bool = False
    use_internal_addr: bool = False
    disabled: bool = False
    is_default: bool = False
    immutable: bool = False
    create_time: float = 0.0
    update_time: float = 0.0


@attrs.define
class ScanAllSchedule:
    """The scan-all schedule."""

    id: int
    cron_type: str
    cron: str
    creation_time: float
    update_time: float


@attrs.define
class ScanAllExecution:
    """One scan-all run."""

    id: int
    trigger: str
    """`MANUAL` or `SCHEDULE`, as Harbor stores it."""
    start_time: float
    total: int
    success: int = 0
    stopped: int = 0
    status: str = "Running"
    """`Running`, `Success` or `Stopped`."""


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
    next_ids: dict[str, int]
    projects: list[Project]
    users: list[User]
    robots: list[Robot]
    repositories: list[Repository]
    system_allowlist: Allowlist
    immutable_rules: list[ImmutableRuleRecord]
    scanners: list[ScannerRecord]
    scan_all_schedule: ScanAllSchedule | None
    scan_all_executions: list[ScanAllExecution]


def _upgrade_format_1(document: dict[str, Any]) -> dict[str, Any]:
    """Bring a format-1 `state.json` (projects with a `public` flag) to format 2."""
    projects = document.get("projects", [])
    users = document.get("users", [])
    next_ids = {
        "project": document.get("next_project_id", len(projects) + 1),
        "allowlist": 2,
        "user": len(users) + 1,
    }
    for user_id, user in enumerate(users, 1):
        user["user_id"] = user_id
    for project in projects:
        project["metadata"] = {"public": "true" if project.pop("public", False) else "false"}
        project["allowlist"] = {"id": next_ids["allowlist"], "project_id": project["project_id"]}
        next_ids["allowlist"] += 1
    return {
        "format": 2,
        "next_ids": next_ids,
        "projects": projects,
        "users": users,
        "robots": document.get("robots", []),
        "repositories": document.get("repositories", []),
        "system_allowlist": {"id": 1, "project_id": 0},
        "immutable_rules": [],
        "scanners": [],
        "scan_all_schedule": None,
        "scan_all_executions": [],
    }


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
        self.system_allowlist = Allowlist(1, 0)
        self.immutable_rules: dict[int, ImmutableRuleRecord] = {}
        """Immutable tag rules of every project, by id."""
        self.scanners: dict[str, ScannerRecord] = {}
        """Scanner registrations by uuid, in registration order."""
        self.scan_all_schedule: ScanAllSchedule | None = None
        self.scan_all_executions: list[ScanAllExecution] = []
        """Scan-all runs, oldest first."""
        self.blobs: BlobStore
        self._next_ids: dict[str, int] = {"allowlist": 2}
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
        document = json.loads(path.read_text())
        if document.get("format") == 1:
            document = _upgrade_format_1(document)
        if document.get("format") != _STATE_FORMAT:
            raise ValueError(f"{path}: unknown state format {document.get('format')}")
        snapshot = self._converter.structure(document, _Snapshot)
        self._next_ids = dict(snapshot.next_ids)
        self.projects = {p.name: p for p in snapshot.projects}
        self.users = {u.username: u for u in snapshot.users}
        self.robots = {r.name: r for r in snapshot.robots}
        self.repositories = {r.name: r for r in snapshot.repositories}
        self.system_allowlist = snapshot.system_allowlist
        self.immutable_rules = {r.id: r for r in snapshot.immutable_rules}
        self.scanners = {s.uuid: s for s in snapshot.scanners}
        self.scan_all_schedule = snapshot.scan_all_schedule
        self.scan_all_executions = snapshot.scan_all_executions

    def save(self) -> None:
        """Persist the state (a no-op in memory). Call it after every change."""
        if self._state_file is None:
            return
        snapshot = _Snapshot(
            format=_STATE_FORMAT,
            next_ids=self._next_ids,
            projects=list(self.projects.values()),
            users=list(self.users.values()),
            robots=list(self.robots.values()),
            repositories=list(self.repositories.values()),
            system_allowlist=self.system_allowlist,
            immutable_rules=list(self.immutable_rules.values()),
            scanners=list(self.scanners.values()),
            scan_all_schedule=self.scan_all_schedule,
            scan_all_executions=self.scan_all_executions,
        )
        text = json.dumps(self._converter.unstructure(snapshot), indent=1, sort_keys=True)
        write_atomically(self._state_file, text.encode())

    # -- ids ------------------------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        """A new id for `kind` (`project`, `user`, `allowlist`, `rule`...): 1, 2, 3..."""
        value = self._next_ids.get(kind, 1)
        self._next_ids[kind] = value + 1
        return value

    # -- accounts and projects -----------------------------------------------------------------

    def set_user(self, username: str, password: str, *, admin: bool) -> None:
        """Create the user `username`, or replace its password and admin flag."""
        salt = _new_salt()
        existing = self.users.get(username)
        user_id = existing.user_id if existing is not None else self.next_id("user")
        created = existing.creation_time if existing is not None else time.time()
        self.users[username] = User(
            username, salt, hash_secret(password, salt), admin, user_id, created
        )

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

    def add_project(
        self,
        name: str,
        *,
        public: bool = False,
        metadata: dict[str, str] | None = None,
        owner: str = "",
    ) -> Project:
        """Create the project `name`, owned (and administered) by `owner`.

        Args:
            name: The project name.
            public: Whether it is public; ignored when `metadata` is given.
            metadata: Its metadata strings, stored as given.
            owner: The owner's username, made a project admin member.

        Raises:
            ValueError: The name is invalid, or the project exists.
        """
        if len(name) > 255 or not PROJECT_NAME_PATTERN.fullmatch(name):
            raise ValueError(f"invalid project name {name!r}")
        if name in self.projects:
            raise ValueError(f"project {name!r} exists")
        now = time.time()
        project_id = self.next_id("project")
        if metadata is None:
            metadata = {"public": "true" if public else "false"}
        project = Project(
            project_id,
            name,
            now,
            metadata=dict(metadata),
            owner=owner,
            update_time=now,
            allowlist=Allowlist(self.next_id("allowlist"), project_id),
        )
        if owner:
            project.members[owner] = Role.PROJECT_ADMIN
        self.projects[name] = project
        return project

    def project_by_id(self, project_id: int) -> Project | None:
        """The project with this id, if it exists."""
        for project in self.projects.values():
            if project.project_id == project_id:
                return project
        return None

    def delete_project(self, project: Project) -> None:
        """Delete a project with its rules and robots (Harbor frees the name for reuse)."""
        del self.projects[project.name]
        for rule_id in [
            r.id for r in self.immutable_rules.values() if r.project_id == project.project_id
        ]:
            del self.immutable_rules[rule_id]
        for robot in [r.name for r in self.robots.values() if r.project == project.name]:
            del self.robots[robot]

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
