"""`harborsec demo`: the main workflow, end to end, on the embedded Harbor emulator.

Push a small multi-platform image with the SDK over real HTTP, resolve it by tag and by
platform, then bring the project to the recommended security state with policy as code (plan,
apply, plan again: empty) and check that release tags are now immutable. Each answer is checked
against what was pushed or planned. Later features (scans, SBOMs, VEX, signatures) extend this
walk.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Callable
from typing import TextIO

from harborsec._client import Registry
from harborsec.errors import PreconditionFailedError, VerificationError
from harborsec.oci._media import OCI_INDEX, OCI_MANIFEST
from harborsec.oci._models import Descriptor, ImageIndex, ImageManifest, Platform

__all__ = ["build_demo_image", "run_demo"]

_PLATFORMS = ("linux/amd64", "linux/arm64/v8", "linux/arm/v7")
_CONFIG = "application/vnd.oci.image.config.v1+json"
_LAYER = "application/vnd.oci.image.layer.v1.tar"


def _layer(text: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_demo_image(
    platforms: tuple[str, ...] = _PLATFORMS,
) -> tuple[dict[str, bytes], list[tuple[Platform, bytes]], bytes]:
    """Build a tiny multi-platform OCI image in memory.

    Returns:
        The blobs by digest, each platform with its manifest bytes, and the index bytes.
    """
    blobs: dict[str, bytes] = {}
    manifests: list[tuple[Platform, bytes]] = []
    for text in platforms:
        platform = Platform.parse(text)
        layer = _layer(f"hello from harborsec on {text}\n")
        layer_desc = Descriptor.for_content(_LAYER, layer)
        config = json.dumps(
            {
                "architecture": platform.architecture,
                "os": platform.os,
                **({"variant": platform.variant} if platform.variant else {}),
                "rootfs": {"type": "layers", "diff_ids": [layer_desc.digest]},
                "config": {},
            },
            separators=(",", ":"),
        ).encode()
        config_desc = Descriptor.for_content(_CONFIG, config)
        blobs[layer_desc.digest] = layer
        blobs[config_desc.digest] = config
        manifest = ImageManifest(config=config_desc, layers=(layer_desc,)).to_bytes()
        manifests.append((platform, manifest))
    index = ImageIndex(
        manifests=tuple(
            Descriptor.for_content(OCI_MANIFEST, content, platform=platform)
            for platform, content in manifests
        )
    ).to_bytes()
    return blobs, manifests, index


def run_demo(out: TextIO, *, quiet: bool = False) -> int:
    """Run the demo, printing each step; return 0 when every check passed."""
    from harborsec.testing import HarborEmulator

    def say(text: str) -> None:
        if not quiet:
            print(text, file=out, flush=True)

    started = time.perf_counter()
    emulator = HarborEmulator()
    with emulator.serve() as url:
        say(f"[1/6] Harbor emulator serving on {url} (project 'library', user admin)")
        with Registry(url, auth=("admin", "Harbor12345")) as registry:
            blobs, manifests, index = build_demo_image()
            repository = "library/hello"
            say(f"[2/6] pushing {len(blobs)} blobs and {len(manifests)} manifests to {repository}")
            for data in blobs.values():
                registry.push_blob(repository, data)
            for _, content in manifests:
                registry.push_manifest(repository, content, media_type=OCI_MANIFEST)
            index_digest = registry.push_manifest(
                repository, index, media_type=OCI_INDEX, tag="1.0"
            )
            say(f"      pushed index {index_digest} as {repository}:1.0")
            say("[3/6] resolving the tag to a digest (one HEAD)")
            resolved = registry.resolve(f"{repository}:1.0")
            _check(resolved == index_digest, f"tag resolved to {resolved}, pushed {index_digest}")
            say(f"      {repository}:1.0 -> {resolved}")
            say("[4/6] resolving each platform from the index")
            for platform, content in manifests:
                digest = registry.resolve(f"{repository}:1.0", platform=platform)
                expected = Descriptor.for_content(OCI_MANIFEST, content).digest
                _check(digest == expected, f"{platform} resolved to {digest}, pushed {expected}")
                say(f"      {platform!s:<15} -> {digest}")
            changes = _apply_recommended_policy(registry, say)
            say("[6/6] checking that release tags are now immutable")
            _check(
                registry.project("library").is_immutable("hello", "1.0.0"),
                "1.0.0 should be immutable",
            )
            registry.push_manifest(repository, index, media_type=OCI_INDEX, tag="1.0.0")
            try:
                registry.push_manifest(
                    repository, manifests[0][1], media_type=OCI_MANIFEST, tag="1.0.0"
                )
            except PreconditionFailedError:
                say(f"      re-pushing {repository}:1.0.0 was refused (412: immutable)")
            else:
                _check(False, "re-pushing an immutable tag was accepted")
    elapsed = time.perf_counter() - started
    print(
        f"demo OK: pushed and resolved a {len(manifests)}-platform image and applied "
        f"{changes} policy changes on the Harbor emulator in {elapsed:.2f} s",
        file=out,
    )
    return 0


def _apply_recommended_policy(registry: Registry, say: Callable[[str], None]) -> int:
    from harborsec.policy import Policy

    say("[5/6] bringing project 'library' to the recommended policy (policy as code)")
    policy = Policy.recommended()
    plan = policy.plan(registry.project("library"))
    for line in plan.diff().splitlines():
        say(f"      {line}")
    plan.apply()
    again = policy.plan(registry.project("library"))
    _check(again.empty, f"a second plan should be empty, it has:\n{again.diff()}")
    say(f"      applied {len(plan.changes)} changes; planning again finds nothing to do")
    return len(plan.changes)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise VerificationError(f"demo check failed: {message}")
