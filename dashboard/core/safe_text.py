"""Text that came from a source or a user (team names, event titles, notes, annotations), made
inert wherever the dashboard puts it.

- Streamlit's markdown (`st.markdown`, `st.caption`, `st.subheader`, ...) would read `**`, links,
  `$...$` maths and `:red[...]` directives in a team name as formatting: `markdown()` escapes it
  so it shows as typed. (Raw HTML is never switched on: no page uses `unsafe_allow_html`.)
- Plotly draws a subset of HTML (`<b>`, `<a href>`, `<br>`) in names, hover labels and
  annotations, and a Markdown file would run `<script>`: `html_text()` escapes it.
- A spreadsheet runs a CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
  as a formula (`=HYPERLINK(...)`): `csv_cell()` and `csv_bytes()` prefix it with `'` (OWASP's
  advice), so every CSV we hand out opens as plain text.
"""
from __future__ import annotations

import re

import pandas as pd

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>~$|])")
"""Characters that format wherever they stand: emphasis, code, links and directives (`[`), HTML,
strike-through, maths, tables. The others (`#`, `-`, `1.`, ...) only format at a line's start."""
_LINE_START = re.compile(r"^([#+\-=>]|\d+(?=[.)]))")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def markdown(text: object) -> str:
    """`text` for Streamlit markdown, on one line, shown as typed: `Data & AI` stays as it is,
    `<b>x</b>`, `**x**`, `[x](url)`, `$x$` and `:red[x]` lose their power."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _LINE_START.sub(_escape_start, escaped)


def _escape_start(start: re.Match) -> str:
    """`# x`, `- x`, `> x` get the backslash before the mark; `1. x` between number and dot."""
    mark = start.group(1)
    return mark + "\\" if mark[0].isdigit() else "\\" + mark


def html_text(text: object) -> str:
    """`text` for a Plotly label, hover text or annotation, or a Markdown file: its HTML shown, not run.

    Only `<` and `>` make a tag; `&` stays, so `Data & AI` is the same string everywhere.
    """
    return str(text).replace("<", "&lt;").replace(">", "&gt;")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell (and column name) passed through `csv_cell`."""
    safe = frame.rename(columns=lambda name: csv_cell(name) if isinstance(name, str) else name)
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(csv_cell, na_action="ignore")
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV every export and download writes: UTF-8, no index, formulas neutralised.

    Lines end in CRLF as RFC 4180 has it, which also makes the writer quote a cell holding a
    lone carriage return (with "\\n" endings it would not, and the cell would split its row).
    """
    return csv_frame(frame).to_csv(index=False, lineterminator="\r\n").encode()
