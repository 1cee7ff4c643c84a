"""Image references: `registry/repository[:tag][@digest]` and `oci:` layout references.

`ImageReference.parse` follows the grammar of
Docker's reference library (github.com/distribution/reference) and Docker's normalisation:

* A reference is `name[:tag][@digest]`; `name` is `[registry/]repository`.
* The registry is a host name (labels of letters, digits and inner `-`, joined by `.`), an
  IPv4 address or a bracketed IPv6 address (`[::1]`), with an optional `:port`.
* The first `/`-separated component is the registry if and only if it contains `.` or `:`, is
  `localhost`, or contains an uppercase letter (Docker's rule: repository names are lowercase,
  so `Foo/bar` names the registry `Foo`).
* Repository components are lowercase letters and digits, separated by one `.`, one or two
  `_`, or any number of `-`. The repository is at most 255 characters long.
* A tag is 1 to 128 characters from `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
* A digest is `algorithm:hex`. `sha256` needs 64 lowercase hex digits, `sha384` 96, `sha512`
  128 and `blake3` 64; any other algorithm is refused as unsupported. A `blake3` reference
  parses, but content named by it cannot be checked, so fetching it raises
  `DigestAlgorithmError`. Tag and digest may both be given (`repo:tag@sha256:...`); the digest
  then decides what is pulled.
* Without a `default_registry`, a reference with no registry is on Docker Hub (`docker.io`),
  `index.docker.io` becomes `docker.io`, and a one-component Docker Hub repository gets the
  `library/` prefix. A 64-hex-digit string alone is refused: Docker reads it as an image ID.
* With a `default_registry` (the registry a client talks to), a reference without a registry
  is on that registry, unchanged (`project/app` stays `project/app`); a reference naming that
  same registry (host compared case-insensitively) is accepted, and one naming another registry
  is refused.

Every failure raises `InvalidReferenceError` (a
`ValueError`) whose message quotes the reference and says which part is wrong.

Example:
    >>> from harborsec.oci import ImageReference, parse_reference
    >>> ref = ImageReference.parse("ubuntu:24.04")
    >>> str(ref)
    'docker.io/library/ubuntu:24.04'
    >>> ref.registry, ref.repository, ref.reference
    ('docker.io', 'library/ubuntu', '24.04')
    >>> ImageReference.parse("library/app:1", default_registry="harbor.example.com").name
    'harbor.example.com/library/app'
    >>> parse_reference("oci:./layout:v1")
    LayoutReference(path='./layout', tag='v1', digest=None)
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from harborsec.errors import InvalidReferenceError

__all__ = ["ImageReference", "LayoutReference", "parse_reference"]

DOCKER_HUB = "docker.io"
_LEGACY_DOCKER_HUB = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_DEFAULT_TAG = "latest"
_LAYOUT_PREFIX = "oci:"
_MAX_REPOSITORY_LENGTH = 255

# The grammar, written with character classes rather than \w or \d, which are Unicode-aware in
# Python but ASCII-only in Go's RE2. Every pattern is used with fullmatch().
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_PATH_COMPONENT_RE = re.compile(_PATH_COMPONENT)
_REPOSITORY_RE = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_HOST_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[a-fA-F0-9:]+\])"
_REGISTRY_RE = re.compile(rf"{_HOST}(?::[0-9]+)?")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ALGORITHM_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_IMAGE_ID_RE = re.compile(r"[a-f0-9]{64}")
_MIN_GENERIC_HEX = 32

# Digest algorithms registered with go-digest and the OCI image spec, and their hex lengths.
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128, "blake3": 64}

_TAG_RULE = (
    'a tag is 1 to 128 characters from letters, digits, "_", "." and "-", '
    'and must not start with "." or "-"'
)
_COMPONENT_RULE = (
    'components are lowercase letters and digits, separated by one ".", one or two "_", '
    'or any number of "-"'
)


def _suffixed(name: str, tag: str | None, digest: str | None) -> str:
    """`name[:tag][@digest]`: a reference's canonical text."""
    return (
        name + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")
    )


