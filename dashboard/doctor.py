"""`python -m dashboard doctor`: is this installation ready to sync the organisation's own data?

Each check reaches its source with the client a sync uses (the `jira` client, the calendar
connectors' readers and API clients, the roster and survey readers) but writes nothing, and
ends in one line: ready, or missing with what to fix. The checks are plain functions over the
settings, so the Data page's "Test connection" can run one source's checks alone.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from dashboard.core.config import CONFIG_ENV, DEFAULT_CONFIG_FILE, ConfigError, Settings, load_settings
from dashboard.core.store import open_store

READY, MISSING = "ready", "missing"
EXIT_READY, EXIT_MISSING, EXIT_CONFIG = 0, 1, 2
"""Exit codes: everything ready; something to fix; the configuration itself does not load."""


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    source: str
    status: str
    message: str

    def __str__(self) -> str:
        return f"[{self.status:<7}] {self.source}: {self.message}"


@dataclass
class Named:
    """Who the sources name (emails, lower case), for the roster check."""

    jira: set[str] = field(default_factory=set)
    calendar: set[str] = field(default_factory=set)


def ready(source: str, message: str) -> Check:
    return Check(source, READY, message)


def missing(source: str, message: str) -> Check:
    return Check(source, MISSING, message)


# -- Jira -------------------------------------------------------------------------------------------

def check_jira(settings: Settings, named: Named, secrets_file: Path | None = None) -> list[Check]:
    """Sign in (serverInfo), run one search of the configured scope, read every project's versions."""
    from jira import JIRAError

    from connectors.jira.connection import JiraSyncError, RetryPolicy, connect
    from connectors.jira.credentials import resolve_token
    from connectors.jira.query import scope_jql, scoped_projects

    source = settings.jira
    if source is None:
        return [ready("Jira", "not configured (add [jira] to prodops.toml to pull work items and releases: docs/jira.md)")]
    try:
        token = resolve_token(source, secrets_file)
        api = connect(source, token, RetryPolicy(max_retries=0))
    except JiraSyncError as error:
        return [missing("Jira", _jira_fix(str(error), source.url))]
    checks = [ready("Jira", f"signed in to {api.deployment.title} at {source.url}")]
    jql = scope_jql(source)
    search = api.client.enhanced_search_issues if api.deployment.name == "cloud" else api.client.search_issues
    try:
        found = search(jql, maxResults=50, fields=["assignee", "reporter"], json_result=True)
    except JIRAError as error:
        checks.append(missing("Jira", f"the search `{jql}` failed (HTTP {error.status_code}: {_text(error)}): fix [jira].projects or [jira].jql"))
    else:
        issues = found.get("issues", [])
        for issue in issues:
            for role in ("assignee", "reporter"):
                email = ((issue.get("fields") or {}).get(role) or {}).get("emailAddress")
                if email:
                    named.jira.add(email.lower())
        checks.append(ready("Jira", f"search `{jql}` answers ({len(issues)} issues on its first page)"))
    for key in scoped_projects(source):
        try:
            versions = api.client.project_versions(key)
        except JIRAError as error:
            checks.append(missing("Jira", _versions_fix(key, error.status_code, _text(error))))
        else:
            checks.append(ready("Jira", f"project {key}: {len(versions)} versions readable"))
    return checks


def _text(error) -> str:
    return " ".join((error.text or "").split())[:200] or "no message"


def _jira_fix(message: str, url: str) -> str:
    """The connection's own message, with what to change when it does not already say."""
    first = message.splitlines()[0]
    if "connection to Jira" in first or "did not answer" in first:
        return f"{first}. Fix [jira].url (the site address, e.g. https://example.atlassian.net) or the network to it"
    return first


def _versions_fix(key: str, status: int | None, text: str) -> str:
    if status == 404:
        return (f"project {key} was not found or is not visible to this account ({text}): "
                "fix the key in [jira].projects, or give the account Browse Projects on it")
    if status in (401, 403):
        return (f"project {key}: the account may not read its versions (HTTP {status}): "
                f"give it Browse Projects on {key} (releases are read from its versions)")
    return f"project {key}: reading its versions failed (HTTP {status}: {text})"


