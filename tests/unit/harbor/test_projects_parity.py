"""The project facades and their async twins: same methods, signatures and docstrings."""

import inspect

import pytest

from harborsec.harbor import _projects

PAIRS = [
    (_projects.Project, _projects.AsyncProject),
    (_projects.ProjectAllowlist, _projects.AsyncProjectAllowlist),
    (_projects.SystemAllowlist, _projects.AsyncSystemAllowlist),
]


def members(cls):
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    }


@pytest.mark.parametrize(("sync", "async_"), PAIRS)
def test_twins_have_the_same_members(sync, async_):
    assert set(members(sync)) == set(members(async_))


@pytest.mark.parametrize(("sync", "async_"), PAIRS)
def test_twins_have_the_same_signatures_and_docstrings(sync, async_):
    sync_members, async_members = members(sync), members(async_)
    for name, method in sync_members.items():
        twin = async_members[name]
        if isinstance(method, property):
            assert isinstance(twin, property), name
            assert inspect.getdoc(method) and inspect.getdoc(method) == inspect.getdoc(twin), name
            continue
        sync_sig, async_sig = inspect.signature(method), inspect.signature(twin)
        assert list(sync_sig.parameters) == list(async_sig.parameters), name
        for param in sync_sig.parameters:
            assert sync_sig.parameters[param].default == async_sig.parameters[param].default
            assert sync_sig.parameters[param].kind == async_sig.parameters[param].kind
        assert inspect.getdoc(method), name
        assert inspect.getdoc(method) == inspect.getdoc(twin), name
        assert inspect.iscoroutinefunction(twin), name
        assert not inspect.iscoroutinefunction(method), name


@pytest.mark.parametrize(("sync", "async_"), PAIRS)
def test_async_docstrings_link_to_the_sync_method(sync, async_):
    source = inspect.getsource(async_)
    for name, member in members(sync).items():
        if not isinstance(member, property):
            link = f"[`{sync.__name__}.{name}`][harborsec.harbor.{sync.__name__}.{name}]"
            assert f'"""Async form of {link}."""' in source, name


def test_property_types_are_twins():
    for name in ("allowlist", "immutability", "scanner"):
        sync_type = inspect.signature(getattr(_projects.Project, name).fget).return_annotation
        async_type = inspect.signature(getattr(_projects.AsyncProject, name).fget).return_annotation
        assert async_type == f"Async{sync_type}", name
