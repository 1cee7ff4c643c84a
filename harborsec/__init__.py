"""harborsec: a typed SDK for software-supply-chain security on Harbor and any OCI registry.

Resolve an image to its digest, on any registry or a local OCI layout:

    >>> import harborsec
    >>> harborsec.resolve_digest(
    ...     "oci:../shared/vectors/notation/notation-e2e-oci-layouts/e2e-valid-signature:v1")
    'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'

Talk to one registry with [`Registry`][harborsec.Registry] (or
[`AsyncRegistry`][harborsec.AsyncRegistry]); every error is a
[`HarborsecError`][harborsec.HarborsecError]. Subpackages: `harborsec.oci` (references, manifests,
digests, layouts, auth), `harborsec.harbor` (projects, allowlists, immutability, scanners,
schedules), `harborsec.policy` (policy as code) and `harborsec.testing` (the Harbor emulator).
`capture_responses()` records the status and headers (`X-Request-Id`, `X-Total-Count`) of the
calls made inside it.
"""

from harborsec._client import AsyncRegistry, Registry, resolve_digest
from harborsec._core._capture import CapturedResponse, capture_responses
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
    PlanOutdatedError,
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
    WaitTimeoutError,
)
from harborsec.harbor import (
    AsyncProject,
    CveAllowlist,
    ImmutabilityRule,
    Project,
    ProjectConfig,
    Scanner,
    ScheduleType,
    Severity,
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
from harborsec.policy import Plan, Policy

__all__ = [
    "APIError",
    "AsyncProject",
    "AsyncRegistry",
    "BadRequestError",
    "capture_responses",
    "CapturedResponse",
    "ConflictError",
    "Credentials",
    "CredentialsError",
    "CveAllowlist",
    "Descriptor",
    "DigestMismatchError",
    "ErrorDetail",
    "ForbiddenError",
    "HarborsecError",
    "ImageIndex",
    "ImageManifest",
    "ImageReference",
    "ImmutabilityRule",
    "InvalidDocumentError",
    "InvalidPolicyError",
    "InvalidReferenceError",
    "LayoutReference",
    "MalformedResponseError",
    "Manifest",
    "MethodNotAllowedError",
    "NotFoundError",
    "OciLayout",
    "Plan",
    "PlanOutdatedError",
    "Platform",
    "PlatformNotFoundError",
    "Policy",
    "PolicyViolationError",
    "PreconditionFailedError",
    "Project",
    "ProjectConfig",
    "RateLimitError",
    "Registry",
    "RequestTimeoutError",
    "resolve_digest",
    "RetryPolicy",
    "Scanner",
    "ScheduleType",
    "ServerError",
    "Severity",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UnsupportedError",
    "VerificationError",
    "WaitTimeoutError",
    "__version__",
]
