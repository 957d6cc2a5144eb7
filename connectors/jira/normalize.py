"""Normalize: raw Jira JSON to canonical rows. Pure: no network, no store, no clock.

This is where Jira's quirks end. Timestamps carry the requesting user's offset (`-0700`), so
they are turned into naive UTC. Users are `accountId` on Cloud and `name`/`key` on Data
Center, so they are mapped to roster people or given a stable `jira:<id>`. A changelog names
statuses as they were called then (`fromString`/`toString`), which is what a status history
should show. Versions have no separate release day: releasing one sets its release date.

The demo organisation's Jira JSON goes through the same `normalize`, so both paths agree.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from connectors.jira.classify import DEFAULT_WORK_CLASSES, WorkClassifier
from dashboard.core import decisions
from dashboard.core.config import DataRequestSelector, JiraSource
from dashboard.core.schema import TABLES

SOURCE = "jira"
STATUS = decisions.STATUS
KEPT_FIELDS = {"status": decisions.STATUS, "priority": decisions.PRIORITY, "Fix Version": decisions.FIX_VERSION,
               "Rank": decisions.RANK}
"""Changelog field names (as Jira spells them in a history item's `field`, on Cloud and Data Center)
kept as transitions, under their canonical names: the status history and the decision edits."""


class NormalizeError(ValueError):
    """A raw record that cannot become a canonical row; the message names the record and field."""


@dataclass(frozen=True)
class Rules:
    """One organisation's reading of its Jira: what is a data request or a check-in, who is who."""

    data_request: DataRequestSelector | None = None
    checkin_issue_type: str | None = None
    project_teams: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)
    """Jira identity (accountId, user key, username or email) -> person_id; matched ignoring case."""
    work_class: WorkClassifier = field(default_factory=lambda: WorkClassifier(DEFAULT_WORK_CLASSES))
    """Systems or coordination, from the summary (read here, never stored), type, labels and components."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "people", {identity.lower(): person for identity, person in self.people.items()})

    @classmethod
    def from_settings(cls, source: JiraSource, people: pd.DataFrame | None = None) -> Rules:
        """The configured rules, with roster people matched by email unless the config maps them."""
        identities: dict[str, str] = {}
        if people is not None and not people.empty:
            for person_id, email in zip(people["person_id"], people["email"]):
                if isinstance(email, str) and email.strip():
                    identities[email.strip().lower()] = person_id
        identities.update({identity.lower(): person_id for identity, person_id in source.people.items()})  # config wins
        return cls(source.data_request, source.checkin_issue_type, dict(source.project_teams), identities,
                   WorkClassifier.from_source(source))

    def kind(self, project: str | None, issue_type: str | None, labels: list[str]) -> str:
        """`checkin` for the check-in issue type, `data_request` when every given criterion holds."""
        if self.checkin_issue_type and _same(issue_type, self.checkin_issue_type):
            return "checkin"
        selector = self.data_request
        if selector and (
            (not selector.projects or project in selector.projects)
            and (not selector.issue_types or any(_same(issue_type, t) for t in selector.issue_types))
            and (not selector.labels or bool(set(labels) & set(selector.labels)))
        ):
            return "data_request"
        return "work"

    def person(self, user: dict | None) -> str | None:
        """The roster person behind a Jira user, else a stable `jira:<accountId or user key>`."""
        if not user:
            return None
        ids = [user.get(name) for name in ("accountId", "key", "name", "emailAddress")]
        for identity in ids:
            if isinstance(identity, str) and identity.lower() in self.people:
                return self.people[identity.lower()]
        stable = next((i for i in ids[:3] if isinstance(i, str) and i), None)
        return f"jira:{stable}" if stable else None


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.casefold() == b.casefold()


@dataclass(frozen=True)
class JiraFrames:
    """Canonical rows from one batch of raw Jira. `release_plans` holds this batch's
    observations; `plan_changes` keeps the ones that differ from what was recorded before."""

    work_items: pd.DataFrame
    work_item_transitions: pd.DataFrame
    releases: pd.DataFrame
    release_plans: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "work_items": self.work_items, "work_item_transitions": self.work_item_transitions,
            "releases": self.releases, "release_plans": self.release_plans,
        }


def normalize(
    issues: Iterable[dict],
    versions: Mapping[str, Iterable[dict]],
    observed_at: datetime,
    rules: Rules | None = None,
) -> JiraFrames:
    """Raw REST v2 issues (with `changelog` expanded) and versions per project key, to canonical frames.

    Args:
        issues: issue dicts as the `jira` client receives them; each changelog must be complete.
        versions: project key -> its version dicts from `/project/{key}/versions`.
        observed_at: when the versions were read; stamps each planned date seen (naive UTC).
        rules: the organisation's classification and people map; none means every issue is work.
    """
    rules = rules or Rules()
    items, transitions = [], []
    for issue in issues:
        item = work_item(issue, rules)
        items.append(item)
        transitions.extend(field_changes(issue, item["item_id"], rules))
    releases, plans = [], []
    seen_at = utc(observed_at, "observed_at")
    for project, project_versions in versions.items():
        for version in project_versions:
            release = release_row(version, project, rules)
            releases.append(release)
            plans.extend(_observed_plan(release, seen_at))
    return JiraFrames(
        frame("work_items", items), frame("work_item_transitions", transitions),
        frame("releases", releases), frame("release_plans", plans),
    )


def version_plans(reads: Iterable[tuple[datetime, Mapping[str, Iterable[dict]]]], rules: Rules | None = None) -> pd.DataFrame:
    """The planned dates seen by several reads of project versions, each read at its own time.

    Each read is `(observed_at, versions per project key)`, as one `normalize` call would take
    them; the rows are what those calls' `release_plans` would hold together (an open, dated
    version gives one row per read), in one frame and without normalizing any issue. Feed them
    to `plan_changes` to keep the first plans and the re-plans.
    """
    rules = rules or Rules()
    plans = []
    for observed_at, versions in reads:
        seen_at = utc(observed_at, "observed_at")
        for project, project_versions in versions.items():
            for version in project_versions:
                plans.extend(_observed_plan(release_row(version, project, rules), seen_at))
    return frame("release_plans", plans)


def _observed_plan(release: dict, seen_at: datetime | None) -> list[dict]:
    """A release's planned date as seen at `seen_at`: recorded only while it is open and dated."""
    if release["planned_date"] is None or release["released"]:
        return []
    return [{"release_id": release["release_id"], "observed_at": seen_at, "planned_date": release["planned_date"]}]


