"""harborsec: a typed SDK for software-supply-chain security on Harbor and any OCI registry.

Resolve an image to its digest, on any registry or a local OCI layout (here `layout` is the
directory of an OCI image layout, as skopeo, oras or notation write, holding an image tagged `v1`):

    >>> import harborsec
    >>> harborsec.resolve_digest(f"oci:{layout}:v1")
    'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'

Talk to one registry with `Registry` (or
`AsyncRegistry`); every error is a
`HarborsecError`. A registry hands out the objects that act on
Harbor (`Project`, `ProjectAllowlist`, `SystemAllowlist`, `ImmutabilityRules`, `Scanners`,
`ProjectScanner`, `ScanAll`, and `Plan` from `project.plan(policy)`), each with an `Async` twin;
all are exported here. Subpackages hold the models: `harborsec.oci` (references, manifests,
digests, layouts, auth), `harborsec.harbor` (projects, allowlists, immutability, scanners,
schedules), `harborsec.policy` (policy as code) and `harborsec.testing` (the Harbor emulator).
`capture_responses()` records the status and headers (`X-Request-Id`, `X-Total-Count`) of the
calls made inside it.
"""

from harborsec._client import AsyncRegistry, Registry, resolve_digest
from harborsec._core._capture import CapturedResponse, capture_responses
from harborsec._core._deadline import deadline
from harborsec._core._retry import RetryPolicy
from harborsec._facades._async._allowlists import AsyncProjectAllowlist, AsyncSystemAllowlist
from harborsec._facades._async._immutability import AsyncImmutabilityRules
from harborsec._facades._async._plan import AsyncPlan
from harborsec._facades._async._projects import AsyncProject
from harborsec._facades._async._scan_all import AsyncScanAll
from harborsec._facades._async._scanners import AsyncProjectScanner, AsyncScanners
from harborsec._facades._sync._allowlists import ProjectAllowlist, SystemAllowlist
from harborsec._facades._sync._immutability import ImmutabilityRules
from harborsec._facades._sync._plan import Plan
from harborsec._facades._sync._projects import Project
from harborsec._facades._sync._scan_all import ScanAll
from harborsec._facades._sync._scanners import ProjectScanner, Scanners
from harborsec._version import __version__
from harborsec.errors import (
    APIError,
    BadRequestError,
    ClientClosedError,
    ConcurrentUpdateError,
    ConflictError,
    CredentialsError,
    DeadlineExceededError,
    DigestAlgorithmError,
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
    ResponseTooLargeError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
    UnsupportedError,
    VerificationError,
    WaitTimeoutError,
)
from harborsec.harbor import (
    ConfigChanges,
    CveAllowlist,
    ImmutabilityRule,
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
from harborsec.policy import Policy

__all__ = [
    "APIError",
    "AsyncImmutabilityRules",
    "AsyncPlan",
    "AsyncProject",
    "AsyncProjectAllowlist",
    "AsyncProjectScanner",
    "AsyncRegistry",
    "AsyncScanAll",
    "AsyncScanners",
    "AsyncSystemAllowlist",
    "BadRequestError",
    "capture_responses",
    "CapturedResponse",
    "ClientClosedError",
    "ConcurrentUpdateError",
    "ConfigChanges",
    "ConflictError",
    "Credentials",
    "CredentialsError",
    "CveAllowlist",
    "deadline",
    "DeadlineExceededError",
    "Descriptor",
    "DigestAlgorithmError",
    "DigestMismatchError",
    "ErrorDetail",
    "ForbiddenError",
    "HarborsecError",
    "ImageIndex",
    "ImageManifest",
    "ImageReference",
    "ImmutabilityRule",
    "ImmutabilityRules",
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
    "ProjectAllowlist",
    "ProjectConfig",
    "ProjectScanner",
    "RateLimitError",
    "Registry",
    "RequestTimeoutError",
    "resolve_digest",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ScanAll",
    "Scanner",
    "Scanners",
    "ScheduleType",
    "ServerError",
    "Severity",
    "SystemAllowlist",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UnsupportedError",
    "VerificationError",
    "WaitTimeoutError",
    "__version__",
]
