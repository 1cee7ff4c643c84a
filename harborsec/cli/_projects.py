"""Subcommands for projects, their settings, CVE allowlists and `whoami`.

harborsec whoami [--json]
harborsec projects [--name TEXT] [--public | --private] [--json]
harborsec project show NAME [--json]
harborsec project create NAME [--public] [--storage-limit BYTES]
harborsec project delete NAME
harborsec project set NAME [--prevent-vulnerable SEVERITY|off] [--auto-scan on|off] ...
harborsec allowlist show|add|remove|replace|expire (--project NAME | --system) ...
"""

from __future__ import annotations

import argparse
from datetime import datetime, time, timezone
from typing import Any, TextIO

from harborsec._core._http import NOT_GIVEN
from harborsec.cli._common import add_connection_options, connect, print_json
from harborsec.harbor import CveAllowlist, ProjectConfig, ProjectInfo, Severity

__all__ = ["register"]

_SWITCHES = (
    ("--public", "public", "anyone, even anonymous, may pull"),
    ("--auto-scan", "auto_scan", "scan for vulnerabilities on push"),
    ("--auto-sbom", "auto_sbom_generation", "generate an SBOM on push"),
    ("--cosign-required", "cosign_required", "block pulls without a cosign signature"),
    ("--notation-required", "notation_required", "block pulls without a Notation signature"),
    (
        "--reuse-system-allowlist",
        "reuse_system_allowlist",
        "apply the system CVE allowlist instead of the project's own",
    ),
)


def _on_off(text: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, not {text!r}")


def _threshold(text: str) -> Severity | None:
    """`off`, or a severity (`on` is refused: say which)."""
    if text.strip().lower() in ("off", "false", "no"):
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected off or a severity (none, low, medium, high, critical), not {text!r}"
        ) from None


