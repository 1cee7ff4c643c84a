"""What the CLI's subcommands share: connection options, output, and the command protocol."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from harborsec._client import Registry
from harborsec._core._http import NOT_GIVEN

__all__ = ["Handler", "add_connection_options", "connect", "print_json", "read_password"]

Handler = Callable[[argparse.Namespace, TextIO], int]
"""A subcommand: parsed arguments and the output stream in, exit code out."""


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add `--url`, `--username`, `--password-stdin` and `--insecure` to a Harbor subcommand."""
    group = parser.add_argument_group("connection")
    group.add_argument("--url", help="the Harbor URL (default: $HARBOR_URL)")
    group.add_argument(
        "--username",
        help="user or robot account (default: $HARBOR_USERNAME, then docker's config)",
    )
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: $HARBOR_PASSWORD)",
    )
    group.add_argument(
        "--insecure", action="store_true", help="skip TLS verification (test instances only)"
    )


def read_password(args: argparse.Namespace) -> str | None:
    """The password from standard input (with --password-stdin), else None."""
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    return None


def connect(args: argparse.Namespace) -> Registry:
    """A `Registry` for the connection options (environment and docker config as fallbacks)."""
    password = read_password(args)
    username = args.username or (
        os.environ.get("HARBOR_USERNAME") if password is not None else None
    )
    if password is not None and not username:
        raise ValueError("--password-stdin needs --username (or HARBOR_USERNAME)")
    if username and password is None:
        password = os.environ.get("HARBOR_PASSWORD")
        if password is None and sys.stdin.isatty():
            password = getpass.getpass(f"Password for {username}: ")
    if username and password is None:
        raise ValueError(f"no password for {username}: use --password-stdin or HARBOR_PASSWORD")
    auth: Any = (username, password) if username else NOT_GIVEN
    if not (args.url or os.environ.get("HARBOR_URL", "").strip()):
        raise ValueError("no Harbor URL: pass --url https://harbor.example.com or set HARBOR_URL")
    return Registry(args.url, auth=auth, insecure=args.insecure)


def print_json(data: Any, out: TextIO) -> None:
    """Print JSON, indented, keys in the order given."""
    print(json.dumps(data, indent=2, default=str), file=out)
