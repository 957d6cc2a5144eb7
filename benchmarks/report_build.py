"""How long the quarterly business review pack takes: its content, then the four formats.

Run: .venv/bin/python benchmarks/report_build.py [--scale small|large] [--quarter 2026Q3] [--runs 3]
"""
from __future__ import annotations

from common import TODAY, Timer, arguments, demo_database, header, median_of

from dashboard import report
from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.report.content import parse_quarter


def main() -> None:
    args = arguments(__doc__.splitlines()[0], quarter={"default": "2026Q3"}, runs={"type": int, "default": 3})
    store, quarter = Store(demo_database(args.scale, args.rebuild)), parse_quarter(args.quarter)
    header(f"QBR pack for {args.quarter}", args.scale)
    built = {}

    def content() -> float:
        with Timer() as timer:
            built["pack"] = report.build_from_store(store, Settings(), quarter, "org", "org", TODAY)
        return timer.seconds

    def formats() -> float:
        with Timer() as timer:
            report.render_all(built["pack"])
        return timer.seconds

    print(f"content (metrics, charts' data): {median_of(args.runs, content):.2f} s median of {args.runs}")
    print(f"four formats (pptx, pdf, md, csv): {median_of(args.runs, formats):.2f} s median of {args.runs}")


if __name__ == "__main__":
    main()
