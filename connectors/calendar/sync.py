"""Calendars as a pipeline source: every configured calendar into `calendar_events`.

Each calendar (an ICS file or feed, a Google calendar, a Graph mailbox) is fetched, expanded and
normalised on its own; one that fails at any step is quarantined (its file or URL and the error
go into `sync_runs`) and keeps its last good rows, while the others go on. The pipeline then
publishes the rows, the run with every calendar's incremental cursor and the rebuilt PM-weeks in
one transaction: all of it, or none of it, so a cursor never moves past rows that were not written.

How rows are replaced, which is what makes a second sync of the same calendars change nothing:
- a full pull (every ICS calendar, a first or resynced Google/Graph calendar) replaces the
  owner's rows of that source that start in the window; rows before the window stay;
- an incremental pull rewrites exactly the occurrences it touched.
All ICS calendars of one person are one unit (the rows do not say which file they came from):
if one of them fails, that person's ICS rows all stay as they were until it reads again.

Calendar owners are people by email: `[calendar.owners]` first, then the roster's `email`. The
other attendees of each occurrence are looked up the same way, to store their roster roles.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

from connectors.calendar import google, graph, ics, ics_files
from connectors.calendar.classify import Classifier
from connectors.calendar.normalize import Fetched, Occurrence, Owner, Rows, Window, title_salt, to_rows
from connectors.retry import RetryPolicy
from dashboard.core import periods
from dashboard.core.config import Settings
from dashboard.core.file_limits import listing
from dashboard.core.store import Store, Transaction
from dashboard.pipeline.run import sync
from dashboard.pipeline.source import FAILED, OK, PARTIAL, Context, Cursor, Pull, Quarantined, Stream

RUN_SOURCE = "calendar"


class OwnerError(ValueError):
    """A calendar whose owner is not a known person."""


@dataclass
class SyncResult:
    run_id: str
    status: str  # success, partial (some calendars quarantined) or failed (all of them); as in sync_runs
    rows: int  # calendar_events rows written
    calendars: int  # calendars written
    quarantined: list[Quarantined] = field(default_factory=list)
    cursors: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What was read with something left out, e.g. `pm.ics line 12: skipped, not a calendar line`."""


@dataclass
class _Batch:
    """One owner's rows of one source, and how they replace what is stored."""

    source: str
    owner: Owner
    rows: Rows
    full: bool
    touched: set[str] = field(default_factory=set)


def sync_window(settings: Settings, today: date | None = None) -> Window:
    """From the week `calendar.history_days` back to the end of this week, on the organisation's clock.

    Whole weeks, so the window moves once a week: PM-weeks at both ends are complete, and an
    incremental cursor taken this week stays valid until the next one.
    """
    today = today or periods.today(settings.org_timezone)
    first = periods.floor_date(today - timedelta(days=settings.calendar.history_days), "week", settings.week_start)
    this_week = periods.floor_date(today, "week", settings.week_start)
    return Window.of(first, this_week + timedelta(days=7), settings.org_timezone)


class Owners:
    """Calendar owner addresses to people, with their roster time zone and their other addresses;
    and every known address to its person's roster role (`roles`) and team (`teams`), to name who an
    owner meets."""

    def __init__(self, people: pd.DataFrame, settings: Settings):
        self.default_tz = settings.org_timezone
        self.person_of: dict[str, str] = {
            str(email).strip().lower(): person
            for email, person in zip(people.get("email", []), people.get("person_id", []), strict=True)
            if isinstance(email, str) and email.strip()
        }
        self.person_of.update(settings.calendar.owners)
        zones = zip(people.get("person_id", []), people.get("tz", []), strict=True)
        self.tz_of = {person: tz for person, tz in zones if isinstance(tz, str) and tz}
        self.roles = self._by_address(people, "role")
        self.teams = self._by_address(people, "team_id")

    def _by_address(self, people: pd.DataFrame, column: str) -> dict[str, str]:
        """Every known address (aliases too) to its person's roster `column`, where they have one."""
        of = {person: value for person, value in zip(people.get("person_id", []), people.get(column, []), strict=True)
              if isinstance(value, str) and value}
        return {address: of[person] for address, person in self.person_of.items() if person in of}

    def owner(self, email: str) -> Owner:
        address = email.strip().lower()
        person = self.person_of.get(address)
        if person is None:
            raise OwnerError(f"no person with email {address}: add them to the roster or to [calendar.owners]")
        aliases = tuple(sorted(a for a, p in self.person_of.items() if p == person and a != address))
        return Owner(person, address, self.tz_of.get(person, self.default_tz), aliases)


