"""The metric catalog as Markdown, written from the registry so the docs cannot drift from the code."""
from __future__ import annotations

from dashboard.metrics import METRICS
from dashboard.metrics.registry import GROUPS


def catalog_markdown() -> str:
    lines = ["| signal | id | what it is | better | n counts |", "|---|---|---|---|---|"]
    for metric in METRICS.values():
        lines.append(
            f"| {metric.signal} | `{metric.id}` | **{metric.title}.** {metric.definition} | {metric.better} | {metric.n_label} |"
        )
    legend = "; ".join(f"**{key}** {signal.question}" for key, signal in GROUPS.items())
    return "\n".join([legend + ".", "", *lines])


def update_readme(path: str = "README.md") -> None:
    """Rewrite the README's metric table between its catalog markers."""
    import re
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text()
    table = catalog_markdown().strip().replace("\\", "\\\\")
    readme.write_text(re.sub(r"(<!-- catalog:start -->\n).*(\n<!-- catalog:end -->)", rf"\g<1>{table}\g<2>", text, flags=re.S))


if __name__ == "__main__":
    update_readme()
