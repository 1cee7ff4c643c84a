"""Client cost per digest resolution in CPU instructions, counted by valgrind (callgrind).

Run from the project root::

    python benchmarks/client_instructions.py [--resolutions 500] [--clients aiohttp,async,sync]

Rates measured on a shared 2-core machine move by 10 to 30 % from one run to the next, and the
registry shares the cores with the client. An instruction count does not move: callgrind counts
the instructions a process executes, whatever else the machine does. So this script measures
each client's own cost per resolution that way, against the loopback registry of
``digest_resolution.py`` (same setup: Distribution with token auth, the emulator's token service).

Each client runs in a child process under ``valgrind --tool=callgrind``, twice: once with only
its warm-up (creating the client, fetching the token, one resolution), once with the warm-up and
then N more resolutions (async clients: 32 at a time). The difference divided by N is the cost of
one resolution, with start-up and imports taken out. The clients:

* aiohttp alone (a reference, not a tool: HEAD with the bearer token set by hand);
* harborsec ``AsyncRegistry.resolve``, default transport (aiohttp) and httpx's own pool;
* harborsec ``Registry.resolve`` (sync);
* oras-py, a HEAD per tag through its authenticated session, as in ``digest_resolution.py``.

Needs ``valgrind``, ``docker-registry`` and ``skopeo`` (for the shared set-up) on PATH, and
``pip install -e '.[bench]'``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import digest_resolution as bench
import httpx

from harborsec import AsyncRegistry, Registry

__all__ = ["main"]

CLIENTS = {
    "aiohttp": "reference: aiohttp alone (no harborsec)",
    "async": "harborsec AsyncRegistry, aiohttp (default)",
    "async-httpx": "harborsec AsyncRegistry, httpx pool",
    "sync": "harborsec Registry (sync)",
    "oras": "oras-py (HEAD per tag)",
}
CONCURRENCY = 32
_COLLECTED = re.compile(r"Collected : (\d+)")


# -- the child: one client, N resolutions ---------------------------------------------------------


def _child(client: str, endpoint: dict[str, str], count: int) -> None:
    refs = [f"{bench.REPOSITORY}:1.{i % 500}" for i in range(count + 1)]
    if client == "sync":
        with Registry(endpoint["url"], auth=(bench.USERNAME, bench.PASSWORD)) as registry:
            for ref in refs:
                registry.resolve(ref)
        return
    if client == "oras":
        oras = bench.OrasContender(endpoint["host"])
        oras.open(refs[0])
        oras.resolve_all(refs[1:], 0)
        oras.close()
        return
    if client == "aiohttp":
        reference = bench.AiohttpContender(_endpoint(endpoint), [CONCURRENCY])
        reference.open(refs[0])
        reference.resolve_all(refs[1:], CONCURRENCY)
        reference.close()
        return

    async def run() -> None:
        transport = httpx.AsyncHTTPTransport() if client == "async-httpx" else None
        auth = (bench.USERNAME, bench.PASSWORD)
        async with AsyncRegistry(endpoint["url"], auth=auth, transport=transport) as registry:
            await registry.resolve(refs[0])
            semaphore = asyncio.Semaphore(CONCURRENCY)

            async def one(ref: str) -> str:
                async with semaphore:
                    return await registry.resolve(ref)

            await asyncio.gather(*(one(ref) for ref in refs[1:]))

    asyncio.run(run())


def _endpoint(fields: dict[str, str]) -> bench.Endpoint:
    # Only `host` and `token_host` are used by the contenders; no registry process here.
    return bench.Endpoint("loopback", fields["host"], None, fields["token_host"])  # type: ignore[arg-type]


# -- the parent: set up, count, report ------------------------------------------------------------


def count_instructions(client: str, endpoint: dict[str, str], count: int) -> int:
    """Instructions the child process executes for `client` with `count` resolutions."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        client,
        "--endpoint",
        json.dumps(endpoint),
        "--resolutions",
        str(count),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    match = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise bench.BenchmarkError(f"{client} under callgrind failed:\n{done.stderr[-3000:]}")
    return int(match.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    """Count, then print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resolutions", type=int, default=500)
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated subset")
    parser.add_argument("--child", choices=sorted(CLIENTS), help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, json.loads(args.endpoint), args.resolutions)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind not found: apt-get install valgrind", file=sys.stderr)
        return 1
    clients = [name for name in args.clients.split(",") if name]
    tags = [f"1.{i}" for i in range(500)]
    counts: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="harborsec-instructions-") as tmp,
        bench.environment(Path(tmp), 0.0, tags) as (_emulator, endpoints, _digest),
    ):
        loopback = endpoints[0]
        endpoint = {"url": loopback.url, "host": loopback.host, "token_host": loopback.token_host}
        for client in clients:
            base = count_instructions(client, endpoint, 0)
            total = count_instructions(client, endpoint, args.resolutions)
            counts[client] = (total - base) / args.resolutions
            print(f"  {CLIENTS[client]}: {counts[client]:,.0f}", file=sys.stderr, flush=True)
    print(f"Instructions per resolution (callgrind, {args.resolutions} resolutions, loopback):\n")
    print("| client | instructions per resolution | relative to aiohttp alone |")
    print("| --- | ---: | ---: |")
    floor = counts.get("aiohttp")
    for client, value in counts.items():
        relative = f"{value / floor:.2f}x" if floor else "n/a"
        print(f"| {CLIENTS[client]} | {value:,.0f} | {relative} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
