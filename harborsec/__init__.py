"""harborsec: a typed SDK for software-supply-chain security on Harbor and any OCI registry.

Resolve an image to its digest, on any registry or a local OCI layout:

    >>> import harborsec
    >>> harborsec.resolve_digest(
    ...     "oci:../shared/vectors/notation/notation-e2e-oci-layouts/e2e-valid-signature:v1")
    'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'

Talk to one registry with [`Registry`][harborsec.Registry] (or
[`AsyncRegistry`][harborsec.AsyncRegistry]); every error is a
[`HarborsecError`][harborsec.HarborsecError]. Subpackages: `harborsec.oci` (references, manifests,
digests, layouts, auth) and `harborsec.testing` (the Harbor emulator).
"""

from harborsec._client import AsyncRegistry, Registry, resolve_digest
from harborsec._core._retry import RetryPolicy
from harborsec._version import __version__
from harborsec.errors import (
    APIError,
    BadRequestError,
    ConflictError,
    CredentialsError,
    DigestMismatchError,
    ErrorDetail,
    ForbiddenError,
    HarborsecError,
    InvalidDocumentError,
    InvalidPolicyError,
    InvalidReferenceError,
    MalformedResponseError,
    MethodNotAllowedError,
    NotFoundError,
    PlatformNotFoundError,
    PolicyViolationError,
    PreconditionFailedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
    UnsupportedError,
    VerificationError,
)
from harborsec.oci import (
    Credentials,
    Descriptor,
    ImageIndex,
    ImageManifest,
    ImageReference,
    LayoutReference,
    Manifest,
    OciLayout,
    Platform,
)

__all__ = [
    "APIError",
    "AsyncRegistry",
    "BadRequestError",
    "ConflictError",
    "Credentials",
    "CredentialsError",
    "Descriptor",
    "DigestMismatchError",
    "ErrorDetail",
    "ForbiddenError",
    "HarborsecError",
    "ImageIndex",
    "ImageManifest",
    "ImageReference",
    "InvalidDocumentError",
    "InvalidPolicyError",
    "InvalidReferenceError",
    "LayoutReference",
    "MalformedResponseError",
    "Manifest",
    "MethodNotAllowedError",
    "NotFoundError",
    "OciLayout",
    "Platform",
    "PlatformNotFoundError",
    "PolicyViolationError",
    "PreconditionFailedError",
    "RateLimitError",
    "Registry",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UnsupportedError",
    "VerificationError",
    "__version__",
    "resolve_digest",
]
