"""What mypy infers for the facades: `Policy.plan` is typed for both clients, without `Any`."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[1]

SNIPPET = """
from harborsec import AsyncRegistry, Registry
from harborsec.policy import Policy


def sync(registry: Registry) -> None:
    reveal_type(Policy(auto_scan=True).plan(registry.project("team")))
    reveal_type(registry.project("team").allowlist)
    reveal_type(registry.project("team").config().severity)
    reveal_type(registry.project("team").config().prevent_vulnerable)
    reveal_type(registry.scan_all.set_schedule("DAILY").cron)


async def asynchronous(registry: AsyncRegistry) -> None:
    reveal_type(await Policy(auto_scan=True).plan(registry.project("team")))
    reveal_type(await Policy(auto_scan=True).aplan(registry.project("team")))
    reveal_type(registry.project("team").immutability)
    reveal_type(await registry.project("team").update_config(auto_scan=True))
"""


def test_plan_and_children_are_typed_for_both_clients(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(textwrap.dedent(SNIPPET))
    out, err, _ = api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"), str(path)]
    )
    revealed = [
        line.split("Revealed type is ")[1].replace('"builtins.', '"')  # older mypy's names
        for line in out.splitlines()
        if "Revealed" in line
    ]
    assert revealed == [
        '"harborsec._facades._sync._plan.Plan"',
        '"harborsec._facades._sync._allowlists.ProjectAllowlist"',
        '"harborsec.harbor._severity.Severity"',
        '"bool"',
        '"str"',
        '"harborsec._facades._async._plan.AsyncPlan"',
        '"harborsec._facades._async._plan.AsyncPlan"',
        '"harborsec._facades._async._immutability.AsyncImmutabilityRules"',
        '"harborsec.harbor._config.ProjectConfig"',
    ], out + err
    assert "error:" not in out, out
