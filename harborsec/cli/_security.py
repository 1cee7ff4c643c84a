"""Subcommands for tag immutability, scanners and the scan-all schedule.

harborsec immutability list --project NAME [--json]
harborsec immutability add --project NAME [--repositories PATTERN] [--tags PATTERN] ...
harborsec immutability enable|disable|delete --project NAME ID
harborsec immutability check --project NAME REPOSITORY TAG   (exit 0: immutable, 1: not)
harborsec scanners list [--json]
harborsec scanners register NAME URL [--auth TYPE --credential-env VAR] ...
harborsec scanners ping URL [--auth TYPE --credential-env VAR]
harborsec scanners default|delete SCANNER
harborsec scanners set-project --project NAME SCANNER
harborsec schedule show [--json]
harborsec schedule set none|hourly|daily|weekly|custom [--cron CRON]
harborsec schedule run|stop
harborsec schedule metrics [--scheduled] [--json]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any, TextIO

from harborsec._client import Registry
from harborsec.cli._common import add_connection_options, connect, print_json
from harborsec.errors import NotFoundError
from harborsec.harbor import (
    MAX_RULES,
    ImmutabilityRule,
    ScanAllMetrics,
    Scanner,
    ScannerAuth,
    ScanSchedule,
    ScheduleType,
)

__all__ = ["register"]

_AUTH_CHOICES = ("none", "basic", "bearer", "apikey")
_SCHEDULE_CHOICES = ("none", "hourly", "daily", "weekly", "custom")


def _leaf(
    verbs: argparse._SubParsersAction[Any], name: str, text: str, *, json: bool = False
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(
        name, help=text, description=text[:1].upper() + text[1:] + "."
    )
    add_connection_options(parser)
    if json:
        parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `immutability`, `scanners` and `schedule` to `harborsec`."""
    _register_immutability(commands)
    _register_scanners(commands)
    _register_schedule(commands)


def _register_immutability(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "immutability",
        help="list, add, enable, disable, delete or check tag immutability rules",
        description="Tag immutability rules of a project. Patterns are doublestar globs, as "
        "Harbor evaluates them: {a,b} alternatives, * within a path segment, ** across "
        "segments; repository patterns do not include the project.",
    )
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = _leaf(verbs, "list", "list the rules of a project", json=True)
    listing.set_defaults(handler=_immutability_list)

    add = _leaf(verbs, "add", "validate and add a rule", json=True)
    add.add_argument(
        "--repositories", default="**", metavar="PATTERN", help="repositories (default: **)"
    )
    add.add_argument("--tags", default="**", metavar="PATTERN", help="tags (default: **)")
    add.add_argument(
        "--exclude-repositories",
        action="store_true",
        help="select the repositories that do NOT match",
    )
    add.add_argument(
        "--exclude-tags", action="store_true", help="select the tags that do NOT match"
    )
    add.add_argument("--disabled", action="store_true", help="add it disabled")
    add.add_argument(
        "--no-limit",
        action="store_true",
        help=f"allow more than the {MAX_RULES} rules Harbor's UI allows",
    )
    add.set_defaults(handler=_immutability_add)

    for verb, text in (
        ("enable", "enable a rule"),
        ("disable", "disable a rule, keeping it"),
        ("delete", "delete a rule"),
    ):
        sub = _leaf(verbs, verb, text)
        sub.add_argument("rule_id", type=int, metavar="ID", help="the rule's id (see list)")
        sub.set_defaults(handler=_immutability_change)

    check = _leaf(
        verbs,
        "check",
        "tell whether the project's rules make a tag immutable (exit 0: immutable, 1: not)",
        json=True,
    )
    check.add_argument("repository", help="the repository, with or without the project")
    check.add_argument("tag", help="the tag")
    check.set_defaults(handler=_immutability_check)
    for sub in (listing, add, check, *(verbs.choices[v] for v in ("enable", "disable", "delete"))):
        sub.add_argument("--project", required=True, metavar="NAME", help="the project")


