"""The OCI side: references, digests, manifests, authentication, operations and local layouts.

Example:
    >>> from harborsec.oci import ImageReference, Platform
    >>> str(ImageReference.parse("ubuntu:24.04"))
    'docker.io/library/ubuntu:24.04'
"""

from harborsec.oci._auth import Challenge, RegistryAuth, Token, parse_www_authenticate
from harborsec.oci._credentials import Credentials, credentials_from_env, docker_credentials
from harborsec.oci._digest import (
    DigestVerifier,
    compute_digest,
    is_digest,
    parse_digest,
    verify_digest,
)
from harborsec.oci._layout import REF_NAME, OciLayout
from harborsec.oci._media import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    MANIFEST_ACCEPT,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
)
from harborsec.oci._models import (
    Descriptor,
    ImageIndex,
    ImageManifest,
    Manifest,
    Platform,
    check_image_platform,
    image_platform,
    parse_manifest,
    select_platform,
)
from harborsec.oci._reference import ImageReference, LayoutReference, parse_reference

__all__ = [
    "Challenge",
    "Credentials",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "Descriptor",
    "DigestVerifier",
    "ImageIndex",
    "ImageManifest",
    "ImageReference",
    "LayoutReference",
    "MANIFEST_ACCEPT",
    "Manifest",
    "OCI_EMPTY",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "OciLayout",
    "Platform",
    "REF_NAME",
    "RegistryAuth",
    "Token",
    "check_image_platform",
    "compute_digest",
    "credentials_from_env",
    "docker_credentials",
    "image_platform",
    "is_digest",
    "parse_digest",
    "parse_manifest",
    "parse_reference",
    "parse_www_authenticate",
    "select_platform",
    "verify_digest",
]
