"""The harborsec exception hierarchy.

Every exception harborsec raises derives from `HarborsecError`;
httpx exceptions never leak out::

    HarborsecError
    ├── TransportError                  the request never got an HTTP answer
    │   └── RequestTimeoutError
    ├── ClientClosedError               a client used after `close()` or its `with` block
    ├── APIError                        the server answered with an error status
    │   ├── BadRequestError             400
    │   ├── UnauthorizedError           401
    │   ├── ForbiddenError              403
    │   ├── NotFoundError               404
    │   ├── MethodNotAllowedError       405
    │   ├── ConflictError               409
    │   ├── PreconditionFailedError     412
    │   │   └── PolicyViolationError    412 PROJECTPOLICYVIOLATION (pull blocked by policy)
    │   ├── UnprocessableEntityError    422
    │   ├── RateLimitError              429
    │   └── ServerError                 5xx
    ├── MalformedResponseError          the server answered 2xx with something unusable
    ├── InvalidReferenceError           an image reference that does not parse (also a ValueError)
    ├── InvalidDocumentError            a manifest or document that is not what it claims to be
    ├── CredentialsError                credentials could not be found or read
    ├── InvalidPolicyError              a setting, rule or policy file that is not valid
    ├── PlanOutdatedError               the project changed after the plan was made
    ├── ConcurrentUpdateError           another writer kept overwriting a read-modify-write
    ├── PlatformNotFoundError           an index has no manifest for the requested platform
    ├── WaitTimeoutError                something waited for (a scan, an SBOM) was not ready in time
    ├── VerificationError               a security check failed
    │   ├── DigestMismatchError         content does not hash to the digest that names it
    │   └── DigestAlgorithmError        a digest whose algorithm cannot be checked (also an
    │                                   UnsupportedError)
    └── UnsupportedError                a feature harborsec does not support

Example:
    >>> import harborsec
    >>> try:
    ...     harborsec.ImageReference.parse("project/App:1.0")
    ... except harborsec.InvalidReferenceError as exc:
    ...     print(type(exc).__name__)
    InvalidReferenceError

Messages never contain credentials: exceptions are built from status codes, the server's error
body and the request's method and URL (whose user-info is removed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

__all__ = [
    "APIError",
    "BadRequestError",
    "ClientClosedError",
    "ConcurrentUpdateError",
    "ConflictError",
    "CredentialsError",
    "DeadlineExceededError",
    "DigestAlgorithmError",
    "DigestMismatchError",
    "ErrorDetail",
    "ForbiddenError",
    "HarborsecError",
    "InvalidDocumentError",
    "InvalidPolicyError",
    "InvalidReferenceError",
    "MalformedResponseError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PlanOutdatedError",
    "PlatformNotFoundError",
    "PolicyViolationError",
    "PreconditionFailedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "UnsupportedError",
    "VerificationError",
    "WaitTimeoutError",
]


class HarborsecError(Exception):
    """Base class of every exception raised by harborsec."""


class TransportError(HarborsecError):
    """The request did not get an HTTP response (connection refused, TLS failure, reset...).

    Attributes:
        method: The HTTP method of the failed request.
        url: The URL of the failed request, without user-info.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class RequestTimeoutError(TransportError):
    """The request timed out (connect, read, write or pool timeout)."""


class DeadlineExceededError(RequestTimeoutError):
    """The call's deadline passed (`deadline=` of the client, or a `deadline()` block).

    A deadline bounds a whole call: its requests, reading their bodies, retries and the waits
    between them, polling, and the sub-operations it fans out. `timeout=` bounds each phase of
    one request instead (connect, each read, each write, a free connection from the pool).

    Attributes:
        deadline: The deadline, in seconds from the start of the call or block.
    """

    def __init__(self, message: str, *, deadline: float, method: str = "", url: str = "") -> None:
        super().__init__(message, method=method, url=url)
        self.deadline = deadline


@attrs.frozen
class ErrorDetail:
    """One entry of an error body (`{"errors": [{"code": ..., "message": ...}]}`).

    Harbor and OCI registries both answer errors in this shape; OCI registries may add `detail`.
    """

    code: str
    """The machine-readable error code, such as `NOT_FOUND` or `MANIFEST_UNKNOWN`."""
    message: str
    """The human-readable message."""


