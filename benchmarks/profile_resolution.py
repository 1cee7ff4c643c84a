"""Where a digest resolution's client CPU goes: harborsec's layers against bare HTTP clients.

Run from the project root::

    python benchmarks/profile_resolution.py [--resolutions 3000] [--concurrency 32] [--top 15]

Against the loopback registry of ``digest_resolution.py`` (same setup, 100 tags), it measures
the client CPU (``time.process_time``) and the registry's CPU per ``HEAD`` manifest for:

* bare aiohttp (``ClientSession.head`` with a bearer token): the transport's floor;
* bare ``httpx.AsyncClient`` over httpx-aiohttp's transport: plus httpx's client layer;
* bare ``httpx.AsyncClient`` over httpx's own pool (httpcore);
* harborsec ``AsyncRegistry.resolve`` (aiohttp transport, then httpx's pool): plus harborsec;
* bare ``httpx.Client`` and harborsec ``Registry.resolve`` (sync).

Then it runs harborsec's async and sync resolutions under cProfile and prints the self time
per layer (harborsec, httpx, aiohttp, asyncio, ...) and the costliest functions. cProfile
slows pure-Python code down several times; read its figures as shares, not as absolute costs.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import aiohttp
import digest_resolution as bench
import httpx
from httpx_aiohttp import AiohttpTransport

from harborsec import AsyncRegistry, Registry

__all__ = ["main"]

_LAYERS = (
    "harborsec/",
    "httpx_aiohttp/",
    "httpx/",
    "httpcore/",
    "h11/",
    "anyio/",
    "aiohttp/",
    "multidict/",
    "yarl/",
    "asyncio/",
    "http/cookiejar",
    "urllib/",
)


def _layer(filename: str, function: str) -> str:
    for key in _LAYERS:
        if key in filename:
            return key.rstrip("/")
    if filename == "~":
        return f"built-in: {function}"
    return filename.rsplit("/", 1)[-1]


def layer_report(stats: pstats.Stats, top: int) -> list[str]:
    """Self time by layer, then the `top` costliest functions by self time."""
    by_layer: collections.Counter[str] = collections.Counter()
    functions = []
    for (filename, line, function), value in stats.stats.items():  # type: ignore[attr-defined]
        _cc, calls, self_time, cumulative, _callers = value
        by_layer[_layer(filename, function)] += self_time
        short = filename.split("site-packages/")[-1].split("/work/main/")[-1]
        functions.append((self_time, cumulative, calls, f"{short}:{line}({function})"))
    total = sum(by_layer.values())
    lines = [f"  self time {total:.2f} s, by layer:"]
    lines += [
        f"    {name:<48} {seconds:6.2f} s {100 * seconds / total:5.1f} %"
        for name, seconds in by_layer.most_common(12)
    ]
    lines.append("  costliest functions (self s, cumulative s, calls):")
    functions.sort(reverse=True)
    lines += [f"    {s:6.3f} {c:6.3f} {n:7d}  {name}" for s, c, n, name in functions[:top]]
    return lines


async def _gather(concurrency: int, refs: Sequence[str], one: Callable[[str], object]) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def limited(ref: str) -> None:
        async with semaphore:
            digest = await one(ref)  # type: ignore[misc]
            assert digest.startswith("sha256:"), digest

    await asyncio.gather(*(limited(ref) for ref in refs))


def _split(ref: str) -> tuple[str, str]:
    repository, tag = ref.rsplit(":", 1)
    return repository, tag


class Runner:
    """The resolution loops, each timed for client and registry CPU."""

    def __init__(self, endpoint: bench.Endpoint, token: str, concurrency: int) -> None:
        self.endpoint = endpoint
        self.url = endpoint.url
        self.headers = {"Authorization": f"Bearer {token}", "Accept": bench.MANIFEST_ACCEPT}
        self.concurrency = concurrency

    def timed(self, name: str, refs: Sequence[str], work: Callable[[], None]) -> None:
        """Run `work` and print its rate and CPU per resolution."""
        registry_before = bench.process_cpu(self.endpoint.registry.pid)
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        work()
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        registry = bench.process_cpu(self.endpoint.registry.pid) - registry_before
        print(
            f"  {name:<48} {len(refs) / wall:6.0f}/s   client CPU "
            f"{1000 * cpu / len(refs):.3f} ms   registry CPU {1000 * registry / len(refs):.2f} ms"
        )

    def bare_aiohttp(self, refs: Sequence[str]) -> None:
        """aiohttp's ClientSession alone."""

        async def run() -> None:
            async with aiohttp.ClientSession() as session:

                async def one(ref: str) -> str:
                    repository, tag = _split(ref)
                    url = f"{self.url}/v2/{repository}/manifests/{tag}"
                    async with session.head(url, headers=self.headers) as response:
                        return response.headers["Docker-Content-Digest"]

                await _gather(self.concurrency, refs, one)

        asyncio.run(run())

    def bare_httpx_async(self, refs: Sequence[str], transport: httpx.AsyncBaseTransport) -> None:
        """httpx.AsyncClient without harborsec."""

        async def run() -> None:
            async with httpx.AsyncClient(transport=transport) as client:

                async def one(ref: str) -> str:
                    repository, tag = _split(ref)
                    url = f"{self.url}/v2/{repository}/manifests/{tag}"
                    response = await client.head(url, headers=self.headers)
                    return response.headers["Docker-Content-Digest"]

                await _gather(self.concurrency, refs, one)

        asyncio.run(run())

    def harborsec_async(
        self, refs: Sequence[str], transport: httpx.AsyncBaseTransport | None
    ) -> None:
        """harborsec's AsyncRegistry.resolve (warmed up)."""

        async def run() -> None:
            auth = (bench.USERNAME, bench.PASSWORD)
            async with AsyncRegistry(self.url, auth=auth, transport=transport) as registry:
                await registry.resolve(refs[0])
                await _gather(self.concurrency, refs, registry.resolve)

        asyncio.run(run())

    def bare_httpx_sync(self, refs: Sequence[str]) -> None:
        """httpx.Client without harborsec."""
        with httpx.Client() as client:
            for ref in refs:
                repository, tag = _split(ref)
                url = f"{self.url}/v2/{repository}/manifests/{tag}"
                assert client.head(url, headers=self.headers).status_code == 200

    def harborsec_sync(self, refs: Sequence[str]) -> None:
        """harborsec's Registry.resolve (warmed up)."""
        with Registry(self.url, auth=(bench.USERNAME, bench.PASSWORD)) as registry:
            registry.resolve(refs[0])
            for ref in refs:
                registry.resolve(ref)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, then profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resolutions", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--top", type=int, default=15, help="functions to list per profile")
    args = parser.parse_args(argv)
    tags = [f"1.{i}" for i in range(100)]
    refs = [f"{bench.REPOSITORY}:{tags[i % len(tags)]}" for i in range(args.resolutions)]
    with (
        tempfile.TemporaryDirectory(prefix="harborsec-profile-") as tmp,
        bench.environment(Path(tmp), 20.0, tags) as (_emulator, endpoints, _digest),
    ):
        endpoint = endpoints[0]
        run = Runner(endpoint, bench.fetch_token(endpoint), args.concurrency)
        print(
            f"{len(refs)} HEAD manifest requests on loopback, async concurrency {run.concurrency}:"
        )
        for _ in range(2):  # the second round is the steadier one; both are printed
            run.timed("bare aiohttp", refs, lambda: run.bare_aiohttp(refs))
            run.timed(
                "bare httpx.AsyncClient, httpx-aiohttp transport",
                refs,
                lambda: run.bare_httpx_async(refs, AiohttpTransport()),
            )
            run.timed(
                "harborsec AsyncRegistry (aiohttp, default)",
                refs,
                lambda: run.harborsec_async(refs, None),
            )
            run.timed(
                "bare httpx.AsyncClient, httpx pool",
                refs,
                lambda: run.bare_httpx_async(refs, httpx.AsyncHTTPTransport()),
            )
            run.timed(
                "harborsec AsyncRegistry (httpx pool)",
                refs,
                lambda: run.harborsec_async(refs, httpx.AsyncHTTPTransport()),
            )
            run.timed("bare httpx.Client (sync)", refs, lambda: run.bare_httpx_sync(refs))
            run.timed("harborsec Registry (sync)", refs, lambda: run.harborsec_sync(refs))
            print()
        for name, work in (
            ("harborsec AsyncRegistry (aiohttp, default)", lambda: run.harborsec_async(refs, None)),
            ("harborsec Registry (sync)", lambda: run.harborsec_sync(refs)),
        ):
            profiler = cProfile.Profile()
            profiler.runcall(work)
            print(f"cProfile of {name}, {len(refs)} resolutions:")
            print("\n".join(layer_report(pstats.Stats(profiler), args.top)))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
