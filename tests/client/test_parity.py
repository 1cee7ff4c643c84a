"""`Registry` and `AsyncRegistry` are twins: the same methods, signatures and docstrings."""

import inspect

from harborsec import AsyncRegistry, Registry

LIFECYCLE = {"close": "aclose"}


def public_methods(cls):
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member) and not isinstance(member, type)
    }


def test_same_namespaces():
    def properties(cls):
        return {n for n, m in inspect.getmembers(cls) if isinstance(m, property)}

    assert properties(Registry) == properties(AsyncRegistry)
    for name in properties(Registry):
        sync_type = inspect.signature(getattr(Registry, name).fget).return_annotation
        async_type = inspect.signature(getattr(AsyncRegistry, name).fget).return_annotation
        assert async_type == f"Async{sync_type}", name


def test_same_public_methods():
    sync = set(public_methods(Registry)) - set(LIFECYCLE)
    async_ = set(public_methods(AsyncRegistry)) - set(LIFECYCLE.values())
    assert sync == async_


def test_same_signatures_and_docstrings():
    sync, async_ = public_methods(Registry), public_methods(AsyncRegistry)
    for name, method in sync.items():
        if name in LIFECYCLE:
            continue
        twin = async_[name]
        sync_sig, async_sig = inspect.signature(method), inspect.signature(twin)
        assert list(sync_sig.parameters) == list(async_sig.parameters), name
        for param in sync_sig.parameters:
            assert sync_sig.parameters[param].default == async_sig.parameters[param].default, (
                name,
                param,
            )
        assert inspect.getdoc(method) == inspect.getdoc(twin), name
        assert inspect.getdoc(method), name


def test_async_methods_are_coroutines_or_async_context_managers():
    for name, method in public_methods(AsyncRegistry).items():
        if name in ("stream_blob", "project", "projects"):  # a context manager, a handle, a pager
            continue
        assert inspect.iscoroutinefunction(method), name


def test_one_constructor_for_both():
    assert Registry.__init__ is AsyncRegistry.__init__