def _credential_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--auth",
        choices=_AUTH_CHOICES,
        default="none",
        help="how Harbor authenticates to the adapter (default: none)",
    )
    parser.add_argument(
        "--credential-env",
        metavar="VAR",
        help="read the credential from this environment variable (Basic: user:password; "
        "Bearer: the token; APIKey: the key)",
    )


def _register_scanners(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "scanners",
        help="list, register, ping, delete scanners; pick the default or a project's scanner",
        description="Scanner registrations (Harbor's Interrogation Services).",
    )
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = _leaf(verbs, "list", "list the scanner registrations", json=True)
    listing.set_defaults(handler=_scanners_list)

    add = _leaf(verbs, "register", "register a scanner adapter (Harbor pings it)", json=True)
    add.add_argument("name", help="a unique name (Trivy is reserved)")
    add.add_argument(
        "adapter_url", metavar="URL", help="the adapter's base URL, http:// or https://"
    )
    _credential_options(add)
    add.add_argument("--description", default="", help="free text")
    add.add_argument(
        "--skip-cert-verify", action="store_true", help="do not verify the adapter's TLS"
    )
    add.add_argument(
        "--use-internal-address",
        action="store_true",
        help="the adapter pulls through Harbor's internal address",
    )
    add.add_argument("--disabled", action="store_true", help="register it disabled")
    add.set_defaults(handler=_scanners_register)

    ping = _leaf(verbs, "ping", "check that Harbor can reach an adapter (nothing is saved)")
    ping.add_argument("adapter_url", metavar="URL", help="the adapter's base URL")
    _credential_options(ping)
    ping.set_defaults(handler=_scanners_ping)

    default = _leaf(verbs, "default", "make a scanner the system default")
    default.add_argument("scanner", help="its name or UUID")
    default.set_defaults(handler=_scanners_default)

    delete = _leaf(verbs, "delete", "delete a scanner registration")
    delete.add_argument("scanner", help="its name or UUID")
    delete.set_defaults(handler=_scanners_delete)

    project = _leaf(verbs, "set-project", "make a project use a scanner (project admin)")
    project.add_argument("--project", required=True, metavar="NAME", help="the project")
    project.add_argument("scanner", help="its name or UUID")
    project.set_defaults(handler=_scanners_set_project)


def _register_schedule(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "schedule",
        help="show, set, run, stop the scan-all job or show its metrics",
        description="Harbor's scan-all job (system admin; needs a default scanner).",
    )
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = _leaf(verbs, "show", "show the scan-all schedule", json=True)
    show.set_defaults(handler=_schedule_show)

    change = _leaf(verbs, "set", "create, replace or remove the scan-all schedule", json=True)
    change.add_argument(
        "type",
        choices=_SCHEDULE_CHOICES,
        help="none removes it; hourly, daily and weekly use the UI's crons unless --cron",
    )
    change.add_argument(
        "--cron",
        help="6 fields, seconds first and 0: '0 30 2 * * *' is 02:30 every day",
    )
    change.set_defaults(handler=_schedule_set)

    run = _leaf(verbs, "run", "scan every artifact now")
    run.set_defaults(handler=_schedule_run)

    stop = _leaf(verbs, "stop", "stop the running scan-all")
    stop.set_defaults(handler=_schedule_stop)

    metrics = _leaf(verbs, "metrics", "progress of the latest scan-all run", json=True)
    metrics.add_argument(
        "--scheduled", action="store_true", help="the latest scheduled run instead"
    )
    metrics.set_defaults(handler=_schedule_metrics)


# -- output ----------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)


def _rule_dict(rule: ImmutabilityRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "repositories": rule.repositories,
        "tags": rule.tags,
        "exclude_repositories": rule.exclude_repositories,
        "exclude_tags": rule.exclude_tags,
        "disabled": rule.disabled,
        "priority": rule.priority,
        "problem": rule.problem,
    }


def _selector(pattern: str, exclude: bool) -> str:
    return f"excluding {pattern}" if exclude else pattern


def _describe(rule: ImmutabilityRule) -> str:
    return (
        f"rule {rule.id}: repositories {_selector(rule.repositories, rule.exclude_repositories)},"
        f" tags {_selector(rule.tags, rule.exclude_tags)}"
    )


