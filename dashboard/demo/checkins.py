"""Check-ins: the weekly status, monthly roadmap review and QBR prep every team owes, and who sends what when.

About 75 % arrive on time before product ops and about 92 % once it has bedded in; Mobile/Android
stops sending its weekly status two quarters ago. What is owed comes from the check-in engine's
own expectations (`CHECKIN_KINDS`, on each team's clock); what was sent is written out as each
source has it, and read back by the connectors:

- the weekly status as Jira tickets of the check-in type (demo/jira.py), submitted when first Done;
- the monthly roadmap review as a Google Forms responses CSV (`form_export`);
- the QBR prep as a quarterly review meeting in the calendar of the PM who runs it
  (`review_calendars`): held in working hours before the due day (or the day after, late),
  cancelled when it was not held.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pandas as pd

from connectors.calendar import Owner, Window, ics_tables, roster_roles, roster_teams
from connectors.checkins import form_rows, stored_rows
from connectors.survey import read_text
from dashboard.core.config import CheckinForm, CheckinKind, Checkins, Settings
from dashboard.demo.org import SILENT_TEAM, members_at
from dashboard.demo.story import SOURCE, Story, stream, timestamps, to_utc
from dashboard.derive.checkins.engine import teams
from dashboard.derive.checkins.expectations import expected_slots

REVIEW_UID = "qbr-prep-review-{team}@demo.example.com"
FORM_FILE = "monthly-roadmap-review.csv"


FORM_KINDS = {"monthly_roadmap": ("Roadmap review", "https://docs.example.com/roadmap/{period:%Y-%m}"),
              "sprint_demo": ("Sprint demo", "https://video.example.com/demos/{team}/{period:%Y-%m-%d}")}
"""Check-ins sent through the form: the answer naming the kind, and the link each response carries."""
HISTORY_DAYS = 730
"""The `[checkins]` default: a longer story asks for check-ins over its whole window."""


def demo_checkins(story: Story) -> Checkins:
    """The demo organisation's `[checkins]` section (a large organisation's teams also owe a weekly sprint demo)."""
    kinds = [
        CheckinKind(id="weekly_status", title="Weekly status", cadence="weekly", weekday="fri",
                    start=story.start, jira_label="weekly-status"),
        CheckinKind(id="monthly_roadmap", title="Monthly roadmap review", cadence="monthly", business_day=3,
                    start=story.start, form_values=[FORM_KINDS["monthly_roadmap"][0]]),
        CheckinKind(id="qbr_prep", title="QBR prep", cadence="quarterly", days_before_quarter_end=10,
                    start=story.start, calendar_events=[REVIEW_UID.format(team="*") + "*"]),
    ]
    if story.scale.sprint_demo:
        # product ops makes the sprint demo a standard output when it is founded; the engine has no
        # fortnightly cadence, so the large organisation's teams demo every week
        kinds.append(CheckinKind(id="sprint_demo", title="Sprint demo", cadence="weekly", weekday="thu",
                                 start=story.founded, form_values=[FORM_KINDS["sprint_demo"][0]]))
    return Checkins(
        kinds=kinds,
        jira_submitted_status="Done",
        history_days=max(HISTORY_DAYS, (story.today - story.start).days + 7),
        form=CheckinForm(team_column="Team", kind_column="Check-in", date_order="mdy"),
    )


def demo_checkin_settings(settings: Settings, story: Story) -> Settings:
    return settings.model_copy(update={"checkins": demo_checkins(story)})


def make_checkins(story: Story, tables: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """Every check-in owed (by the engine's expectations) and when it was sent (NaT: not sent).

    Columns: team_id, kind, period_start, due_at, submitted_at, owner_id (the PM on the team at the
    due time who sends it), ref (the Jira key of a sent weekly status).
    """
    rng = stream("checkins")
    config = demo_checkins(story)
    now = story.cutoff
    owed = expected_slots(config.kinds, teams(tables, settings), story.start, story.today + timedelta(days=100))
    owed = owed[owed["opens_at"] < now].reset_index(drop=True)
    owed["row"] = np.arange(len(owed))
    owners = members_at(tables["memberships"], owed[["team_id", "due_at", "row"]], "due_at").sort_values(["row", "person_id"])
    owed["owner_id"] = owners.drop_duplicates("row").set_index("row")["person_id"].reindex(owed["row"]).to_numpy()

    progress = story.progress(owed["due_at"])
    on_time = 0.75 + (0.92 - 0.75) * progress
    late = on_time + 0.15 + (0.05 - 0.15) * progress
    u = rng.random(len(owed))
    early = pd.to_timedelta(rng.uniform(0.5, 30, len(owed)), unit="h")
    behind = pd.to_timedelta(1 + 71 * rng.random(len(owed)) ** 2, unit="h")
    submitted = pd.Series(np.where(u < on_time, owed["due_at"] - early, owed["due_at"] + behind))
    review = (owed["kind"] == "qbr_prep") & owed["owner_id"].notna()
    zones = owed.loc[review, "owner_id"].map(tables["people"].set_index("person_id")["tz"])
    submitted[review] = _meeting_times(rng, owed.loc[review, "due_at"], zones, u[review] < on_time[review])
    silent = (
        (owed["team_id"] == SILENT_TEAM) & (owed["kind"] == "weekly_status")
        & (owed["due_at"] >= pd.Timestamp(story.silent_since))
    )
    missing = (u >= late) | silent.to_numpy() | (submitted >= now).to_numpy() | owed["owner_id"].isna().to_numpy()
    owed["submitted_at"] = timestamps(submitted.where(~missing))
    owed["due_at"] = timestamps(owed["due_at"])
    owed = owed.sort_values(["due_at", "team_id", "kind"], kind="stable").reset_index(drop=True)
    tickets = owed["submitted_at"].notna() & (owed["kind"] == "weekly_status")
    owed["ref"] = None
    owed.loc[tickets, "ref"] = "CHK-" + pd.Series(np.arange(1, tickets.sum() + 1), index=owed.index[tickets]).astype(str)
    return owed[["team_id", "kind", "period_start", "due_at", "submitted_at", "owner_id", "ref"]]


def _meeting_times(rng: np.random.Generator, due: pd.Series, zones: pd.Series, on_time: np.ndarray) -> pd.Series:
    """When a QBR prep review was held, as naive UTC: a half-hour slot of the owner's working day
    (09:00 to 15:30 start), one to three working days before the due day when on time, the next
    working day when late."""
    local_day = pd.Series([stamp.tz_localize("UTC").tz_convert(zone) for stamp, zone in zip(due, zones)], dtype=object)
    days = np.array([stamp.date() for stamp in local_day], dtype="datetime64[D]")
    shift = np.where(on_time, -rng.integers(1, 4, len(due)), 1)
    held = np.busday_offset(days, shift, roll="backward")
    start = pd.to_datetime(held) + pd.to_timedelta(9 * 60 + 30 * rng.integers(0, 14, len(due)), unit="min")
    return pd.Series(to_utc(pd.Series(start), pd.Series(zones.to_numpy())).to_numpy(), index=due.index)


def form_export(checkins: pd.DataFrame, team_names: pd.Series, people: pd.DataFrame, zone: str) -> str:
    """The check-ins sent by form (monthly roadmap reviews, sprint demos) as Google Forms writes its
    responses CSV (month/day/year, the form owner's clock)."""
    sent = checkins[checkins["kind"].isin(list(FORM_KINDS)) & checkins["submitted_at"].notna()]
    sent = sent.sort_values("submitted_at", kind="stable")
    local = pd.to_datetime(sent["submitted_at"]).dt.tz_localize("UTC").dt.tz_convert(zone)
    email = sent["owner_id"].map(people.set_index("person_id")["email"])
    lines = ["Timestamp,Email Address,Team,Check-in,Link to the roadmap"]
    for stamp, address, team_id, team, kind, period in zip(
        local.dt.strftime("%-m/%-d/%Y %H:%M:%S"), email, sent["team_id"], sent["team_id"].map(team_names),
        sent["kind"], sent["period_start"],
    ):
        answer, link = FORM_KINDS[kind]
        lines.append(f'{stamp},{address},"{team}",{answer},{link.format(period=period, team=team_id)}')
    return "\r\n".join(lines) + "\r\n"


def form_tables(checkins: pd.DataFrame, tables: dict[str, pd.DataFrame], settings: Settings, story: Story) -> pd.DataFrame:
    """The form export read by the form connector: the `checkin_forms` rows a `load checkins` would store."""
    text = form_export(checkins, tables["teams"].set_index("team_id")["name"], tables["people"], settings.org_timezone)
    batch = form_rows(read_text(text, FORM_FILE), demo_checkin_settings(settings, story), tables["teams"])
    if batch.issues:
        raise ValueError("the demo's form export does not read back: " + "; ".join(map(str, batch.issues)))
    return stored_rows(batch, loaded_at=story.synced_at.to_pydatetime())


def _ics_stamp(moment: pd.Timestamp, zone: str) -> str:
    return moment.tz_localize("UTC").tz_convert(zone).strftime("%Y%m%dT%H%M%S")


def review_calendars(checkins: pd.DataFrame, people: pd.DataFrame, team_names: pd.Series,
                     zones: dict[str, str]) -> list[tuple[Owner, str]]:
    """Each QBR prep review series as it sits in the calendar of the PM who ran it, as ICS text.

    One series per team and PM (UID shared, as a meeting invitation is): a quarterly rule on the
    11th-last day of the quarter's last month, 16:00 on the team's clock (its due time is 17:00); each held occurrence
    moved to when the prep was actually done, each one that was not done cancelled.
    """
    qbr = checkins[(checkins["kind"] == "qbr_prep") & checkins["owner_id"].notna()]
    person = people.set_index("person_id")
    out = []
    for (team, owner), held in qbr.groupby(["team_id", "owner_id"], sort=True):
        zone = zones[team]
        nominal = [pd.Timestamp(d) - pd.Timedelta(hours=1) for d in held["due_at"]]
        uid = REVIEW_UID.format(team=team)
        first = _ics_stamp(nominal[0], zone)
        lines = [
            "BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:QBR prep status review - {team_names[team]}",
            f"DTSTART;TZID={zone}:{first}", "DURATION:PT1H",
            f"RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-11;COUNT={len(nominal)}",
            f"ORGANIZER:mailto:{person.loc[owner, 'email']}", f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{person.loc[owner, 'email']}",
            f"ATTENDEE:mailto:{team}.lead@example.com", "END:VEVENT",
        ]
        for at, sent in zip(nominal, held["submitted_at"]):
            original = _ics_stamp(at, zone)
            if pd.isna(sent):
                when = f"DTSTART;TZID={zone}:{original}\r\nDURATION:PT1H\r\nSTATUS:CANCELLED"
            else:
                when = f"DTSTART;TZID={zone}:{_ics_stamp(pd.Timestamp(sent), zone)}\r\nDURATION:PT1H"
            lines += ["BEGIN:VEVENT", f"UID:{uid}", f"RECURRENCE-ID;TZID={zone}:{original}",
                      f"SUMMARY:QBR prep status review - {team_names[team]}", when,
                      f"ORGANIZER:mailto:{person.loc[owner, 'email']}",
                      f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{person.loc[owner, 'email']}",
                      f"ATTENDEE:mailto:{team}.lead@example.com", "END:VEVENT"]
        text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Product Ops Health//Demo organisation//EN\r\n" + \
            "\r\n".join(lines) + "\r\nEND:VCALENDAR\r\n"
        out.append((Owner(owner, person.loc[owner, "email"], person.loc[owner, "tz"]), text))
    return out


def review_events(checkins: pd.DataFrame, tables: dict[str, pd.DataFrame], settings: Settings, story: Story) -> pd.DataFrame:
    """The review meetings read by the calendar connector: `calendar_events` rows to add to the PMs' calendars."""
    window = Window(datetime.combine(story.start, time(0), UTC) - timedelta(days=1),
                    story.cutoff.to_pydatetime().replace(tzinfo=UTC))
    names = tables["teams"].set_index("team_id")["name"]
    zones = {team.team_id: team.tz for team in teams(tables, settings)}
    roles, teams_of = roster_roles(tables["people"]), roster_teams(tables["people"])
    frames = [ics_tables(text, owner, window, settings, source=SOURCE, roles=roles, teams=teams_of).events
              for owner, text in review_calendars(checkins, tables["people"], names, zones)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
