"""Soak: mixed operations through a fault-injecting proxy, then the final state checked.

Run as ``python benchmarks/soak.py --ops 10000 --fault-rate 0.2 --seed 1`` (both clients, one
after the other; ``--client sync`` or ``async`` for one). ``tests/testing/test_soak.py`` runs the
same code at CI size.

Each run starts a `HarborEmulator` (with Trivy) on a socket, a `FaultProxy` in front of it with
`Faults.spread(fault_rate)` (every kind of fault equally likely: 5xx, 429, resets before and after
forwarding, truncated bodies, slow answers, dropped tokens), and a `Registry` or `AsyncRegistry`
with retries on, talking to the proxy. It then performs `ops` operations drawn from a seeded
generator: create projects, change their settings, add and remove CVE ids, create and delete
immutability rules, set and read the project scanner, list scanners, and resolve, fetch and list
an image pushed beforehand; every 50 operations the emulator expires all its tokens.

A write that fails with a typed error is completed as a user would: the same call again
(settings, allowlists, the scanner: they say what the result must be), and for the writes that
are not idempotent, a look first (after a failed project creation, does it exist? after a failed
rule creation, is the rule there?), then the call again if it did not happen. A read that fails
is not repeated; one that answers must answer right.

Then, read straight from the emulator (in process, not through the proxy), the state must be
the one intended: the projects, their settings, allowlists, rules and scanner. From the
emulator's record of requests (`HarborEmulator.requests`, with each call's `X-Request-Id`):
a POST or PATCH must not reach the server twice for one call. Every failure must be a
`HarborsecError`; any other exception is kept with its traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import inspect
import json
import os
import platform
import random
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from harborsec import (
    AsyncRegistry,
    ConflictError,
    HarborsecError,
    ImmutabilityRule,
    NotFoundError,
    Registry,
    RetryPolicy,
)
from harborsec.testing import FaultProxy, Faults, HarborEmulator

__all__ = ["SoakReport", "main", "run_soak"]

ADMIN = ("admin", "Harbor12345")
REPOSITORY = "library/app"
TAGS = ("v1", "v2", "v3")
CVES = tuple(f"CVE-2024-{1000 + n}" for n in range(24))
SEVERITIES = ("low", "medium", "high", "critical")
MAX_ATTEMPTS = 60  # a user's repeats of one write; each attempt has the client's own retries
EXPIRE_EVERY = 50
NOT_IDEMPOTENT = frozenset({"POST", "PATCH"})


@attrs.define
class SoakReport:
    """What a soak run saw."""

    client: str
    ops: int
    fault_rate: float
    seed: int
    elapsed: float = 0.0
    requests: int = 0
    """Requests that reached the emulator."""
    faults: dict[str, int] = attrs.field(factory=dict)
    """Faults the proxy injected, by kind."""
    failures: collections.Counter[str] = attrs.field(factory=collections.Counter)
    """Typed errors raised by the client, by class name."""
    failure_log: list[str] = attrs.field(factory=list)
    """Each typed error: the operation, the class and the message."""
    repeats: int = 0
    """Writes a user had to make again after a typed error."""
    untyped: list[str] = attrs.field(factory=list)
    """Tracebacks of exceptions that were not `HarborsecError`s."""
    wrong_answers: list[str] = attrs.field(factory=list)
    """Reads that answered something else than the truth."""
    state_mismatches: list[str] = attrs.field(factory=list)
    """Differences between the intended final state and the emulator's."""
    resent_writes: list[str] = attrs.field(factory=list)
    """POSTs and PATCHes that reached the emulator more than once for one call."""
    applied_twice: list[str] = attrs.field(factory=list)
    """Writes of any method answered 2xx more than once for one call (idempotent ones may)."""
    gave_up: list[str] = attrs.field(factory=list)
    """Writes still failing after `MAX_ATTEMPTS` repeats."""

    @property
    def ok(self) -> bool:
        """No untyped error, no wrong answer, the intended state, no POST or PATCH resent."""
        return not (
            self.untyped
            or self.wrong_answers
            or self.state_mismatches
            or self.resent_writes
            or self.gave_up
        )

    def summary(self) -> dict[str, Any]:
        """The report as plain data (for JSON output)."""
        return {
            "client": self.client,
            "ops": self.ops,
            "fault_rate": self.fault_rate,
            "seed": self.seed,
            "elapsed_s": round(self.elapsed, 2),
            "ops_per_s": round(self.ops / self.elapsed, 1) if self.elapsed else None,
            "requests": self.requests,
            "faults": self.faults,
            "typed_failures": dict(sorted(self.failures.items())),
            "repeats": self.repeats,
            "untyped": len(self.untyped),
            "wrong_answers": len(self.wrong_answers),
            "state_mismatches": len(self.state_mismatches),
            "resent_writes": len(self.resent_writes),
            "applied_twice": len(self.applied_twice),
            "gave_up": len(self.gave_up),
            "ok": self.ok,
        }


