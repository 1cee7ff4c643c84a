"""The emulator's OCI distribution API, driven with plain httpx (admin Basic auth)."""

from __future__ import annotations

import httpx
import pytest

from harborsec.testing import HarborEmulator
from tests.testing._emu import (
    ACCEPT_ALL,
    ADMIN,
    BASE_URL,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    descriptor,
    dumps,
    errors,
    image_manifest,
    push_blob,
    push_image,
    push_manifest,
    sha256,
)


@pytest.fixture
def admin(harbor: HarborEmulator) -> httpx.Client:
    return httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN)


def test_base_endpoint(admin: httpx.Client) -> None:
    response = admin.get("/v2/")
    assert response.status_code == 200
    assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert response.json() == {}


# -- manifests -----------------------------------------------------------------------------------


def test_push_and_pull_an_image_keeps_bytes_and_digests(admin: httpx.Client) -> None:
    digest, body = push_image(admin, "library/demo", "v1", layers=[b"one", b"two"])

    for reference in ("v1", digest):
        response = admin.get(
            f"/v2/library/demo/manifests/{reference}", headers={"Accept": ACCEPT_ALL}
        )
        assert response.status_code == 200
        assert response.content == body
        assert response.headers["Content-Type"] == OCI_MANIFEST
        assert response.headers["Docker-Content-Digest"] == digest
        assert response.headers["Content-Length"] == str(len(body))

    head = admin.head("/v2/library/demo/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(body))
    assert head.headers["Docker-Content-Digest"] == digest

    blob = admin.get(f"/v2/library/demo/blobs/{sha256(b'two')}")
    assert blob.status_code == 200
    assert blob.content == b"two"
    assert blob.headers["Docker-Content-Digest"] == sha256(b"two")


def test_manifest_put_answers_location_and_digest(admin: httpx.Client) -> None:
    push_blob(admin, "library/demo", b"{}")
    body = image_manifest()
    response = push_manifest(admin, "library/demo", "v1", body)
    assert response.status_code == 201
    assert response.headers["Docker-Content-Digest"] == sha256(body)
    assert response.headers["Location"] == f"/v2/library/demo/manifests/{sha256(body)}"
    assert "OCI-Subject" not in response.headers


def test_manifest_bytes_are_stored_exactly(admin: httpx.Client) -> None:
    push_blob(admin, "library/demo", b"{}")
    body = b'{\n  "schemaVersion": 2,\n  "config": ' + dumps(descriptor(OCI_CONFIG, b"{}"))
    body += b',\n  "layers": []\n}\n'
    assert push_manifest(admin, "library/demo", sha256(body), body).status_code == 201
    response = admin.get(
        f"/v2/library/demo/manifests/{sha256(body)}", headers={"Accept": ACCEPT_ALL}
    )
    assert response.content == body


def test_manifest_put_by_digest_checks_the_digest(admin: httpx.Client) -> None:
    push_blob(admin, "library/demo", b"{}")
    body = image_manifest()
    wrong = sha256(body + b" ")
    response = push_manifest(admin, "library/demo", wrong, body)
    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]
    assert push_manifest(admin, "library/demo", sha256(body), body).status_code == 201


def test_oci_manifest_needs_an_accept_header_listing_it(admin: httpx.Client) -> None:
    digest, _ = push_image(admin, "library/demo", "v1")
    for accept in (None, "*/*", DOCKER_MANIFEST):
        headers = {"Accept": accept} if accept else {}
        response = admin.get(f"/v2/library/demo/manifests/{digest}", headers=headers)
        assert response.status_code == 404
        assert errors(response) == ["MANIFEST_UNKNOWN"]
    accepted = admin.get(
        "/v2/library/demo/manifests/v1", headers={"Accept": f"{OCI_MANIFEST};q=0.9"}
    )
    assert accepted.status_code == 200


def test_docker_schema2_manifest_and_manifest_list(admin: httpx.Client) -> None:
    digest, body = push_image(
        admin,
        "library/docker",
        "amd64",
        media_type=DOCKER_MANIFEST,
        config_media_type="application/vnd.docker.container.image.v1+json",
    )
    listing = dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST_LIST,
            "manifests": [
                {
                    **descriptor(DOCKER_MANIFEST, body),
                    "platform": {"os": "linux", "architecture": "amd64"},
                }
            ],
        }
    )
    response = push_manifest(admin, "library/docker", "latest", listing, DOCKER_MANIFEST_LIST)
    assert response.status_code == 201
    fetched = admin.get("/v2/library/docker/manifests/latest")  # no Accept needed for Docker types
    assert fetched.headers["Content-Type"] == DOCKER_MANIFEST_LIST
    assert fetched.content == listing
    assert admin.get(f"/v2/library/docker/manifests/{digest}").content == body