def _scanner_dict(scanner: Scanner) -> dict[str, Any]:
    return {
        "uuid": scanner.uuid,
        "name": scanner.name,
        "url": scanner.url,
        "description": scanner.description,
        "auth": scanner.auth.value,
        "skip_cert_verify": scanner.skip_cert_verify,
        "use_internal_address": scanner.use_internal_address,
        "disabled": scanner.disabled,
        "is_default": scanner.is_default,
        "health": scanner.health,
        "adapter": scanner.adapter,
        "vendor": scanner.vendor,
        "version": scanner.version,
        "capabilities": dict(scanner.capabilities),
    }


def _schedule_dict(schedule: ScanSchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "type": schedule.type.value,
        "cron": schedule.cron,
        "next_run": schedule.next_run.isoformat() if schedule.next_run else None,
    }


def _print_schedule(schedule: ScanSchedule | None, out: TextIO) -> None:
    if schedule is None or schedule.type is ScheduleType.NONE:
        print("no scan-all schedule", file=out)
        return
    line = f"{schedule.type.value}: {schedule.cron}"
    if schedule.next_run:
        line += f" (next run {schedule.next_run.isoformat()})"
    print(line, file=out)


def _metrics_dict(metrics: ScanAllMetrics) -> dict[str, Any]:
    return {
        "total": metrics.total,
        "completed": metrics.completed,
        "metrics": dict(metrics.metrics),
        "ongoing": metrics.ongoing,
        "trigger": metrics.trigger,
    }


def _credential(args: argparse.Namespace) -> str | None:
    if not args.credential_env:
        return None
    value = os.environ.get(args.credential_env)
    if value is None:
        raise ValueError(f"the environment variable {args.credential_env} is not set")
    return value


def _find_scanner(registry: Registry, wanted: str) -> Scanner:
    scanners = registry.scanners.list()
    for scanner in scanners:
        if wanted in (scanner.uuid, scanner.name):
            return scanner
    names = ", ".join(s.name for s in scanners) or "none"
    raise NotFoundError(
        f"no scanner named or with UUID {wanted!r} (registered: {names})",
        status_code=404,
        method="GET",
        url=str(registry.url),
    )


# -- handlers: immutability ------------------------------------------------------------------------