@attrs.define
class _ProjectModel:
    config: dict[str, Any] = attrs.field(factory=dict)
    cves: set[str] = attrs.field(factory=set)
    rules: dict[str, int] = attrs.field(factory=dict)  # repositories pattern -> rule id
    scanner: str | None = None


async def _call(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _push_image(harbor: HarborEmulator) -> dict[str, str]:
    """Push `library/app` with `TAGS`, in process; return the digest of each tag."""
    digests = {}
    with Registry("http://harbor.test", auth=ADMIN, transport=harbor.transport()) as registry:
        for tag in TAGS:
            config = registry.push_blob(
                REPOSITORY,
                json.dumps({"tag": tag}).encode(),
                media_type="application/vnd.oci.image.config.v1+json",
            )
            layer = registry.push_blob(REPOSITORY, f"layer {tag}".encode())
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": config.media_type,
                    "digest": config.digest,
                    "size": config.size,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer.digest,
                        "size": layer.size,
                    }
                ],
            }
            digests[tag] = registry.push_manifest(
                REPOSITORY,
                json.dumps(manifest).encode(),
                media_type="application/vnd.oci.image.manifest.v1+json",
                tag=tag,
            )
    return digests


class _Soak:
    def __init__(self, registry: Any, harbor: HarborEmulator, report: SoakReport, seed: int):
        self.registry = registry
        self.harbor = harbor
        self.report = report
        self.random = random.Random(seed)
        self.projects: dict[str, _ProjectModel] = {}
        self.digests: dict[str, str] = {}
        self.trivy: str = ""
        self.rule_counter = 0

    # -- the user's loop around one write ---------------------------------------------------

    async def _attempt(self, what: str, action: Callable[[], Any]) -> tuple[bool, Any]:
        """One try: (True, result), or (False, error) after a typed error (kept)."""
        try:
            return True, await _call(action())
        except HarborsecError as error:
            self.report.failures[type(error).__name__] += 1
            self.report.failure_log.append(f"{what}: {type(error).__name__}: {error}")
            return False, error
        except Exception as error:
            self.report.untyped.append(f"{what}: {traceback.format_exc()}")
            return False, error

    async def _until(
        self,
        what: str,
        action: Callable[[], Any],
        *,
        done_on: tuple[type[HarborsecError], ...] = (),
        check: Callable[[], Awaitable[bool]] | None = None,
    ) -> Any:
        """Make a write happen: try, and after a failure look (`check`) or try again."""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self.report.repeats += 1
                if check is not None and await check():
                    return None
            ok, result = await self._attempt(what, action)
            if ok or isinstance(result, done_on):
                return result
        self.report.gave_up.append(what)
        return None

    async def _read(self, what: str, action: Callable[[], Any]) -> Any:
        """A read a user needs (repeated until it answers)."""
        for _ in range(MAX_ATTEMPTS):
            ok, result = await self._attempt(what, action)
            if ok:
                return result
        self.report.gave_up.append(what)
        raise RuntimeError(f"{what}: no answer after {MAX_ATTEMPTS} tries")

    # -- operations ---------------------------------------------------------------------------

    def _project(self) -> tuple[str, _ProjectModel] | None:
        if not self.projects:
            return None
        name = self.random.choice(sorted(self.projects))
        return name, self.projects[name]

    async def create_project(self) -> None:
        name = f"soak-{len(self.projects):04d}"

        async def created() -> bool:  # read until it answers: found, or not found

            ok, result = await self._attempt(
                f"info {name}", lambda: self.registry.project(name).info()
            )
            while not ok and not isinstance(result, NotFoundError):
                ok, result = await self._attempt(
                    f"info {name}", lambda: self.registry.project(name).info()
                )
            return ok

        await self._until(
            f"create {name}",
            lambda: self.registry.create_project(name),
            done_on=(ConflictError,),  # an earlier attempt applied
            check=created,
        )
        self.projects[name] = _ProjectModel()

    async def update_config(self) -> None:
        found = self._project()
        if found is None:
            return
        name, model = found
        changes = {
            "prevent_vulnerable": self.random.choice([True, False]),
            "severity": self.random.choice(SEVERITIES),
            "auto_scan": self.random.choice([True, False]),
        }
        project = self.registry.project(name)
        await self._until(f"config {name}", lambda: project.update_config(**changes))
        model.config.update(changes)

    async def allowlist_add(self) -> None:
        found = self._project()
        if found is None:
            return
        name, model = found
        cve = self.random.choice(CVES)
        project = self.registry.project(name)
        await self._until(f"allow {cve} in {name}", lambda: project.allowlist.add(cve))
        model.cves.add(cve)

    async def allowlist_remove(self) -> None:
        found = self._project()
        if found is None:
            return
        name, model = found
        cve = self.random.choice(sorted(model.cves) or list(CVES))
        project = self.registry.project(name)
        await self._until(f"disallow {cve} in {name}", lambda: project.allowlist.remove(cve))
        model.cves.discard(cve)

    async def _find_rule(self, name: str, repositories: str) -> int | None:
        rules = await self._read(
            f"rules of {name}", lambda: self.registry.project(name).immutability.list()
        )
        for rule in rules:
            if rule.repositories == repositories:
                return int(rule.id)
        return None

    async def rule_create(self) -> None:
        found = self._project()
        if found is None:
            return
        name, model = found
        self.rule_counter += 1
        repositories = f"r{self.rule_counter}/**"
        rule = ImmutabilityRule(repositories=repositories, tags="v*")
        rules = self.registry.project(name).immutability

        async def there() -> bool:
            return await self._find_rule(name, repositories) is not None

        await self._until(
            f"rule {repositories} in {name}",
            lambda: rules.create(rule),
            done_on=(ConflictError,),
            check=there,
        )
        rule_id = await self._find_rule(name, repositories)
        if rule_id is None:
            self.report.state_mismatches.append(f"rule {repositories} of {name} not created")
            return
        model.rules[repositories] = rule_id

    async def rule_delete(self) -> None:
        found = self._project()
        if found is None or not found[1].rules:
            return
        name, model = found
        repositories = self.random.choice(sorted(model.rules))
        rule_id = model.rules.pop(repositories)
        rules = self.registry.project(name).immutability
        await self._until(
            f"delete rule {rule_id} of {name}",
            lambda: rules.delete(rule_id),
            done_on=(NotFoundError,),  # an earlier attempt applied
        )

    async def scanner_set(self) -> None:
        found = self._project()
        if found is None:
            return
        name, model = found
        scanner = self.registry.project(name).scanner
        await self._until(f"scanner of {name}", lambda: scanner.set(self.trivy))
        model.scanner = self.trivy

    async def scanner_reads(self) -> None:
        ok, scanners = await self._attempt("scanners", lambda: self.registry.scanners.list())
        if ok and [s.uuid for s in scanners] != [self.trivy]:
            self.report.wrong_answers.append(f"scanners: {scanners!r}")
        found = self._project()
        if found is not None:
            project = self.registry.project(found[0])
            ok, scanner = await self._attempt("project scanner", lambda: project.scanner.get())
            if ok and (scanner is None or scanner.uuid != self.trivy):
                self.report.wrong_answers.append(f"project scanner of {found[0]}: {scanner!r}")

    async def resolve(self) -> None:
        tag = self.random.choice(TAGS)
        ok, digest = await self._attempt(
            f"resolve {tag}", lambda: self.registry.resolve(f"{REPOSITORY}:{tag}")
        )
        if ok and digest != self.digests[tag]:
            self.report.wrong_answers.append(f"resolve {tag}: {digest}")

    async def get_manifest(self) -> None:
        tag = self.random.choice(TAGS)
        ok, manifest = await self._attempt(
            f"manifest {tag}", lambda: self.registry.get_manifest(f"{REPOSITORY}:{tag}")
        )
        if ok and manifest.digest != self.digests[tag]:
            self.report.wrong_answers.append(f"manifest {tag}: {manifest.digest}")

    async def list_tags(self) -> None:
        ok, tags = await self._attempt("tags", lambda: self.registry.list_tags(REPOSITORY))
        if ok and sorted(tags) != sorted(TAGS):
            self.report.wrong_answers.append(f"tags: {tags!r}")

    # -- the run ------------------------------------------------------------------------------

    async def run(self, ops: int) -> None:
        weighted = [
            (self.create_project, 2),
            (self.update_config, 2),
            (self.allowlist_add, 3),
            (self.allowlist_remove, 2),
            (self.rule_create, 2),
            (self.rule_delete, 1),
            (self.scanner_set, 1),
            (self.scanner_reads, 1),
            (self.resolve, 2),
            (self.get_manifest, 1),
            (self.list_tags, 1),
        ]
        choices = [op for op, weight in weighted for _ in range(weight)]
        await self.create_project()
        for number in range(1, ops):
            if number % EXPIRE_EVERY == 0:
                self.harbor.expire_tokens()
            await self.random.choice(choices)()


