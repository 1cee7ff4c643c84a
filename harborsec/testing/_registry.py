"""The OCI distribution API on `/v2/`, with Harbor's authentication in front of it.

What the registry does follows the OCI distribution spec v1.1 and CNCF Distribution 2.8 (which
Harbor runs behind its core); what its core adds in front is Harbor's:

* Auth (`src/server/middleware/v2auth`): Basic credentials or a token from `/service/token`.
  Without an Authorization header, a request gets `401` and a `Bearer` challenge naming the
  token service and the scope; with one that does not grant the access (bad password, expired
  token, missing permission), `401` and `Basic realm="harbor"`. `/v2/_catalog` is admin-only and
  always challenges with Basic. A repository's project must exist (`401` if not, as in Harbor).
  Harbor lets anonymous GETs of public repositories through without a header; the emulator
  always challenges, as a registry with token auth does, so clients must do the token dance.
* Deleting a manifest by tag is refused (`400 UNSUPPORTED`); deleting one that an index
  references is refused (`412 PRECONDITION`); deleting one also deletes the manifests whose
  `subject` it is (Harbor deletes an artifact's accessories with it).
* Tag immutability (`harborsec.testing._immutability`): pushing a manifest over an existing
  tag that a rule makes immutable, or deleting a manifest that carries one, is refused with
  `412 PRECONDITION` `Failed to process request due to '<repo>:<tag>' configured as immutable.`
  (`<repo>` without the project).
* The referrers API is answered from the manifests' `subject`s, in the same repository only,
  with `X-Total-Count` (unfiltered) and, when filtered, `OCI-Filters-Applied: artifactType`.
  For a subject that does not exist, Harbor answers `{}`, not an empty index; so does this.

As in Distribution, fetching an OCI manifest or index needs an `Accept` header that lists its
media type (`*/*` does not count), and pushing a manifest needs a `Content-Type` that is one of
the four manifest media types; the blobs a manifest names, and the manifests an index names,
must already be in the repository. As the OCI spec (not Distribution 2.8) says, a `POST` with
`?digest=` is a monolithic upload, and a `PATCH` whose `Content-Range` does not start where the
upload ends gets `416`.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, NoReturn

import attrs
import httpx

from harborsec.testing._auth import (
    ANONYMOUS,
    Principal,
    authenticate_basic,
    repository_actions,
)
from harborsec.testing._http import (
    JSON,
    Call,
    Router,
    error_body,
    harbor_error,
    json_response,
    loads_json,
    parse_int,
    text_response,
)
from harborsec.testing._immutability import immutable_tag
from harborsec.testing._state import ManifestRecord, Repository, State, Upload
from harborsec.testing._store import DIGEST_PATTERN, compute_digest, is_supported_digest
from harborsec.testing._token import TokenAuthority

__all__ = [
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "MANIFEST_MEDIA_TYPES",
    "NAME_PATTERN",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "TAG_PATTERN",
    "Registry",
    "RegistryError",
]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_MEDIA_TYPES = frozenset({OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST})
_INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
_NEEDS_ACCEPT = frozenset({OCI_MANIFEST, OCI_INDEX})
"""Media types Distribution 2.8 serves only when the client's Accept lists them."""

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
NAME_PATTERN = rf"{_COMPONENT}(?:/{_COMPONENT})*"
"""The OCI grammar of a repository name."""
TAG_PATTERN = r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"
"""The OCI grammar of a tag."""

_CONTENT_RANGE = re.compile(r"(?:bytes[ =])?([0-9]+)-([0-9]+)(?:/(?:[0-9]+|\*))?")
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")


