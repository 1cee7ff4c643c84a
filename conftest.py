"""Names for the docstring examples in harborsec/, which pytest runs with ``--doctest-modules``.

This file sits at the project's root so that it applies to harborsec/ as well as tests/, and is
not part of the wheel. The examples read only files in this repository (under ``tests/data``).
"""

from __future__ import annotations

import pytest

from tests._data import VALID_LAYOUT


@pytest.fixture(autouse=True, scope="session")
def _doctest_names(doctest_namespace: dict[str, object]) -> None:
    """Give the examples ``layout``: the directory of an OCI image layout with an image ``v1``."""
    doctest_namespace["layout"] = str(VALID_LAYOUT)