def _check_state(soak: _Soak, harbor: HarborEmulator, report: SoakReport) -> None:
    """Compare the intended state with the emulator's, read in process (no proxy, no faults)."""
    with Registry("http://harbor.test", auth=ADMIN, transport=harbor.transport()) as direct:
        names = {p.name for p in direct.projects() if p.name.startswith("soak-")}
        if names != set(soak.projects):
            report.state_mismatches.append(f"projects {sorted(names ^ set(soak.projects))}")
        for name, model in sorted(soak.projects.items()):
            if name not in names:
                continue
            project = direct.project(name)
            config = project.config()
            for key, value in model.config.items():
                actual = getattr(config, key)
                actual = getattr(actual, "value", actual)
                if actual != value:
                    report.state_mismatches.append(f"{name} {key}: {actual!r} != {value!r}")
            cves = set(project.allowlist.get().items)
            if cves != model.cves:
                report.state_mismatches.append(f"{name} allowlist: {cves} != {model.cves}")
            rules = {rule.repositories: rule.id for rule in project.immutability.list()}
            if rules != model.rules:
                report.state_mismatches.append(f"{name} rules: {rules} != {model.rules}")
            scanner = project.scanner.get()
            if model.scanner is not None and (scanner is None or scanner.uuid != model.scanner):
                report.state_mismatches.append(f"{name} scanner: {scanner!r}")


