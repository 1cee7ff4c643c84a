"""Hypothesis strategies shared by the policy tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harborsec.harbor import Severity
from harborsec.policy import Policy

__all__ = ["OPTIONAL_BOOL", "policies"]

OPTIONAL_BOOL = st.none() | st.booleans()


def policies(
    *, allowlists: Any, immutability: Any, scanner: Any | None = None
) -> st.SearchStrategy[Policy]:
    """Policies with any project settings, and the given allowlist, rule and scanner strategies."""
    return st.builds(
        Policy,
        public=OPTIONAL_BOOL,
        auto_scan=OPTIONAL_BOOL,
        auto_sbom_generation=OPTIONAL_BOOL,
        prevent_vulnerable=OPTIONAL_BOOL,
        severity=st.none() | st.sampled_from(list(Severity)),
        cosign_required=OPTIONAL_BOOL,
        notation_required=OPTIONAL_BOOL,
        allowlist=st.none() | allowlists,
        immutability=st.none() | immutability,
        scanner=st.none() if scanner is None else st.none() | scanner,
    )
