"""OCI distribution operations, without I/O.

Each function returns an operation (`Op`): a generator that yields
the requests to send and returns the typed result. `Registry` and `AsyncRegistry` run them; tests
drive them with canned responses. Every manifest and blob fetched by digest is checked against
that digest here, so no caller can forget to.
"""

from __future__ import annotations

import re

import httpx

from harborsec._core._driver import STREAM, Op
from harborsec._core._http import json_body, raise_for_status, safe_url, with_path
from harborsec._core._limits import MANIFEST_MAX_BODY, MAX_BODY
from harborsec.errors import (
    DigestMismatchError,
    InvalidDocumentError,
    InvalidReferenceError,
    MalformedResponseError,
)
from harborsec.oci._digest import (
    compute_digest,
    digest_or_tag,
    is_digest,
    parse_digest,
    verify_digest,
)
from harborsec.oci._media import INDEX_TYPES, MANIFEST_ACCEPT, OCI_INDEX
from harborsec.oci._models import (
    Descriptor,
    ImageIndex,
    Manifest,
    Platform,
    check_image_platform,
    parse_manifest,
    select_platform,
)

__all__ = [
    "blob_exists",
    "delete_blob",
    "delete_manifest",
    "get_blob",
    "get_manifest",
    "list_tags",
    "open_blob",
    "ping",
    "push_blob",
    "push_manifest",
    "referrers",
    "resolve",
    "v2_url",
]

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
"""Blobs larger than this are uploaded in chunks of this size."""

# `[^<>]`, not `[^>]`: a header of many `<` without `>` must not take quadratic time.
_LINK_NEXT = re.compile(r'<([^<>]*)>\s*;\s*rel="?next"?')


def v2_url(base: httpx.URL, repository: str, *parts: str) -> httpx.URL:
    """The URL of `/v2/<repository>/<parts...>` on the registry at `base`."""
    path = "/".join(["", "v2", repository, *parts])
    return with_path(base, base.path.rstrip("/") + path)


def _manifest_request(
    method: str, base: httpx.URL, repository: str, reference: str
) -> httpx.Request:
    request = httpx.Request(
        method,
        v2_url(base, repository, "manifests", reference),
        headers={"Accept": MANIFEST_ACCEPT},
    )
    request.extensions[MAX_BODY] = MANIFEST_MAX_BODY
    return request


def ping(base: httpx.URL) -> Op[bool]:
    """Check that the registry speaks the distribution API (`GET /v2/`).

    Returns True when it answers 200 (or 401: it exists and wants credentials).
    """
    response = yield httpx.Request("GET", base.copy_with(path=base.path.rstrip("/") + "/v2/"))
    if response.status_code == 401:
        return True
    raise_for_status(response)
    return True


def get_manifest(base: httpx.URL, repository: str, reference: str) -> Op[Manifest]:
    """Fetch a manifest by tag or digest, checking its bytes against the digest.

    When fetched by tag, the digest is computed from the bytes and compared with the
    `Docker-Content-Digest` header, if any.

    Raises:
        DigestMismatchError: The bytes do not hash to the digest asked for.
        DigestAlgorithmError: The digest asked for is in an algorithm that cannot be checked
            (nothing is fetched).
    """
    expected = digest_or_tag(reference)
    response = yield _manifest_request("GET", base, repository, reference)
    raise_for_status(response)
    manifest = parse_manifest(
        response.content, media_type=response.headers.get("Content-Type"), digest=expected
    )
    header = response.headers.get("Docker-Content-Digest")
    if expected is None and header and is_digest(header):
        algorithm, _ = parse_digest(header)
        actual = compute_digest(response.content, algorithm)
        if actual != header:
            raise DigestMismatchError(
                f"manifest {repository}:{reference} hashes to {actual}, but the registry "
                f"says {header}",
                expected=header,
                actual=actual,
            )
    return manifest


