"""OCI models: platforms, descriptors, image manifests and indexes, and their wire format.

Models are frozen attrs classes with snake_case fields; the OCI wire names (`mediaType`,
`os.version`...) live only in the converter below. A manifest read from a registry keeps its exact
bytes (`Manifest.content`): it is never re-serialised, since that could
change its digest.

Example:
    >>> from harborsec.oci import Platform, parse_manifest
    >>> Platform.parse("linux/arm64/v8")
    Platform(os='linux', architecture='arm64', variant='v8', os_version=None, ...)
    >>> index = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}'
    >>> m = parse_manifest(index)
    >>> m.is_index, m.media_type
    (True, 'application/vnd.oci.image.index.v1+json')
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from harborsec.errors import InvalidDocumentError, PlatformNotFoundError, UnsupportedError
from harborsec.oci._digest import compute_digest, parse_digest, verify_digest
from harborsec.oci._media import IMAGE_TYPES, INDEX_TYPES, OCI_INDEX, OCI_MANIFEST

__all__ = [
    "Descriptor",
    "ImageIndex",
    "ImageManifest",
    "Manifest",
    "Platform",
    "check_image_platform",
    "image_platform",
    "make_converter",
    "parse_manifest",
    "select_platform",
]

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "i386": "386",
}
_ALIAS_VARIANTS = {"armhf": "v7", "armel": "v6"}
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


@attrs.frozen
class Platform:
    """The platform an image runs on, as listed in an image index.

    Example:
        >>> str(Platform.parse("linux/arm/v7"))
        'linux/arm/v7'
    """

    os: str
    """The operating system, such as `linux` or `windows`."""
    architecture: str
    """The CPU architecture, such as `amd64` or `arm64` (GOARCH names)."""
    variant: str | None = None
    """The CPU variant, such as `v8` for arm64 or `v7` for arm."""
    os_version: str | None = None
    """The operating system version (Windows images)."""
    os_features: tuple[str, ...] = ()
    """Required operating system features."""
    features: tuple[str, ...] = ()
    """Reserved by the OCI image spec."""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse `os/architecture[/variant]`, such as `linux/arm64/v8`.

        Raises:
            ValueError: The text does not have two or three non-empty parts.
        """
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"invalid platform {text!r}: expected os/architecture[/variant]")
        return cls(
            os=parts[0], architecture=parts[1], variant=parts[2] if len(parts) == 3 else None
        )

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base

    def normalized(self) -> Platform:
        """The same platform with architecture aliases and default variants resolved.

        `aarch64` becomes `arm64` (variant `v8`), `x86_64` becomes `amd64`, `arm` without a
        variant becomes `arm/v7`, as container runtimes do.
        """
        arch = self.architecture.lower()
        variant = self.variant or _ALIAS_VARIANTS.get(arch)
        arch = _ARCH_ALIASES.get(arch, arch)
        if variant and arch == "arm64" and variant in ("8", "v8"):
            variant = "v8"
        elif variant and variant.isdigit():
            variant = f"v{variant}"
        variant = variant or _DEFAULT_VARIANTS.get(arch)
        return attrs.evolve(self, os=self.os.lower(), architecture=arch, variant=variant)

    def matches(self, other: Platform) -> bool:
        """Whether two platforms name the same target, once normalised (OS version ignored)."""
        a, b = self.normalized(), other.normalized()
        return (a.os, a.architecture, a.variant) == (b.os, b.architecture, b.variant)


@attrs.frozen
class Descriptor:
    """A reference to content by media type, digest and size."""

    media_type: str
    """The media type of the content."""
    digest: str
    """The digest of the content, such as `sha256:...`."""
    size: int
    """The size of the content in bytes."""
    urls: tuple[str, ...] = ()
    """Other places the content may be downloaded from."""
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    """Arbitrary metadata."""
    platform: Platform | None = None
    """The platform of the manifest it points to (in indexes)."""
    artifact_type: str | None = None
    """The artifact type of the manifest it points to (in referrers lists)."""
    data: str | None = None
    """The content itself, base64-encoded, for small content."""

    @classmethod
    def for_content(cls, media_type: str, content: bytes, **kwargs: Any) -> Descriptor:
        """The descriptor of some bytes (sha256)."""
        return cls(
            media_type=media_type, digest=compute_digest(content), size=len(content), **kwargs
        )


