"""One escaping function per place a string from the data or the config can land.

Every name, category, column, title or note reaches a page, a chart, the PDF or a CSV through
exactly one of these, so that it shows as written and never acts as markup, script or formula.
"""
from __future__ import annotations

import html as _html
import re

# Pandoc markdown treats a backslash before any ASCII punctuation as that character, literally.
# These are the ones that start markup: emphasis, code, links and images, raw HTML and entities,
# math, citations, headings, tables, attributes, sub/superscripts, list and div markers.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>()#+-.!|$@~^&:=\"'")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _one_line(text) -> str:
    """Line breaks and other control characters become one space: a value never starts a block."""
    return _BREAKS.sub(" ", str(text))


def markdown(text) -> str:
    """Text that pandoc (and Quarto) markdown shows as written: no tags, links, emphasis or math."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in _one_line(text))


def markdown_attribute(text) -> str:
    """Text inside a double-quoted pandoc attribute that a filter reads as markdown (a callout title).

    Pandoc's attribute reader removes one level of backslashes, so the markdown escapes are
    escaped once more."""
    return markdown(text).replace("\\", "\\\\").replace('"', '\\"')


def code(text) -> str:
    """An inline code span showing the text literally (a fence longer than any backtick run in it)."""
    text = _one_line(text)
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text} {fence}"


def html(text) -> str:
    """Text in HTML content or a double-quoted attribute."""
    return _html.escape(str(text), quote=True)


def plotly(text) -> str:
    """Text in a Plotly label, legend, axis or hover: plotly.js reads a subset of HTML tags and
    decodes entities, so escaping &, < and > shows the text as written."""
    return _html.escape(_one_line(text), quote=False)


def typst_string(text) -> str:
    """The body of a double-quoted Typst string literal (used in markup as `#name`, never parsed)."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return _BREAKS.sub(" ", text)


# OWASP (CSV injection): a cell starting with one of these is a formula in Excel, LibreOffice
# and Google Sheets; a leading apostrophe makes it text, and the apostrophe is not shown.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One CSV cell made inert: text that starts like a formula gets a leading apostrophe.

    Numbers stay numbers (a negative amount is a number, not text): only strings change."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
