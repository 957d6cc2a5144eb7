"""The fake Jira's data: an in-memory site (projects, users, issues with histories, versions),
rendered in Jira's own JSON shapes for Cloud or Data Center, plus a generator of realistic orgs.

The shapes follow the real Jira Cloud captures in ../shared/corpus/jira/ (Airbyte's fixtures)
and ../shared/reference/jira.md; tests/connectors/jira/test_jira_fake.py holds them side by side. Differences
between deployments that a connector must cope with are kept: Cloud users have `accountId`
only, Data Center users `name` and `key`; timestamps carry the requesting user's offset.
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Literal

Mode = Literal["cloud", "datacenter"]

# name -> (status id, category id, category key, colour, category name): real Cloud ids and keys.
STATUSES: dict[str, tuple[str, int, str, str, str]] = {
    "To Do": ("10000", 2, "new", "blue-gray", "To Do"),
    "In Progress": ("3", 4, "indeterminate", "yellow", "In Progress"),
    "In Review": ("10001", 4, "indeterminate", "yellow", "In Progress"),
    "Done": ("10002", 3, "done", "green", "Done"),
    "Won't Do": ("10003", 3, "done", "green", "Done"),
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
RANK_FIELD = "customfield_10019"
"""The id Jira Cloud gives the Rank field (a custom field, `fieldtype` "custom", in every history)."""
ISSUE_TYPES = {"Epic": "10000", "Story": "10001", "Task": "10002", "Bug": "10004", "Sub-task": "10003",
               "Data Request": "10010", "Check-in": "10011"}
AVATAR = "https://secure.gravatar.com/avatar/0a7841feac7218131ce7b427283c24ef?d=identicon"


@dataclass
class User:
    ref: str
    """accountId on Cloud, user key on Data Center: what histories and fields point at."""
    name: str
    display_name: str
    email: str | None
    time_zone: str = "Europe/Berlin"


@dataclass
class History:
    id: str
    author: str
    created: datetime
    items: list[dict]


@dataclass
class Issue:
    id: str
    key: str
    project: str
    issuetype: str
    summary: str
    created: datetime
    updated: datetime
    status: str = "To Do"
    resolved: datetime | None = None
    assignee: str | None = None
    reporter: str | None = None
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    fix_versions: list[str] = field(default_factory=list)
    duedate: date | None = None
    parent: str | None = None
    priority: str = "Medium"
    histories: list[History] = field(default_factory=list)


@dataclass
class Version:
    id: str
    project: str
    name: str
    release_date: date | None = None
    start_date: date | None = None
    released: bool = False
    archived: bool = False
    description: str = ""


class JiraSite:
    """One Jira site's content, and the clock its changes are stamped with."""

    def __init__(self, mode: Mode = "cloud", *, user_tz: tzinfo = timezone(timedelta(hours=-7)),
                 now: datetime = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)):
        self.mode = mode
        self.user_tz = user_tz
        """The requesting user's time zone: timestamps are written, and quoted JQL dates read, in it."""
        self.now = now
        self.base_url = "http://jira.invalid"
        self.projects: dict[str, tuple[str, str]] = {}
        self.users: dict[str, User] = {}
        self.issues: dict[str, Issue] = {}
        self.by_key: dict[str, Issue] = {}
        self.versions: dict[str, Version] = {}
        self.revision = 0
        """Bumped by every change, so a server can cache query results between changes."""
        self._ids = {"issue": 10000, "version": 20000, "history": 30000, "project": 10000}
        self._numbers: dict[str, int] = {}

    # -- building ----------------------------------------------------------------------------------
    def _next(self, kind: str) -> str:
        self._ids[kind] += 1
        return str(self._ids[kind])

    def add_project(self, key: str, name: str | None = None) -> None:
        self.projects[key] = (self._next("project"), name or f"Project {key}")
        self._numbers[key] = 0
        self.revision += 1

    def add_user(self, name: str, display_name: str, email: str | None) -> User:
        number = len(self.users) + 1
        ref = f"5b10a2844c20165700ede{number:03x}" if self.mode == "cloud" else f"JIRAUSER{10100 + number}"
        user = User(ref, name, display_name, email)
        self.users[ref] = user
        return user

    def add_issue(self, project: str, created: datetime, *, issuetype: str = "Task", summary: str = "",
                  reporter: str | None = None, assignee: str | None = None, labels: list[str] | None = None,
                  components: list[str] | None = None, duedate: date | None = None, parent: str | None = None) -> Issue:
        self._numbers[project] += 1
        key = f"{project}-{self._numbers[project]}"
        issue = Issue(self._next("issue"), key, project, issuetype, summary or f"Work item {key}", created, created,
                      reporter=reporter, assignee=assignee, labels=list(labels or []), components=list(components or []),
                      duedate=duedate, parent=parent)
        self.issues[issue.id] = issue
        self.by_key[key] = issue
        self.revision += 1
        return issue

    def add_version(self, project: str, name: str, *, release_date: date | None = None, start_date: date | None = None,
                    released: bool = False, archived: bool = False) -> Version:
        version = Version(self._next("version"), project, name, release_date, start_date, released, archived)
        self.versions[version.id] = version
        self.revision += 1
        return version

    # -- changes: each one stamps the clock, adds a history and bumps `updated` ---------------------
    def tick(self, minutes: float = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    def change(self, issue: Issue, items: list[dict], at: datetime | None = None, author: str | None = None) -> None:
        at = at or self.tick()
        issue.histories.append(History(self._next("history"), author or issue.assignee or issue.reporter or "", at, items))
        issue.updated = max(issue.updated, at)
        self.revision += 1

    def transition(self, key: str, to: str, at: datetime | None = None, author: str | None = None) -> None:
        issue = self.by_key[key]
        old = issue.status
        items = [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": STATUSES[old][0],
                  "fromString": old, "to": STATUSES[to][0], "toString": to}]
        at = at or self.tick()
        if to == "Done" and issue.resolved is None:
            items.append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution", "from": None,
                          "fromString": None, "to": "10000", "toString": "Done"})
            issue.resolved = at
        elif to != "Done" and issue.resolved is not None:
            items.append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution", "from": "10000",
                          "fromString": "Done", "to": None, "toString": None})
            issue.resolved = None
        issue.status = to
        self.change(issue, items, at, author)

    def prioritise(self, key: str, priority: str, at: datetime | None = None, author: str | None = None) -> None:
        issue = self.by_key[key]
        items = [{"field": "priority", "fieldtype": "jira", "fieldId": "priority", "from": PRIORITIES[issue.priority],
                  "fromString": issue.priority, "to": PRIORITIES[priority], "toString": priority}]
        issue.priority = priority
        self.change(issue, items, at, author)

    def plan_for(self, key: str, version_id: str, *, remove: bool = False, at: datetime | None = None,
                 author: str | None = None) -> None:
        """Add a fix version to an issue, or take it off: one history item per version, as Jira writes it."""
        issue, version = self.by_key[key], self.versions[version_id]
        moved = {"from": version.id, "fromString": version.name, "to": None, "toString": None} if remove else \
            {"from": None, "fromString": None, "to": version.id, "toString": version.name}
        issue.fix_versions = [v for v in issue.fix_versions if v != version_id] + ([] if remove else [version_id])
        self.change(issue, [{"field": "Fix Version", "fieldtype": "jira", "fieldId": "fixVersions", **moved}], at, author)

    def rank(self, key: str, higher: bool = True, at: datetime | None = None, author: str | None = None) -> None:
        """Move an issue up or down the backlog: Jira's history names no neighbour, only the direction."""
        items = [{"field": "Rank", "fieldtype": "custom", "fieldId": RANK_FIELD, "from": "", "fromString": "",
                  "to": "", "toString": f"Ranked {'higher' if higher else 'lower'}"}]
        self.change(self.by_key[key], items, at, author)

    def relabel(self, key: str, labels: list[str], at: datetime | None = None) -> None:
        issue = self.by_key[key]
        items = [{"field": "labels", "fieldtype": "jira", "fieldId": "labels", "from": None,
                  "fromString": " ".join(issue.labels), "to": None, "toString": " ".join(labels)}]
        issue.labels = list(labels)
        self.change(issue, items, at)

    def set_release_date(self, version_id: str, day: date | None) -> None:
        self.versions[version_id].release_date = day
        self.revision += 1

    def release(self, version_id: str, on: date) -> None:
        """Releasing a version in Jira sets its release date to the release day."""
        version = self.versions[version_id]
        version.released, version.release_date = True, on
        self.revision += 1

    # -- JSON in Jira's shapes -----------------------------------------------------------------------
    def timestamp(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        local = moment.astimezone(self.user_tz)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")

    def url(self, path: str) -> str:
        return f"{self.base_url}/rest/api/2/{path}"

    def user_json(self, ref: str | None) -> dict | None:
        if not ref or ref not in self.users:
            return None
        user = self.users[ref]
        avatars = dict.fromkeys(("48x48", "24x24", "16x16", "32x32"), AVATAR)
        if self.mode == "cloud":
            out = {"self": self.url(f"user?accountId={user.ref}"), "accountId": user.ref}
            if user.email is not None:  # Cloud hides the email of users who chose privacy
                out["emailAddress"] = user.email
            return out | {"avatarUrls": avatars, "displayName": user.display_name, "active": True,
                          "timeZone": user.time_zone, "accountType": "atlassian"}
        return {"self": self.url(f"user?username={user.name}"), "name": user.name, "key": user.ref,
                "emailAddress": user.email, "avatarUrls": avatars, "displayName": user.display_name,
                "active": True, "timeZone": user.time_zone}

    def status_json(self, name: str) -> dict:
        status_id, category_id, key, colour, category = STATUSES[name]
        return {"self": self.url(f"status/{status_id}"), "description": "", "iconUrl": f"{self.base_url}/",
                "name": name, "id": status_id,
                "statusCategory": {"self": self.url(f"statuscategory/{category_id}"), "id": category_id, "key": key,
                                   "colorName": colour, "name": category}}

    def project_json(self, key: str) -> dict:
        project_id, name = self.projects[key]
        return {"self": self.url(f"project/{project_id}"), "id": project_id, "key": key, "name": name,
                "projectTypeKey": "software", "simplified": False,
                "avatarUrls": {size: f"{self.base_url}/rest/api/2/universal_avatar/view/type/project/avatar/10424?size={size}"
                               for size in ("48x48", "24x24", "16x16", "32x32")}}

    def issuetype_json(self, name: str) -> dict:
        type_id = ISSUE_TYPES.get(name, "10002")
        out = {"self": self.url(f"issuetype/{type_id}"), "id": type_id, "description": "",
               "iconUrl": f"{self.base_url}/images/icons/issuetypes/task.svg", "name": name, "subtask": name == "Sub-task"}
        if self.mode == "cloud":
            out["hierarchyLevel"] = 1 if name == "Epic" else (-1 if name == "Sub-task" else 0)
        return out

    def version_json(self, version: Version, *, stub: bool = False) -> dict:
        """A version as `/project/{key}/versions` lists it (or as an issue's `fixVersions` stub)."""
        out = {"self": self.url(f"version/{version.id}"), "id": version.id, "description": version.description,
               "name": version.name, "archived": version.archived, "released": version.released}
        if version.release_date:
            out["releaseDate"] = version.release_date.isoformat()
        if stub:
            return out
        if version.start_date:
            out["startDate"] = version.start_date.isoformat()
            out["userStartDate"] = _display_date(version.start_date)
        out["overdue"] = bool(version.release_date and not version.released and version.release_date < self.now.date())
        if version.release_date:
            out["userReleaseDate"] = _display_date(version.release_date)
        out["projectId"] = int(self.projects[version.project][0])
        return out

    def history_json(self, history: History) -> dict:
        items = history.items if self.mode == "cloud" else [{k: v for k, v in i.items() if k != "fieldId"} for i in history.items]
        return {"id": history.id, "author": self.user_json(history.author), "created": self.timestamp(history.created),
                "items": items}

    def fields_json(self, issue: Issue) -> dict:
        parent = self.by_key.get(issue.parent) if issue.parent else None
        out = {
            "issuetype": self.issuetype_json(issue.issuetype),
            "project": self.project_json(issue.project),
            "fixVersions": [self.version_json(self.versions[v], stub=True) for v in issue.fix_versions],
            "resolution": ({"self": self.url("resolution/10000"), "id": "10000", "description": "", "name": "Done"}
                           if issue.resolved else None),
            "resolutiondate": self.timestamp(issue.resolved),
            "created": self.timestamp(issue.created),
            "updated": self.timestamp(issue.updated),
            "lastViewed": None,
            "labels": list(issue.labels),
            "assignee": self.user_json(issue.assignee),
            "reporter": self.user_json(issue.reporter),
            "creator": self.user_json(issue.reporter),
            "status": self.status_json(issue.status),
            "components": [{"self": self.url(f"component/{_component_id(c)}"), "id": _component_id(c), "name": c,
                            "description": ""} for c in issue.components],
            "duedate": issue.duedate.isoformat() if issue.duedate else None,
            "summary": issue.summary,
            "priority": {"self": self.url(f"priority/{PRIORITIES[issue.priority]}"), "name": issue.priority,
                         "iconUrl": f"{self.base_url}/images/icons/priorities/{issue.priority.lower()}.svg",
                         "id": PRIORITIES[issue.priority]},
            "versions": [],
            "subtasks": [],
            "issuelinks": [],
            "customfield_10014": None,
        }
        if parent is not None:
            out["parent"] = {"id": parent.id, "key": parent.key, "self": self.url(f"issue/{parent.id}"),
                             "fields": {"summary": parent.summary, "status": self.status_json(parent.status),
                                        "priority": out["priority"], "issuetype": self.issuetype_json(parent.issuetype)}}
        if self.mode == "cloud":
            out["statuscategorychangedate"] = self.timestamp(issue.updated)
        return out

    def issue_json(self, issue: Issue, fields: set[str] | None, changelog: int | Literal[False] | None) -> dict:
        """An issue as search returns it: `fields` None means all; `changelog` False means not
        expanded, None means the whole history (Data Center, oldest first), a number means at
        most that many of the newest histories, newest first (Cloud's embedded changelog)."""
        out = {"expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields", "id": issue.id,
               "self": self.url(f"issue/{issue.id}"), "key": issue.key}
        every = self.fields_json(issue)
        out["fields"] = every if fields is None else {k: v for k, v in every.items() if k in fields}
        if changelog is not False:
            histories = issue.histories if changelog is None else list(reversed(issue.histories))[:changelog]
            out["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(issue.histories),
                                "histories": [self.history_json(h) for h in histories]}
        return out

    def server_info(self) -> dict:
        if self.mode == "cloud":
            return {"baseUrl": self.base_url, "displayUrl": self.base_url, "version": "1001.0.0-SNAPSHOT",
                    "versionNumbers": [1001, 0, 0], "deploymentType": "Cloud", "buildNumber": 100280,
                    "buildDate": "2026-05-20T00:00:00.000+0000", "serverTime": self.timestamp(self.now),
                    "scmInfo": "1f51473f5c7b75c1a69a0090f4832cdc5053702a", "serverTitle": "Jira",
                    "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC"}
        return {"baseUrl": self.base_url, "version": "9.12.0", "versionNumbers": [9, 12, 0], "deploymentType": "Server",
                "buildNumber": 912000, "buildDate": "2023-11-28T00:00:00.000+0000", "serverTime": self.timestamp(self.now),
                "scmInfo": "0000000000000000000000000000000000000000", "serverTitle": "Jira"}

    def field_list(self) -> list[dict]:
        """`/field`: the client maps JQL clause names to field ids through `clauseNames`."""
        def system(fid: str, name: str, clauses: list[str], kind: str | None) -> dict:
            out = {"id": fid, "key": fid, "name": name, "custom": False, "orderable": True, "navigable": True,
                   "searchable": True, "clauseNames": clauses}
            if kind:
                out["schema"] = {"type": kind, "system": fid}
            return out

        return [
            system("project", "Project", ["project"], "project"),
            system("issuetype", "Issue Type", ["issuetype", "type"], "issuetype"),
            system("status", "Status", ["status"], "status"),
            system("created", "Created", ["created", "createdDate"], "datetime"),
            system("updated", "Updated", ["updated", "updatedDate"], "datetime"),
            system("resolutiondate", "Resolved", ["resolutiondate", "resolved"], "datetime"),
            system("assignee", "Assignee", ["assignee"], "user"),
            system("reporter", "Reporter", ["reporter"], "user"),
            system("labels", "Labels", ["labels"], "array"),
            system("components", "Components", ["component"], "array"),
            system("fixVersions", "Fix versions", ["fixVersion"], "array"),
            system("duedate", "Due date", ["due", "duedate"], "date"),
            system("summary", "Summary", ["summary"], "string"),
            system("parent", "Parent", ["parent"], None),
            {"id": "customfield_10014", "key": "customfield_10014", "name": "Epic Link", "custom": True, "orderable": True,
             "navigable": True, "searchable": True, "clauseNames": ["cf[10014]", "Epic Link"],
             "schema": {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link", "customId": 10014}},
        ]

    def jql_value(self, issue: Issue, name: str):
        """What a JQL clause compares for a canonical field name (see jira_jql.FIELDS)."""
        if name == "fixVersion":
            return [self.versions[v].name for v in issue.fix_versions]
        if name == "id":
            return int(issue.id)
        return getattr(issue, name)


def _component_id(name: str) -> str:
    return str(10000 + zlib.crc32(name.encode()) % 10000)


def _display_date(day: date) -> str:
    """`userReleaseDate` as Cloud formats it for display ("6/Jul/2010"); never to be parsed."""
    return f"{day.day}/{day.strftime('%b')}/{day.year}"


def populate(site: JiraSite, *, issues: int = 5000, versions: int = 50, projects: tuple[str, ...] = ("APP", "WEB", "DATA"),
             long_every: int = 40, seed: int = 7) -> None:
    """A product organisation's Jira: three projects, 30 people, versions with plans, issues with
    histories. Every `long_every`-th issue has 45-130 histories, past Cloud's 40-entry embedded
    changelog and the 100-entry changelog page. Leaves the clock a day after the last change."""
    rng = random.Random(seed)
    for key in projects:
        site.add_project(key)
    people = [site.add_user(f"user{n}", f"Person {n}", None if n % 7 == 0 and site.mode == "cloud" else f"person{n}@example.com")
              for n in range(1, 31)]
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    per_project = {p: [] for p in projects}
    for n in range(versions):
        project = projects[n % len(projects)]
        planned = (start + timedelta(days=30 + 600 * n // max(1, versions))).date()  # the last fifth is still ahead
        released = planned < date(2026, 5, 1)
        on = planned + timedelta(days=rng.choice([0, 0, 0, 2, 5])) if released else planned
        version = site.add_version(project, f"{project} {1 + n // len(projects)}.0", start_date=planned - timedelta(days=28),
                                   release_date=None if n % 17 == 16 else on, released=released, archived=released and n < 6)
        per_project[project].append(version)
    span = (datetime(2026, 4, 30, tzinfo=UTC) - start).total_seconds()
    created_times = sorted(start + timedelta(milliseconds=rng.randrange(int(span * 1000))) for _ in range(issues))  # Jira keeps ms
    for n, created in enumerate(created_times):
        project = projects[n % len(projects)]
        kind = rng.choices(["Story", "Task", "Bug", "Data Request", "Check-in"], [5, 4, 3, 2 if project == "DATA" else 0, 1])[0]
        reporter, assignee = rng.choice(people).ref, (rng.choice(people).ref if rng.random() < 0.85 else None)
        labels = rng.sample(["backend", "frontend", "data-request", "q3", "customer"], rng.choice([0, 0, 1, 2]))
        siblings = [i for i in list(site.by_key.values())[-30:] if i.project == project]
        issue = site.add_issue(project, created, issuetype=kind, reporter=reporter, assignee=assignee, labels=labels,
                               components=rng.sample(["Web", "API", "Data"], rng.choice([0, 1, 1, 2])),
                               duedate=(created + timedelta(days=rng.randint(3, 40))).date() if rng.random() < 0.3 else None,
                               parent=siblings[-1].key if siblings and rng.random() < 0.1 else None)
        steps = rng.randint(45, 130) if n % long_every == long_every - 1 else rng.randint(0, 6)
        at = created
        for step in range(steps):
            at += timedelta(minutes=rng.randint(5, 60 * 24))
            if step == steps - 1 and rng.random() < 0.7:
                target = "Done"
            else:
                target = {"To Do": "In Progress", "In Progress": "In Review", "In Review": "In Progress", "Done": "In Progress"}[issue.status]
            site.transition(issue.key, target, at=at, author=assignee or reporter)
            if rng.random() < 0.1:
                site.change(issue, [{"field": "assignee", "fieldtype": "jira", "fieldId": "assignee", "from": None,
                                     "fromString": None, "to": reporter, "toString": "Someone"}], at=at + timedelta(seconds=30))
        if issue.status == "Done" and per_project[project] and rng.random() < 0.8:
            issue.fix_versions = [rng.choice(per_project[project]).id]
    site.now = max(i.updated for i in site.issues.values()) + timedelta(days=1)
    site.revision += 1