def test_index_with_a_missing_child_is_refused(admin: httpx.Client) -> None:
    digest, body = push_image(admin, "library/multi", "amd64")
    present = descriptor(OCI_MANIFEST, body)
    missing = descriptor(OCI_MANIFEST, b"not pushed")
    for children, status in (([present, missing], 400), ([present], 201)):
        index = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children})
        response = push_manifest(admin, "library/multi", "1.0", index, OCI_INDEX)
        assert response.status_code == status, response.text
    assert errors(
        push_manifest(
            admin,
            "library/multi",
            "x",
            dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [missing]}),
            OCI_INDEX,
        )
    ) == ["MANIFEST_BLOB_UNKNOWN"]
    assert (
        digest in admin.get("/v2/library/multi/manifests/1.0", headers={"Accept": OCI_INDEX}).text
    )


def test_manifest_whose_blobs_are_missing_is_refused(admin: httpx.Client) -> None:
    push_blob(admin, "library/demo", b"{}")
    response = push_manifest(admin, "library/demo", "v1", image_manifest(layers=[b"absent"]))
    assert response.status_code == 400
    assert errors(response) == ["MANIFEST_BLOB_UNKNOWN"]
    assert response.json()["errors"][0]["detail"] == sha256(b"absent")


def test_blobs_are_per_repository(admin: httpx.Client) -> None:
    push_blob(admin, "library/one", b"{}")
    response = push_manifest(admin, "library/two", "v1", image_manifest())
    assert errors(response) == ["MANIFEST_BLOB_UNKNOWN"]
    assert admin.get(f"/v2/library/two/blobs/{sha256(b'{}')}").status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json", OCI_MANIFEST),
        (b"[]", OCI_MANIFEST),
        (dumps({"schemaVersion": 1, "layers": []}), OCI_MANIFEST),
        (image_manifest(), "application/json"),
        (image_manifest(), OCI_INDEX),  # mediaType in the body disagrees
        (dumps({"schemaVersion": 2, "config": {"digest": "nope"}, "layers": []}), OCI_MANIFEST),
        (dumps({"schemaVersion": 2, "config": descriptor(OCI_CONFIG, b"{}")}), OCI_MANIFEST),
        (dumps({"schemaVersion": 2, "mediaType": OCI_INDEX}), OCI_INDEX),
    ],
)
def test_invalid_manifests_are_refused(admin: httpx.Client, body: bytes, content_type: str) -> None:
    push_blob(admin, "library/demo", b"{}")
    response = push_manifest(admin, "library/demo", "bad", body, content_type)
    assert response.status_code == 400
    assert errors(response) == ["MANIFEST_INVALID"]


def test_unknown_manifest_and_repository(admin: httpx.Client) -> None:
    response = admin.get("/v2/library/nothing/manifests/v1", headers={"Accept": ACCEPT_ALL})
    assert response.status_code == 404
    assert errors(response) == ["MANIFEST_UNKNOWN"]
    push_image(admin, "library/demo", "v1")
    response = admin.get(
        f"/v2/library/demo/manifests/{sha256(b'x')}", headers={"Accept": ACCEPT_ALL}
    )
    assert response.status_code == 404
    assert errors(response) == ["MANIFEST_UNKNOWN"]


def test_if_none_match_gives_304(admin: httpx.Client) -> None:
    digest, _ = push_image(admin, "library/demo", "v1")
    response = admin.get(
        "/v2/library/demo/manifests/v1",
        headers={"Accept": OCI_MANIFEST, "If-None-Match": f'"{digest}"'},
    )
    assert response.status_code == 304


def test_delete_manifest(admin: httpx.Client) -> None:
    digest, _ = push_image(admin, "library/demo", "v1")
    response = admin.delete("/v2/library/demo/manifests/v1")
    assert response.status_code == 400
    assert errors(response) == ["UNSUPPORTED"]
    assert admin.delete(f"/v2/library/demo/manifests/{digest}").status_code == 202
    assert (
        admin.get(
            f"/v2/library/demo/manifests/{digest}", headers={"Accept": ACCEPT_ALL}
        ).status_code
        == 404
    )
    assert admin.get("/v2/library/demo/tags/list").json()["tags"] == []
    assert admin.delete(f"/v2/library/demo/manifests/{digest}").status_code == 404