def resolve(
    base: httpx.URL, repository: str, reference: str, *, platform: Platform | None = None
) -> Op[str]:
    """Resolve a tag (or check a digest) to a manifest digest.

    One HEAD with every manifest media type in `Accept`; a GET, hashing the body, only when the
    registry sends no usable `Docker-Content-Digest`, or, for a digest reference, one in another
    algorithm (`@sha384:...` answered with `sha256:...`): the header then proves nothing, so the
    manifest is fetched and hashed with the reference's algorithm. With a platform, an index is
    fetched (by digest, verified) and the platform's manifest is picked from it; a
    single-platform image's manifest and configuration are fetched (verified) to check that it
    is for that platform.

    Raises:
        NotFoundError: No such tag or manifest.
        DigestMismatchError: A digest reference answered with another digest.
        DigestAlgorithmError: A digest reference in an algorithm that cannot be checked
            (nothing is fetched).
        PlatformNotFoundError: The index lists no manifest for the platform, or the
            single-platform image is for another platform.
    """
    expected = digest_or_tag(reference)
    response = yield _manifest_request("HEAD", base, repository, reference)
    raise_for_status(response)
    digest: str = response.headers.get("Docker-Content-Digest", "")
    media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    other_algorithm = expected is not None and digest.split(":")[0] != expected.split(":")[0]
    manifest: Manifest | None = None
    if not digest or not is_digest(digest) or not media_type or other_algorithm:
        manifest = yield from get_manifest(base, repository, reference)
        digest, media_type = manifest.digest, manifest.media_type
    if expected is not None and digest != expected:
        raise DigestMismatchError(
            f"{repository}@{reference} answered with digest {digest}",
            expected=reference,
            actual=digest,
        )
    if platform is None:
        return digest
    if manifest is None:  # not read yet (the HEAD was enough to name it)
        manifest = yield from get_manifest(base, repository, digest)
    if media_type in INDEX_TYPES and not isinstance(manifest.document, ImageIndex):
        raise InvalidDocumentError(
            f"{repository}@{digest} was announced as an index but is not one"
        )
    if isinstance(manifest.document, ImageIndex):
        return select_platform(manifest.document, platform).digest
    config = manifest.document.config
    content = yield from get_blob(base, repository, config.digest, size=config.size)
    check_image_platform(f"{repository}@{digest}", content, platform)
    return digest


def get_blob(
    base: httpx.URL, repository: str, digest: str, *, size: int | None = None
) -> Op[bytes]:
    """Download a blob whole, checking it against its digest (and size, when given).

    Raises:
        DigestMismatchError: The bytes do not hash to `digest`, or have another size.
        DigestAlgorithmError: `digest` is in an algorithm that cannot be checked (nothing is
            fetched).
    """
    parse_digest(digest)
    request = httpx.Request("GET", v2_url(base, repository, "blobs", digest))
    request.extensions[MAX_BODY] = size  # None (no limit) when the size is not known
    response = yield request
    raise_for_status(response)
    verify_digest(response.content, digest, what=f"blob of {repository}")
    if size is not None and len(response.content) != size:
        raise DigestMismatchError(
            f"blob {digest} has {len(response.content)} bytes, its descriptor says {size}",
            expected=digest,
            actual=digest,
        )
    return response.content


def open_blob(base: httpx.URL, repository: str, digest: str) -> Op[httpx.Response]:
    """Start streaming a blob: returns the unread response (the caller verifies while reading)."""
    parse_digest(digest)
    request = httpx.Request("GET", v2_url(base, repository, "blobs", digest))
    request.extensions[STREAM] = True
    response = yield request
    raise_for_status(response)
    return response


def blob_exists(base: httpx.URL, repository: str, digest: str) -> Op[bool]:
    """Whether the repository has the blob (HEAD)."""
    parse_digest(digest)
    response = yield httpx.Request("HEAD", v2_url(base, repository, "blobs", digest))
    if response.status_code == 404:
        return False
    raise_for_status(response)
    return True


def _location(response: httpx.Response) -> httpx.URL:
    location = response.headers.get("Location")
    if not location:
        raise MalformedResponseError(
            f"{response.request.method} {safe_url(response.request.url)} answered "
            f"{response.status_code} without a Location header"
        )
    return response.request.url.join(location)


def _with_digest(url: httpx.URL, digest: str) -> httpx.URL:
    return url.copy_merge_params({"digest": digest})


