"""The soak at CI size: mixed operations through `FaultProxy` at 20 % faults, sync and async.

The code is `benchmarks/soak.py` (its docstring says what is done and checked); the full run
(10,000 operations per client) is in `docs/performance.md`. Here: a few hundred operations per
client; the run must end in the intended state, with no POST or PATCH sent twice for one call,
every failure a `HarborsecError`, and every read that answered right.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"
OPS = 150


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("harborsec_benchmark_soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs classes need their module registered
    spec.loader.exec_module(module)
    return module


soak = _soak_module()


@pytest.mark.parametrize("client", ["sync", "async"])
def test_soak_at_20_percent_faults(client: str) -> None:
    report = asyncio.run(soak.run_soak(client, OPS, fault_rate=0.2, seed=7, slow_seconds=0.02))
    found = (report.untyped, report.wrong_answers, report.state_mismatches, report.resent_writes)
    problems = "\n".join(line for lines in (*found, report.gave_up) for line in lines)
    assert report.ok, f"{report.summary()}\n{problems}"
    # The run did meet faults, and the client did surface some as typed errors.
    assert sum(report.faults.values()) - report.faults["passed"] >= OPS * 0.2
    assert all(report.faults[kind] > 0 for kind in ("server_error", "reset_after", "truncate"))
    assert report.failures
    assert report.repeats > 0


def test_soak_reports_what_is_not_typed() -> None:
    """The collector: an exception that is not a HarborsecError is kept, with its traceback."""
    report = soak.SoakReport(client="sync", ops=0, fault_rate=0.0, seed=0)
    runner = soak._Soak(registry=None, harbor=None, report=report, seed=0)

    def boom() -> None:
        raise KeyError("not typed")

    ok, error = asyncio.run(runner._attempt("boom", boom))
    assert not ok and isinstance(error, KeyError)
    assert "KeyError: 'not typed'" in report.untyped[0]
    assert not report.ok


@pytest.mark.parametrize("client", ["sync", "async"])
@pytest.mark.parametrize(
    ("fault", "applied"), [("reset_after", [201]), ("reset_before", []), ("server_error", [])]
)
def test_a_post_is_never_sent_twice(client: str, fault: str, applied: list[int]) -> None:
    """Every try of the POST meets the fault: the client sends it once, and raises a typed error.

    After a reset the client cannot know whether the server acted (here: after `reset_after`
    it did, after `reset_before` it did not); a 5xx from a gateway says nothing either.
    """
    from harborsec import AsyncRegistry, HarborsecError, Registry, RetryPolicy
    from harborsec.testing import FaultProxy, Faults, HarborEmulator

    async def scenario() -> None:
        harbor = HarborEmulator()
        with harbor.serve() as upstream:
            proxy = FaultProxy(upstream, Faults(**{fault: 1.0}))
            with proxy.serve() as url:
                cls: Any = Registry if client == "sync" else AsyncRegistry
                registry = cls(url, auth=soak.ADMIN, retries=RetryPolicy(retries=3, backoff=0))
                try:
                    with pytest.raises(HarborsecError):
                        await soak._call(registry.create_project("once"))
                finally:
                    await soak._call(registry.aclose() if client == "async" else registry.close())
        assert sum(proxy.counts.values()) == 1  # one request left the client
        assert [r.status for r in harbor.requests if r.method == "POST"] == applied

    asyncio.run(scenario())
