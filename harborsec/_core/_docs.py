"""Docstring sharing between sync and async twins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["same_doc"]

F = TypeVar("F", bound=Callable[..., Any])


def same_doc(sync_method: Callable[..., Any]) -> Callable[[F], F]:
    """Give an async twin the docstring of its sync method at run time.

    The twin's own (static) docstring links to the sync method; that is what static
    documentation tools show.
    """

    def decorate(method: F) -> F:
        method.__doc__ = sync_method.__doc__
        return method

    return decorate