def test_delete_manifest_referenced_by_an_index_is_refused(admin: httpx.Client) -> None:
    digest, body = push_image(admin, "library/multi", "amd64")
    index = dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [descriptor(OCI_MANIFEST, body)]}
    )
    push_manifest(admin, "library/multi", "1.0", index, OCI_INDEX)
    response = admin.delete(f"/v2/library/multi/manifests/{digest}")
    assert response.status_code == 412
    assert errors(response) == ["PRECONDITION"]


def test_nested_repository_names(admin: httpx.Client) -> None:
    digest, _ = push_image(admin, "library/team/app/web", "1.0")
    response = admin.get("/v2/library/team/app/web/manifests/1.0", headers={"Accept": OCI_MANIFEST})
    assert response.headers["Docker-Content-Digest"] == digest
    assert admin.get("/v2/library/team/app/web/tags/list").json() == {
        "name": "library/team/app/web",
        "tags": ["1.0"],
    }


def test_invalid_repository_name_is_not_routed(admin: httpx.Client) -> None:
    response = admin.get("/v2/Library/UPPER/tags/list")
    assert response.status_code == 404
    assert response.text == "404 page not found\n"


def test_repository_in_a_missing_project(admin: httpx.Client) -> None:
    response = admin.post("/v2/nope/demo/blobs/uploads/")
    assert response.status_code == 401
    assert errors(response) == ["UNAUTHORIZED"]
    assert "project nope not found" in response.text


# -- blobs and uploads ---------------------------------------------------------------------------


def test_chunked_upload_with_content_range(admin: httpx.Client) -> None:
    data = b"0123456789" * 10
    start = admin.post("/v2/library/demo/blobs/uploads/")
    assert start.status_code == 202
    location = start.headers["Location"]
    assert location == f"/v2/library/demo/blobs/uploads/{start.headers['Docker-Upload-UUID']}"
    assert start.headers["Range"] == "0-0"

    first = admin.patch(location, content=data[:40], headers={"Content-Range": "0-39"})
    assert first.status_code == 202
    assert first.headers["Range"] == "0-39"
    status = admin.get(location)
    assert status.status_code == 204
    assert status.headers["Range"] == "0-39"

    gap = admin.patch(location, content=data[50:], headers={"Content-Range": "50-99"})
    assert gap.status_code == 416
    assert gap.headers["Range"] == "0-39"

    second = admin.patch(location, content=data[40:70], headers={"Content-Range": "40-69"})
    assert second.headers["Range"] == "0-69"
    done = admin.put(location, params={"digest": sha256(data)}, content=data[70:])
    assert done.status_code == 201
    assert done.headers["Docker-Content-Digest"] == sha256(data)
    assert done.headers["Location"] == f"/v2/library/demo/blobs/{sha256(data)}"
    assert admin.get(done.headers["Location"]).content == data
    assert admin.get(location).status_code == 404


def test_streamed_patch_without_content_range(admin: httpx.Client) -> None:
    location = admin.post("/v2/library/demo/blobs/uploads/").headers["Location"]
    admin.patch(location, content=b"abc")
    admin.patch(location, content=b"def")
    assert admin.put(location, params={"digest": sha256(b"abcdef")}).status_code == 201


def test_upload_digest_mismatch(admin: httpx.Client) -> None:
    location = admin.post("/v2/library/demo/blobs/uploads/").headers["Location"]
    response = admin.put(location, params={"digest": sha256(b"other")}, content=b"data")
    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]
    assert admin.head(f"/v2/library/demo/blobs/{sha256(b'other')}").status_code == 404
    missing = admin.put(
        location.replace("uploads/", "uploads/x"), params={"digest": sha256(b"data")}
    )
    assert errors(missing) == ["BLOB_UPLOAD_UNKNOWN"]


def test_upload_put_without_digest(admin: httpx.Client) -> None:
    location = admin.post("/v2/library/demo/blobs/uploads/").headers["Location"]
    response = admin.put(location, content=b"data")
    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]


def test_monolithic_post_checks_the_digest(admin: httpx.Client) -> None:
    response = admin.post(
        "/v2/library/demo/blobs/uploads/", params={"digest": sha256(b"x")}, content=b"y"
    )
    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]