def _immutability_list(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        rules = registry.project(args.project).immutability.list()
    if args.json:
        print_json([_rule_dict(rule) for rule in rules], out)
        return 0
    if not rules:
        print(f"project {args.project} has no immutability rules", file=out)
        return 0
    rows = [
        (
            str(rule.id),
            "disabled" if rule.disabled else "enabled",
            _selector(rule.repositories, rule.exclude_repositories),
            _selector(rule.tags, rule.exclude_tags),
            rule.problem or "",
        )
        for rule in rules
    ]
    _table(("ID", "STATUS", "REPOSITORIES", "TAGS", "PROBLEM"), rows, out)
    return 0


def _immutability_add(args: argparse.Namespace, out: TextIO) -> int:
    rule = ImmutabilityRule(
        repositories=args.repositories,
        tags=args.tags,
        exclude_repositories=args.exclude_repositories,
        exclude_tags=args.exclude_tags,
        disabled=args.disabled,
    )
    with connect(args) as registry:
        rules = registry.project(args.project).immutability
        created = rules.create(rule, enforce_limit=not args.no_limit)
    if args.json:
        print_json(_rule_dict(created), out)
    else:
        print(f"added {_describe(created)}", file=out)
    return 0


def _immutability_change(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        rules = registry.project(args.project).immutability
        if args.action == "enable":
            rules.enable(args.rule_id)
        elif args.action == "disable":
            rules.disable(args.rule_id)
        else:
            rules.delete(args.rule_id)
    past = {"enable": "enabled", "disable": "disabled", "delete": "deleted"}[args.action]
    print(f"{past} rule {args.rule_id} of project {args.project}", file=out)
    return 0


def _immutability_check(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        rules = registry.project(args.project).immutability.list()
    prefix = f"{args.project}/"
    repository = args.repository.removeprefix(prefix)
    matching = next((rule for rule in rules if rule.matches(repository, args.tag)), None)
    if args.json:
        print_json(
            {
                "project": args.project,
                "repository": repository,
                "tag": args.tag,
                "immutable": matching is not None,
                "rule": _rule_dict(matching) if matching else None,
            },
            out,
        )
    elif matching is not None:
        print(f"{prefix}{repository}:{args.tag} is immutable ({_describe(matching)})", file=out)
    else:
        print(f"{prefix}{repository}:{args.tag} is not immutable", file=out)
    return 0 if matching is not None else 1


# -- handlers: scanners ----------------------------------------------------------------------------


def _scanners_list(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        scanners = registry.scanners.list()
    if args.json:
        print_json([_scanner_dict(s) for s in scanners], out)
        return 0
    if not scanners:
        print("no scanners registered", file=out)
        return 0
    rows = [
        (
            s.name,
            s.uuid,
            s.url,
            "yes" if s.is_default else "",
            "disabled" if s.disabled else "enabled",
            s.health or "",
        )
        for s in scanners
    ]
    _table(("NAME", "UUID", "URL", "DEFAULT", "STATUS", "HEALTH"), rows, out)
    return 0


def _scanners_register(args: argparse.Namespace, out: TextIO) -> int:
    credential = _credential(args)
    with connect(args) as registry:
        scanner = registry.scanners.register(
            args.name,
            args.adapter_url,
            auth=ScannerAuth.parse(args.auth),
            credential=credential,
            description=args.description,
            skip_cert_verify=args.skip_cert_verify,
            use_internal_address=args.use_internal_address,
            disabled=args.disabled,
        )
    if args.json:
        print_json(_scanner_dict(scanner), out)
    else:
        default = " (the default scanner)" if scanner.is_default else ""
        print(f"registered scanner {scanner.name} {scanner.uuid}{default}", file=out)
    return 0


def _scanners_ping(args: argparse.Namespace, out: TextIO) -> int:
    credential = _credential(args)
    with connect(args) as registry:
        registry.scanners.ping(
            args.adapter_url, auth=ScannerAuth.parse(args.auth), credential=credential
        )
    print(f"Harbor reached the scanner adapter at {args.adapter_url}", file=out)
    return 0


def _scanners_default(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        scanner = _find_scanner(registry, args.scanner)
        registry.scanners.set_default(scanner.uuid)
    print(f"{scanner.name} is now the default scanner", file=out)
    return 0


def _scanners_delete(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        scanner = _find_scanner(registry, args.scanner)
        registry.scanners.delete(scanner.uuid)
    print(f"deleted scanner {scanner.name} {scanner.uuid}", file=out)
    return 0


def _scanners_set_project(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        project_scanner = registry.project(args.project).scanner
        project_scanner.set(args.scanner)
        scanner = project_scanner.get()
    name = scanner.name if scanner else args.scanner
    print(f"project {args.project} now uses scanner {name}", file=out)
    return 0


# -- handlers: scan all ----------------------------------------------------------------------------


def _schedule_show(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        schedule = registry.scan_all.schedule()
    if args.json:
        print_json(_schedule_dict(schedule), out)
    else:
        _print_schedule(schedule, out)
    return 0


def _schedule_set(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        schedule = registry.scan_all.set_schedule(args.type, args.cron)
    if args.json:
        print_json(_schedule_dict(schedule), out)
    else:
        _print_schedule(schedule, out)
    return 0


def _schedule_run(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        registry.scan_all.run()
    print("scan-all started", file=out)
    return 0


def _schedule_stop(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        registry.scan_all.stop()
    print("scan-all stopped", file=out)
    return 0


def _schedule_metrics(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        scan_all = registry.scan_all
        metrics = scan_all.schedule_metrics() if args.scheduled else scan_all.metrics()
    if args.json:
        print_json(_metrics_dict(metrics), out)
        return 0
    state = "running" if metrics.ongoing else "finished"
    trigger = f", started by {metrics.trigger}" if metrics.trigger else ""
    print(f"{metrics.completed}/{metrics.total} scans done ({state}{trigger})", file=out)
    for status, count in sorted(metrics.metrics.items()):
        print(f"  {status + ':':<10}{count}", file=out)
    return 0