class RegistryError(Exception):
    """An error answer in the OCI error shape; handlers raise it, `Registry.handle` sends it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> httpx.Response:
        """The error as a response (`detail` included when it is not None)."""
        body = (
            error_body(self.code, self.message)
            if self.detail is None
            else error_body(self.code, self.message, self.detail)
        )
        return json_response(
            self.status, body, headers=self.headers, content_type=JSON, newline=True
        )


def _fail(
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> NoReturn:
    raise RegistryError(status, code, message, detail=detail, headers=headers)


@attrs.frozen
class _ParsedManifest:
    """What the registry needs to know about a manifest it is asked to store."""

    media_type: str
    references: tuple[str, ...]
    is_index: bool
    subject: str | None
    artifact_type: str | None
    annotations: dict[str, str] | None


def _descriptor(value: Any, where: str) -> dict[str, Any]:
    """Check that `value` is a descriptor (mediaType, digest, size) and return it."""
    if not (
        isinstance(value, dict)
        and isinstance(value.get("mediaType"), str)
        and isinstance(value.get("digest"), str)
        and re.fullmatch(DIGEST_PATTERN, value["digest"])
        and isinstance(value.get("size"), int)
        and not isinstance(value.get("size"), bool)
        and value["size"] >= 0
    ):
        _fail(400, "MANIFEST_INVALID", f"manifest invalid: {where} is not a valid descriptor")
    return value


def parse_manifest(body: bytes, content_type: str | None) -> _ParsedManifest:
    """Check a pushed manifest and extract what the registry indexes.

    Raises:
        RegistryError: `MANIFEST_INVALID` when it is not JSON, has an unsupported media type,
            or is not shaped as its media type requires.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in MANIFEST_MEDIA_TYPES:
        _fail(400, "MANIFEST_INVALID", f"manifest invalid: unsupported media type {media_type!r}")
    try:
        document = loads_json(body)
    except ValueError:
        _fail(400, "MANIFEST_INVALID", "manifest invalid: not JSON")
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        _fail(400, "MANIFEST_INVALID", "manifest invalid: schemaVersion must be 2")
    declared = document.get("mediaType")
    if declared is not None and declared != media_type:
        _fail(
            400,
            "MANIFEST_INVALID",
            f"manifest invalid: mediaType {declared!r} does not match Content-Type {media_type!r}",
        )
    subject = None
    if "subject" in document:
        subject = _descriptor(document["subject"], "subject")["digest"]
    annotations = document.get("annotations")
    if annotations is not None and not (
        isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values())
    ):
        _fail(400, "MANIFEST_INVALID", "manifest invalid: annotations must map strings")
    artifact_type = document.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        _fail(400, "MANIFEST_INVALID", "manifest invalid: artifactType must be a string")
    if media_type in _INDEX_MEDIA_TYPES:
        children = document.get("manifests")
        if not isinstance(children, list):
            _fail(400, "MANIFEST_INVALID", "manifest invalid: manifests must be a list")
        references = tuple(
            _descriptor(child, f"manifests[{i}]")["digest"] for i, child in enumerate(children)
        )
        return _ParsedManifest(media_type, references, True, subject, artifact_type, annotations)
    config = _descriptor(document.get("config"), "config")
    layers = document.get("layers")
    if not isinstance(layers, list):
        _fail(400, "MANIFEST_INVALID", "manifest invalid: layers must be a list")
    needed = [config["digest"]]
    for i, layer in enumerate(layers):
        layer = _descriptor(layer, f"layers[{i}]")
        if not layer.get("urls"):  # non-distributable layers live elsewhere
            needed.append(layer["digest"])
    return _ParsedManifest(
        media_type,
        tuple(dict.fromkeys(needed)),
        False,
        subject,
        artifact_type or config["mediaType"],
        annotations,
    )


def _accepts(call: Call, media_type: str) -> bool:
    """Whether the client's Accept headers list `media_type` (as Distribution 2.8 checks)."""
    for header in call.headers.get_list("accept"):
        for item in header.split(","):
            if item.split(";", 1)[0].strip().lower() == media_type:
                return True
    return False


def _int_param(call: Call, name: str) -> int | None:
    value = call.query.get(name)
    if value is None:
        return None
    number = parse_int(value) if value.isascii() and value.isdigit() else None
    if number is None or number >= 2**63:
        _fail(400, "PAGINATION_NUMBER_INVALID", f"invalid number of results requested: {value}")
    return number