def test_cancel_upload(admin: httpx.Client) -> None:
    location = admin.post("/v2/library/demo/blobs/uploads/").headers["Location"]
    assert admin.delete(location).status_code == 204
    assert admin.get(location).status_code == 404
    assert errors(admin.delete(location)) == ["BLOB_UPLOAD_UNKNOWN"]


def test_upload_belongs_to_its_repository(admin: httpx.Client) -> None:
    start = admin.post("/v2/library/one/blobs/uploads/")
    upload_id = start.headers["Docker-Upload-UUID"]
    assert admin.get(f"/v2/library/two/blobs/uploads/{upload_id}").status_code == 404


def test_blob_head_range_and_delete(admin: httpx.Client) -> None:
    digest = push_blob(admin, "library/demo", b"0123456789")
    head = admin.head(f"/v2/library/demo/blobs/{digest}")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "10"
    assert head.content == b""
    part = admin.get(f"/v2/library/demo/blobs/{digest}", headers={"Range": "bytes=2-4"})
    assert part.status_code == 206
    assert part.content == b"234"
    assert part.headers["Content-Range"] == "bytes 2-4/10"
    tail = admin.get(f"/v2/library/demo/blobs/{digest}", headers={"Range": "bytes=-3"})
    assert tail.content == b"789"
    beyond = admin.get(f"/v2/library/demo/blobs/{digest}", headers={"Range": "bytes=20-"})
    assert beyond.status_code == 416
    assert admin.delete(f"/v2/library/demo/blobs/{digest}").status_code == 202
    gone = admin.get(f"/v2/library/demo/blobs/{digest}")
    assert gone.status_code == 404
    assert errors(gone) == ["BLOB_UNKNOWN"]


def test_unsupported_digest_algorithm(admin: httpx.Client) -> None:
    response = admin.get("/v2/library/demo/blobs/md5:0123")
    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]


def test_sha512_blobs(admin: httpx.Client) -> None:
    import hashlib

    digest = "sha512:" + hashlib.sha512(b"data").hexdigest()
    response = admin.post(
        "/v2/library/demo/blobs/uploads/", params={"digest": digest}, content=b"data"
    )
    assert response.status_code == 201
    assert admin.get(f"/v2/library/demo/blobs/{digest}").content == b"data"


