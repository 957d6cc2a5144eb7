"""`python -m dashboard init`: a first `prodops.toml` and `.streamlit/secrets.toml` for one organisation.

It asks for what differs between organisations (time zone, Jira site and projects, where the
calendars are, which survey tool) or takes them as flags, and writes commented files that
parse as they are; `python -m dashboard doctor` then says what is still missing. Existing files
are never overwritten without `--force`: they may hold edits or secrets.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard.core.config import parse_settings

CALENDARS = ("ics", "google", "graph", "none")
SURVEY_TOOLS = ("google_forms", "qualtrics", "surveymonkey", "ms_forms", "typeform", "none")
SECRETS = Path(".streamlit") / "secrets.toml"
CONFIG = Path("prodops.toml")


class InitError(ValueError):
    """An answer that cannot be used, or a file that is already there."""


@dataclass
class Answers:
    """What `init` needs to know; None means "not asked yet" (or, for Jira, "no Jira")."""

    timezone: str | None = field(default=None, metadata={"ask": "Organisation time zone (IANA, e.g. Europe/Berlin)"})
    jira_url: str | None = field(default=None, metadata={"ask": "Jira site address (blank: no Jira)"})
    jira_email: str | None = field(default=None, metadata={"ask": "Jira Cloud account email (blank: a Data Center token)"})
    jira_project: list[str] = field(default_factory=list, metadata={"ask": "Jira project keys, comma separated"})
    calendar: str | None = field(default=None, metadata={"ask": f"Calendar source ({' | '.join(CALENDARS)})"})
    calendar_location: str | None = field(default=None, metadata={"ask": "ICS file, folder of <email>.ics files, or feed"})
    calendar_owner: list[str] = field(default_factory=list, metadata={"ask": "Calendar owners' emails, comma separated"})
    survey_tool: str | None = field(default=None, metadata={"ask": f"Survey tool ({' | '.join(SURVEY_TOOLS)})"})


def needed(answers: Answers) -> list[str]:
    """The answers still to ask, given the ones already known (no Jira: no Jira questions)."""
    todo = [f.name for f in fields(Answers) if getattr(answers, f.name) in (None, [])]
    if answers.jira_url == "":
        todo = [name for name in todo if not name.startswith("jira_")]
    if answers.calendar not in (None, "ics"):
        todo = [name for name in todo if name != "calendar_location"]
    if answers.calendar in ("ics", "none"):
        todo = [name for name in todo if name != "calendar_owner"]
    return todo


def ask(answers: Answers, prompt: Callable[[str], str] = input) -> Answers:
    """Fill in every missing answer by asking, one question at a time, in the order of `Answers`."""
    for item in fields(Answers):
        if item.name not in needed(answers):
            continue
        reply = prompt(f"{item.metadata['ask']}: ").strip()
        if item.default_factory is list:
            setattr(answers, item.name, [part.strip() for part in reply.split(",") if part.strip()])
        else:
            setattr(answers, item.name, reply)
    return answers


def render_config(answers: Answers) -> str:
    """A commented `prodops.toml` holding the answers; it parses as written."""
    zone = answers.timezone or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InitError(f"unknown time zone {zone!r}: use an IANA name such as Europe/Berlin") from None
    parts = [
        "# Product Ops Health settings, written by `python -m dashboard init`.",
        "# prodops.example.toml shows every field; docs/ has one page per source.",
        "# `python -m dashboard doctor` checks this file and reaches every source it names.",
        "",
        f'org_timezone = "{zone}"   # weeks, months and quarters are cut on this clock',
        'week_start = "monday"',
        "",
        "[working_hours]            # for people whose roster row leaves working_hours blank",
        "start = 09:00:00",
        "end = 17:00:00",
        'days = ["mon", "tue", "wed", "thu", "fri"]',
    ]
    parts += _jira(answers) + _calendar(answers) + _survey(answers)
    text = "\n".join(parts) + "\n"
    parse_settings(_toml(text), "the generated prodops.toml")  # what is written must load
    return text


def _jira(answers: Answers) -> list[str]:
    if not answers.jira_url:
        return ["", "# [jira]: add it to pull work items and releases (docs/jira.md)."]
    lines = ["", "# Jira (docs/jira.md). Cloud or Data Center is read from the server; the token is in",
             "# .streamlit/secrets.toml or the environment, never here.",
             "[jira]", f'url = "{answers.jira_url.rstrip("/")}"']
    if answers.jira_email:
        lines.append(f'email = "{answers.jira_email}"   # Cloud: the account the API token belongs to')
    lines.append('token_env = "JIRA_API_TOKEN"')
    lines.append(f"projects = {_list(answers.jira_project)}")
    lines.append("# [jira.data_request]        # which issues are ad-hoc data requests, e.g. projects = [\"DATA\"]")
    lines.append("# [[jira.work_classes]]      # product ops's own work: systems or coordination, before the built-in rules,")
    lines.append("#                            # e.g. name = \"ops tooling\", class = \"systems\", components = [\"Ops Tooling\"]")
    return lines


def _calendar(answers: Answers) -> list[str]:
    kind = answers.calendar or "none"
    if kind not in CALENDARS:
        raise InitError(f"calendar source {kind!r}: choose one of {', '.join(CALENDARS)}")
    if kind == "none":
        return ["", "# Calendars: add [[calendar.ics]], [calendar.google] or [calendar.graph] (docs/calendars.md)."]
    lines = ["", "# Calendars (docs/calendars.md): each calendar belongs to the roster person with its owner's email."]
    if kind == "ics":
        lines += ["[[calendar.ics]]", f'location = "{answers.calendar_location or "calendars/"}"   # a folder\'s files are named <owner email>.ics']
    elif kind == "google":
        lines += ["[calendar.google]          # credentials from the environment: docs/calendars.md",
                  f"calendars = {_list(answers.calendar_owner or ['pm@example.com'])}"]
    else:
        lines += ["[calendar.graph]           # app credentials from the environment: docs/calendars.md",
                  f"users = {_list(answers.calendar_owner or ['pm@example.com'])}"]
    return lines


def _survey(answers: Answers) -> list[str]:
    tool = answers.survey_tool or "none"
    if tool not in SURVEY_TOOLS:
        raise InitError(f"survey tool {tool!r}: choose one of {', '.join(SURVEY_TOOLS)}")
    if tool == "none":
        return []
    return ["", "# Surveys (docs/surveys.md): map every question column of the export, then",
            "# `python -m dashboard doctor --survey pulse EXPORT` checks it before the first load.",
            "# [surveys.pulse]",
            f'# tool = "{tool}"',
            '# role_question = "What is your role?"',
            '# role_values = { "Product manager" = "pm", "Product operations" = "ops" }',
            '# [surveys.pulse.questions."I get the insights I need without having to ask"]',
            '# construct = "insights_self_serve"',
            '# scale = "likert5"']


def render_secrets(answers: Answers) -> str:
    """The `.streamlit/secrets.toml` skeleton: where each secret goes, with nothing secret in it."""
    lines = ["# Secrets for Product Ops Health. Never commit this file (.gitignore lists it).", ""]
    if answers.jira_url:
        kind = "an API token (id.atlassian.com)" if answers.jira_email else "a personal access token"
        lines += [f"# Jira: {kind}; the environment variable of the same name wins.", 'JIRA_API_TOKEN = ""', ""]
    if answers.calendar == "google":
        lines += ["# Google Calendar reads its credentials from the environment only:",
                  "# PRODOPS_GOOGLE_SERVICE_ACCOUNT, or PRODOPS_GOOGLE_CLIENT_ID/_SECRET/_REFRESH_TOKEN (docs/calendars.md).", ""]
    if answers.calendar == "graph":
        lines += ["# Microsoft Graph reads its credentials from the environment only:",
                  "# PRODOPS_GRAPH_TENANT_ID, PRODOPS_GRAPH_CLIENT_ID, PRODOPS_GRAPH_CLIENT_SECRET (docs/calendars.md).", ""]
    lines += ["# Sign-in: an [auth] section turns it on (see .streamlit/secrets.toml.example).", ""]
    return "\n".join(lines)


def write(answers: Answers, root: Path, *, force: bool = False) -> list[Path]:
    """Write both files under `root`; refuse, before writing either, if one exists and not `force`."""
    files = {root / CONFIG: render_config(answers), root / SECRETS: render_secrets(answers)}
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        raise InitError(f"{' and '.join(existing)} already there: kept as it is (pass --force to replace)")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def _list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _toml(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)
