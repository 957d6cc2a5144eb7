"""The metric catalog as Markdown, written from the registry so the docs cannot drift from the code."""
from __future__ import annotations

from dashboard.metrics import METRICS, SIGNALS


def catalog_markdown() -> str:
    lines = ["| signal | id | what it is | better | n counts |", "|---|---|---|---|---|"]
    for metric in METRICS.values():
        lines.append(
            f"| {metric.signal} | `{metric.id}` | **{metric.title}.** {metric.definition} | {metric.better} | {metric.n_label} |"
        )
    legend = "; ".join(f"**{key}** {text}" for key, text in SIGNALS.items())
    return "\n".join([legend + ".", "", *lines])