@pytest.mark.parametrize("algorithm", ["sha384", "sha512"])
def test_sha384_and_sha512_blobs_and_manifests(admin: httpx.Client, algorithm: str) -> None:
    import hashlib

    data = b"data"
    digest = f"{algorithm}:" + hashlib.new(algorithm, data).hexdigest()
    response = admin.post(
        "/v2/library/demo/blobs/uploads/", params={"digest": digest}, content=data
    )
    assert response.status_code == 201
    assert admin.get(f"/v2/library/demo/blobs/{digest}").content == data
    push_blob(admin, "library/demo", b"{}")
    body = image_manifest(layers=())
    manifest = f"{algorithm}:" + hashlib.new(algorithm, body).hexdigest()
    put = admin.put(
        f"/v2/library/demo/manifests/{manifest}",
        content=body,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert put.status_code == 201
    assert put.headers["Docker-Content-Digest"] == manifest
    got = admin.get(f"/v2/library/demo/manifests/{manifest}", headers={"Accept": OCI_MANIFEST})
    assert got.content == body and got.headers["Docker-Content-Digest"] == manifest
    wrong = admin.put(
        f"/v2/library/demo/manifests/{manifest}",
        content=body + b" ",
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert wrong.status_code == 400
    assert errors(wrong) == ["DIGEST_INVALID"]


def test_cross_repository_mount(harbor: HarborEmulator, admin: httpx.Client) -> None:
    digest = push_blob(admin, "library/source", b"shared layer")
    harbor.create_project("private")
    mounted = admin.post(
        "/v2/private/target/blobs/uploads/", params={"mount": digest, "from": "library/source"}
    )
    assert mounted.status_code == 201
    assert mounted.headers["Docker-Content-Digest"] == digest
    assert mounted.headers["Location"] == f"/v2/private/target/blobs/{digest}"
    assert admin.get(f"/v2/private/target/blobs/{digest}").content == b"shared layer"

    missing = admin.post(
        "/v2/private/target/blobs/uploads/",
        params={"mount": sha256(b"absent"), "from": "library/source"},
    )
    assert missing.status_code == 202
    assert "Docker-Upload-UUID" in missing.headers


def test_mount_needs_pull_on_the_source(harbor: HarborEmulator, admin: httpx.Client) -> None:
    harbor.create_project("secret")
    harbor.create_project("team")
    harbor.add_user("dev", "pw")
    harbor.add_member("team", "dev")
    digest = push_blob(admin, "secret/app", b"secret layer")
    response = admin.post(
        "/v2/team/app/blobs/uploads/",
        params={"mount": digest, "from": "secret/app"},
        auth=("dev", "pw"),
    )
    assert response.status_code == 202  # not allowed to read the source: upload instead
    allowed = admin.post(
        "/v2/team/app/blobs/uploads/", params={"mount": digest, "from": "secret/app"}
    )
    assert allowed.status_code == 201


# -- tags and catalog ----------------------------------------------------------------------------


def test_tag_listing_with_paging(admin: httpx.Client) -> None:
    _, body = push_image(admin, "library/demo", "a")
    for tag in ("d", "b", "c", "e"):
        assert push_manifest(admin, "library/demo", tag, body).status_code == 201

    assert admin.get("/v2/library/demo/tags/list").json()["tags"] == ["a", "b", "c", "d", "e"]
    first = admin.get("/v2/library/demo/tags/list", params={"n": 2})
    assert first.json() == {"name": "library/demo", "tags": ["a", "b"]}
    assert first.headers["Link"] == '</v2/library/demo/tags/list?n=2&last=b>; rel="next"'
    second = admin.get("/v2/library/demo/tags/list?n=2&last=b")
    assert second.json()["tags"] == ["c", "d"]
    third = admin.get("/v2/library/demo/tags/list?n=2&last=d")
    assert third.json()["tags"] == ["e"]
    assert "Link" not in third.headers
    assert admin.get("/v2/library/demo/tags/list?n=0").json()["tags"] == []
    bad = admin.get("/v2/library/demo/tags/list?n=-1")
    assert errors(bad) == ["PAGINATION_NUMBER_INVALID"]
    unknown = admin.get("/v2/library/nothing/tags/list")
    assert unknown.status_code == 404
    assert errors(unknown) == ["NAME_UNKNOWN"]


def test_retag_moves_the_tag(admin: httpx.Client) -> None:
    first, _ = push_image(admin, "library/demo", "latest", layers=[b"1"])
    second, _ = push_image(admin, "library/demo", "latest", layers=[b"2"])
    response = admin.head("/v2/library/demo/manifests/latest", headers={"Accept": OCI_MANIFEST})
    assert response.headers["Docker-Content-Digest"] == second != first


def test_catalog_is_admin_only(harbor: HarborEmulator, admin: httpx.Client) -> None:
    for name in ("library/b", "library/a", "library/c"):
        push_image(admin, name, "v1")
    response = admin.get("/v2/_catalog", params={"n": 2})
    assert response.json() == {"repositories": ["library/a", "library/b"]}
    assert response.headers["Link"] == '</v2/_catalog?n=2&last=library%2Fb>; rel="next"'
    harbor.add_user("user", "pw")
    denied = admin.get("/v2/_catalog", auth=("user", "pw"))
    assert denied.status_code == 401
    assert denied.headers["Www-Authenticate"] == 'Basic realm="harbor"'


# -- referrers -----------------------------------------------------------------------------------


def _push_referrers(admin: httpx.Client) -> tuple[str, bytes, list[str]]:
    subject_digest, subject_body = push_image(admin, "library/demo", "v1")
    subject = descriptor(OCI_MANIFEST, subject_body)
    pushed: list[str] = []
    for artifact_type, notes in (
        (
            "application/vnd.cncf.notary.signature",
            {"io.cncf.notary.x509chain.thumbprint#S256": "[]"},
        ),
        ("application/spdx+json", None),
    ):
        digest, _ = push_image(
            admin,
            "library/demo",
            f"ref-{len(pushed)}",
            config=b"{}",
            layers=[artifact_type.encode()],
            artifact_type=artifact_type,
            subject=subject,
            annotations=notes,
        )
        pushed.append(digest)
    # a config-typed referrer (no artifactType): the config media type counts
    digest, _ = push_image(
        admin,
        "library/demo",
        "ref-sig",
        config=b"sig-config",
        config_media_type="application/vnd.dev.cosign.artifact.sig.v1+json",
        subject=subject,
    )
    pushed.append(digest)
    return subject_digest, subject_body, pushed


def test_push_with_subject_answers_oci_subject(admin: httpx.Client) -> None:
    _, subject_body = push_image(admin, "library/demo", "v1")
    push_blob(admin, "library/demo", b"{}")
    body = image_manifest(subject=descriptor(OCI_MANIFEST, subject_body), artifact_type="a/b")
    response = push_manifest(admin, "library/demo", sha256(body), body)
    assert response.headers["OCI-Subject"] == sha256(subject_body)


def test_referrers(admin: httpx.Client) -> None:
    subject, _, pushed = _push_referrers(admin)
    response = admin.get(f"/v2/library/demo/referrers/{subject}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == OCI_INDEX
    assert response.headers["X-Total-Count"] == "3"
    assert "OCI-Filters-Applied" not in response.headers
    index = response.json()
    assert index["schemaVersion"] == 2
    assert index["mediaType"] == OCI_INDEX
    assert [m["digest"] for m in index["manifests"]] == pushed
    notary, spdx, cosign = index["manifests"]
    assert notary["artifactType"] == "application/vnd.cncf.notary.signature"
    assert notary["annotations"] == {"io.cncf.notary.x509chain.thumbprint#S256": "[]"}
    assert notary["mediaType"] == OCI_MANIFEST
    assert "annotations" not in spdx
    assert cosign["artifactType"] == "application/vnd.dev.cosign.artifact.sig.v1+json"
    raw = admin.get(
        f"/v2/library/demo/manifests/{notary['digest']}", headers={"Accept": OCI_MANIFEST}
    )
    assert notary["size"] == len(raw.content)


def test_referrers_filter(admin: httpx.Client) -> None:
    subject, _, pushed = _push_referrers(admin)
    response = admin.get(
        f"/v2/library/demo/referrers/{subject}", params={"artifactType": "application/spdx+json"}
    )
    assert response.headers["OCI-Filters-Applied"] == "artifactType"
    assert response.headers["X-Total-Count"] == "3"  # Harbor counts before filtering
    assert [m["digest"] for m in response.json()["manifests"]] == [pushed[1]]


def test_referrers_of_an_unknown_or_unreferred_subject(admin: httpx.Client) -> None:
    unknown = admin.get(f"/v2/library/demo/referrers/{sha256(b'nothing')}")
    assert unknown.status_code == 200
    assert unknown.json() == {}  # Harbor's answer for a subject it does not know
    digest, _ = push_image(admin, "library/demo", "v1")
    empty = admin.get(f"/v2/library/demo/referrers/{digest}")
    assert empty.json()["manifests"] == []
    by_tag = admin.get("/v2/library/demo/referrers/v1")
    assert by_tag.status_code == 400


def test_deleting_a_subject_deletes_its_referrers(admin: httpx.Client) -> None:
    subject, _, pushed = _push_referrers(admin)
    assert admin.delete(f"/v2/library/demo/manifests/{subject}").status_code == 202
    for digest in pushed:
        response = admin.get(f"/v2/library/demo/manifests/{digest}", headers={"Accept": ACCEPT_ALL})
        assert response.status_code == 404


def test_referrers_api_can_be_switched_off() -> None:
    harbor = HarborEmulator(referrers_api=False)
    admin = httpx.Client(transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN)
    subject, _, _ = _push_referrers(admin)
    response = admin.get(f"/v2/library/demo/referrers/{subject}")
    assert response.status_code == 404
    assert response.text == "404 page not found\n"
    # the tag-schema fallback still works: tags are plain tags
    assert admin.get("/v2/library/demo/tags/list").json()["tags"] == [
        "ref-0",
        "ref-1",
        "ref-sig",
        "v1",
    ]


# -- async ---------------------------------------------------------------------------------------


async def test_async_client_push_and_pull(harbor: HarborEmulator) -> None:
    async with httpx.AsyncClient(
        transport=harbor.transport(), base_url=BASE_URL, auth=ADMIN
    ) as client:
        config, layer = b"{}", b"async layer"
        for blob in (config, layer):
            start = await client.post("/v2/library/async/blobs/uploads/")
            done = await client.put(
                start.headers["Location"], params={"digest": sha256(blob)}, content=blob
            )
            assert done.status_code == 201
        body = image_manifest(config, [layer])
        put = await client.put(
            "/v2/library/async/manifests/v1", content=body, headers={"Content-Type": OCI_MANIFEST}
        )
        assert put.status_code == 201
        got = await client.get("/v2/library/async/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert got.content == body
        assert (await client.get(f"/v2/library/async/blobs/{sha256(layer)}")).content == layer
