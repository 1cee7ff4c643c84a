"""Subcommands (being written): see `register`."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to `harborsec`."""