# -- calendars --------------------------------------------------------------------------------------

def check_calendars(settings: Settings, named: Named, env: Mapping[str, str] | None = None) -> list[Check]:
    """Every ICS location read and parsed; one calendar of Google and of Graph read for the last week."""
    env = os.environ if env is None else env
    calendar = settings.calendar
    if not (calendar.ics or calendar.google or calendar.graph):
        return [ready("Calendars", "not configured (add [[calendar.ics]], [calendar.google] or [calendar.graph]: docs/calendars.md)")]
    checks = [_check_ics(entry, settings, named, env) for entry in calendar.ics]
    for source, ids in (("google", calendar.google), ("graph", calendar.graph)):
        if ids is not None:
            checks.append(_check_api(source, settings, named, env))
    return checks


def _check_ics(entry, settings: Settings, named: Named, env: Mapping[str, str]) -> Check:
    from connectors.calendar import ics, ics_files
    from connectors.calendar.sync import _email_like

    where = f"${entry.location_env}" if entry.location_env else entry.location
    location = entry.location or env.get(entry.location_env or "")
    if not location:
        return missing("Calendars", f"{where} is not set: export it with the feed's address (docs/calendars.md)")
    documents = ics_files.read_location(location, where if entry.location_env else None,
                                  timeout=settings.calendar.timeout_seconds,
                                  max_bytes=int(settings.calendar.max_ics_megabytes * 2**20))
    problems = []
    for document in documents:
        try:
            if document.error:
                raise ics.IcsError(document.error)
            calendars = ics.parse_ics(document.data)
            owner = entry.owner or document.owner_hint or _email_like(ics.calendar_name(calendars))
        except ics.IcsError as error:
            problems.append(f"{document.where}: {error}")
            continue
        if owner:
            named.calendar.add(owner.strip().lower())
        else:
            problems.append(f"{document.where}: whose calendar is this? set `owner`, or name the file after the owner's address")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return missing("Calendars", f"{problems[0]}{more}: fix or remove it in [[calendar.ics]]")
    return ready("Calendars", f"ICS {where}: {len(documents)} calendar{'s' if len(documents) != 1 else ''} readable")


def _check_api(source: str, settings: Settings, named: Named, env: Mapping[str, str]) -> Check:
    from connectors.calendar import google, graph
    from connectors.calendar.normalize import Owner, Window

    config = settings.calendar.google if source == "google" else settings.calendar.graph
    ids = config.calendars if source == "google" else config.users
    title = "Google Calendar" if source == "google" else "Microsoft Graph"
    first = ids[0]
    today = date.today()
    window = Window.of(today - timedelta(days=7), today + timedelta(days=1))
    owner = Owner("doctor", first.lower(), settings.org_timezone)
    try:
        if source == "google":
            client = google.GoogleClient(config, timeout=settings.calendar.timeout_seconds, env=env)
            google.fetch_google(client, first, owner, window, None)
        else:
            client = graph.GraphClient(config, timeout=settings.calendar.timeout_seconds, env=env)
            graph.fetch_graph(client, first, owner, window, None)
    except Exception as error:  # noqa: BLE001 - whatever the API or the credentials said, it is this line's fix
        return missing("Calendars", f"{title} could not read {first}: {error} (credentials and scopes: docs/calendars.md)")
    named.calendar.update(i.lower() for i in ids)
    return ready("Calendars", f"{title}: read a week of {first} ({len(ids)} calendars configured)")


# -- roster and files ---------------------------------------------------------------------------------