def _expiry(text: str) -> datetime | None:
    """`never`, a date (midnight UTC) or an ISO 8601 time (UTC when it has no offset)."""
    if text.strip().lower() in ("never", "none"):
        return None
    value = text.strip().replace("Z", "+00:00")
    try:
        if len(value) == 10:
            return datetime.combine(
                datetime.strptime(value, "%Y-%m-%d").date(), time(), tzinfo=timezone.utc
            )
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected never, YYYY-MM-DD or an ISO 8601 time, not {text!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `whoami`, `projects`, `project` and `allowlist` to `harborsec`."""
    me = commands.add_parser(
        "whoami",
        help="check the credentials: who Harbor sees, with which system permissions",
        description="Harbor treats bad credentials as anonymous; this fails (exit 1) instead.",
    )
    add_connection_options(me)
    me.add_argument("--json", action="store_true", help="print JSON")
    me.set_defaults(handler=_whoami)

    listing = commands.add_parser("projects", help="list projects")
    add_connection_options(listing)
    listing.add_argument("--name", help="only projects whose name contains this")
    listing.add_argument("-q", "--query", help="a Harbor query, such as name=~team")
    visibility = listing.add_mutually_exclusive_group()
    visibility.add_argument("--public", action="store_true", help="only public projects")
    visibility.add_argument("--private", action="store_true", help="only private projects")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_projects)

    project = commands.add_parser("project", help="show, create, delete or configure a project")
    actions = project.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="show a project's settings and allowlist")
    show.add_argument("name", help="the project")
    add_connection_options(show)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)

    create = actions.add_parser("create", help="create a project")
    create.add_argument("name", help="the new project's name")
    add_connection_options(create)
    create.add_argument("--public", action="store_true", help="anyone may pull")
    create.add_argument(
        "--storage-limit", type=int, help="quota in bytes (-1: unlimited; default: Harbor's)"
    )
    create.set_defaults(handler=_create)

    delete = actions.add_parser("delete", help="delete an empty project")
    delete.add_argument("name", help="the project")
    add_connection_options(delete)
    delete.set_defaults(handler=_delete)

    change = actions.add_parser(
        "set",
        help="change security settings (others stay as they are)",
        description="Change some settings of a project; those not given stay as they are.",
    )
    change.add_argument("name", help="the project")
    add_connection_options(change)
    change.add_argument(
        "--prevent-vulnerable",
        metavar="SEVERITY|off",
        type=_threshold,
        default=NOT_GIVEN,
        help="block pulls of artifacts with findings at or above this severity (none, low, "
        "medium, high, critical), or off",
    )
    for flag, dest, text in _SWITCHES:
        change.add_argument(flag, dest=dest, metavar="on|off", type=_on_off, help=text)
    change.add_argument("--json", action="store_true", help="print the new settings as JSON")
    change.set_defaults(handler=_set)

    allowlist = commands.add_parser("allowlist", help="show or edit a CVE allowlist")
    verbs = allowlist.add_subparsers(dest="action", metavar="ACTION", required=True)
    specs: list[tuple[str, str]] = [
        ("show", "show the list (for a project: which list is in force)"),
        ("add", "add vulnerability ids"),
        ("remove", "remove vulnerability ids"),
        ("replace", "replace the whole list (no ids: clear it)"),
        ("expire", "set when the list stops applying"),
    ]
    for verb, text in specs:
        sub = verbs.add_parser(verb, help=text, description=text[:1].upper() + text[1:] + ".")
        target = sub.add_mutually_exclusive_group(required=True)
        target.add_argument("--project", metavar="NAME", help="a project's own list")
        target.add_argument("--system", action="store_true", help="the system list")
        if verb in ("add", "remove"):
            sub.add_argument("ids", nargs="+", metavar="ID", help="e.g. CVE-2024-3094")
        elif verb == "replace":
            sub.add_argument("ids", nargs="*", metavar="ID", help="e.g. CVE-2024-3094")
            sub.add_argument(
                "--expires",
                type=_expiry,
                default=NOT_GIVEN,
                metavar="WHEN",
                help="never, YYYY-MM-DD or an ISO 8601 time (UTC unless given); "
                "default: keep the current expiry",
            )
        elif verb == "expire":
            sub.add_argument(
                "when",
                type=_expiry,
                help="never, YYYY-MM-DD or an ISO 8601 time (UTC unless given)",
            )
        if verb != "show":
            sub.add_argument(
                "--keep-source",
                action="store_true",
                help="for a project: do not switch it to its own list (by default an edit "
                "makes the project's list the one in force)",
            )
        add_connection_options(sub)
        sub.add_argument("--json", action="store_true", help="print JSON")
        sub.set_defaults(handler=_allowlist)


# -- output ----------------------------------------------------------------------------------------


def _on(value: bool | None) -> str:
    return "on" if value else "off"


def _config_dict(config: ProjectConfig) -> dict[str, Any]:
    return {
        "public": config.public,
        "auto_scan": config.auto_scan,
        "auto_sbom_generation": config.auto_sbom_generation,
        "prevent_vulnerable": config.prevent_vulnerable,
        "severity": config.severity.value if config.severity else None,
        "cosign_required": config.cosign_required,
        "notation_required": config.notation_required,
        "reuse_system_allowlist": config.reuse_system_allowlist,
    }


def _allowlist_dict(allowlist: CveAllowlist) -> dict[str, Any]:
    expires = allowlist.expires_at
    return {
        "items": list(allowlist.items),
        "expires_at": expires.isoformat() if expires else None,
        "expired": allowlist.is_expired(),
    }


def _project_dict(info: ProjectInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "project_id": info.project_id,
        "owner_name": info.owner_name,
        "repo_count": info.repo_count,
        "creation_time": info.creation_time.isoformat() if info.creation_time else None,
        "update_time": info.update_time.isoformat() if info.update_time else None,
        "config": _config_dict(info.config),
        "metadata": dict(info.metadata),
        "allowlist": _allowlist_dict(info.allowlist),
    }


def _prevent(config: ProjectConfig) -> str:
    if not config.prevent_vulnerable:
        return "off"
    return f"{config.severity.value} and above"


def _print_config(config: ProjectConfig, out: TextIO) -> None:
    rows = [
        ("public", _on(config.public)),
        ("prevent vulnerable", _prevent(config)),
        ("auto scan", _on(config.auto_scan)),
        ("auto SBOM", _on(config.auto_sbom_generation)),
        ("cosign required", _on(config.cosign_required)),
        ("notation required", _on(config.notation_required)),
        ("CVE allowlist", "system" if config.reuse_system_allowlist else "project"),
    ]
    for label, value in rows:
        print(f"  {label + ':':<20}{value}", file=out)


def _print_allowlist(allowlist: CveAllowlist, out: TextIO, indent: str = "") -> None:
    expires = allowlist.expires_at
    if expires is None:
        when = "never expires"
    else:
        when = ("expired " if allowlist.is_expired() else "expires ") + expires.isoformat()
    print(f"{indent}{len(allowlist.items)} id(s), {when}", file=out)
    for item in allowlist.items:
        print(f"{indent}  {item}", file=out)


# -- handlers --------------------------------------------------------------------------------------


def _whoami(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        identity = registry.whoami()
    if args.json:
        print_json(
            {
                "username": identity.username,
                "robot": identity.robot,
                "permissions": [
                    {"resource": p.resource, "action": p.action} for p in identity.permissions
                ],
            },
            out,
        )
        return 0
    kind = "robot account" if identity.robot else "user"
    print(f"{identity.username} ({kind}) on {str(registry.url).rstrip('/')}", file=out)
    if identity.permissions:
        print("system permissions:", file=out)
        for permission in identity.permissions:
            print(f"  {permission.resource}: {permission.action}", file=out)
    return 0


def _projects(args: argparse.Namespace, out: TextIO) -> int:
    public = True if args.public else False if args.private else None
    with connect(args) as registry:
        projects = registry.projects(name=args.name, q=args.query, public=public).all()
    if args.json:
        print_json([_project_dict(p) for p in projects], out)
        return 0
    header = ("NAME", "PUBLIC", "REPOS", "PREVENT VULNERABLE", "COSIGN", "AUTO SCAN")
    rows = [
        (
            p.name,
            _on(p.config.public),
            str(p.repo_count),
            _prevent(p.config),
            _on(p.config.cosign_required),
            _on(p.config.auto_scan),
        )
        for p in projects
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=out)
    return 0


def _show(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        info = registry.project(args.name).info()
    if args.json:
        print_json(_project_dict(info), out)
        return 0
    print(f"project {info.name} (id {info.project_id}, owner {info.owner_name}, "
          f"{info.repo_count} repositories)", file=out)  # fmt: skip
    _print_config(info.config, out)
    source = "not in force" if info.config.reuse_system_allowlist else "in force"
    print(f"  own CVE allowlist ({source}):", file=out)
    _print_allowlist(info.allowlist, out, indent="    ")
    return 0


def _create(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        registry.create_project(args.name, public=args.public, storage_limit=args.storage_limit)
    print(f"created project {args.name}", file=out)
    return 0


def _delete(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as registry:
        registry.delete_project(args.name)
    print(f"deleted project {args.name}", file=out)
    return 0


def _set(args: argparse.Namespace, out: TextIO) -> int:
    changes: dict[str, Any] = {dest: getattr(args, dest) for _, dest, _ in _SWITCHES}
    threshold = args.prevent_vulnerable
    if threshold is not NOT_GIVEN:
        changes["prevent_vulnerable"] = threshold is not None
        if threshold is not None:
            changes["severity"] = threshold
    if all(value is None for value in changes.values()):
        raise ValueError("nothing to change: give at least one setting (see --help)")
    with connect(args) as registry:
        config = registry.project(args.name).update_config(**changes)
    if args.json:
        print_json(_config_dict(config), out)
        return 0
    print(f"project {args.name}:", file=out)
    _print_config(config, out)
    return 0


def _allowlist(args: argparse.Namespace, out: TextIO) -> int:
    action = args.action
    use = not getattr(args, "keep_source", False)
    with connect(args) as registry:
        if args.system:
            system = registry.system_allowlist
            if action == "show":
                result = system.get()
            elif action == "add":
                result = system.add(*args.ids)
            elif action == "remove":
                result = system.remove(*args.ids)
            elif action == "replace":
                result = system.replace(args.ids, expires_at=args.expires)
            else:
                result = system.set_expiry(args.when)
            source = "system"
        else:
            own = registry.project(args.project).allowlist
            if action == "show":
                effective = own.effective()
                mine = effective.allowlist if effective.source == "project" else own.get()
                return _show_project_allowlist(args, out, mine, effective.source, effective)
            if action == "add":
                result = own.add(*args.ids, use=use)
            elif action == "remove":
                result = own.remove(*args.ids, use=use)
            elif action == "replace":
                result = own.replace(args.ids, expires_at=args.expires, use=use)
            else:
                result = own.set_expiry(args.when, use=use)
            source = "project"
    if args.json:
        print_json({"list": source, **_allowlist_dict(result)}, out)
        return 0
    label = "system allowlist" if source == "system" else f"allowlist of {args.project}"
    print(f"{label}:", file=out)
    _print_allowlist(result, out, indent="  ")
    return 0


def _show_project_allowlist(
    args: argparse.Namespace, out: TextIO, own: CveAllowlist, source: str, effective: Any
) -> int:
    if args.json:
        print_json(
            {
                "in_force": source,
                "project": _allowlist_dict(own),
                "effective": _allowlist_dict(effective.allowlist),
            },
            out,
        )
        return 0
    print(f"in force for {args.project}: the {source} allowlist", file=out)
    print("project allowlist:", file=out)
    _print_allowlist(own, out, indent="  ")
    if source == "system":
        print("system allowlist:", file=out)
        _print_allowlist(effective.allowlist, out, indent="  ")
    return 0