def work_item(issue: dict, rules: Rules) -> dict:
    """One `work_items` row from one raw issue."""
    key = issue.get("key") or issue.get("id")
    fields = issue.get("fields") or {}
    if not issue.get("id"):
        raise NormalizeError(f"Jira issue {key or '(no key)'}: no id")
    project = (fields.get("project") or {}).get("key")
    issue_type = (fields.get("issuetype") or {}).get("name")
    labels = [str(label) for label in fields.get("labels") or []]
    components = [c.get("name") for c in fields.get("components") or [] if c.get("name")]
    status = fields.get("status") or {}

    def when(name: str) -> datetime | None:
        return utc(fields.get(name), f"{key} fields.{name}")

    return {
        "source": SOURCE,
        "item_id": str(issue["id"]),
        "key": issue.get("key"),
        "kind": rules.kind(project, issue_type, labels),
        "project": project,
        "type": issue_type,
        "status": status.get("name"),
        "status_category": (status.get("statusCategory") or {}).get("key"),
        "created": when("created"),
        "updated": when("updated"),
        "resolved": when("resolutiondate"),
        "assignee_id": rules.person(fields.get("assignee")),
        "reporter_id": rules.person(fields.get("reporter")),
        "labels": labels,
        "components": components,
        "fix_versions": [v.get("name") for v in fields.get("fixVersions") or [] if v.get("name")],
        "due_date": day(fields.get("duedate"), f"{key} fields.duedate"),
        "parent_key": (fields.get("parent") or {}).get("key"),
        "work_class": rules.work_class(fields.get("summary"), issue_type, labels, components),
    }


