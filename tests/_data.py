"""Where the tests' data files are: ``tests/data``, copies of public files listed in its README.

Every file under `DATA` is an unmodified copy of a file from another project (Harbor's API spec,
notation's OCI layouts); ``tests/data/README.md`` gives its source, revision, licence and
sha256, and ``tests/test_data.py`` checks that the README and the files agree.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DATA",
    "HARBOR_SPEC",
    "NOTATION",
    "NOTATION_E2E",
    "NOTATION_GO_LAYOUT",
    "PROJECT_ROOT",
    "VALID_LAYOUT",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The project's root (the directory holding pyproject.toml)."""

DATA = PROJECT_ROOT / "tests" / "data"
"""The tests' data files."""

HARBOR_SPEC = DATA / "spec" / "harbor-swagger.yaml"
"""Harbor's REST API spec (Swagger 2.0)."""

NOTATION = DATA / "vectors" / "notation"
"""The notation vectors: OCI image layouts written by notation's tests."""

NOTATION_E2E = NOTATION / "notation-e2e-oci-layouts"
"""notation's end-to-end layouts: ``e2e-{valid,expired,invalid}-signature`` and
``e2e-with-timestamped-signature``, each with an image tagged ``v1`` and its signature."""

VALID_LAYOUT = NOTATION_E2E / "e2e-valid-signature"
"""The layout whose image ``v1`` (``sha256:b8479de3...``) has a valid notation signature."""

NOTATION_GO_LAYOUT = NOTATION / "notation-go" / "internal" / "testdata" / "oci-layout"
"""notation-go's test layout: one image tagged ``v2`` whose layer blob is not in the layout."""