def _page(items: list[str], call: Call, path: str) -> tuple[list[str], dict[str, str]]:
    """Apply `n` and `last` to sorted `items`; return the page and its `Link` header, if any."""
    limit = _int_param(call, "n")
    last = call.query.get("last")
    if last:
        items = [item for item in items if item > last]
    if limit is None or limit >= len(items):
        return items, {}
    page = items[:limit]
    if not page:
        return page, {}
    query = httpx.QueryParams({"n": str(limit), "last": page[-1]})
    return page, {"Link": f'<{path}?{query}>; rel="next"'}


class Registry:
    """The `/v2/` area.

    Args:
        state: The emulator's state.
        authority: Verifies bearer tokens.
        referrers_api: Whether to serve `GET /v2/<name>/referrers/<digest>`; without it, that
            path answers `404` like CNCF Distribution 2.8.
        robot_prefix: The prefix that marks robot usernames.
    """

    prefix = "/v2/"

    def __init__(
        self,
        state: State,
        authority: TokenAuthority,
        *,
        referrers_api: bool,
        robot_prefix: str,
    ) -> None:
        self._state = state
        self._authority = authority
        self._robot_prefix = robot_prefix
        router = self._router = Router(
            {
                "name": NAME_PATTERN,
                "reference": f"{TAG_PATTERN}|{DIGEST_PATTERN}",
                "digest": DIGEST_PATTERN,
            }
        )
        router.add("GET", "/v2/", self._base, target="login")
        router.add("GET", "/v2/_catalog", self._catalog, target="catalog")
        router.add("GET", "/v2/{name:name}/tags/list", self._list_tags, target="repository")
        manifest = "/v2/{name:name}/manifests/{reference:reference}"
        router.add(("GET", "HEAD"), manifest, self._get_manifest, target="repository")
        router.add("PUT", manifest, self._put_manifest, target="repository")
        router.add("DELETE", manifest, self._delete_manifest, target="repository")
        blob = "/v2/{name:name}/blobs/{digest:digest}"
        router.add(("GET", "HEAD"), blob, self._get_blob, target="repository")
        router.add("DELETE", blob, self._delete_blob, target="repository")
        for start in ("/v2/{name:name}/blobs/uploads/", "/v2/{name:name}/blobs/uploads"):
            router.add("POST", start, self._start_upload, target="repository")
        upload = "/v2/{name:name}/blobs/uploads/{uuid}"
        router.add("GET", upload, self._upload_status, target="repository")
        router.add("PATCH", upload, self._patch_upload, target="repository")
        router.add("PUT", upload, self._finish_upload, target="repository")
        router.add("DELETE", upload, self._cancel_upload, target="repository")
        if referrers_api:
            referrers = "/v2/{name:name}/referrers/{reference:reference}"
            router.add("GET", referrers, self._referrers, target="repository")

    # -- dispatch and auth ---------------------------------------------------------------------

    def handle(self, call: Call) -> httpx.Response:
        """Answer a request under `/v2/`."""
        response = self._dispatch(call)
        response.headers["Docker-Distribution-Api-Version"] = "registry/2.0"
        return response

    def _dispatch(self, call: Call) -> httpx.Response:
        path = "/v2/" if call.path == "/v2" else call.path
        found = self._router.match(call.method, path)
        if found is None:
            return text_response(404, "404 page not found\n")
        if isinstance(found, list):
            return text_response(405, "Method not allowed\n", headers={"Allow": ", ".join(found)})
        route, call.params = found
        call.principal = self._authenticate(call)
        denied = self._authorize(call, route.meta["target"])
        if denied is not None:
            return denied
        try:
            return route.handler(call)
        except RegistryError as error:
            return error.response()

    def _authenticate(self, call: Call) -> Principal:
        header = call.authorization
        if header is None:
            return ANONYMOUS
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            grant = self._authority.verify(credentials.strip())
            return ANONYMOUS if grant is None else Principal("token", grant.subject, token=grant)
        principal = authenticate_basic(self._state, header, robot_prefix=self._robot_prefix)
        return principal or ANONYMOUS

    def _scopes(self, call: Call) -> list[str]:
        """The scopes a Bearer challenge for this request names (Harbor's `accessList`)."""
        name = call.params["name"]
        if call.method in ("GET", "HEAD"):
            scopes = [f"repository:{name}:pull"]
        elif call.method == "DELETE":
            scopes = [f"repository:{name}:delete"]
        else:
            scopes = [f"repository:{name}:pull,push"]
        source = call.query.get("from")
        if call.method == "POST" and call.query.get("mount") and source:
            scopes.append(f"repository:{source}:pull")
        return scopes

    def _challenge(self, call: Call, target: str) -> str:
        if call.authorization is not None or target == "catalog":
            return 'Basic realm="harbor"'
        challenge = (
            f'Bearer realm="{call.base_url}/service/token",service="{self._authority.service}"'
        )
        if target == "repository":
            challenge += f',scope="{" ".join(self._scopes(call))}"'
        return challenge

    def _unauthorized(self, call: Call, target: str, message: str) -> httpx.Response:
        return harbor_error(
            401,
            "UNAUTHORIZED",
            message,
            headers={"Www-Authenticate": self._challenge(call, target)},
        )

    def _authorize(self, call: Call, target: str) -> httpx.Response | None:
        """None when the caller may go on, else the 401 to answer."""
        principal = call.principal
        if target == "login":
            if principal.kind == "anonymous":
                return self._unauthorized(call, target, "unauthorized")
            return None
        if target == "catalog":
            if not principal.admin:
                return self._unauthorized(call, target, "unauthorized to list catalog")
            return None
        name = call.params["name"]
        if call.authorization is None:
            return self._unauthorized(call, target, "authorize header needed to access repository")
        project = self._state.project_of(name)
        if project is None:
            # Harbor fails the project lookup and answers 401 with an empty challenge.
            project_name = name.split("/", 1)[0]
            return harbor_error(
                401,
                "UNAUTHORIZED",
                f"project {project_name} not found",
                headers={"Www-Authenticate": ""},
            )
        action = {"GET": "pull", "HEAD": "pull", "DELETE": "delete"}.get(call.method, "push")
        if action not in repository_actions(self._state, principal, name):
            return self._unauthorized(
                call, target, f"unauthorized to access repository: {name}, action: {action}"
            )
        return None

    # -- lookups -------------------------------------------------------------------------------

    def _repository(self, call: Call) -> Repository:
        repository = self._state.repository(call.params["name"])
        if repository is None:
            _fail(
                404,
                "NAME_UNKNOWN",
                "repository name not known to registry",
                {"name": call.params["name"]},
            )
        return repository

    def _manifest(self, call: Call) -> ManifestRecord:
        """The manifest that the route's `name` and `reference` (tag or digest) name."""
        name, reference = call.params["name"], call.params["reference"]
        repository = self._state.repository(name)
        record = None
        if repository is not None:
            record = repository.manifests.get(repository.tags.get(reference, reference))
        if record is None:
            is_tag = ":" not in reference
            detail = {"Tag": reference} if is_tag else {"Name": name, "Revision": reference}
            _fail(404, "MANIFEST_UNKNOWN", "manifest unknown", detail)
        return record

    def _checked_digest(self, digest: str | None) -> str:
        if not digest or not is_supported_digest(digest):
            _fail(400, "DIGEST_INVALID", f"invalid or unsupported digest: {digest!r}")
        return digest

    # -- base and catalog ----------------------------------------------------------------------

    def _base(self, call: Call) -> httpx.Response:
        return json_response(200, {}, content_type=JSON)

    def _catalog(self, call: Call) -> httpx.Response:
        names = sorted(name for name, repo in self._state.repositories.items() if repo.manifests)
        page, headers = _page(names, call, "/v2/_catalog")
        return json_response(200, {"repositories": page}, headers=headers, content_type=JSON)

    def _list_tags(self, call: Call) -> httpx.Response:
        repository = self._repository(call)
        if call.query.get("n") == "0":
            tags: list[str] = []
            headers: dict[str, str] = {}
        else:
            path = f"/v2/{repository.name}/tags/list"
            tags, headers = _page(sorted(repository.tags), call, path)
        document = {"name": repository.name, "tags": tags}
        return json_response(200, document, headers=headers, content_type=JSON)

    # -- manifests -----------------------------------------------------------------------------

    def _get_manifest(self, call: Call) -> httpx.Response:
        record = self._manifest(call)
        if record.media_type in _NEEDS_ACCEPT and not _accepts(call, record.media_type):
            kind = "OCI index" if record.media_type == OCI_INDEX else "OCI manifest"
            _fail(
                404,
                "MANIFEST_UNKNOWN",
                f"{kind} found, but accept header does not support {kind}s",
            )
        etag = f'"{record.digest}"'
        headers = {
            "Content-Type": record.media_type,
            "Docker-Content-Digest": record.digest,
            "Etag": etag,
        }
        if etag in [value.strip() for value in call.headers.get_list("if-none-match")]:
            return httpx.Response(304, headers=headers)
        content = self._state.blobs.get(record.digest)
        if content is None:  # the store lost a file behind our back
            raise RuntimeError(f"manifest {record.digest} is indexed but not stored")
        return httpx.Response(200, content=content, headers=headers)

    def _refuse_immutable(self, name: str, tags: list[str]) -> None:
        """Harbor's immutable middleware: 412 when one of these existing tags is immutable."""
        for tag in tags:
            if immutable_tag(self._state, name, tag):
                short = name.split("/", 1)[1]
                _fail(
                    412,
                    "PRECONDITION",
                    f"Failed to process request due to '{short}:{tag}' configured as immutable.",
                )

    def _put_manifest(self, call: Call) -> httpx.Response:
        name, reference = call.params["name"], call.params["reference"]
        is_digest = re.fullmatch(DIGEST_PATTERN, reference) is not None
        existing = self._state.repository(name)
        if not is_digest and existing is not None and reference in existing.tags:
            self._refuse_immutable(name, [reference])
        parsed = parse_manifest(call.body, call.headers.get("content-type"))
        if is_digest:
            reference = self._checked_digest(reference)
            digest = compute_digest(call.body, reference.split(":", 1)[0])
            if digest != reference:
                _fail(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        else:
            digest = compute_digest(call.body)
        repository = self._state.repository(name)
        available: set[str] | dict[str, ManifestRecord] = set()
        if repository is not None:
            available = repository.manifests if parsed.is_index else repository.blobs
        for needed in parsed.references:
            if needed not in available:
                _fail(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", needed)
        repository = self._state.ensure_repository(name)
        self._state.blobs.put(digest, call.body)
        repository.manifests.pop(digest, None)  # a re-push moves it to the end (push order)
        repository.manifests[digest] = ManifestRecord(
            digest=digest,
            media_type=parsed.media_type,
            size=len(call.body),
            push_time=time.time(),
            references=parsed.references,
            subject=parsed.subject,
            artifact_type=parsed.artifact_type,
            annotations=parsed.annotations,
        )
        if not is_digest:
            repository.tags[reference] = digest
        self._state.save()
        headers = {
            "Location": f"/v2/{name}/manifests/{digest}",
            "Docker-Content-Digest": digest,
        }
        if parsed.subject is not None:
            headers["OCI-Subject"] = parsed.subject
        return httpx.Response(201, headers=headers)

    def _delete_manifest(self, call: Call) -> httpx.Response:
        reference = call.params["reference"]
        if re.fullmatch(DIGEST_PATTERN, reference) is None:
            _fail(400, "UNSUPPORTED", f"unsupported digest {reference}: not a digest")
        repository = self._repository(call)
        record = self._manifest(call)
        self._refuse_immutable(
            repository.name,
            [tag for tag, digest in repository.tags.items() if digest == record.digest],
        )
        for other in repository.manifests.values():
            if other.digest != record.digest and record.digest in other.references:
                _fail(
                    412,
                    "PRECONDITION",
                    f"the deleting artifact {record.digest} is referenced by {other.digest}",
                )
        self._delete_with_referrers(repository, record.digest)
        self._state.save()
        return httpx.Response(202)

    def _delete_with_referrers(self, repository: Repository, digest: str) -> None:
        repository.manifests.pop(digest, None)
        for tag in [tag for tag, target in repository.tags.items() if target == digest]:
            del repository.tags[tag]
        referrers = [m.digest for m in repository.manifests.values() if m.subject == digest]
        for referrer in referrers:
            self._delete_with_referrers(repository, referrer)

    # -- blobs ---------------------------------------------------------------------------------

    def _linked_blob(self, call: Call) -> tuple[Repository, str]:
        digest = self._checked_digest(call.params["digest"])
        repository = self._state.repository(call.params["name"])
        if repository is None or digest not in repository.blobs:
            _fail(404, "BLOB_UNKNOWN", "blob unknown to registry", digest)
        return repository, digest

    def _get_blob(self, call: Call) -> httpx.Response:
        _, digest = self._linked_blob(call)
        content = self._state.blobs.get(digest)
        if content is None:  # the store lost a file behind our back
            raise RuntimeError(f"blob {digest} is linked but not stored")
        headers = {
            "Content-Type": "application/octet-stream",
            "Docker-Content-Digest": digest,
            "Etag": f'"{digest}"',
            "Accept-Ranges": "bytes",
        }
        wanted = _RANGE.fullmatch(call.headers.get("range", "").strip())
        if wanted is None or wanted.group(1) == wanted.group(2) == "":
            return httpx.Response(200, content=content, headers=headers)
        total = len(content)
        if wanted.group(1) == "":  # a suffix: the last N bytes
            start, end = max(total - parse_int(wanted.group(2)), 0), total - 1
        else:
            start = parse_int(wanted.group(1))
            end = min(parse_int(wanted.group(2)), total - 1) if wanted.group(2) else total - 1
        if start > end or start >= total:
            headers["Content-Range"] = f"bytes */{total}"
            _fail(416, "BLOB_UNKNOWN", "requested range not satisfiable", headers=headers)
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        return httpx.Response(206, content=content[start : end + 1], headers=headers)

    def _delete_blob(self, call: Call) -> httpx.Response:
        repository, digest = self._linked_blob(call)
        repository.blobs.discard(digest)
        self._state.save()
        return httpx.Response(202, headers={"Docker-Content-Digest": digest})

    # -- uploads -------------------------------------------------------------------------------

    def _blob_created(self, name: str, digest: str) -> httpx.Response:
        return httpx.Response(
            201,
            headers={"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest},
        )

    def _upload_headers(self, upload: Upload) -> dict[str, str]:
        size = len(upload.data)
        return {
            "Location": f"/v2/{upload.repository}/blobs/uploads/{upload.uuid}",
            "Docker-Upload-UUID": upload.uuid,
            "Range": f"0-{max(size - 1, 0)}",
        }

    def _store_blob(self, name: str, data: bytes, expected: str) -> None:
        """Verify `data` against `expected`, then store and link it into `name`."""
        if compute_digest(data, expected.split(":", 1)[0]) != expected:
            _fail(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        self._state.blobs.put(expected, data)
        self._state.ensure_repository(name).blobs.add(expected)
        self._state.save()

    def _start_upload(self, call: Call) -> httpx.Response:
        name = call.params["name"]
        mount, source = call.query.get("mount"), call.query.get("from")
        if mount and source and is_supported_digest(mount):
            origin = self._state.repository(source)
            readable = "pull" in repository_actions(self._state, call.principal, source)
            if readable and origin is not None and mount in origin.blobs:
                self._state.ensure_repository(name).blobs.add(mount)
                self._state.save()
                return self._blob_created(name, mount)
        digest = call.query.get("digest")
        if digest is not None:
            self._store_blob(name, call.body, self._checked_digest(digest))
            return self._blob_created(name, digest)
        upload = Upload(str(uuid.uuid4()), name)
        self._state.uploads[upload.uuid] = upload
        return httpx.Response(202, headers=self._upload_headers(upload))

    def _upload(self, call: Call) -> Upload:
        upload = self._state.uploads.get(call.params["uuid"])
        if upload is None or upload.repository != call.params["name"]:
            _fail(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        return upload

    def _append(self, call: Call, upload: Upload) -> None:
        """Append the body to `upload`, honouring `Content-Range` when the client sent one."""
        content_range = call.headers.get("content-range")
        if content_range is not None:
            found = _CONTENT_RANGE.fullmatch(content_range.strip())
            if found is None:
                _fail(400, "BLOB_UPLOAD_INVALID", f"malformed Content-Range {content_range!r}")
            start, end = parse_int(found.group(1)), parse_int(found.group(2))
            if start != len(upload.data):
                _fail(
                    416,
                    "BLOB_UPLOAD_INVALID",
                    f"Content-Range starts at {start}, the upload is {len(upload.data)} bytes",
                    headers=self._upload_headers(upload),
                )
            if end - start + 1 != len(call.body):
                _fail(
                    400,
                    "BLOB_UPLOAD_INVALID",
                    f"Content-Range {start}-{end} does not match a body of {len(call.body)} bytes",
                )
        upload.data += call.body

    def _upload_status(self, call: Call) -> httpx.Response:
        return httpx.Response(204, headers=self._upload_headers(self._upload(call)))

    def _patch_upload(self, call: Call) -> httpx.Response:
        upload = self._upload(call)
        self._append(call, upload)
        return httpx.Response(202, headers=self._upload_headers(upload))

    def _finish_upload(self, call: Call) -> httpx.Response:
        upload = self._upload(call)
        digest = self._checked_digest(call.query.get("digest"))
        self._append(call, upload)
        del self._state.uploads[upload.uuid]  # a failed finish ends the upload too
        self._store_blob(upload.repository, bytes(upload.data), digest)
        return self._blob_created(upload.repository, digest)

    def _cancel_upload(self, call: Call) -> httpx.Response:
        upload = self._upload(call)
        del self._state.uploads[upload.uuid]
        return httpx.Response(204)

    # -- referrers -----------------------------------------------------------------------------

    def _referrers(self, call: Call) -> httpx.Response:
        subject = call.params["reference"]
        if re.fullmatch(DIGEST_PATTERN, subject) is None:
            _fail(400, "BAD_REQUEST", f"unsupported digest {subject}: not a digest")
        repository = self._state.repository(call.params["name"])
        headers = {"Content-Type": OCI_INDEX}
        if repository is None or subject not in repository.manifests:
            return httpx.Response(200, content=b"{}\n", headers=headers)
        wanted = call.query.get("artifactType")
        referrers = [m for m in repository.manifests.values() if m.subject == subject]
        headers["X-Total-Count"] = str(len(referrers))
        if wanted:
            headers["OCI-Filters-Applied"] = "artifactType"
            referrers = [m for m in referrers if m.artifact_type == wanted]
        descriptors = []
        for record in referrers:
            descriptor: dict[str, Any] = {
                "mediaType": record.media_type,
                "digest": record.digest,
                "size": record.size,
            }
            if record.annotations:
                descriptor["annotations"] = record.annotations
            if record.artifact_type:
                descriptor["artifactType"] = record.artifact_type
            descriptors.append(descriptor)
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
        return json_response(200, index, headers=headers, content_type=OCI_INDEX, newline=True)