def _quote(text: str, limit: int = 160) -> str:
    """Quote user input for an error message: escaped, and shortened when very long."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return json.dumps(text, ensure_ascii=False)


def _tag_problem(tag: str) -> str | None:
    """What is wrong with a tag, or None when it is valid."""
    if _TAG_RE.fullmatch(tag):
        return None
    if not tag:
        return "tag is empty"
    if len(tag) > 128 and _TAG_RE.fullmatch(tag[:128]):
        return f"tag {_quote(tag)} is longer than 128 characters"
    return f"invalid tag {_quote(tag)}: {_TAG_RULE}"


def _digest_problem(digest: str) -> str | None:
    """What is wrong with a digest, or None when it is valid."""
    algorithm, colon, encoded = digest.partition(":")
    if not colon:
        return (
            f'invalid digest {_quote(digest)}: expected "algorithm:hex", such as "sha256:<64 hex>"'
        )
    if not _ALGORITHM_RE.fullmatch(algorithm):
        return f"invalid digest {_quote(digest)}: {_quote(algorithm)} is not a digest algorithm"
    expected = _DIGEST_LENGTHS.get(algorithm)
    if expected is None:
        if not _HEX_RE.fullmatch(encoded) or len(encoded) < _MIN_GENERIC_HEX:
            return (
                f"invalid digest {_quote(digest)}: expected at least {_MIN_GENERIC_HEX} hex "
                f"digits after {_quote(algorithm + ':')}"
            )
        known = ", ".join(sorted(_DIGEST_LENGTHS))
        return (
            f"unsupported digest algorithm {_quote(algorithm)} in {_quote(digest)}: "
            f"expected one of {known}"
        )
    if not encoded or not _HEX_RE.fullmatch(encoded):
        return f"digest {_quote(digest)} must have {expected} hex digits after {algorithm}:"
    if len(encoded) != expected:
        return f"digest {_quote(digest)} must have {expected} hex digits, not {len(encoded)}"
    if encoded != encoded.lower():
        return f"digest {_quote(digest)} must use lowercase hex digits"
    return None


def _registry_problem(registry: str) -> str | None:
    """What is wrong with a registry host, or None when it is valid."""
    if _REGISTRY_RE.fullmatch(registry):
        return None
    if not registry:
        return "registry is empty"
    return (
        f"invalid registry {_quote(registry)}: expected a host name, an IPv4 address or a "
        'bracketed IPv6 address such as "[::1]", with an optional ":port"'
    )


def _repository_problem(repository: str) -> str | None:
    """What is wrong with a repository name, or None when it is valid."""
    if not _REPOSITORY_RE.fullmatch(repository):
        if not repository:
            return "repository name is empty"
        lowered = repository.lower()
        if lowered != repository and _REPOSITORY_RE.fullmatch(lowered):
            return f"repository name must be lowercase: {_quote(repository)}"
        for component in repository.split("/"):
            if not component:
                return f"repository name {_quote(repository)} has an empty path component"
            if not _PATH_COMPONENT_RE.fullmatch(component):
                return (
                    f"invalid path component {_quote(component)} in repository name "
                    f"{_quote(repository)}: {_COMPONENT_RULE}"
                )
        return f"invalid repository name {_quote(repository)}"  # pragma: no cover - unreachable
    if len(repository) > _MAX_REPOSITORY_LENGTH:
        return (
            f"repository name must not be more than {_MAX_REPOSITORY_LENGTH} characters "
            f"(it has {len(repository)})"
        )
    return None


def _raise_if(problem: str | None) -> None:
    if problem is not None:
        raise InvalidReferenceError(problem)


def _validate_registry(_instance: object, _attribute: Any, value: str) -> None:
    _raise_if(_registry_problem(value))


def _validate_repository(_instance: object, _attribute: Any, value: str) -> None:
    _raise_if(_repository_problem(value))


def _validate_tag(_instance: object, _attribute: Any, value: str | None) -> None:
    if value is not None:
        _raise_if(_tag_problem(value))


def _validate_digest(_instance: object, _attribute: Any, value: str | None) -> None:
    if value is not None:
        _raise_if(_digest_problem(value))


def _is_registry_component(component: str) -> bool:
    """Docker's rule: is the first component of a name a registry rather than a path?"""
    return (
        component == "localhost"
        or "." in component
        or ":" in component
        or component.lower() != component
    )