class Calendars:
    """The calendar sources (`[[calendar.ics]]`, `[calendar.google]`, `[calendar.graph]`), one run.

    `today`, `session` (a `requests.Session`), `env` (the environment) and `policy` (how to wait
    between retries; by default `[calendar].max_retries` with real sleeps) are there for tests.
    """

    name = RUN_SOURCE
    section = "[[calendar.ics]], [calendar.google] or [calendar.graph]"
    streams = (Stream("calendar_events", cursor_field="updated"), Stream("calendar_titles"))

    def __init__(self, *, today: date | None = None, session=None, env: Mapping[str, str] | None = None,
                 policy: RetryPolicy | None = None):
        self.today, self.session, self.policy = today, session, policy
        self.env = os.environ if env is None else env

    def configured(self, settings: Settings) -> bool:
        calendar = settings.calendar
        return bool(calendar.ics or calendar.google or calendar.graph)

    def fetch(self, context: Context) -> Pull:
        settings, env = context.settings, self.env
        policy = self.policy or RetryPolicy(max_retries=settings.calendar.max_retries)
        window = sync_window(settings, self.today)
        store = context.store
        people = store.table("people") if store.exists() else pd.DataFrame(columns=["person_id", "email", "tz", "role"])
        owners, classifier = Owners(people, settings), Classifier.from_settings(settings)
        previous = dict(context.cursor.marks) if context.cursor else {}
        context.progress("calendars", 0, None)

        quarantined: list[Quarantined] = []
        warnings: list[str] = []
        pulls = _pull_ics(settings, owners, window, quarantined, warnings, self.session, env, policy)
        api_pulls, cursors = _pull_apis(settings, owners, window, previous, quarantined, self.session, env, policy)
        pulls += api_pulls

        calendar = settings.calendar
        salt = title_salt(settings, env)
        batches = [
            _Batch(source, owner, to_rows(source, f.occurrences, owner, classifier, window, salt, calendar.keep_titles,
                                          owners.roles, owners.teams), f.full, f.touched)
            for source, owner, f in pulls
        ]
        context.progress("calendars", len(batches), len(batches))
        status = OK if not quarantined else (PARTIAL if batches else FAILED)
        return Pull({}, Cursor(cursors), status, quarantined, _Facts(batches, window, calendar.keep_titles, warnings))

    def write(self, tx: Transaction, pull: Pull, observed_at: datetime) -> int:
        facts: _Facts = pull.facts
        _write(tx, facts.batches, facts.window)
        if not facts.keep_titles:
            tx.execute("DELETE FROM calendar_titles")
        return sum(len(b.rows.events) for b in facts.batches)

    def describe(self, error: Exception) -> str:
        return _describe(error)

    def summary(self, pull: Pull) -> str:
        facts: _Facts = pull.facts
        quarantined = "; ".join(f"{q.source} {q.where}: {q.error}" for q in pull.quarantined)
        detail = f"{len(facts.batches)} calendars" + (f"; quarantined {quarantined}" if quarantined else "")
        if facts.warnings:
            detail += f"; warnings: {listing(facts.warnings, quoted=False, width=300)}"
        return detail


