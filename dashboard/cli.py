"""`python -m dashboard`: the demo organisation, metric series and the dashboard server."""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from dashboard.config import ConfigError, load_settings
from dashboard.periods import GRAINS, quarters_back, today
from dashboard.store import StoreError, open_store

ROOT = Path(__file__).resolve().parent.parent


def _demo(args: argparse.Namespace) -> int:
    from dashboard.demo import build_demo

    settings = load_settings(args.config)
    store = open_store(settings)
    began = time.perf_counter()
    counts = build_demo(store, settings, today=args.today or today(settings.org_timezone))
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"demo organisation written to {store.path} in {time.perf_counter() - began:.1f} s: {summary}", file=sys.stderr)
    return 0


def _metrics(args: argparse.Namespace) -> int:
    from dashboard.metrics import compute_series, load_tables

    settings = load_settings(args.config)
    until = args.until or today(settings.org_timezone)
    since = args.since or quarters_back(until, 8)
    series = compute_series(load_tables(open_store(settings)), settings, args.grain, args.scope, since, until, args.metric)
    series["period_start"] = series["period_start"].map(date.isoformat)
    series["value"] = series["value"].round(6)
    if args.format == "csv":
        series.to_csv(sys.stdout, index=False)
    else:
        sys.stdout.write(series.to_json(orient="records", indent=1) + "\n")
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Build the demo organisation on first run when no database exists, then start Streamlit."""
    settings = load_settings(args.config)
    store = open_store(settings)
    if not store.exists():
        print(f"no database at {store.path}: building the demo organisation first", file=sys.stderr)
        _demo(argparse.Namespace(config=args.config, today=None))
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(args.port)]
    if args.address:
        command += ["--server.address", args.address]
    os.execv(sys.executable, command)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    root.add_argument("--config", help="settings file (default: $PRODOPS_CONFIG or ./prodops.toml)")
    commands = root.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="(re)build the demo organisation in the configured database")
    demo.add_argument("--today", type=date.fromisoformat, help="build as of this day (default: today)")
    demo.set_defaults(run=_demo)

    metrics = commands.add_parser("metrics", help="print every metric series")
    metrics.add_argument("--grain", choices=GRAINS, default="quarter")
    metrics.add_argument("--scope", choices=["org", "group", "team"], default="org")
    metrics.add_argument("--format", choices=["csv", "json"], default="csv")
    metrics.add_argument("--since", type=date.fromisoformat, help="first day (default: eight quarters back)")
    metrics.add_argument("--until", type=date.fromisoformat, help="last day (default: today)")
    metrics.add_argument("--metric", action="append", help="only this metric id (repeatable)")
    metrics.set_defaults(run=_metrics)

    serve = commands.add_parser("serve", help="start the dashboard, building the demo if there is no data")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--address", default=None)
    serve.set_defaults(run=_serve)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "metric", None):
        from dashboard.metrics import METRICS

        unknown = [m for m in args.metric if m not in METRICS]
        if unknown:
            parser().error(f"unknown metric id(s): {', '.join(unknown)}")
    try:
        return args.run(args)
    except (ConfigError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
