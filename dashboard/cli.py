"""`python -m dashboard`: the demo organisation, metric series and the dashboard server."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from dashboard.core.config import ConfigError, load_settings
from dashboard.core.periods import GRAINS, label, quarter_label, quarters_back, today
from dashboard.core.safe_text import csv_bytes
from dashboard.core.store import StoreError, SyncBusy, open_store

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "dashboard" / "entrypoint" / "streamlit_app.py"


def _demo(args: argparse.Namespace) -> int:
    from dashboard.app.first_run import marker
    from dashboard.demo import SCALES, build, build_demo

    _print_progress(build.progress)
    settings = load_settings(args.config)
    store = open_store(settings)
    began = time.perf_counter()
    mark = marker(settings) if getattr(args, "mark_building", False) else None
    if mark:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
    try:
        counts = build_demo(store, settings, today=args.today or today(settings.org_timezone),
                            scale=SCALES[args.scale])
    finally:
        if mark:
            mark.unlink(missing_ok=True)
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"demo organisation written to {store.path} in {time.perf_counter() - began:.1f} s: {summary}", file=sys.stderr)
    return 0


def _print_progress(logger: logging.Logger) -> None:
    """Show a long command's progress lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _metrics(args: argparse.Namespace) -> int:
    from dashboard.metrics import compute_series, load_tables

    settings = load_settings(args.config)
    until = args.until or today(settings.org_timezone)
    since = args.since or quarters_back(until, 8)
    series = compute_series(load_tables(open_store(settings)), settings, args.grain, args.scope, since, until, args.metric)
    series["period_start"] = series["period_start"].map(date.isoformat)
    series["value"] = series["value"].round(6)
    if args.format == "csv":
        sys.stdout.write(csv_bytes(series).decode())
    else:
        sys.stdout.write(series.to_json(orient="records", indent=1) + "\n")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    """Rebuild the derived tables and the stored metric series from the stored data."""
    from dashboard.derive import rebuild

    settings = load_settings(args.config)
    store = open_store(settings)
    if not store.exists():
        print(f"error: there is no data at {store.location} to refresh", file=sys.stderr)
        return 1
    began = time.perf_counter()
    with store.transaction() as tx:
        rebuild(tx, settings, args.today)
    print(f"derived tables and metric series rebuilt at {store.location} in {time.perf_counter() - began:.1f} s",
          file=sys.stderr)
    return 0


def _sync(args: argparse.Namespace) -> int:
    """Run the named source (or every configured one) with a progress bar and a log line per source."""
    from dashboard import sync

    settings = load_settings(args.config)
    store = open_store(settings)
    known = sync.sections()
    if args.source not in (*known, "all"):
        print(f"error: no source is called {args.source!r}: choose from {', '.join(known)} or all", file=sys.stderr)
        return 2
    configured = sync.configured(settings)
    sources = configured if args.source == "all" else [args.source]
    try:
        wait = args.wait if args.wait is not None else float(os.environ.get("PRODOPS_SYNC_WAIT") or 0)
    except ValueError:
        print("error: PRODOPS_SYNC_WAIT must be a number of seconds", file=sys.stderr)
        return 2
    if not sources:
        print(f"error: no source is configured in prodops.toml ({'; '.join(known.values())})", file=sys.stderr)
        return 2
    unconfigured = [source for source in sources if source not in configured]
    if unconfigured:
        print(f"error: {unconfigured[0]} is not configured: add {sync.sections()[unconfigured[0]]} to prodops.toml", file=sys.stderr)
        return 2
    outcomes = []
    for source in sources:
        with _progress_bar(source) as progress:
            outcomes.append(sync.run_one(store, settings, source, progress, wait=wait))
        print(outcomes[-1].log_line(), file=sys.stderr)
        if settings.alerts and outcomes[-1].status != sync.BUSY:
            _alerts_after_sync(store, settings)
    return sync.exit_code(outcomes)


def _alerts_after_sync(store, settings) -> None:
    """Evaluate the [[alerts]] after a source's run, succeeded or failed (a failing sync is one of them);
    `after_sync` never raises, so no alert changes the sync's outcome or exit code."""
    from dashboard.notify.alerts import after_sync

    after_sync(store, settings, say=lambda line: print(line, file=sys.stderr))


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
        report = load_roster(open_store(settings), read_roster(args.file), as_of=args.as_of or today(settings.org_timezone),
                             settings=settings)
    except RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = f"roster: {report.people} people; joined {len(report.joined)}, moved {len(report.moved)}, left {len(report.left)}"
    return _loaded(summary, [f"skipped: {issue}" for issue in report.issues])


