"""Every sync facade is the generated twin of its async facade: one generic check for all pairs.

Pairs are found by name among the exports of `harborsec` (`X` and `AsyncX`). For each pair the
public members, the signatures (annotations mapped from async to sync names), the docstrings
(mapped by the generator's own substitutions) and the coroutine-ness must agree. No list of
methods is kept by hand: a method added to an async facade is checked as soon as it exists.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

import harborsec
from harborsec import _facades

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    spec = importlib.util.spec_from_file_location("unasync", ROOT / "scripts" / "unasync.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("unasync", module)
    spec.loader.exec_module(module)
    return module


UNASYNC = _load_generator()


def to_sync(text: str) -> str:
    """What the generator makes of a piece of async source text."""
    return UNASYNC.unasync_text(text, set())


def facade_pairs() -> list[tuple[type, type]]:
    names = set(harborsec.__all__)
    return [
        (getattr(harborsec, name[len("Async") :]), getattr(harborsec, name))
        for name in sorted(names)
        if name.startswith("Async") and name[len("Async") :] in names
    ]


PAIRS = facade_pairs()
IDS = [sync.__name__ for sync, _ in PAIRS]


def public_members(cls: type) -> dict[str, object]:
    members = {}
    for klass in reversed(cls.__mro__[:-1]):  # object's members aside
        members.update(vars(klass))
    return {name: member for name, member in members.items() if not name.startswith("_")}


def test_every_facade_is_exported_in_a_pair():
    facade_classes = set()
    for package in ("_sync", "_async"):
        for path in (Path(_facades.__file__).parent / package).glob("_*.py"):
            if path.name == "__init__.py":
                continue
            module = importlib.import_module(f"harborsec._facades.{package}.{path.stem}")
            facade_classes |= {getattr(module, name) for name in module.__all__}
    paired = {cls for pair in PAIRS for cls in pair}
    assert facade_classes == paired
    assert len(PAIRS) >= 8


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=IDS)
def test_same_public_members(sync, async_):
    assert {to_sync(name) for name in public_members(async_)} == set(public_members(sync))


def _signature_text(function) -> list[tuple[str, object, object, str]]:
    signature = inspect.signature(function)
    return [
        (p.name, p.kind, p.default, str(p.annotation)) for p in signature.parameters.values()
    ] + [("return", None, None, str(signature.return_annotation))]


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=IDS)
def test_same_signatures_docstrings_and_kinds(sync, async_):
    sync_members = public_members(sync)
    for name, member in public_members(async_).items():
        twin = sync_members[to_sync(name)]
        where = f"{async_.__name__}.{name}"
        if isinstance(member, property):
            assert isinstance(twin, property), where
            member, twin = member.fget, twin.fget
        assert inspect.getdoc(member), f"{where} has no docstring"
        assert to_sync(inspect.getdoc(member)) == inspect.getdoc(twin), where
        expected = [
            (n, kind, default, to_sync(annotation))
            for n, kind, default, annotation in _signature_text(member)
        ]
        assert _signature_text(twin) == expected, where
        assert not inspect.iscoroutinefunction(twin), f"{sync.__name__}.{name} is a coroutine"
    init = [(n, k, d, to_sync(a)) for n, k, d, a in _signature_text(async_.__init__)]
    assert _signature_text(sync.__init__) == init


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=IDS)
def test_async_methods_that_run_operations_are_coroutines(sync, async_):
    """An async method that runs an operation is a coroutine (or an async context manager).

    A plain `def` in an async facade may only build objects (a child facade, a pager); were it
    to call the runner, it would return an un-awaited coroutine.
    """
    for name, member in public_members(async_).items():
        if isinstance(member, property) or inspect.iscoroutinefunction(member):
            continue
        wrapped = getattr(member, "__wrapped__", None)
        if wrapped is not None and inspect.isasyncgenfunction(wrapped):
            continue  # @asynccontextmanager
        source = inspect.getsource(member)
        assert not re.search(r"_runner\.run\(|\bawait\b", source), f"{async_.__name__}.{name}"


def test_the_check_can_fail():
    """The signature check sees a swapped pair of keywords and a changed default."""

    class AsyncThing:
        async def update(self, *, public: bool | None = None, auto_scan: bool | None = None):
            """Doc."""

    class Thing:
        def update(self, *, auto_scan: bool | None = None, public: bool | None = None):
            """Doc."""

    class OtherThing:
        def update(self, *, public: bool | None = False, auto_scan: bool | None = None):
            """Doc."""

    expected = _signature_text(AsyncThing.update)
    assert _signature_text(Thing.update) != expected
    assert _signature_text(OtherThing.update) != expected
