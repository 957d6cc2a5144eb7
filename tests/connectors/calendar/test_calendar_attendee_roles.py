"""Who an owner meets, as roster roles and teams and never as addresses: ICS files, Google and Graph
(issue 21, product ops too far from product or operations, or from a product group)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from connectors.calendar import sync_calendars
from dashboard.core.config import Settings
from tests.connectors.calendar.test_calendar_google import OAUTH
from tests.connectors.calendar.test_calendar_graph import APP
from tests.connectors.calendar.test_calendar_ics import calendar
from tests.connectors.calendar.test_calendar_sync import PEOPLE, TODAY, events, seed_roster, write
from tests.fakes.google_calendar import GoogleCalendarFake, fake_event
from tests.fakes.graph_calendar import GraphCalendarFake, graph_event

PRODOPS = "po@example.com"
OTHERS = pd.DataFrame([
    {"person_id": "o1", "name": "O", "email": "Ops.One@Example.com", "role": "ops", "team_id": None, "tz": "Europe/London",
     "active_from": None, "active_to": None},
    {"person_id": "x1", "name": "X", "email": PRODOPS, "role": "prodops", "team_id": None, "tz": "Europe/Berlin",
     "active_from": None, "active_to": None},
])
TEAMS = pd.DataFrame([{"team_id": "t1", "name": "One", "group_name": "Growth"},
                      {"team_id": "t9", "name": "Nine", "group_name": "Payments"}])
"""The PMs' team t1 is in Growth; no one the owner meets is in Payments, which still gets its zero."""
MEETINGS = {
    # uid: (day in March 2026, attendees besides the owner, roles the row should name)
    "with-pm": (16, ("pm2@example.com", "eng@example.com"), "pm"),
    "with-ops": (17, ("ops.one@example.com",), "ops"),
    "with-both": (18, ("OPS.ONE@example.com", "pm@example.com", "pm2@example.com"), "ops,pm"),
    "with-strangers": (19, ("eng@example.com", "c@client.com"), ""),
    "with-product-ops": (20, ("po@example.com", "pm2@example.com"), "pm"),  # the owner is not one of the others
}


@pytest.fixture()
def roster(store):
    seed_roster(store)
    with store.transaction() as tx:
        tx.upsert("people", OTHERS)
        tx.upsert("teams", TEAMS)
        tx.upsert("memberships", pd.DataFrame([{"person_id": "x1", "team_id": None, "role": "prodops",
                                                "valid_from": pd.Timestamp("2020-01-01"), "valid_to": None}]))
    return store


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def ics_event(uid: str, day: int, attendees: tuple[str, ...]) -> str:
    lines = [f"UID:{uid}", "SUMMARY:Weekly status sync", f"DTSTART:202603{day}T100000Z", f"DTEND:202603{day}T110000Z",
             f"ORGANIZER:mailto:{PRODOPS}", f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{PRODOPS}",
             *(f"ATTENDEE:mailto:{address}" for address in attendees)]
    return "\n".join(lines)


def roles_of(store, column: str = "attendee_roles") -> dict[str, str]:
    got = events(store)
    got = got[got["person_id"] == "x1"]
    return dict(zip(got["event_uid"].str.split("/").str[0], got[column], strict=True))


TEAMS_MET = {"with-pm": "t1", "with-ops": "", "with-both": "t1", "with-strangers": "", "with-product-ops": "t1"}
"""The teams each meeting's other attendees are on (the operations person and strangers have none)."""


def assert_no_address_is_stored(store) -> None:
    for table in ("calendar_events", "prodops_weeks", "pm_weeks", "prodops_group_weeks"):
        text = store.table(table).astype(str).to_string()
        assert "@" not in text, table


