"""Displays for notebooks and REPLs: an HTML table (`_repr_html_`) and an indented text block.

Models that a user looks at (a plan, a project's configuration, later reports) describe
themselves as a title and rows; these helpers render that description the same way everywhere.
Every value is escaped: text from a registry (names, descriptions) never becomes markup.

Example:
    >>> print(text_block("Settings", [("auto_scan", "true"), ("severity", "high")]))
    Settings
      auto_scan  true
      severity   high
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = ["PrettyPrinter", "html_table", "text_block"]


class PrettyPrinter(Protocol):
    """The part of IPython's pretty printer a `_repr_pretty_` method uses."""

    def text(self, text: str) -> None:
        """Add text to the output."""


def html_table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    empty: str = "(nothing)",
) -> str:
    """An HTML table with a caption, every cell escaped.

    Args:
        title: The caption, as plain text.
        headers: The column headings.
        rows: The rows: one value per column, shown with `str()`.
        empty: What the table says when there are no rows.

    Returns:
        The HTML, for `_repr_html_`.
    """
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = [
        "<tr>" + "".join(f"<td style='text-align:left'>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in rows
    ]
    if not body:
        body = [f"<tr><td colspan='{max(len(headers), 1)}'><i>{html.escape(empty)}</i></td></tr>"]
    return (
        "<table>"
        f"<caption style='text-align:left'><b>{html.escape(title)}</b></caption>"
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody>"
        "</table>"
    )


def text_block(title: str, rows: Iterable[Sequence[Any]], *, empty: str = "(nothing)") -> str:
    """A title, then one indented line per row, columns aligned (for `_repr_pretty_`).

    Args:
        title: The first line.
        rows: The rows: values shown with `str()`, separated by two spaces.
        empty: The line shown when there are no rows.
    """
    cells = [[str(value) for value in row] for row in rows]
    if not cells:
        return f"{title}\n  {empty}"
    widths = [
        max(len(row[i]) for row in cells if i < len(row)) for i in range(max(map(len, cells)))
    ]
    lines = [
        "  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in cells
    ]
    return "\n".join([title, *lines])


def _cell(value: Any) -> str:
    return html.escape(str(value)).replace("\n", "<br>")