def _check_writes(harbor: HarborEmulator, report: SoakReport) -> None:
    """From the emulator's record: writes sent or applied more than once for one call."""
    sent: collections.Counter[tuple[str, str, str]] = collections.Counter()
    applied: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for request in harbor.requests:
        if request.method in ("GET", "HEAD"):
            continue
        key = (request.request_id, request.method, request.path)
        sent[key] += 1
        if 200 <= request.status < 300:
            applied[key] += 1
    for key, count in sorted(sent.items()):
        if count > 1 and key[1] in NOT_IDEMPOTENT:
            report.resent_writes.append(f"{key[1]} {key[2]} sent {count} times (id {key[0]})")
    for key, count in sorted(applied.items()):
        if count > 1:
            report.applied_twice.append(f"{key[1]} {key[2]} applied {count} times (id {key[0]})")


async def run_soak(
    client: str,
    ops: int,
    *,
    fault_rate: float = 0.2,
    seed: int = 1,
    slow_seconds: float = 0.05,
) -> SoakReport:
    """Run one soak (see the module's docstring) and return what it saw.

    Args:
        client: `sync` (`Registry`) or `async` (`AsyncRegistry`).
        ops: How many operations.
        fault_rate: The probability that a request meets a fault.
        seed: Seeds the workload and the proxy.
        slow_seconds: How long a slow answer is held.
    """
    report = SoakReport(client=client, ops=ops, fault_rate=fault_rate, seed=seed)
    harbor = HarborEmulator(trivy=True)
    digests = _push_image(harbor)
    harbor.requests.clear()
    faults = Faults.spread(fault_rate, retry_after=0, slow_seconds=slow_seconds)
    retries = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05, max_retry_after=1.0)
    started = time.perf_counter()
    with harbor.serve() as upstream:
        proxy = FaultProxy(upstream, faults, seed=seed)
        with proxy.serve() as url:
            cls = Registry if client == "sync" else AsyncRegistry
            registry: Any = cls(url, auth=ADMIN, retries=retries, timeout=10.0)
            try:
                soak = _Soak(registry, harbor, report, seed)
                soak.digests = digests
                trivy = await soak._read("scanners", lambda: registry.scanners.list())
                soak.trivy = trivy[0].uuid
                await soak.run(ops)
            finally:
                await _call(registry.aclose() if client == "async" else registry.close())
        report.faults = proxy.counts
    report.elapsed = time.perf_counter() - started
    report.requests = len(harbor.requests)
    _check_writes(harbor, report)
    _check_state(soak, harbor, report)
    return report


def main(argv: list[str] | None = None) -> int:
    """The command line: run the soak, print one JSON summary per client."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=10_000, help="operations per client")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="faults per request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--client", choices=["sync", "async", "both"], default="both")
    parser.add_argument("--slow-seconds", type=float, default=0.05)
    parser.add_argument("--details", action="store_true", help="print every problem found")
    args = parser.parse_args(argv)
    clients = ["sync", "async"] if args.client == "both" else [args.client]
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "system": platform.platform(),
            }
        )
    )
    ok = True
    for client in clients:
        report = asyncio.run(
            run_soak(
                client,
                args.ops,
                fault_rate=args.fault_rate,
                seed=args.seed,
                slow_seconds=args.slow_seconds,
            )
        )
        print(json.dumps(report.summary()))
        if args.details or not report.ok:
            fields = ["untyped", "wrong_answers", "state_mismatches", "resent_writes", "gave_up"]
            if args.details:
                fields += ["applied_twice", "failure_log"]
            for field in fields:
                for line in getattr(report, field)[:50]:
                    print(f"{field}: {line}", file=sys.stderr)
        ok = ok and report.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
