"""Subcommands for policy as code.

harborsec policy plan FILE --project NAME [--check] [--json]
harborsec policy apply FILE --project NAME [--yes] [--json]
harborsec policy recommended [--format yaml|toml|json]

`apply` asks before changing anything when standard input is a terminal; otherwise (CI, pipes,
`--password-stdin`) it never waits for an answer: without `--yes` it refuses, with exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from harborsec._facades._sync._plan import Plan
from harborsec.cli._common import add_connection_options, connect, print_json
from harborsec.harbor import ImmutabilityRule, Severity
from harborsec.policy import Change, Policy
from harborsec.policy._policy import FORMATS

__all__ = ["register"]

EXIT_OK = 0
EXIT_FAILURE = 1


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `policy plan`, `policy apply` and `policy recommended` to `harborsec`."""
    policy = commands.add_parser(
        "policy",
        help="policy as code: compare a project with a policy file, apply it",
        description="A policy file (YAML, TOML or JSON) states a project's wanted security "
        "settings; `plan` shows what differs, `apply` changes it.",
    )
    actions = policy.add_subparsers(dest="action", metavar="ACTION", required=True)

    plan = actions.add_parser(
        "plan",
        help="show the changes a policy would make to a project (changes nothing)",
        description="Compare a project with a policy file and print the differences, one per "
        "line: + added, - removed, ~ changed.",
    )
    plan.add_argument("file", help="the policy file (.yaml, .yml, .toml or .json)")
    plan.add_argument("--project", required=True, metavar="NAME", help="the project")
    plan.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the project does not match the policy (for CI drift checks)",
    )
    plan.add_argument("--json", action="store_true", help="print JSON")
    add_connection_options(plan)
    plan.set_defaults(handler=_plan)

    apply = actions.add_parser(
        "apply",
        help="change a project to match a policy",
        description="Plan, show the changes, and make them. Asks first when standard input is "
        "a terminal; otherwise needs --yes (it never waits for an answer).",
    )
    apply.add_argument("file", help="the policy file (.yaml, .yml, .toml or .json)")
    apply.add_argument("--project", required=True, metavar="NAME", help="the project")
    apply.add_argument("-y", "--yes", action="store_true", help="apply without asking")
    apply.add_argument("--json", action="store_true", help="print JSON")
    add_connection_options(apply)
    apply.set_defaults(handler=_apply)

    recommended = actions.add_parser(
        "recommended",
        help="print the recommended policy (a starting point for a policy file)",
        description="Print Policy.recommended(): scan and generate SBOMs on push, block pulls "
        "at high severity and above, require cosign signatures, semver tags immutable.",
    )
    recommended.add_argument(
        "--format", choices=FORMATS, default="yaml", help="the file format (default: yaml)"
    )
    recommended.set_defaults(handler=_recommended)


# -- output ------------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A change's before/after value as JSON data."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, Severity):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, ImmutabilityRule):
        return {
            "id": value.id,
            "repositories": value.repositories,
            "tags": value.tags,
            "exclude_repositories": value.exclude_repositories,
            "exclude_tags": value.exclude_tags,
            "disabled": value.disabled,
        }
    uuid, name = getattr(value, "uuid", None), getattr(value, "name", None)
    if uuid is not None:  # a scanner
        return {"uuid": uuid, "name": name}
    return str(value)


def _change_dict(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind.value,
        "field": change.field,
        "before": _value(change.before),
        "after": _value(change.after),
        "text": str(change),
    }


def _plan_dict(plan: Plan, **extra: Any) -> dict[str, Any]:
    return {
        "project": plan.project,
        "changes": [_change_dict(c) for c in plan.changes],
        **extra,
    }


def _print_plan(plan: Plan, out: TextIO) -> None:
    if plan.empty:
        print(f"No changes: project {plan.project} matches the policy.", file=out)
        return
    count = len(plan.changes)
    print(f"Project {plan.project}: {count} change{'s' if count != 1 else ''}", file=out)
    print(plan.diff(), file=out)


# -- handlers ----------------------------------------------------------------------------------


def _load(path: str) -> Policy | None:
    try:
        return Policy.load(path)
    except OSError as exc:
        print(f"harborsec: error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def _plan(args: argparse.Namespace, out: TextIO) -> int:
    policy = _load(args.file)
    if policy is None:
        return EXIT_FAILURE
    with connect(args) as registry:
        plan = policy.plan(registry.project(args.project))
    if args.json:
        print_json(_plan_dict(plan), out)
    else:
        _print_plan(plan, out)
    return EXIT_FAILURE if args.check and not plan.empty else EXIT_OK


def _confirm(plan: Plan, out: TextIO) -> bool:
    out.write(f"Apply these changes to project {plan.project}? [y/N] ")
    out.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _apply(args: argparse.Namespace, out: TextIO) -> int:
    policy = _load(args.file)
    if policy is None:
        return EXIT_FAILURE
    with connect(args) as registry:
        project = registry.project(args.project)
        plan = policy.plan(project)
        if plan.empty:
            if args.json:
                print_json(_plan_dict(plan, applied=False), out)
            else:
                _print_plan(plan, out)
            return EXIT_OK
        if not args.json:
            _print_plan(plan, out)
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    "harborsec: error: not applied: standard input is not a terminal, so "
                    "nothing can be confirmed; pass --yes to apply",
                    file=sys.stderr,
                )
                return EXIT_FAILURE
            if not _confirm(plan, out):
                print("Not applied.", file=out)
                return EXIT_FAILURE
        plan.apply()
        left = policy.plan(project)
    if args.json:
        print_json(_plan_dict(plan, applied=True, remaining=_plan_dict(left)["changes"]), out)
    elif left.empty:
        print(f"Applied: project {plan.project} matches the policy.", file=out)
    else:
        print("Applied, but the project still differs from the policy:", file=out)
        print(left.diff(), file=out)
    return EXIT_OK if left.empty else EXIT_FAILURE


def _recommended(args: argparse.Namespace, out: TextIO) -> int:
    out.write(Policy.recommended().dumps(args.format))
    return EXIT_OK
