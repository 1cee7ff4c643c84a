"""Helpers for the emulator's tests: plain httpx calls, no SDK code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

ADMIN = ("admin", "Harbor12345")
BASE_URL = "http://harbor.test"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT_ALL = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST])


def no_cookies() -> CookieJar:
    """A cookie jar that keeps nothing: a client with it never sends Harbor's `sid` back.

    (A client that does turns on Harbor's CSRF check: every later write gets 403.)
    """
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def push_blob(client: httpx.Client, repository: str, data: bytes, **kwargs: Any) -> str:
    """Monolithic upload (POST ?digest=); return the digest."""
    digest = sha256(data)
    response = client.post(
        f"/v2/{repository}/blobs/uploads/", params={"digest": digest}, content=data, **kwargs
    )
    assert response.status_code == 201, response.text
    return digest


def image_manifest(
    config: bytes = b"{}",
    layers: Sequence[bytes] = (),
    *,
    media_type: str = OCI_MANIFEST,
    config_media_type: str = OCI_CONFIG,
    subject: Mapping[str, Any] | None = None,
    artifact_type: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> bytes:
    document: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type}
    if artifact_type is not None:
        document["artifactType"] = artifact_type
    document["config"] = descriptor(config_media_type, config)
    document["layers"] = [descriptor(OCI_LAYER, layer) for layer in layers]
    if subject is not None:
        document["subject"] = dict(subject)
    if annotations is not None:
        document["annotations"] = dict(annotations)
    return dumps(document)


def push_manifest(
    client: httpx.Client,
    repository: str,
    reference: str,
    body: bytes,
    media_type: str = OCI_MANIFEST,
    **kwargs: Any,
) -> httpx.Response:
    return client.put(
        f"/v2/{repository}/manifests/{reference}",
        content=body,
        headers={"Content-Type": media_type},
        **kwargs,
    )


def push_image(
    client: httpx.Client,
    repository: str,
    tag: str,
    *,
    config: bytes = b"{}",
    layers: Sequence[bytes] = (b"layer",),
    auth: Any = ADMIN,
    **manifest_options: Any,
) -> tuple[str, bytes]:
    """Push config, layers and manifest; return the manifest's digest and bytes."""
    for blob in (config, *layers):
        push_blob(client, repository, blob, auth=auth)
    body = image_manifest(config, layers, **manifest_options)
    media_type = manifest_options.get("media_type", OCI_MANIFEST)
    response = push_manifest(client, repository, tag, body, media_type, auth=auth)
    assert response.status_code == 201, response.text
    return sha256(body), body


def get_token(
    client: httpx.Client, *scopes: str, auth: Any = None, service: str = "harbor-registry"
) -> dict[str, Any]:
    response = client.get(
        "/service/token", params={"service": service, "scope": list(scopes)}, auth=auth
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['token']}"}


def errors(response: httpx.Response) -> list[str]:
    """The error codes of an error body."""
    return [error["code"] for error in response.json()["errors"]]
