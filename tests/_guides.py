"""Run the Python examples of a documentation page, as a reader would, for tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["run_guide"]

DOCS = Path(__file__).resolve().parent.parent / "docs"


def run_guide(page: str, *, min_blocks: int = 1) -> dict[str, Any]:
    """Run every ```python block of `docs/<page>` in order, in one namespace, and return it."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= min_blocks, f"{page} has {len(blocks)} Python blocks"
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, f"docs/{page}", "exec"), namespace)
    return namespace