@attrs.frozen
class ImageManifest:
    """An OCI image manifest or a Docker schema 2 manifest: a config and layers."""

    config: Descriptor
    """The image configuration, or the empty descriptor for artifacts."""
    layers: tuple[Descriptor, ...] = ()
    """The layers, or the artifact's blobs."""
    media_type: str = OCI_MANIFEST
    """The manifest's media type."""
    schema_version: int = 2
    """Always 2."""
    subject: Descriptor | None = None
    """The manifest this one refers to (signatures, SBOMs and attestations point at an image)."""
    artifact_type: str | None = None
    """The artifact type, for manifests that are not images."""
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    """Arbitrary metadata."""

    def to_bytes(self) -> bytes:
        """Serialise for pushing (compact JSON, wire names, no empty optional fields)."""
        return _to_bytes(self)


@attrs.frozen
class ImageIndex:
    """An OCI image index or a Docker manifest list: a list of manifests."""

    manifests: tuple[Descriptor, ...] = ()
    """The manifests it lists."""
    media_type: str = OCI_INDEX
    """The index's media type."""
    schema_version: int = 2
    """Always 2."""
    subject: Descriptor | None = None
    """The manifest this one refers to."""
    artifact_type: str | None = None
    """The artifact type, for indexes that are not multi-platform images."""
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    """Arbitrary metadata."""

    def to_bytes(self) -> bytes:
        """Serialise for pushing (compact JSON, wire names, no empty optional fields)."""
        return _to_bytes(self)


@attrs.frozen
class Manifest:
    """A manifest as received: its exact bytes, its digest and its parsed document."""

    digest: str
    """The digest of `content`."""
    media_type: str
    """The manifest's media type."""
    content: bytes = attrs.field(repr=False)
    """The exact bytes, to hash, verify or copy; never re-serialise the document instead."""
    document: ImageManifest | ImageIndex
    """The parsed manifest."""

    @property
    def is_index(self) -> bool:
        """Whether this is an image index or manifest list."""
        return isinstance(self.document, ImageIndex)

    @property
    def descriptor(self) -> Descriptor:
        """A descriptor pointing at this manifest."""
        return Descriptor(
            media_type=self.media_type,
            digest=self.digest,
            size=len(self.content),
            artifact_type=self.document.artifact_type,
        )


_WIRE_NAMES = {
    "media_type": "mediaType",
    "schema_version": "schemaVersion",
    "artifact_type": "artifactType",
    "os_version": "os.version",
    "os_features": "os.features",
}


def _structure_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, not {_json_type(value)}")
    return value


