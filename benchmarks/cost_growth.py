"""How each cost grows with the organisation: small, large and xlarge side by side, from recorded figures.

Reads the figures the other benchmarks recorded in `benchmarks/.cache/figures.jsonl` (the newest
of each), sizes each organisation by its PMs and its stored rows, and prints a Markdown table:
per cost, its value at each scale, its cost per unit of work, and its growth exponent between
neighbouring scales, b = ln(cost ratio) / ln(work ratio). The work is the stored rows for what
follows the data (build, load) and the PMs for the rest. About 1 is linear in the work, below 1
is a fixed cost still showing, above 1 grows worse than the work. Writes the
same as a log-log plot to `benchmarks/cost_growth.png` (the QBR pack's chart export).

Run the benchmarks first at each scale and backend, then: python benchmarks/cost_growth.py
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass

import duckdb
import plotly.colors
import plotly.graph_objects as go
from common import CACHE, FIGURES, ROOT

from dashboard.report.images import render_png

SCALE_ORDER = ("small", "large", "xlarge")
PLOT = ROOT / "benchmarks" / "cost_growth.png"


@dataclass(frozen=True)
class Cost:
    label: str
    benchmark: str
    backend: str
    figure: str
    unit: str
    per: str
    """What the cost is divided by for its cost per unit of work: "pms" or "rows"."""
    pick: str = "last"
    """How the records of one scale make one value: the newest ("last") or the largest page's ("max")."""


COSTS = (
    Cost("demo build (DuckDB)", "build", "duckdb", "wall_s", "s", "rows"),
    Cost("build peak memory", "build", "duckdb", "peak_rss_mb", "MB", "rows"),
    Cost("load into PostgreSQL", "load", "postgres", "wall_s", "s", "rows"),
    *(Cost(f"full recompute ({b})", "recompute", b, "full_s", "s", "pms") for b in ("duckdb", "postgres")),
    *(Cost(f"incremental recompute ({b})", "recompute", b, "incremental_s", "s", "pms") for b in ("duckdb", "postgres")),
    *(Cost(f"slowest page cold ({b})", "page_render", b, "cold_s", "s", "pms", "max") for b in ("duckdb", "postgres")),
    *(Cost(f"slowest page warm ({b})", "page_render", b, "warm_s", "s", "pms", "max") for b in ("duckdb", "postgres")),
    *(Cost(f"server memory, 20 sessions ({b})", "serve_memory", b, "peak_rss_mb", "MB", "pms") for b in ("duckdb", "postgres")),
    *(Cost(f"metrics CLI, 9 runs ({b})", "metrics_cli", b, "wall_s", "s", "pms") for b in ("duckdb", "postgres")),
)


def figures() -> list[dict]:
    return [json.loads(line) for line in FIGURES.read_text().splitlines() if line.strip()] if FIGURES.exists() else []


def value(records: list[dict], cost: Cost, scale: str) -> float | None:
    mine = [r for r in records if (r["benchmark"], r["backend"], r["scale"]) == (cost.benchmark, cost.backend, scale)
            and cost.figure in r]
    if not mine:
        return None
    if cost.pick == "max":
        latest = {r["page"]: r[cost.figure] for r in mine}  # the newest run of each page
        return max(latest.values())
    return mine[-1][cost.figure]


def sizes() -> dict[str, dict[str, int]]:
    """PMs (everyone who was ever a PM) and stored rows of each cached organisation."""
    found = {}
    for scale in SCALE_ORDER:
        path = CACHE / f"{scale}.duckdb"
        if not path.exists():
            continue
        with duckdb.connect(str(path), read_only=True) as con:
            pms = con.execute("SELECT count(*) FROM people WHERE role = 'pm'").fetchone()[0]
            tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
            rows = sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
        found[scale] = {"pms": pms, "rows": rows}
    return found


def exponent(cost_a: float, cost_b: float, size_a: int, size_b: int) -> float:
    return math.log(cost_b / cost_a) / math.log(size_b / size_a)


def table(records: list[dict], size: dict[str, dict[str, int]]) -> list[str]:
    scales = [s for s in SCALE_ORDER if s in size]
    head = " | ".join(f"{s} ({size[s]['pms']:,} PMs, {size[s]['rows'] / 1e6:.1f} M rows)" for s in scales)
    steps = [f"b {a}→{b}" for a, b in itertools.pairwise(scales)]
    lines = [f"| cost | {head} | per unit at the largest | b per | {' | '.join(steps)} |",
             "|---|" + "---:|" * (len(scales) + 2 + len(steps))]
    for cost in COSTS:
        values = [value(records, cost, s) for s in scales]
        if all(v is None for v in values):
            continue
        shown = [f"{v:,.2f} {cost.unit}" if v is not None else "not taken" for v in values]
        last = max((i for i, v in enumerate(values) if v is not None))
        per = values[last] / size[scales[last]][cost.per] * (1000 if cost.per == "pms" else 1e6)
        per_text = f"{per:,.2f} {cost.unit} per {'1,000 PMs' if cost.per == 'pms' else 'M rows'}"
        growth = [f"{exponent(values[i], values[i + 1], size[scales[i]][cost.per], size[scales[i + 1]][cost.per]):.2f}"
                  if values[i] and values[i + 1] else "" for i in range(len(scales) - 1)]
        lines.append(f"| {cost.label} | {' | '.join(shown)} | {per_text} | {'PM' if cost.per == 'pms' else 'row'} | "
                     f"{' | '.join(growth)} |")
    return lines


def plot(records: list[dict], size: dict[str, dict[str, int]]) -> go.Figure:
    scales = [s for s in SCALE_ORDER if s in size]
    figure = go.Figure()
    colours = itertools.cycle(plotly.colors.qualitative.Dark24)
    for cost in COSTS:
        points = [(size[s]["pms"], value(records, cost, s)) for s in scales]
        points = [(x, y) for x, y in points if y is not None]
        if len(points) > 1:
            figure.add_scatter(x=[x for x, _ in points], y=[y for _, y in points], mode="lines+markers",
                               name=f"{cost.label} ({cost.unit})",
                               line={"color": next(colours), "dash": "dot" if cost.backend == "postgres" else "solid"})
    pms = [size[s]["pms"] for s in scales]
    figure.update_layout(
        title="Cost against size, log-log (slope 1 is linear; dotted: PostgreSQL)", height=620,
        xaxis={"type": "log", "title": "PMs", "tickvals": pms}, yaxis={"type": "log", "title": "seconds or MB"},
        legend={"font": {"size": 10}},
    )
    return figure


def main() -> None:
    records, size = figures(), sizes()
    print("\n".join(table(records, size)))
    PLOT.write_bytes(render_png([plot(records, size)], height=620)[0])
    print(f"\nplot: {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
