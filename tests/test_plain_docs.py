"""Docstrings read well as plain text: `help()` shows no site syntax and no stray paths."""

import pydoc
import re

import pytest

import harborsec
import harborsec.errors
import harborsec.harbor
import harborsec.oci
import harborsec.policy
import harborsec.testing

SITE_SYNTAX = re.compile(r"\]\[[\w.]*\]|^\s*:::|^\s*!!! ", re.MULTILINE)
"""mkdocs cross-references (`[name][harborsec.x]`, `[name][]`), mkdocstrings and admonitions."""


@pytest.mark.parametrize(
    "module",
    [
        harborsec,
        harborsec.oci,
        harborsec.harbor,
        harborsec.policy,
        harborsec.testing,
        harborsec.errors,
    ],
)
def test_help_reads_as_plain_text(module):
    text = pydoc.render_doc(module, renderer=pydoc.plaintext)
    assert not SITE_SYNTAX.findall(text)
    assert "/".join(("..", "shared")) not in text  # the developers' reference shelf
    assert "_".join(("HARBORSEC", "SHARED")) not in text
