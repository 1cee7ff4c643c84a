"""The public API is what `__all__` says, and everything in it is documented."""

import inspect

import pytest

import harborsec
import harborsec.errors
import harborsec.harbor
import harborsec.oci
import harborsec.policy


@pytest.mark.parametrize(
    "module", [harborsec, harborsec.oci, harborsec.errors, harborsec.harbor, harborsec.policy]
)
def test_all_is_sorted_and_complete(module):
    names = [n for n in module.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.casefold) or names == sorted(names)
    for name in module.__all__:
        assert hasattr(module, name), name


def test_top_level_names_from_the_foundation_issue():
    for name in [
        "ImageReference",
        "Registry",
        "AsyncRegistry",
        "resolve_digest",
        "HarborsecError",
        "NotFoundError",
        "UnauthorizedError",
        "ForbiddenError",
        "ConflictError",
        "PolicyViolationError",
        "RateLimitError",
        "ServerError",
        "DigestMismatchError",
        "InvalidReferenceError",
        "TransportError",
    ]:
        assert name in harborsec.__all__


def test_top_level_names_of_the_core_steps():
    for name in ["capture_responses", "CapturedResponse", "WaitTimeoutError"]:
        assert name in harborsec.__all__


@pytest.mark.parametrize(
    "module", [harborsec, harborsec.oci, harborsec.errors, harborsec.harbor, harborsec.policy]
)
def test_every_public_name_has_a_docstring(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        assert inspect.getdoc(member), f"{name}.{attr} has no docstring"


def test_private_modules_stay_private():
    public_modules = {
        n
        for n in dir(harborsec)
        if inspect.ismodule(getattr(harborsec, n)) and not n.startswith("_")
    }
    assert public_modules <= {"errors", "oci", "harbor", "testing", "cli", "policy"}


def test_every_exception_derives_from_harborsec_error():
    for name in harborsec.errors.__all__:
        obj = getattr(harborsec.errors, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            assert issubclass(obj, harborsec.HarborsecError)
