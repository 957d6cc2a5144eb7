"""The QBR as Markdown: a heading per section, GitHub-style tables, the charts as PNG images.

Images are either embedded as data URIs (one self-contained file: what the page offers) or
written beside the file and linked (what renders on GitHub and wikis: what the command line
writes, in `<name>_charts/`).
"""
from __future__ import annotations

import base64

from dashboard.core.safe_text import html_text
from dashboard.report.model import Report, Table


def _cell(text: str) -> str:
    return html_text(text).replace("|", "\\|").replace("\n", " ")


def table(table: Table) -> list[str]:
    lines = [f"**{html_text(table.title)}**", "", "| " + " | ".join(_cell(c) for c in table.columns) + " |",
             "|" + "|".join(" --- " for _ in table.columns) + "|"]
    if not table.rows:
        lines.append("| " + " | ".join(["–"] + [""] * (len(table.columns) - 1)) + " |")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def render(report: Report, images: dict[str, bytes] | None = None, links: dict[str, str] | None = None) -> bytes:
    """Markdown text; a chart's image is `links[chart.id]` when given, else an embedded PNG."""
    images, links = images or {}, links or {}
    out = [f"# {html_text(report.title)}", "", f"_{html_text(report.subtitle)}_", ""]
    for section in report.sections:
        out += [f"## {html_text(section.title)}", ""]
        if section.subtitle:
            out += [html_text(section.subtitle), ""]
        for chart in section.charts:
            alt = html_text(chart.title).replace("[", "\\[").replace("]", "\\]")
            if chart.id in links:
                out += [f"![{alt}]({links[chart.id]})", ""]
            elif chart.id in images:
                encoded = base64.b64encode(images[chart.id]).decode()
                out += [f"![{alt}](data:image/png;base64,{encoded})", ""]
            out += [f"<sub>{html_text(chart.caption)}</sub>", ""]
        for item in section.tables:
            out += table(item)
        if section.note:
            out += ["**Notes**", "", *(f"> {html_text(line)}" if line else ">" for line in section.note.splitlines()), ""]
        for footnote in section.footnotes:
            out.append(f"- <sub>{html_text(footnote)}</sub>")
        out.append("")
    return "\n".join(out).encode()