def test_an_ics_calendar_keeps_the_roles_of_who_the_owner_meets_and_no_address(roster, tmp_path):
    folder = tmp_path / "exports"
    write(folder, f"{PRODOPS}.ics", calendar(*(ics_event(uid, day, people) for uid, (day, people, _) in MEETINGS.items())))
    result = sync_calendars(roster, Settings(org_timezone="Europe/Berlin", calendar={"history_days": 60,
                                                                                     "ics": [{"location": str(folder)}]}),
                            today=TODAY)
    assert result.status == "success", result
    assert roles_of(roster) == {uid: roles for uid, (_, _, roles) in MEETINGS.items()}
    weeks = roster.table("prodops_weeks").set_index("week_start")
    week = weeks.loc[pd.Timestamp("2026-03-16")]
    assert week["meeting_hours"] == 5 and week["hours_with_pms"] == 3 and week["hours_with_operations"] == 2
    assert roles_of(roster, "attendee_teams") == TEAMS_MET
    by_group = roster.table("prodops_group_weeks")
    by_group = by_group[pd.to_datetime(by_group["week_start"]) == pd.Timestamp("2026-03-16")].set_index("group_name")
    assert by_group["meeting_hours"].to_dict() == {"Growth": 5, "Payments": 5}
    assert by_group["hours_with_group"].to_dict() == {"Growth": 3, "Payments": 0}
    assert_no_address_is_stored(roster)


def test_a_person_known_only_by_an_alias_in_the_config_is_matched_too(roster, tmp_path):
    folder = tmp_path / "exports"
    write(folder, f"{PRODOPS}.ics", calendar(ics_event("with-alias", 16, ("pm.second@corp.example",))))
    config = Settings(org_timezone="Europe/Berlin", calendar={
        "history_days": 60, "ics": [{"location": str(folder)}], "owners": {"pm.second@corp.example": "p2"}})
    assert sync_calendars(roster, config, today=TODAY).status == "success"
    assert roles_of(roster) == {"with-alias": "pm"}


def test_google_attendees_are_matched_to_the_roster(roster):
    with GoogleCalendarFake() as fake:
        for uid, (day, people, _) in MEETINGS.items():
            fake.put(PRODOPS, fake_event(uid, at(day, 9), at(day, 10), "Weekly status sync", owner=PRODOPS,
                                         attendees=people, organizer=PRODOPS))
        source = {"calendars": [PRODOPS], "api_url": fake.api_url, "token_url": fake.token_url}
        config = Settings(org_timezone="Europe/Berlin", calendar={"history_days": 60, "google": source})
        assert sync_calendars(roster, config, today=TODAY, env=OAUTH).status == "success"
    assert roles_of(roster) == {uid: roles for uid, (_, _, roles) in MEETINGS.items()}
    assert roles_of(roster, "attendee_teams") == TEAMS_MET
    assert_no_address_is_stored(roster)


def test_graph_attendees_are_matched_to_the_roster(roster):
    with GraphCalendarFake() as fake:
        for uid, (day, people, _) in MEETINGS.items():
            fake.put(PRODOPS, graph_event(uid, at(day, 9), at(day, 10), "Weekly status sync", attendees=people,
                                          organizer=PRODOPS))
        source = {"users": [PRODOPS], "api_url": fake.api_url, "login_url": fake.login_url}
        config = Settings(org_timezone="Europe/Berlin", calendar={"history_days": 60, "graph": source})
        assert sync_calendars(roster, config, today=TODAY, env=APP).status == "success"
    assert roles_of(roster) == {uid: roles for uid, (_, _, roles) in MEETINGS.items()}
    assert roles_of(roster, "attendee_teams") == TEAMS_MET
    assert_no_address_is_stored(roster)


def test_rows_read_without_a_roster_say_the_roles_are_unknown():
    from connectors.calendar import Owner, Window, ics_to_rows

    owner = Owner("x1", PRODOPS)
    window = Window.of(datetime(2026, 3, 1), datetime(2026, 4, 1))
    text = calendar(ics_event("with-pm", 16, ("pm2@example.com",)))
    unknown = ics_to_rows(text, owner, window)
    assert unknown["attendee_roles"].isna().all() and unknown["attendee_teams"].isna().all()
    roles = dict(zip(PEOPLE["email"], PEOPLE["role"], strict=True))
    teams = dict(zip(PEOPLE["email"], PEOPLE["team_id"], strict=True))
    read = ics_to_rows(text, owner, window, roles=roles, teams=teams)
    assert read["attendee_roles"].tolist() == ["pm"] and read["attendee_teams"].tolist() == ["t1"]