def check_roster(settings: Settings, named: Named, roster_file: str | None = None) -> list[Check]:
    """The roster (a file about to be loaded, else the stored one) against who the sources name."""
    if roster_file:
        from connectors.roster import RosterError, read_roster

        try:
            roster = read_roster(roster_file)
        except RosterError as error:
            return [missing("Roster", f"{error} (the columns: docs/roster.md)")]
        people = pd.DataFrame({"email": [p.email for p in roster.people], "role": [p.role for p in roster.people]})
        where = roster_file
    else:
        store = open_store(settings)
        people = store.table("people") if store.exists() else pd.DataFrame(columns=["email", "role"])
        where = "the stored roster"
    if people.empty:
        return [missing("Roster", "no roster loaded: run `python -m dashboard load roster FILE` (the columns: docs/roster.md)")]
    known = {str(e).strip().lower() for e in people["email"] if isinstance(e, str)}
    checks = [ready("Roster", f"{where}: {len(people)} people, {int((people['role'] == 'pm').sum())} PMs")]
    mapped = {k.lower() for k in (settings.jira.people if settings.jira else {})}
    for source, emails, fix in (
        ("Jira", named.jira - mapped, "add them to the roster, or map them in [jira].people"),
        ("calendars", named.calendar - set(settings.calendar.owners), "add them to the roster, or map them in [calendar].owners"),
    ):
        unknown = sorted(emails - known)
        if unknown:
            checks.append(missing("Roster", f"{len(unknown)} people {source} names are not on it ({', '.join(unknown[:5])}"
                                            f"{', ...' if len(unknown) > 5 else ''}): {fix}"))
    return checks


def check_survey(settings: Settings, name: str, file: str) -> Check:
    """A survey export's header: a tool the mapping accepts, every mapped question present."""
    from connectors.survey import SurveyFormatError, read_export

    mapping = settings.surveys.get(name)
    if mapping is None:
        return missing("Surveys", f"no [surveys.{name}] in the configuration: add its mapping (docs/surveys.md)")
    try:
        export = read_export(Path(file))
    except (SurveyFormatError, OSError) as error:
        return missing("Surveys", f"{error}")
    if mapping.tool and export.tool != mapping.tool:
        return missing("Surveys", f"{file} is a {export.tool} export but [surveys.{name}].tool is {mapping.tool!r}")
    names = {c.key for c in export.columns} | {alias for c in export.columns for alias in c.aliases}
    absent = [key for key, question in mapping.questions.items() if question.required and key not in names]
    if absent:
        return missing("Surveys", f"{file} lacks the mapped question columns {absent}: fix [surveys.{name}.questions]")
    return ready("Surveys", f"{file}: a {export.tool} export with {len(export.responses)} responses matching [surveys.{name}]")


# -- the whole checklist ----------------------------------------------------------------------------

SOURCE_CHECKS: dict[str, Callable[[Settings, Named], list[Check]]] = {"jira": check_jira, "calendar": check_calendars}
"""The checks of one syncable source (the names `dashboard.sync` uses), for a "Test connection" button."""


def run(
    config: str | None = None,
    *,
    roster: str | None = None,
    surveys: Iterable[tuple[str, str]] = (),
    env: Mapping[str, str] | None = None,
    secrets_file: Path | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Print the checklist, one line per check, and return the exit code (`EXIT_*`)."""
    file = config or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE
    if not Path(file).exists():
        say(str(missing("Configuration", f"no {file}: run `python -m dashboard init` to write one")))
        return EXIT_CONFIG
    try:
        settings = load_settings(file)
    except ConfigError as error:
        for line in str(error).splitlines()[1:] or str(error).splitlines():
            say(str(missing("Configuration", f"{file}: {line.strip()}")))
        return EXIT_CONFIG
    checks = [ready("Configuration", f"{file} is valid")]
    named = Named()
    checks += check_jira(settings, named, secrets_file)
    checks += check_calendars(settings, named, env)
    checks += check_roster(settings, named, roster)
    checks += [check_survey(settings, name, file) for name, file in surveys]
    for check in checks:
        say(str(check))
    return EXIT_READY if all(c.status == READY for c in checks) else EXIT_MISSING