@dataclass
class _Facts:
    batches: list[_Batch]
    window: Window
    keep_titles: bool
    warnings: list[str]


def sync_calendars(
    store: Store,
    settings: Settings,
    *,
    today: date | None = None,
    session=None,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> SyncResult:
    """Sync every calendar configured in `settings.calendar` into `store`; see `Calendars`.

    Raises:
        SyncFailed: the write failed; recorded in `sync_runs`, nothing else changed.
    """
    run = sync(store, settings, Calendars(today=today, session=session, env=env, policy=policy))
    facts: _Facts = run.pull.facts
    return SyncResult(run.run_id, run.status, run.rows, len(facts.batches), run.pull.quarantined,
                      dict(run.pull.cursor.marks), facts.warnings)


# --- pulling each kind of calendar ----------------------------------------------------------------


def _pull_ics(settings, owners, window, quarantined, warnings, session, env, policy) -> list[tuple[str, Owner, Fetched]]:
    """Every ICS document, grouped by person; a person with a failed document is left as stored.

    Lines the parser skipped are added to `warnings` by number, never quoted (they may hold titles).
    """
    found: dict[str, tuple[Owner, list[Occurrence]]] = {}
    failed: set[str] = set()
    for entry in settings.calendar.ics:
        label = f"${entry.location_env}" if entry.location_env else None
        location = entry.location or env.get(entry.location_env or "")
        if not location:
            quarantined.append(Quarantined(ics.SOURCE, label or "", "environment variable is not set"))
            continue
        documents = ics_files.read_location(
            location,
            label,
            session=session,
            timeout=settings.calendar.timeout_seconds,
            policy=policy,
            max_bytes=int(settings.calendar.max_ics_megabytes * 2**20),
        )
        for document in documents:
            owner = None
            try:
                if document.error:
                    raise ics.IcsError(document.error)
                calendars = ics.parse_ics(document.data)
                warnings.extend(f"{document.where} line {number}: skipped, not a calendar line the parser can read"
                                for number in ics.skipped_lines(document.data, calendars))
                email = entry.owner or document.owner_hint or _email_like(ics.calendar_name(calendars))
                if not email:
                    raise ics.IcsError(
                        "whose calendar is this? set `owner`, or name the file after the owner's address"
                    )
                owner = owners.owner(email)
                occurrences = ics.ics_occurrences(calendars, owner, window, ics.Limits.from_settings(settings))
            except Exception as error:  # noqa: BLE001 - quarantine, whatever it was: one bad file never stops the others
                quarantined.append(Quarantined(ics.SOURCE, document.where, _describe(error)))
                hint = entry.owner or document.owner_hint
                if owner is None and hint and hint.strip().lower() in owners.person_of:
                    owner = owners.owner(hint)
                if owner is not None:
                    failed.add(owner.person_id)
                continue
            found.setdefault(owner.person_id, (owner, []))[1].extend(occurrences)
    return [
        (ics.SOURCE, owner, Fetched(full=True, occurrences=occ))
        for person, (owner, occ) in found.items()
        if person not in failed
    ]


def _pull_apis(settings, owners, window, previous, quarantined, session, env, policy):
    """Google and Graph calendars, and the cursors to keep: new ones, or the old one of a quarantined calendar."""
    pulls: list[tuple[str, Owner, Fetched]] = []
    cursors: dict[str, dict] = {}
    for source, fetch in ((google.SOURCE, _pull_google), (graph.SOURCE, _pull_graph)):
        for key, owner, fetched, error in fetch(settings, owners, window, previous, session, env, policy):
            if error is not None:
                quarantined.append(Quarantined(source, key.split(":", 1)[1], error))
                if key in previous:
                    cursors[key] = previous[key]  # keep the old place: try again next run
                continue
            pulls.append((source, owner, fetched))
            if fetched.cursor is not None:
                cursors[key] = fetched.cursor
    return pulls, cursors


def _pull_google(settings, owners, window, previous, session, env, policy):
    source = settings.calendar.google
    if source is None:
        return
    yield from _pull_api(
        google.SOURCE,
        source.calendars,
        owners,
        previous,
        lambda: google.GoogleClient(
            source, session=session, timeout=settings.calendar.timeout_seconds, env=env, policy=policy
        ),
        lambda client, calendar_id, owner, cursor: google.fetch_google(client, calendar_id, owner, window, cursor),
    )


def _pull_graph(settings, owners, window, previous, session, env, policy):
    source = settings.calendar.graph
    if source is None:
        return
    yield from _pull_api(
        graph.SOURCE,
        source.users,
        owners,
        previous,
        lambda: graph.GraphClient(
            source, session=session, timeout=settings.calendar.timeout_seconds, env=env, policy=policy
        ),
        lambda client, user, owner, cursor: graph.fetch_graph(client, user, owner, window, cursor),
    )


def _pull_api(source, calendar_ids, owners, previous, make_client, fetch):
    """Yield (cursor key, owner, fetched, error) per calendar of an API source."""
    try:
        client = make_client()
    except Exception as error:  # noqa: BLE001 - e.g. no credentials: every calendar of this source waits
        for calendar_id in calendar_ids:
            yield f"{source}:{calendar_id}", None, None, _describe(error)
        return
    for calendar_id in calendar_ids:
        key = f"{source}:{calendar_id}"
        try:
            owner = owners.owner(calendar_id)
            yield key, owner, fetch(client, calendar_id, owner, previous.get(key)), None
        except Exception as error:  # noqa: BLE001
            yield key, None, None, _describe(error)


def _describe(error: Exception) -> str:
    if type(error).__module__.startswith("connectors."):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _email_like(text: str) -> str | None:
    text = text.strip().lower()
    return text if "@" in text and " " not in text else None


# --- writing ------------------------------------------------------------------------------------------


def _write(tx: Transaction, batches: list[_Batch], window: Window) -> None:
    """Replace every owner's rows as their pull allows (see the module docstring), set-wise.

    A handful of statements for the whole run, however many calendars: the rows each full pull
    replaces, then the occurrences the pulls touched or bring, then the new rows.
    """
    in_window = [window.start.replace(tzinfo=None), window.end.replace(tzinfo=None)]
    full = pd.DataFrame([(b.source, b.owner.person_id) for b in batches if b.full], columns=["source", "person_id"])
    keys = []
    for b in batches:
        incoming = set(b.rows.events["event_uid"])
        keys += [(b.source, b.owner.person_id, uid, True) for uid in incoming]
        keys += [(b.source, b.owner.person_id, uid, False) for uid in b.touched - incoming]
    touched = pd.DataFrame(keys, columns=["source", "person_id", "event_uid", "incoming"]).astype({"incoming": bool})
    with tx.staged("_full", full), tx.staged("_touched", touched):
        tx.execute(
            "DELETE FROM calendar_events e USING _full f WHERE e.source = f.source AND e.person_id = f.person_id"
            " AND e.start_utc >= ? AND e.start_utc < ?",
            in_window,
        )
        tx.execute(
            "DELETE FROM calendar_events e USING _touched t WHERE e.source = t.source AND e.person_id = t.person_id"
            " AND e.event_uid = t.event_uid AND (t.incoming OR (e.start_utc >= ? AND e.start_utc < ?))",
            in_window,
        )
    if batches:
        tx.upsert("calendar_events", pd.concat([b.rows.events for b in batches], ignore_index=True))
        tx.upsert("calendar_titles", pd.concat([b.rows.titles for b in batches], ignore_index=True))
    tx.execute(
        "DELETE FROM calendar_titles t WHERE NOT EXISTS (SELECT 1 FROM calendar_events e"
        " WHERE e.source = t.source AND e.person_id = t.person_id AND e.event_uid = t.event_uid)"
    )