class APIError(HarborsecError):
    """The server answered with an error status.

    Attributes:
        status_code: The HTTP status code.
        errors: Every entry of the server's error body, in order (may be empty).
        request_id: The `X-Request-Id` of the failed call, to find it in the server's logs.
        method: The HTTP method of the request.
        url: The request URL, without user-info.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        errors: Sequence[ErrorDetail] = (),
        request_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        self.request_id = request_id
        self.method = method
        self.url = url

    @property
    def code(self) -> str | None:
        """The code of the first error entry, if the body had one."""
        return self.errors[0].code if self.errors else None


class BadRequestError(APIError):
    """400: the request was malformed or a value was invalid."""


class UnauthorizedError(APIError):
    """401: no credentials, or credentials the server did not accept.

    Harbor treats bad credentials as anonymous, so a 401 from Harbor often means that the
    username or password is wrong.
    """


class ForbiddenError(APIError):
    """403: authenticated without permission.

    Harbor also answers 403 to a non-admin asking for a project that does not exist, and to any
    write when the instance is read-only or a session cookie triggered its CSRF check.
    """


class NotFoundError(APIError):
    """404: the project, repository, artifact, tag, manifest or blob does not exist."""


class MethodNotAllowedError(APIError):
    """405: the method is not allowed here (for example writing into a proxy-cache project)."""


class ConflictError(APIError):
    """409: the resource exists already, or an operation on it is already running."""


class PreconditionFailedError(APIError):
    """412: a precondition failed (immutable tag, project not empty, no scanner...)."""


class PolicyViolationError(PreconditionFailedError):
    """412 `PROJECTPOLICYVIOLATION`: a pull was blocked by a signature or vulnerability policy."""


class UnprocessableEntityError(APIError):
    """422: a parameter failed validation (for example `page_size` above 100)."""


class RateLimitError(APIError):
    """429: too many requests.

    Attributes:
        retry_after: The delay in seconds the server asked for, if it sent `Retry-After`.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed. Harbor hides the cause; look it up by `request_id`."""


class MalformedResponseError(HarborsecError):
    """The server answered with a success status but a body or headers harborsec cannot use."""


class ResponseTooLargeError(MalformedResponseError):
    """A response body is larger than harborsec reads for that kind of answer.

    Bodies read whole (JSON API answers, manifests, token answers) have a size limit, checked
    against `Content-Length` before reading and while reading; past it, the connection is
    closed. Blobs are streamed, and not limited.

    Attributes:
        limit: The limit, in bytes.
        method: The HTTP method of the request.
        url: The URL of the request, without user-info.
    """

    def __init__(self, message: str, *, limit: int, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.limit = limit
        self.method = method
        self.url = url


class InvalidReferenceError(HarborsecError, ValueError):
    """An image reference does not follow the distribution reference grammar.

    The message says which part is wrong.
    """


class InvalidDocumentError(HarborsecError):
    """A manifest, index or other document is not valid for its declared media type."""


class InvalidPolicyError(HarborsecError, ValueError):
    """A setting, rule, schedule or policy file is not valid; nothing was sent or changed.

    Attributes:
        location: Where the problem is, such as `policy.yaml:12 allowlist.items[2]` or
            `immutability rule 3`, or None.
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location


class PlanOutdatedError(HarborsecError):
    """The project changed after the plan was made; `apply()` changed nothing. Plan again.

    Attributes:
        project: The project's name.
        current: The changes a plan made now would list (`harborsec.policy.Change` objects).
    """

    def __init__(self, message: str, *, project: str, current: tuple[Any, ...]) -> None:
        super().__init__(message)
        self.project = project
        self.current = current


class ConcurrentUpdateError(HarborsecError):
    """Another writer kept overwriting a read-modify-write; the change may not be in place.

    Harbor has no compare-and-set for the lists harborsec edits by reading, editing and writing
    back (CVE allowlists). Each such write is read back; when the change is not there (another
    client wrote a version built from an older read in between), the edit is made again on the
    new content, a bounded number of times. This error says it never stuck: read the current
    state, and find the other writer.

    Attributes:
        what: What was being edited (`project 'team' CVE allowlist`).
        attempts: How many times the edit was written.
    """

    def __init__(self, message: str, *, what: str, attempts: int) -> None:
        super().__init__(message)
        self.what = what
        self.attempts = attempts


class CredentialsError(HarborsecError):
    """Credentials could not be found or read (docker config, credential helper, environment)."""


class PlatformNotFoundError(HarborsecError, LookupError):
    """An image index has no manifest for the requested platform.

    Attributes:
        platform: The platform asked for, such as `linux/arm64/v8`.
        available: The platforms the index does list.
    """

    def __init__(self, message: str, *, platform: str, available: Sequence[str]) -> None:
        super().__init__(message)
        self.platform = platform
        self.available = tuple(available)


class WaitTimeoutError(HarborsecError):
    """Something harborsec was waiting for (a scan, an SBOM) was not ready before the timeout.

    Nothing was cancelled on the server: the work may still finish. Wait again (a longer
    `timeout`), or check on it later.

    Attributes:
        what: What was waited for, such as `the scan of library/app@sha256:...`.
        timeout: The timeout, in seconds.
        elapsed: How long was waited, in seconds.
        attempts: How many times it was checked.
        last_state: What the last check found (a model, such as a scan report), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        what: str,
        timeout: float,
        elapsed: float,
        attempts: int,
        last_state: object = None,
    ) -> None:
        super().__init__(message)
        self.what = what
        self.timeout = timeout
        self.elapsed = elapsed
        self.attempts = attempts
        self.last_state = last_state


class VerificationError(HarborsecError):
    """A security check failed. Verification never fails silently: it raises this."""


class DigestMismatchError(VerificationError):
    """Content does not hash to the digest that names it.

    Attributes:
        expected: The digest the content was fetched by.
        actual: The digest of the bytes received.
    """

    def __init__(self, message: str, *, expected: str, actual: str) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class UnsupportedError(HarborsecError):
    """The registry, document or algorithm uses a feature harborsec does not support."""


class DigestAlgorithmError(VerificationError, UnsupportedError):
    """A digest names an algorithm harborsec cannot check (blake3, or one it does not know).

    Content named by such a digest is refused, never returned unchecked. It is a
    `VerificationError`, so a release gate that stops on failed checks stops on it too, and an
    `UnsupportedError`, as unsupported digest algorithms always were.

    Attributes:
        digest: The digest.
        algorithm: Its algorithm, such as `blake3`.
    """

    def __init__(self, message: str, *, digest: str, algorithm: str) -> None:
        super().__init__(message)
        self.digest = digest
        self.algorithm = algorithm


class ClientClosedError(HarborsecError, RuntimeError):
    """A client was used after `close()` (or `aclose()`), or after its `with` block ended.

    A closed client cannot be reopened: create a new one, or make every call inside its `with`
    block.
    """