def _load_survey(args: argparse.Namespace) -> int:
    from connectors.survey import SurveyFormatError, SurveyImportError, load_wave, read_export

    settings = load_settings(args.config)
    try:
        report = load_wave(open_store(settings), read_export(args.file), survey=args.survey, wave=args.wave, settings=settings)
    except (SurveyFormatError, SurveyImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    state = "unchanged" if report.unchanged else "loaded"
    summary = (f"survey {report.survey_id} ({report.tool}) {state}: {report.responses} responses, {report.answers} answers, "
               f"{report.excluded} excluded, {report.unmatched} unmatched")
    return _loaded(summary, [str(issue) for issue in report.issues])


def _load_checkins(args: argparse.Namespace) -> int:
    from connectors.checkins import CheckinFormError
    from connectors.checkins.load import load_form
    from connectors.survey import SurveyFormatError

    settings = load_settings(args.config)
    try:
        report = load_form(open_store(settings), args.file, settings, kind=args.kind)
    except (SurveyFormatError, CheckinFormError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = f"check-ins form {report.file}: {report.rows} rows loaded, {len(report.issues)} skipped"
    return _loaded(summary, [f"skipped: {issue}" for issue in report.issues])


def _loaded(summary: str, issues: list[str]) -> int:
    """A load's outcome on stderr, one line per issue under it; exit code 1 when anything was skipped."""
    print(summary, file=sys.stderr)
    for issue in issues:
        print(f"  {issue}", file=sys.stderr)
    return 1 if issues else 0


def _report(args: argparse.Namespace) -> int:
    """Write the quarterly business review of one quarter and scope in one format."""
    from dashboard import report
    from dashboard.derive import series_store
    from dashboard.report.content import complete_quarters, parse_quarter

    settings = load_settings(args.config)
    store = open_store(settings)
    day = today(settings.org_timezone)
    try:
        quarter = parse_quarter(args.quarter) if args.quarter else complete_quarters([quarters_back(day, 2)], day)[0]
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not complete_quarters([quarter], day):
        print(f"error: {args.quarter} has not ended yet: a review compares complete quarters", file=sys.stderr)
        return 2
    if not store.exists():
        print(f"error: no database at {store.location}: run `python -m dashboard demo` or a sync first", file=sys.stderr)
        return 2
    first = series_store.first_record(store)
    if not complete_quarters([quarter], day, first):
        print(f"error: the data begins on {first:%d %b %Y}, too late into {quarter_label(quarter)} to review it",
              file=sys.stderr)
        return 2
    teams = store.table("teams")
    scope, scope_id = ("team", args.team) if args.team else ("group", args.group) if args.group else ("org", "org")
    known = set(teams["team_id"]) if scope == "team" else set(teams["group_name"]) if scope == "group" else {"org"}
    if scope_id not in known:
        print(f"error: no {scope} {scope_id!r}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    name = label(quarter, "quarter")
    out = Path(args.out or f"qbr-{name}-{scope_id}.{args.format}".replace(" ", "-"))
    began = time.perf_counter()
    built = report.build_from_store(store, settings, quarter, scope, scope_id, day)
    computed = time.perf_counter() - began
    written = report.write(built, args.format, out)
    print(f"{args.format} report for {name} ({scope_id}) written to {out} in "
          f"{time.perf_counter() - began:.1f} s (metrics {computed:.1f} s); {len(written)} file(s)", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Start Streamlit; on first run, with no database yet, build the demo organisation beside it."""
    from dashboard.app.first_run import build_in_background

    settings = load_settings(args.config)
    store = open_store(settings)
    if not store.exists():
        print("no data yet: building the demo organisation in the background", file=sys.stderr)
        build_in_background(args.config)
    command = [sys.executable, "-m", "streamlit", "run", str(ENTRYPOINT), "--server.port", str(args.port)]
    if args.address:
        command += ["--server.address", args.address]
    os.execv(sys.executable, command)


def _init(args: argparse.Namespace) -> int:
    """Write a first prodops.toml and .streamlit/secrets.toml, asking for what the flags leave out."""
    from dashboard.init_config import Answers, InitError, ask, write

    answers = Answers(timezone=args.timezone, jira_url=args.jira_url, jira_email=args.jira_email,
                      jira_project=args.jira_project or [], calendar=args.calendar,
                      calendar_location=args.calendar_location, calendar_owner=args.calendar_owner or [],
                      survey_tool=args.survey_tool)
    if not args.no_input and sys.stdin.isatty():
        ask(answers)
    try:
        written = write(answers, Path.cwd(), force=args.force)
    except InitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print("next: put the tokens in place, then run `python -m dashboard doctor`")
    return 0


def _digest(args: argparse.Namespace) -> int:
    """Send (or list) each subscription's digest of its last whole week or month that is not sent yet."""
    from dashboard.notify import run, subscriptions
    from dashboard.notify.smtp import SendError

    settings = load_settings(args.config)
    store = open_store(settings)
    every = subscriptions.every(store, settings)
    if not every:
        print("error: no subscriptions: add [[digest.subscriptions]] to prodops.toml or add some on the "
              "Subscriptions page", file=sys.stderr)
        return 2
    if args.send and settings.digest.smtp is None and any(s.channel == "email" for s in every):
        print("error: no mail server for the email digests: add [digest.smtp] to prodops.toml", file=sys.stderr)
        return 2
    return _send_or_list(store, settings, args.send, run.run, run.exit_code, (SendError,))


def _alerts(args: argparse.Namespace) -> int:
    """Evaluate the [[alerts]] rules now and send (or list) each occurrence not sent yet, as a sync does after it runs."""
    from dashboard.notify import alerts
    from dashboard.notify.smtp import SendError

    settings = load_settings(args.config)
    store = open_store(settings)
    if not settings.alerts:
        print("error: no alerts: add [[alerts]] to prodops.toml", file=sys.stderr)
        return 2
    return _send_or_list(store, settings, args.send, alerts.run, alerts.exit_code, (SendError, ValueError))


def _send_or_list(store, settings, send: bool, job, exit_code, refusals: tuple[type[Exception], ...]) -> int:
    """Run a digest or alerts `job` with its outcome lines on stderr: 2 for no database or a refused
    configuration (`refusals`), 75 when another run holds its lock, else the job's own exit code."""
    from dashboard.sync import BUSY, EXIT_CODES

    if not store.exists():
        print(f"error: no database at {store.location}: run `python -m dashboard demo` or a sync first", file=sys.stderr)
        return 2
    try:
        outcomes = job(store, settings, today(settings.org_timezone), send=send, say=lambda line: print(line, file=sys.stderr))
    except SyncBusy as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CODES[BUSY]
    except refusals as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return exit_code(outcomes)


def _doctor(args: argparse.Namespace) -> int:
    from dashboard import doctor

    return doctor.run(args.config, roster=args.roster, surveys=args.survey or [])


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    root.add_argument("--config", help="settings file (default: $PRODOPS_CONFIG or ./prodops.toml)")
    commands = root.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="(re)build the demo organisation in the configured database")
    demo.add_argument("--today", type=date.fromisoformat, help="build as of this day (default: today)")
    demo.add_argument("--scale", choices=("small", "large"), default="small",
                      help="small: 24 teams, ~60 PMs, two years (default); large: 160 teams, 400 PMs, three years")
    demo.add_argument("--mark-building", action="store_true", help=argparse.SUPPRESS)
    demo.set_defaults(run=_demo)

    refresh = commands.add_parser(
        "refresh", help="rebuild PM-weeks, check-ins and the stored metric series (after changing settings)")
    refresh.add_argument("--today", type=date.fromisoformat, help="as of this day (default: today)")
    refresh.set_defaults(run=_refresh)

    metrics = commands.add_parser("metrics", help="print every metric series")
    metrics.add_argument("--grain", choices=GRAINS, default="quarter")
    metrics.add_argument("--scope", choices=["org", "group", "team"], default="org")
    metrics.add_argument("--format", choices=["csv", "json"], default="csv")
    metrics.add_argument("--since", type=date.fromisoformat, help="first day (default: eight quarters back)")
    metrics.add_argument("--until", type=date.fromisoformat, help="last day (default: today)")
    metrics.add_argument("--metric", action="append", help="only this metric id (repeatable)")
    metrics.set_defaults(run=_metrics)

    sync = commands.add_parser("sync", help="pull a source (or all configured ones) into the store")
    sync.add_argument("source", help="a source's name (jira, calendar, ...: connectors/registry.py) or all")
    sync.add_argument(
        "--wait", type=float, default=None, metavar="SECONDS",
        help="when another sync of a source is running, wait this long for it, then skip the source with exit "
        "code 75 (default: $PRODOPS_SYNC_WAIT or 0)",
    )
    sync.set_defaults(run=_sync)

    load = commands.add_parser("load", help="load a file export: the HR roster, a survey wave or check-ins")
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
    checkins = loads.add_parser("checkins", help="a form export of check-ins (team and timestamp per row)")
    checkins.add_argument("file")
    checkins.add_argument("--kind", help="the check-in kind id every row is (else [checkins.form] kind_column)")
    checkins.set_defaults(run=_load_checkins)

    report = commands.add_parser("report", help="write the quarterly business review (pptx, pdf, md or csv)")
    report.add_argument("--quarter", help="a complete quarter, e.g. 2026Q3 (default: the last complete one)")
    report.add_argument("--format", choices=["pptx", "pdf", "md", "csv"], required=True)
    report.add_argument("--out", help="the file to write (default: qbr-<quarter>-<scope>.<format>); "
                        "Markdown's charts go beside it in <name>_charts/")
    where = report.add_mutually_exclusive_group()
    where.add_argument("--group", help="review one group (default: the whole organisation)")
    where.add_argument("--team", help="review one team, by team id")
    report.set_defaults(run=_report)

    init = commands.add_parser("init", help="write a first prodops.toml and .streamlit/secrets.toml (asks, or takes flags)")
    init.add_argument("--timezone", help="the organisation's IANA time zone, e.g. Europe/Berlin")
    init.add_argument("--jira-url", help="the Jira site, e.g. https://example.atlassian.net (\"\" for no Jira)")
    init.add_argument("--jira-email", help="Jira Cloud: the account the API token belongs to (leave out for Data Center)")
    init.add_argument("--jira-project", action="append", help="a Jira project key (repeatable)")
    init.add_argument("--calendar", choices=("ics", "google", "graph", "none"), help="where the PM calendars come from")
    init.add_argument("--calendar-location", help="ics: a file, a folder of <owner email>.ics files, or a feed")
    init.add_argument("--calendar-owner", action="append", help="google/graph: a calendar owner's email (repeatable)")
    init.add_argument("--survey-tool", choices=("google_forms", "qualtrics", "surveymonkey", "ms_forms", "typeform", "none"))
    init.add_argument("--no-input", action="store_true", help="ask nothing: what the flags leave out is left out")
    init.add_argument("--force", action="store_true", help="replace prodops.toml and .streamlit/secrets.toml if they exist")
    init.set_defaults(run=_init)

    digest = commands.add_parser(
        "digest", help="email each subscriber the digest of their last whole week or month "
        "([[digest.subscriptions]]); exit 0 all sent, 1 a message failed, 2 bad configuration, 75 another run busy")
    how = digest.add_mutually_exclusive_group(required=True)
    how.add_argument("--send", action="store_true", help="send what the sent-log does not hold yet")
    how.add_argument("--dry-run", action="store_true", help="list what would be sent, sending nothing")
    digest.set_defaults(run=_digest)

    alerts = commands.add_parser(
        "alerts", help="evaluate the [[alerts]] rules (as after every sync) and send what was not sent yet; "
        "exit 0 all sent, 1 a message failed, 2 bad configuration, 75 another evaluation busy")
    how = alerts.add_mutually_exclusive_group(required=True)
    how.add_argument("--send", action="store_true", help="send each occurrence the alert state does not hold as sent")
    how.add_argument("--dry-run", action="store_true", help="list what would be sent, sending and recording nothing")
    alerts.set_defaults(run=_alerts)

    doctor = commands.add_parser(
        "doctor", help="check the configuration and reach every source; exit 0 all ready, 1 something missing, 2 bad configuration")
    doctor.add_argument("--roster", help="check this roster CSV (before loading it) instead of the stored roster")
    doctor.add_argument("--survey", nargs=2, action="append", metavar=("NAME", "FILE"),
                        help="check a survey export's header against [surveys.NAME] (repeatable)")
    doctor.set_defaults(run=_doctor)

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