def push_blob(
    base: httpx.URL,
    repository: str,
    data: bytes,
    *,
    media_type: str = "application/octet-stream",
    chunk_size: int | None = None,
    mount_from: str | None = None,
) -> Op[Descriptor]:
    """Upload a blob unless the repository has it already.

    Tries a cross-repository mount first when `mount_from` names a repository that has it. Blobs
    up to `chunk_size` (default 8 MiB) go in one PUT; larger ones in PATCH chunks.

    Returns:
        The blob's descriptor.
    """
    digest = compute_digest(data)
    descriptor = Descriptor(media_type=media_type, digest=digest, size=len(data))
    exists = yield from blob_exists(base, repository, digest)
    if exists:
        return descriptor
    uploads = v2_url(base, repository, "blobs", "uploads", "")
    if mount_from and mount_from != repository:
        response = yield httpx.Request(
            "POST", uploads.copy_merge_params({"mount": digest, "from": mount_from})
        )
        raise_for_status(response)
        if response.status_code == 201:
            return descriptor
    else:
        response = yield httpx.Request("POST", uploads, headers={"Content-Length": "0"})
        raise_for_status(response)
    location = _location(response)
    chunk = chunk_size or DEFAULT_CHUNK_SIZE
    if len(data) > chunk:
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            response = yield httpx.Request(
                "PATCH",
                location,
                content=piece,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{start}-{start + len(piece) - 1}",
                },
            )
            raise_for_status(response)
            location = _location(response)
        body = b""
    else:
        body = data
    response = yield httpx.Request(
        "PUT",
        _with_digest(location, digest),
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    _check_stored(response, "blob", data, digest)
    return descriptor


def _check_stored(response: httpx.Response, what: str, content: bytes, digest: str) -> None:
    """Raise for an error status, or when the registry says it stored other content.

    The registry's `Docker-Content-Digest` may be in another algorithm than `digest` (a
    manifest pushed by its sha512 digest is named by that one): the content is then hashed
    with the algorithm the registry used, and compared.
    """
    raise_for_status(response)
    returned = response.headers.get("Docker-Content-Digest")
    if not returned or returned == digest:
        return
    try:
        algorithm, _ = parse_digest(returned)
    except InvalidReferenceError:
        raise MalformedResponseError(
            f"the registry stored {what} {digest} under a Docker-Content-Digest that is not a "
            "digest"
        ) from None
    # (a digest in an algorithm that cannot be checked raised DigestAlgorithmError above)
    if compute_digest(content, algorithm) != returned:
        raise DigestMismatchError(
            f"the registry stored {what} {digest} as {returned}", expected=digest, actual=returned
        )


def push_manifest(
    base: httpx.URL,
    repository: str,
    content: bytes,
    *,
    media_type: str,
    reference: str | None = None,
) -> Op[str]:
    """Upload manifest bytes, by tag or by their digest (default), and return their digest.

    `reference` may be a digest in another algorithm (`sha512:...`): the bytes are checked
    against it before anything is sent, and it is the digest returned.

    Raises:
        DigestMismatchError: `reference` is a digest the bytes do not hash to (nothing is
            sent), or the registry says it stored other bytes.
        DigestAlgorithmError: `reference` is a digest in an algorithm that cannot be checked.
    """
    digest = compute_digest(content)
    named = digest_or_tag(reference) if reference is not None else None
    if named is not None:
        verify_digest(content, named, what="manifest")
        digest = named
    response = yield httpx.Request(
        "PUT",
        v2_url(base, repository, "manifests", reference or digest),
        content=content,
        headers={"Content-Type": media_type},
    )
    _check_stored(response, "manifest", content, digest)
    return digest


MAX_TAG_PAGES = 10_000
"""`list_tags` follows at most this many `Link: rel="next"` pages, then raises
`MalformedResponseError` (a registry pages tags by 100 or more, so this is a million tags)."""


def _tag_page(response: httpx.Response) -> list[str]:
    """The tags of one `tags/list` answer: `{"tags": [...]}`, where `null` means none."""
    what = f"GET {safe_url(response.request.url)}"
    if not response.content.strip():
        return []
    body = json_body(response)
    if not isinstance(body, dict):
        raise MalformedResponseError(f"{what} did not answer a JSON object")
    page = body.get("tags")
    if page is None:  # Distribution answers `"tags": null` for a repository without tags
        return []
    if not isinstance(page, list) or not all(isinstance(tag, str) for tag in page):
        raise MalformedResponseError(f'{what} answered "tags" that are not a list of strings')
    return page


def _next_link(response: httpx.Response) -> httpx.URL | None:
    """The URL of the `Link: <...>; rel="next"` header, resolved against the request's URL."""
    link = _LINK_NEXT.search(response.headers.get("Link", ""))
    if link is None:
        return None
    try:
        return response.request.url.join(link.group(1).strip())
    except httpx.InvalidURL:
        raise MalformedResponseError(
            f"GET {safe_url(response.request.url)} answered a Link header that is not a URL"
        ) from None


def list_tags(base: httpx.URL, repository: str, *, page_size: int | None = None) -> Op[list[str]]:
    """List every tag of a repository, following `Link` pagination (`n`/`last`).

    Each tag is listed once, in the registry's order. Paging stops at a page without tags or
    without a `Link: rel="next"` header.

    Raises:
        MalformedResponseError: An answer is not `{"tags": [strings]}` (`"tags": null` is an
            empty list), a `Link` header is not a URL, or paging does not end: a next page
            already fetched, a page of tags all listed already, or more than 10,000
            pages.
    """
    url = v2_url(base, repository, "tags", "list")
    if page_size is not None:
        url = url.copy_merge_params({"n": str(page_size)})
    tags: list[str] = []
    seen: set[str] = set()
    fetched: set[str] = set()
    for _ in range(MAX_TAG_PAGES):
        fetched.add(str(url))
        response = yield httpx.Request("GET", url)
        raise_for_status(response)
        page = _tag_page(response)
        new = 0
        for tag in page:
            if tag not in seen:
                seen.add(tag)
                tags.append(tag)
                new += 1
        following = _next_link(response)
        if following is None or not page:
            return tags
        what = f"GET {safe_url(response.request.url)}"
        if str(following) in fetched:
            raise MalformedResponseError(f"{what}: its Link header names a page already fetched")
        if not new:
            raise MalformedResponseError(f"{what}: a next page of tags already listed")
        url = following
    raise MalformedResponseError(
        f"the tags of {repository} did not end after {MAX_TAG_PAGES} pages"
    )


def delete_manifest(base: httpx.URL, repository: str, reference: str) -> Op[None]:
    """Delete a manifest by digest (or by tag, where the registry allows it)."""
    response = yield httpx.Request("DELETE", v2_url(base, repository, "manifests", reference))
    raise_for_status(response)


def delete_blob(base: httpx.URL, repository: str, digest: str) -> Op[None]:
    """Delete a blob."""
    parse_digest(digest)
    response = yield httpx.Request("DELETE", v2_url(base, repository, "blobs", digest))
    raise_for_status(response)


def referrers(
    base: httpx.URL, repository: str, reference: str, *, artifact_type: str | None = None
) -> Op[list[Descriptor]]:
    """List the manifests whose `subject` is an image (signatures, SBOMs, attestations...).

    A tag is resolved to its digest first.

    Uses the OCI 1.1 referrers API; when the registry answers 404 (CNCF Distribution 2.8 has no
    such API), falls back to the referrers tag schema: the index tagged `sha256-<hex>`. The
    `artifact_type` filter is applied here when the registry did not apply it.
    """
    digest = digest_or_tag(reference)
    if digest is None:
        digest = yield from resolve(base, repository, reference)
    url = v2_url(base, repository, "referrers", digest)
    if artifact_type:
        url = url.copy_merge_params({"artifactType": artifact_type})
    response = yield httpx.Request("GET", url, headers={"Accept": OCI_INDEX})
    filtered = "artifacttype" in response.headers.get("OCI-Filters-Applied", "").lower()
    if response.status_code == 404:
        filtered = False
        algorithm, encoded = parse_digest(digest)
        response = yield _manifest_request("GET", base, repository, f"{algorithm}-{encoded}")
        if response.status_code == 404:
            return []
    raise_for_status(response)
    index = parse_manifest(response.content, media_type=response.headers.get("Content-Type"))
    if not isinstance(index.document, ImageIndex):
        raise InvalidDocumentError(f"the referrers of {repository}@{digest} are not an index")
    found = list(index.document.manifests)
    if artifact_type and not filtered:
        found = [d for d in found if d.artifact_type == artifact_type]
    return found
