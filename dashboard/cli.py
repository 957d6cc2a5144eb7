"""`python -m dashboard`: the demo organisation, metric series and the dashboard server."""
from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
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


def _sync(args: argparse.Namespace) -> int:
    """Run the named source (or every configured one) with a progress bar and a log line per source."""
    from dashboard import sync

    settings = load_settings(args.config)
    store = open_store(settings)
    sources = sync.configured(settings) if args.source == "all" else [args.source]
    if not sources:
        print("error: no source is configured in prodops.toml ([jira], [calendar.*])", file=sys.stderr)
        return 2
    outcomes = []
    for source in sources:
        with _progress_bar(source) as progress:
            outcomes.append(sync.run_one(store, settings, source, progress))
        print(outcomes[-1].log_line(), file=sys.stderr)
    return sync.exit_code(outcomes)


@contextmanager
def _progress_bar(source: str):
    """A terminal progress bar fed by a connector's `progress(stage, done, total)` calls."""
    from tqdm import tqdm

    with tqdm(desc=source, unit="item", file=sys.stderr, disable=None, leave=False) as bar:

        def progress(stage: str, done: int, total: int | None) -> None:
            bar.set_description(f"{source}: {stage}")
            bar.total = total
            bar.n = done
            bar.refresh()

        yield progress


def _load_roster(args: argparse.Namespace) -> int:
    from connectors.roster import RosterError, load_roster, read_roster

    settings = load_settings(args.config)
    try:
        report = load_roster(open_store(settings), read_roster(args.file), as_of=args.as_of or today(settings.org_timezone))
    except RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"roster: {report.people} people; joined {len(report.joined)}, moved {len(report.moved)}, left {len(report.left)}", file=sys.stderr)
    for issue in report.issues:
        print(f"  skipped: {issue}", file=sys.stderr)
    return 1 if report.issues else 0


def _load_survey(args: argparse.Namespace) -> int:
    from connectors.survey import SurveyFormatError, SurveyImportError, load_wave, read_export

    settings = load_settings(args.config)
    try:
        report = load_wave(open_store(settings), read_export(args.file), survey=args.survey, wave=args.wave, settings=settings)
    except (SurveyFormatError, SurveyImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    state = "unchanged" if report.unchanged else "loaded"
    print(f"survey {report.survey_id} ({report.tool}) {state}: {report.responses} responses, {report.answers} answers, "
          f"{report.excluded} excluded, {report.unmatched} unmatched", file=sys.stderr)
    for issue in report.issues:
        print(f"  {issue}", file=sys.stderr)
    return 1 if report.issues else 0


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

    sync = commands.add_parser("sync", help="pull a source (or all configured ones) into the store")
    sync.add_argument("source", choices=["jira", "calendar", "all"])
    sync.set_defaults(run=_sync)

    load = commands.add_parser("load", help="load a file export: the HR roster or a survey wave")
    loads = load.add_subparsers(dest="kind", required=True)
    roster = loads.add_parser("roster", help="an HR roster CSV")
    roster.add_argument("file")
    roster.add_argument("--as-of", type=date.fromisoformat, help="the day the export was taken (default: today)")
    roster.set_defaults(run=_load_roster)
    survey = loads.add_parser("survey", help="a survey export (Google Forms, Qualtrics, SurveyMonkey, MS Forms, Typeform)")
    survey.add_argument("file")
    survey.add_argument("--survey", required=True, help="the survey's name in prodops.toml [surveys.NAME]")
    survey.add_argument("--wave", required=True, help="this export's wave, e.g. 2026Q4")
    survey.set_defaults(run=_load_survey)

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