def _structure_int(value: Any, _type: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, not {_json_type(value)}")
    return value


def _is_str_tuple(type_: Any) -> bool:
    return typing.get_origin(type_) is tuple and typing.get_args(type_) == (str, ...)


def _structure_str_tuple(value: Any, _type: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError(f"expected an array, not {_json_type(value)}")
    return tuple(_structure_str(item, str) for item in value)


def _structure_str_mapping(value: Any, _type: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, not {_json_type(value)}")
    return {key: _structure_str(item, str) for key, item in value.items()}


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """The converter between OCI JSON and the models.

    JSON types are checked, never coerced: a `mediaType` that is a number, a `size` that is a
    string, a float or a boolean, an `annotations` value that is not a string, or a string where
    an array belongs (`"urls": "abc"`) are refused (a structuring error), not turned into
    `'5'`, `2`, `1` or `('a', 'b', 'c')`.

    Args:
        strict: Refuse unknown keys (tests run the vectors through a strict converter; at run time
            unknown keys are ignored, since registries and tools add fields).
    """
    converter = cattrs.Converter(forbid_extra_keys=strict)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook_func(_is_str_tuple, _structure_str_tuple)
    converter.register_structure_hook_func(
        lambda type_: type_ == Mapping[str, str], _structure_str_mapping
    )
    for cls in (Platform, Descriptor, ImageManifest, ImageIndex):
        overrides = {
            a.name: override(rename=_WIRE_NAMES.get(a.name, a.name), omit_if_default=True)
            for a in attrs.fields(cls)
        }
        converter.register_structure_hook(
            cls,
            make_dict_structure_fn(
                cls,
                converter,
                _cattrs_forbid_extra_keys=strict,
                **overrides,  # type: ignore[arg-type]
            ),
        )
        converter.register_unstructure_hook(
            cls,
            make_dict_unstructure_fn(cls, converter, **overrides),  # type: ignore[arg-type]
        )
    return converter


_CONVERTER = make_converter()


def _to_bytes(document: ImageManifest | ImageIndex) -> bytes:
    data = {
        # Written first, and even when they equal the defaults: registries require them.
        "schemaVersion": document.schema_version,
        "mediaType": document.media_type,
        **_CONVERTER.unstructure(document),
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def parse_manifest(
    content: bytes,
    *,
    media_type: str | None = None,
    digest: str | None = None,
    converter: cattrs.Converter | None = None,
) -> Manifest:
    """Parse manifest bytes, checking them against the digest they were fetched by.

    Args:
        content: The exact bytes received.
        media_type: The `Content-Type` they came with, used when the body has no `mediaType`.
        digest: The digest they were fetched by; None when fetched by tag (the digest is then
            computed, with the same algorithm).
        converter: A converter (for strict parsing in tests).

    Returns:
        The manifest with its bytes, digest and parsed document.

    Raises:
        DigestMismatchError: The bytes do not hash to `digest`.
        InvalidDocumentError: The bytes are not a valid manifest.
        UnsupportedError: A Docker schema 1 manifest or an unknown media type.
    """
    if digest is not None:
        verify_digest(content, digest, what="manifest")
        actual = digest
    else:
        actual = compute_digest(content)
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:  # a 5,000-digit number is a ValueError too
        raise InvalidDocumentError(f"manifest {actual} is not JSON: {exc}") from None
    except RecursionError:
        raise InvalidDocumentError(f"manifest {actual} is nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidDocumentError(f"manifest {actual} is not a JSON object")
    declared = data.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise InvalidDocumentError(
            f"manifest {actual} has a mediaType that is {_json_type(declared)}, not a string"
        )
    version = data.get("schemaVersion")
    if isinstance(version, bool) or not isinstance(version, int | None):
        raise InvalidDocumentError(
            f"manifest {actual} has a schemaVersion that is {_json_type(version)}, not an integer"
        )
    content_type = (media_type or "").split(";")[0].strip() or None
    kind = declared or content_type
    if kind is None:
        kind = OCI_INDEX if "manifests" in data else OCI_MANIFEST
    if version == 1 or (kind and "manifest.v1" in kind and "vnd.docker" in kind):
        raise UnsupportedError(f"manifest {actual} is Docker schema 1, which is not supported")
    if kind in INDEX_TYPES:
        cls: type[ImageIndex] | type[ImageManifest] = ImageIndex
    elif kind in IMAGE_TYPES:
        cls = ImageManifest
    else:
        raise UnsupportedError(f"manifest {actual} has unsupported media type {kind[:200]!r}")
    if version != 2:
        raise InvalidDocumentError(f"manifest {actual} must have schemaVersion 2")
    data = dict(data, mediaType=kind)
    try:
        document = (converter or _CONVERTER).structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        # At most a few problems: a hostile document can hold thousands.
        detail = (
            "; ".join(cattrs.transform_error(exc)[:5])
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)[:300]
        )
        raise InvalidDocumentError(f"manifest {actual} is not a valid {kind}: {detail}") from None
    _check_descriptors(document, actual)
    return Manifest(digest=actual, media_type=kind, content=content, document=document)


def _check_descriptors(document: ImageManifest | ImageIndex, digest: str) -> None:
    descriptors: Sequence[Descriptor]
    if isinstance(document, ImageIndex):
        descriptors = document.manifests
    else:
        descriptors = (document.config, *document.layers)
    for descriptor in (*descriptors, *([document.subject] if document.subject else [])):
        try:
            parse_digest(descriptor.digest)
        except (ValueError, UnsupportedError) as exc:
            raise InvalidDocumentError(f"manifest {digest} lists a bad digest: {exc}") from None
        if descriptor.size < 0:
            raise InvalidDocumentError(f"manifest {digest} lists a negative size")


def select_platform(index: ImageIndex, platform: Platform | str) -> Descriptor:
    """Pick the manifest for a platform from an index, as container runtimes do.

    Architecture aliases and default variants are resolved (`linux/arm64` matches `v8`);
    entries without a platform (attestations) are skipped; the first match wins.

    Raises:
        PlatformNotFoundError: No manifest matches; the error lists the platforms there are.
    """
    wanted = Platform.parse(platform) if isinstance(platform, str) else platform
    available = []
    for descriptor in index.manifests:
        if descriptor.platform is None:
            continue
        available.append(str(descriptor.platform))
        if descriptor.platform.matches(wanted):
            return descriptor
    raise PlatformNotFoundError(
        f"no manifest for platform {wanted} in the index; it has: {', '.join(available) or 'none'}",
        platform=str(wanted),
        available=available,
    )


_MAX_CONFIG = 4 * 1024 * 1024
"""Image configs larger than this are not read for their platform (they are a few KiB)."""


def image_platform(config: bytes) -> Platform | None:
    """The platform an image configuration declares (`os`, `architecture`, `variant`).

    Example:
        >>> str(image_platform(b'{"os": "linux", "architecture": "arm64", "variant": "v8"}'))
        'linux/arm64/v8'
        >>> image_platform(b"{}") is None
        True

    Returns:
        The platform, or `None` when the configuration names none (such as the empty config of
        an artifact, or one that is not JSON).
    """
    if len(config) > _MAX_CONFIG:
        return None
    try:
        data = json.loads(config)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return None
    if not isinstance(data, dict):
        return None
    os_name, arch, variant = data.get("os"), data.get("architecture"), data.get("variant")
    if not (isinstance(os_name, str) and os_name and isinstance(arch, str) and arch):
        return None
    version = data.get("os.version")
    return Platform(
        os=os_name,
        architecture=arch,
        variant=variant if isinstance(variant, str) and variant else None,
        os_version=version if isinstance(version, str) and version else None,
    )


def check_image_platform(name: str, config: bytes, platform: Platform | str) -> None:
    """Check that a single-platform image is for `platform`, as its configuration says.

    A release gate that asks for `linux/s390x` must not get an amd64 image's digest because the
    image happens not to be multi-platform.

    Args:
        name: The image, for the message (`repository@digest`).
        config: The image configuration blob (already verified against its digest).
        platform: The platform asked for.

    Raises:
        PlatformNotFoundError: The image is for another platform, or its configuration names
            none (an artifact, not an image).
    """
    wanted = Platform.parse(platform) if isinstance(platform, str) else platform
    actual = image_platform(config)
    if actual is not None and actual.matches(wanted):
        return
    have = str(actual) if actual is not None else "no platform in its configuration"
    raise PlatformNotFoundError(
        f"{name} is a single-platform image for {have}, not for {wanted}",
        platform=str(wanted),
        available=[str(actual)] if actual is not None else [],
    )
