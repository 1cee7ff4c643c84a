"""Argument parsing and the subcommands of `harborsec`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from harborsec._version import __version__
from harborsec.cli._common import Handler
from harborsec.errors import HarborsecError

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
"""Success."""
EXIT_FAILURE = 1
"""An error, or a check that failed."""
EXIT_USAGE = 2
"""The command line was wrong."""
EXIT_BROKEN_PIPE = 141
"""The reader of the output went away (`harborsec projects | head -1`), as for a shell's SIGPIPE."""

_COMMAND_MODULES = (
    "harborsec.cli._projects",
    "harborsec.cli._security",
    "harborsec.cli._policy",
)
"""Modules that add subcommands: each has `register(commands)`, setting `handler` defaults."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `harborsec` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="harborsec",
        description="Supply-chain security for Harbor and any OCI registry.",
        epilog="Exit codes: 0 success, 1 failure, 2 usage error, 141 output closed early.",
    )
    parser.add_argument("--version", action="version", version=f"harborsec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    digest = commands.add_parser(
        "digest",
        help="print the digest of an image (like crane digest)",
        description="Resolve an image reference, or a local OCI layout (oci:PATH[:TAG]), to its "
        "manifest digest. Credentials come from HARBOR_USERNAME/HARBOR_PASSWORD or docker's "
        "config.",
    )
    digest.add_argument(
        "reference", help="e.g. harbor.example.com/project/app:1.0 or oci:./dir:tag"
    )
    digest.add_argument("--platform", help="pick a platform from an index, e.g. linux/arm64/v8")
    digest.add_argument(
        "--insecure",
        action="store_true",
        help="skip TLS verification and allow plain HTTP (test registries only)",
    )
    digest.set_defaults(handler=_digest)

    demo = commands.add_parser(
        "demo",
        help="run the main workflow on the embedded Harbor emulator",
        description="Start the Harbor emulator on 127.0.0.1, push a small multi-platform image "
        "with the SDK, and resolve it by tag and by platform. Nothing to set up.",
    )
    demo.add_argument("--quiet", action="store_true", help="print only the final summary")
    demo.set_defaults(handler=_demo)

    emulator = commands.add_parser(
        "emulator",
        help="serve the Harbor emulator on 127.0.0.1 until interrupted",
        description="Serve the Harbor emulator (OCI registry, token service, /api/v2.0) for "
        "skopeo, docker-like clients and tests. Administrator: admin / Harbor12345.",
    )
    emulator.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--storage", help="directory to keep content in (default: memory)")
    emulator.add_argument(
        "--admin-password", default="Harbor12345", help="the admin password (default Harbor12345)"
    )
    emulator.set_defaults(handler=_emulator)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run `harborsec` with these arguments; return the exit code.

    When the output's reader goes away early (`harborsec projects | head -1`), the command stops
    quietly with `EXIT_BROKEN_PIPE` (141), as commands killed by SIGPIPE do, with no traceback.
    """
    out = stdout or sys.stdout
    try:
        return _main(argv, out)
    except BrokenPipeError:
        _silence(out)
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None, out: TextIO) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args, out)
    except HarborsecError as exc:
        print(f"harborsec: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except ValueError as exc:
        print(f"harborsec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _silence(out: TextIO) -> None:
    """After a broken pipe: send what is left of `out` nowhere, so exiting does not fail again.

    Python flushes `sys.stdout` at exit; its buffer still holds output for the closed pipe.
    """
    if out is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (a replaced sys.stdout): nothing to do
        pass


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    from harborsec.cli._demo import run_demo

    return run_demo(out, quiet=args.quiet)


def _digest(args: argparse.Namespace, out: TextIO) -> int:
    from harborsec._client import resolve_digest

    print(resolve_digest(args.reference, platform=args.platform, insecure=args.insecure), file=out)
    return EXIT_OK


def _emulator(args: argparse.Namespace, out: TextIO) -> int:
    import threading

    from harborsec.testing import HarborEmulator

    emulator = HarborEmulator(admin_password=args.admin_password, storage_dir=args.storage)
    with emulator.serve(host=args.host, port=args.port) as url:
        print(f"Harbor emulator listening on {url} (admin / {'*' * 8}); Ctrl-C to stop", file=out)
        out.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", file=out)
    return EXIT_OK