def field_changes(issue: dict, item_id: str, rules: Rules | None = None) -> list[dict]:
    """Every change of a `KEPT_FIELDS` field in the issue's changelog, each with its author, in
    whatever order Jira listed the histories.

    Only Jira's own `status` field is the status (a custom field may be called "status" too).
    A fix version is one item per version added (`toString` its name) or removed (`fromString`
    its name, no `to`); two identical rows (same item, time, field and value) are one.
    """
    log = issue.get("changelog")
    if not log:
        return []
    rules = rules or Rules()
    key = issue.get("key") or item_id
    histories = log.get("histories") or []
    if log.get("total", len(histories)) > len(histories):
        raise NormalizeError(
            f"Jira issue {key}: changelog has {len(histories)} of {log['total']} histories; fetch the rest before normalizing"
        )
    rows, seen, kept = [], set(), set()
    for history in histories:
        if history.get("id") is not None:
            if history["id"] in seen:
                continue
            seen.add(history["id"])
        at = utc(history.get("created"), f"{key} changelog history {history.get('id')} created")
        author = rules.person(history.get("author"))
        for change in history.get("items") or []:
            field_name = KEPT_FIELDS.get(change.get("field"))
            if field_name is None or (field_name == STATUS and change.get("fieldtype", "jira") != "jira"):
                continue
            to_value = change.get("toString") or change.get("to") or ""
            if (at, field_name, to_value) in kept:
                continue
            kept.add((at, field_name, to_value))
            rows.append({
                "item_id": item_id, "at": at, "field": field_name,
                "from_value": change.get("fromString"), "to_value": to_value, "author_id": author,
            })
    return rows


def release_row(version: dict, project: str, rules: Rules) -> dict:
    """One `releases` row from a version; a released version's release date is its release day."""
    if version.get("id") is None:
        raise NormalizeError(f"Jira version {version.get('name')!r} of project {project}: no id")
    name = f"version {version.get('name')!r} of {project}"
    planned = day(version.get("releaseDate"), f"{name} releaseDate")
    released = bool(version.get("released", False))
    return {
        "release_id": str(version["id"]),
        "project": project,
        "team_id": rules.project_teams.get(project),
        "name": version.get("name"),
        "start_date": day(version.get("startDate"), f"{name} startDate"),
        "planned_date": planned,
        "released": released,
        "released_on": planned if released else None,
        "archived": bool(version.get("archived", False)),
    }


def plan_changes(plans: pd.DataFrame) -> pd.DataFrame:
    """Keep a planned-date observation only when it differs from the previous one of its release.

    Feed it what was recorded plus the new observations: what survives with the new
    `observed_at` are the re-plans (and first plans) to record. Dates moved twice over three
    reads leave three rows: the first plan and two re-plans.
    """
    ordered = plans.sort_values(["release_id", "observed_at"], kind="stable")
    previous = ordered.groupby("release_id")["planned_date"].shift()
    return ordered[ordered["planned_date"].ne(previous)].reset_index(drop=True)


def utc(value, what: str) -> datetime | None:
    """A Jira timestamp as naive UTC. Jira writes `2024-01-15T10:23:45.123+0000` (offset without
    a colon, in the reader's time zone); epoch numbers appear in some endpoints' examples."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    elif isinstance(value, str):
        try:  # C-fast, and reads `+0000` from Python 3.11 on; strptime covers older Pythons
            moment = datetime.fromisoformat(value)
        except ValueError:
            try:
                moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
            except ValueError:
                raise NormalizeError(f"{what}: {value!r} is not a Jira timestamp") from None
    else:
        raise NormalizeError(f"{what}: {value!r} is not a Jira timestamp")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def day(value, what: str) -> date | None:
    """A Jira date (`yyyy-MM-dd`); the API spec's examples also show epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC).date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise NormalizeError(f"{what}: {value!r} is not a date (yyyy-MM-dd)") from None


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame with the table's declared columns, dates and times as datetime64."""
    columns = TABLES[table].columns
    out = pd.DataFrame(rows, columns=list(columns))
    for column, kind in columns.items():
        if kind in ("TIMESTAMP", "DATE"):
            out[column] = pd.to_datetime(out[column])
        elif kind == "BOOLEAN":
            out[column] = out[column].astype("boolean")
    return out
