"""`resolve_digest`, and the two entry points `Registry` and `AsyncRegistry`.

The clients are facades (`harborsec._facades`): `AsyncRegistry` is written once, and `Registry`
is generated from it.

Example:
    >>> from harborsec import Registry
    >>> from harborsec.testing import HarborEmulator
    >>> emulator = HarborEmulator()
    >>> with Registry("https://harbor.test", auth=("admin", "Harbor12345"),
    ...               transport=emulator.transport()) as registry:
    ...     registry.ping()
    True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from harborsec._core._http import DEFAULT_TIMEOUT, NOT_GIVEN
from harborsec._facades._async._registry import AsyncRegistry
from harborsec._facades._settings import AuthArg
from harborsec._facades._settings import platform_arg as _platform
from harborsec._facades._sync._registry import Registry
from harborsec.errors import TransportError
from harborsec.oci._layout import OciLayout
from harborsec.oci._models import Platform
from harborsec.oci._reference import LayoutReference, parse_reference

__all__ = ["AsyncRegistry", "Registry", "resolve_digest"]


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def _registry_url(registry: str, insecure: bool) -> str:
    if registry == "docker.io":
        return "https://registry-1.docker.io"
    host = registry.rsplit(":", 1)[0] if not registry.endswith("]") else registry
    if insecure and (host in _LOOPBACK or host.startswith("127.")):
        return f"http://{registry}"
    return f"https://{registry}"


def resolve_digest(
    reference: str,
    *,
    platform: Platform | str | None = None,
    insecure: bool = False,
    auth: AuthArg = NOT_GIVEN,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
) -> str:
    """Resolve any image reference to its manifest digest, like `crane digest`.

    Args:
        reference: A full reference (`ubuntu:24.04`, `harbor.example.com/p/app:1`,
            `127.0.0.1:5000/x@sha256:...`) or a local OCI layout (`oci:PATH`, `oci:PATH:TAG`,
            `oci:PATH@DIGEST`).
        platform: Pick this platform's manifest from a multi-platform index (`linux/arm64/v8`).
        insecure: Skip TLS verification, and allow plain HTTP: loopback registries are then
            reached over HTTP, others over HTTPS first and HTTP if that fails.
        auth: Credentials as for `Registry`; by default they are looked up: docker's config
            for that registry, and `HARBOR_USERNAME`/`HARBOR_PASSWORD` only when `HARBOR_URL`
            names that registry.
        timeout: Timeouts for the requests.

    Returns:
        The digest, such as `sha256:...`.

    Raises:
        InvalidReferenceError: The reference does not parse.
        NotFoundError: No such repository, tag or manifest.
        PlatformNotFoundError: The index has no manifest for `platform`.
        TransportError: The registry cannot be reached.

    Example:
        With `layout` the directory of an OCI image layout holding an image tagged `v1`:

        >>> resolve_digest(f"oci:{layout}:v1")
        'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9'
    """
    platform = _platform(platform)
    parsed = parse_reference(reference)
    if isinstance(parsed, LayoutReference):
        return OciLayout(parsed.path).resolve(parsed.digest or parsed.tag, platform=platform)
    target = (
        f"{parsed.repository}@{parsed.digest}"
        if parsed.digest
        else f"{parsed.repository}:{parsed.reference}"
    )
    url = _registry_url(parsed.registry, insecure)
    environ: Mapping[str, str] = os.environ
    if not environ.get("HARBOR_URL"):
        # HARBOR_USERNAME/HARBOR_PASSWORD belong to the Harbor that HARBOR_URL names: this function
        # reaches any registry, so without HARBOR_URL they must not go to whichever it names.
        environ = {k: v for k, v in environ.items() if not k.startswith("HARBOR_")}
    options: dict[str, Any] = {"auth": auth, "timeout": timeout, "environ": environ}
    try:
        with Registry(url, insecure=insecure, **options) as registry:
            return registry.resolve(target, platform=platform)
    except TransportError:
        if not (insecure and url.startswith("https://")):
            raise
    with Registry(f"http://{parsed.registry}", insecure=True, **options) as registry:
        return registry.resolve(target, platform=platform)
