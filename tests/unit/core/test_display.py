"""The notebook and REPL displays shared by the models."""

from harborsec._core._display import html_table, text_block


def test_html_table_escapes_every_value_and_heading():
    html = html_table("<b>plan</b>", ["a&b"], [["<script>alert(1)</script>"], ["two\nlines"]])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;plan&lt;/b&gt;" in html and "a&amp;b" in html
    assert "two<br>lines" in html
    assert html.count("<tr>") == 3  # the heading and two rows


def test_html_table_says_when_it_is_empty():
    html = html_table("Plan", ["change", "now"], [], empty="nothing to change")
    assert "nothing to change" in html and "colspan='2'" in html


def test_text_block_aligns_columns():
    text = text_block("T", [("a", "1", "x"), ("long", "22", "y")])
    assert text.splitlines() == ["T", "  a     1   x", "  long  22  y"]
    assert text_block("T", [], empty="none") == "T\n  none"
