"""OCI and Docker media types."""

from __future__ import annotations

__all__ = [
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "INDEX_TYPES",
    "MANIFEST_ACCEPT",
    "MANIFEST_TYPES",
    "OCI_EMPTY",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "IMAGE_TYPES",
]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
"""An OCI image manifest."""
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
"""An OCI image index."""
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
"""The OCI empty descriptor (`{}`), used as the config of artifacts."""
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
"""A Docker image manifest, schema 2."""
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
"""A Docker manifest list."""

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
"""Media types of manifests that list other manifests."""
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
"""Media types of manifests that list a config and layers."""
MANIFEST_TYPES = INDEX_TYPES | IMAGE_TYPES
"""Every manifest media type harborsec reads."""

MANIFEST_ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST])
"""The `Accept` header for manifest requests: every supported type, so that a registry never
converts a manifest (which would change its digest)."""