def _check_text(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    if not text:
        raise InvalidReferenceError(f"{what} is empty")


@attrs.frozen
class ImageReference:
    """A fully qualified reference to an image in a registry.

    Build one with `parse`; the constructor checks
    each field against the grammar but does not normalise (it does not add `library/`).
    `str()` gives the canonical form `registry/repository[:tag][@digest]`, which `parse`
    reads back to an equal reference.

    Example:
        >>> ref = ImageReference.parse("ghcr.io/org/app:1.0")
        >>> ref.with_digest("sha256:" + "ab" * 32).reference
        'sha256:abababababababababababababababababababababababababababababababab'
    """

    registry: str = attrs.field(validator=_validate_registry)
    """The registry host, with its port if any: `docker.io`, `localhost:5000`, `[::1]:5000`."""
    repository: str = attrs.field(validator=_validate_repository)
    """The repository path inside the registry: `library/ubuntu`, `project/team/app`."""
    tag: str | None = attrs.field(default=None, validator=_validate_tag)
    """The tag, if the reference has one."""
    digest: str | None = attrs.field(default=None, validator=_validate_digest)
    """The manifest digest (`sha256:<hex>`), if the reference has one."""

    @classmethod
    def parse(cls, text: str, *, default_registry: str | None = None) -> ImageReference:
        """Parse and normalise an image reference.

        Args:
            text: A reference such as `ubuntu`, `ghcr.io/org/app:1.0`,
                `localhost:5000/app@sha256:<hex>` or `project/app:1`.
            default_registry: The registry that references without a registry are on (for
                example the host of the Harbor a client talks to). When `None`, Docker's
                rules apply: `docker.io`, with `library/` for one-component names.

        Returns:
            The reference, with its registry filled in.

        Raises:
            InvalidReferenceError: The text is not a valid reference, or it names a registry
                other than `default_registry`. The message says which part is wrong.
        """
        _check_text(text, "reference")
        default = None if default_registry is None else _normalise_default(default_registry)
        try:
            registry, repository, tag, digest = _split_image(text, default)
            return cls(registry, repository, tag, digest)
        except InvalidReferenceError as exc:
            raise InvalidReferenceError(f"invalid reference {_quote(text)}: {exc}") from None

    def __str__(self) -> str:
        return _suffixed(f"{self.registry}/{self.repository}", self.tag, self.digest)

    @property
    def name(self) -> str:
        """The registry and repository, without tag or digest: `docker.io/library/ubuntu`."""
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """What to ask the registry for in `/v2/<repository>/manifests/<reference>`.

        The digest when there is one, else the tag, else `latest`.
        """
        return self.digest or self.tag or _DEFAULT_TAG

    def with_digest(self, digest: str) -> ImageReference:
        """A copy of this reference pinned to `digest` (the tag, if any, is kept).

        Raises:
            InvalidReferenceError: The digest is not valid.
        """
        return attrs.evolve(self, digest=digest)

    def with_tag(self, tag: str | None) -> ImageReference:
        """A copy of this reference with another tag, or with no tag when `tag` is `None`.

        The digest, if any, is kept.

        Raises:
            InvalidReferenceError: The tag is not valid.
        """
        return attrs.evolve(self, tag=tag)


def _split_image(
    text: str, default_registry: str | None
) -> tuple[str, str, str | None, str | None]:
    """Split and normalise an image reference into its four parts, or raise."""
    for index, char in enumerate(text):
        if char.isspace() or not char.isprintable():
            raise InvalidReferenceError(
                f"unexpected whitespace or control character {char!r} at position {index}"
            )
    if "://" in text:
        raise InvalidReferenceError(
            "a reference has no URL scheme: write it as registry/repository[:tag]"
        )
    if _IMAGE_ID_RE.fullmatch(text):
        raise InvalidReferenceError("a 64-hex-digit string is an image ID, not a repository name")

    rest, at, digest_text = text.partition("@")
    digest: str | None = None
    if at:
        if not digest_text:
            raise InvalidReferenceError('it ends with "@" but has no digest')
        _raise_if(_digest_problem(digest_text))
        digest = digest_text

    tag: str | None = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        if rest.startswith("[") and "/" not in rest:
            raise InvalidReferenceError(
                f'registry {_quote(rest)} must be followed by "/" and a repository name'
            )
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not tag:
            raise InvalidReferenceError('":" must be followed by a tag')
        _raise_if(_tag_problem(tag))
    if not rest:
        raise InvalidReferenceError("it has no repository name")

    registry, repository = _split_name(rest, default_registry)
    _raise_if(_registry_problem(registry))
    if registry == DOCKER_HUB and "/" not in repository:
        repository = _OFFICIAL_PREFIX + repository
    _raise_if(_repository_problem(repository))
    return registry, repository, tag, digest


def _split_name(name: str, default_registry: str | None) -> tuple[str, str]:
    """Split `[registry/]repository` with Docker's rule, applying the default registry."""
    first, slash, remainder = name.partition("/")
    named: str | None = None
    repository = name
    if slash and _is_registry_component(first):
        named = DOCKER_HUB if first == _LEGACY_DOCKER_HUB else first
        repository = remainder
        _raise_if(_registry_problem(named))
        if not repository:
            raise InvalidReferenceError(f"no repository name after registry {_quote(named)}")

    if default_registry is None:
        return (named if named is not None else DOCKER_HUB), repository

    default = default_registry
    if named is None:
        return default, repository
    if named.lower() != default.lower():
        hint = ""
        if "." not in named and ":" not in named and named != "localhost":
            hint = (
                " (a first component with uppercase letters is read as a registry host; "
                "repository names must be lowercase)"
            )
        raise InvalidReferenceError(
            f"it names registry {_quote(named)}, but the registry here is {_quote(default)}{hint}"
        )
    return default, repository


def _normalise_default(default_registry: str) -> str:
    if not isinstance(default_registry, str):
        raise TypeError(f"default_registry must be a str, not {type(default_registry).__name__}")
    problem = _registry_problem(default_registry)
    if problem is not None:
        raise InvalidReferenceError(f"bad default_registry: {problem}")
    return DOCKER_HUB if default_registry == _LEGACY_DOCKER_HUB else default_registry


# --- OCI image layouts -------------------------------------------------------------------------


def _split_layout(text: str) -> tuple[str, str | None, str | None]:
    """Split `oci:PATH[:TAG][@DIGEST]` into path, tag and digest, or raise.

    The digest is what follows the last `@` when that has no `/` and contains `:`. The tag is
    what follows the last `:` of the rest when that is a valid tag (a tag never contains `/`).
    Anything else belongs to the path.
    """
    if not text.startswith(_LAYOUT_PREFIX):
        raise InvalidReferenceError(f'a layout reference starts with "{_LAYOUT_PREFIX}"')
    body = text[len(_LAYOUT_PREFIX) :]

    digest: str | None = None
    at = body.rfind("@")
    if at != -1 and "/" not in body[at + 1 :]:
        candidate = body[at + 1 :]
        if not candidate:
            raise InvalidReferenceError('it ends with "@" but has no digest')
        if ":" in candidate:
            _raise_if(_digest_problem(candidate))
            digest, body = candidate, body[:at]

    tag: str | None = None
    colon = body.rfind(":")
    if colon != -1:
        candidate = body[colon + 1 :]
        if not candidate:
            raise InvalidReferenceError('":" must be followed by a tag')
        if _TAG_RE.fullmatch(candidate):
            tag, body = candidate, body[:colon]

    _raise_if(_path_problem(body))
    return body, tag, digest


def _path_problem(path: str) -> str | None:
    if not path:
        return "the layout path is empty"
    if path != path.strip():
        return f"the layout path {_quote(path)} starts or ends with whitespace"
    for index, char in enumerate(path):
        if not char.isprintable():
            return f"the layout path has a control character {char!r} at position {index}"
    return None


def _validate_path(_instance: object, _attribute: Any, value: str) -> None:
    _raise_if(_path_problem(value))


@attrs.frozen
class LayoutReference:
    r"""A reference to an image in an OCI image layout directory: `oci:PATH[:TAG][@DIGEST]`.

    This is the form skopeo and oras use. How the text is split:

    * `oci:PATH@DIGEST`: the digest is what follows the last `@`, when that contains `:` and
      no `/`. (`oci:dir@backup` is the path `dir@backup`.)
    * `oci:PATH:TAG`: the tag is what follows the last `:` of the rest, only when that is a
      valid tag. So `oci:C:\images` is the path `C:\images`, `oci:/data/a:b/c` is the path
      `/data/a:b/c`, and `oci:dir:v1` is the path `dir` with tag `v1`.
    * Both may be given: `oci:PATH:TAG@DIGEST`.

    A path whose last `:`-suffix looks like a tag, or whose last component holds `@` followed
    by something with `:`, cannot be written in this form; the constructor refuses such
    combinations so that `str()` always parses back to an equal reference.

    Example:
        >>> ref = LayoutReference.parse("oci:/tmp/layout@sha256:" + "0" * 64)
        >>> ref.path, ref.tag, ref.reference == "sha256:" + "0" * 64
        ('/tmp/layout', None, True)
    """

    path: str = attrs.field(validator=_validate_path)
    """The layout directory."""
    tag: str | None = attrs.field(default=None, validator=_validate_tag)
    """The tag (`org.opencontainers.image.ref.name` in the layout's `index.json`), if any."""
    digest: str | None = attrs.field(default=None, validator=_validate_digest)
    """The manifest digest, if any."""

    def __attrs_post_init__(self) -> None:
        text = str(self)
        try:
            parts = _split_layout(text)
        except InvalidReferenceError:
            parts = None
        if parts != (self.path, self.tag, self.digest):
            raise InvalidReferenceError(
                f"the layout path {_quote(self.path)} cannot be written unambiguously as "
                f"{_quote(text)}: it would not read back as the same path, tag and digest"
            )

    @classmethod
    def parse(cls, text: str) -> LayoutReference:
        """Parse `oci:PATH`, `oci:PATH:TAG`, `oci:PATH@DIGEST` or `oci:PATH:TAG@DIGEST`.

        Raises:
            InvalidReferenceError: The text does not start with `oci:`, the path is empty,
                or it ends with `:` or `@`, or the digest is invalid.
        """
        _check_text(text, "layout reference")
        try:
            path, tag, digest = _split_layout(text)
        except InvalidReferenceError as exc:
            raise InvalidReferenceError(f"invalid reference {_quote(text)}: {exc}") from None
        return cls(path, tag, digest)

    def __str__(self) -> str:
        return _suffixed(f"{_LAYOUT_PREFIX}{self.path}", self.tag, self.digest)

    @property
    def reference(self) -> str:
        """The digest when there is one, else the tag, else `latest`.

        Readers that pick the only manifest of a layout when no tag is given should check
        `tag is None and digest is None` rather than this property.
        """
        return self.digest or self.tag or _DEFAULT_TAG


def parse_reference(
    text: str, *, default_registry: str | None = None
) -> ImageReference | LayoutReference:
    """Parse a registry reference, or an OCI layout reference when `text` starts with `oci:`.

    `oci:` always means a layout here; to name a Docker Hub image called `oci`, write
    `docker.io/library/oci:TAG` or use `ImageReference.parse`.

    Args:
        text: The reference.
        default_registry: Passed to `ImageReference.parse`.

    Raises:
        InvalidReferenceError: The text is not a valid reference of either kind.
    """
    _check_text(text, "reference")
    if text.startswith(_LAYOUT_PREFIX):
        return LayoutReference.parse(text)
    return ImageReference.parse(text, default_registry=default_registry)
