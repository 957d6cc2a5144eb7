"""The HR roster: explicit columns, located errors, history kept across snapshots; identities."""
from __future__ import annotations

from datetime import date, time

import pandas as pd
import pytest

from connectors.roster import (
    ROSTER_TABLES,
    RosterError,
    find_unmatched,
    load_identity_map,
    load_roster,
    parse_identity_map,
    parse_roster,
    plan_roster,
    read_roster,
    resolve_people,
    unmatched_identities,
)
from dashboard.core.config import Settings
from dashboard.core.teams import team_at
from dashboard.metrics import compute_series
from tests.tables import make_tables

HEADER = "person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date\n"
ROSTER = HEADER + """\
p1,Ana Lind,Ana.Lind@example.com,pm,payments,Payments,Money,Europe/Berlin,09:00-17:00,2024-02-01,
p2,Ben Berg,ben@example.com,pm,checkout,Checkout,Money,Europe/London,08:30-16:30 mon-thu,2025-06-15,
p3,Cleo Nord,cleo@example.com,pm,search,Search,Discovery,America/New_York,,2023-01-09,
p4,Eve Ost,eve@example.com,ops,,,,Europe/Berlin,,2022-05-01,
"""


def spans(frame: pd.DataFrame) -> list[list]:
    """Rows as plain values: dates as ISO text, an open end as None."""
    return [[v.date().isoformat() if isinstance(v, pd.Timestamp) else None if pd.isna(v) else v for v in row]
            for row in frame.itertuples(index=False)]


def load_text(store, text, as_of, name="hr.csv"):
    return load_roster(store, parse_roster(text, name), as_of=as_of)


def test_a_roster_writes_people_memberships_teams_and_working_hours(store):
    report = load_text(store, ROSTER, date(2026, 1, 15))
    assert report.joined == ["p1", "p2", "p3", "p4"] and report.issues == []
    people = store.table("people").set_index("person_id")
    assert people.loc["p1", "email"] == "ana.lind@example.com" and people.loc["p1", "tz"] == "Europe/Berlin"
    assert pd.isna(people.loc["p4", "team_id"]) and people.loc["p4", "role"] == "ops"
    memberships = store.table("memberships").set_index("person_id")
    assert memberships.loc["p2", "valid_from"] == pd.Timestamp("2025-06-15") and pd.isna(memberships.loc["p2", "valid_to"])
    teams = store.table("teams").set_index("team_id")
    assert teams.loc["search", "group_name"] == "Discovery" and teams.loc["search", "name"] == "Search"
    hours = store.table("person_hours").set_index("person_id")
    assert hours.loc["p2", "day_start"] == time(8, 30) and list(hours.loc["p2", "days"]) == ["mon", "tue", "wed", "thu"]
    assert set(hours.index) == {"p1", "p2"}, "a blank means the configured default"


def test_a_missing_column_names_the_file_and_the_column():
    text = ROSTER.replace(",time_zone,", ",timezone,")
    with pytest.raises(RosterError, match=r"hr.csv: missing column 'time_zone'"):
        parse_roster(text, "hr.csv")


def test_bad_rows_are_reported_by_file_row_and_column_and_the_rest_loads(store):
    text = ROSTER + """\
p5,Finn,finn@example.com,manager,search,Search,Discovery,Europe/Berlin,,2024-01-01,
p6,Gus,gus@example.com,pm,,,,Mars/Base,,01/02/2024,
p7,Hal,hal@example.com,pm,search,Search,Discovery,Europe/Berlin,9-5,2024-01-01,2023-12-31
p1,Ana again,ana2@example.com,pm,payments,Payments,Money,Europe/Berlin,,2024-01-01,
p8,Ida,ida@example.com,pm,search,Search,Money,Europe/Berlin,,2024-01-01,
"""
    roster = parse_roster(text, "hr.csv")
    problems = {(i.row, i.column) for i in roster.issues}
    assert problems == {
        (6, "role"), (7, "team_id"), (7, "time_zone"), (7, "start_date"), (8, "working_hours"), (8, "end_date"),
        (9, "person_id"), (10, "group"),
    }
    message = next(str(i) for i in roster.issues if i.row == 7 and i.column == "start_date")
    assert message == "hr.csv, row 7, column 'start_date': '01/02/2024' is not a date as YYYY-MM-DD"
    report = load_roster(store, roster, as_of=date(2026, 1, 15))
    assert report.people == 4 and len(report.issues) == 8


def test_a_team_change_closes_the_old_membership_and_past_quarters_keep_it(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    moved = ROSTER.replace("p1,Ana Lind,Ana.Lind@example.com,pm,payments,Payments", "p1,Ana Lind,Ana.Lind@example.com,pm,search,Search")
    moved = moved.replace("Search,Money,", "Search,Discovery,")
    report = load_text(store, moved, date(2026, 4, 1))
    assert report.moved == ["p1"] and report.joined == []
    history = store.query("SELECT * FROM memberships WHERE person_id = 'p1' ORDER BY valid_from")
    assert spans(history[["team_id", "valid_from", "valid_to"]]) == [
        ["payments", "2024-02-01", "2026-04-01"], ["search", "2026-04-01", None],
    ]
    dates = pd.Series(pd.to_datetime(["2026-03-31", "2026-04-01"]))
    assert team_at(history, pd.Series(["p1", "p1"]), dates).tolist() == ["payments", "search"]


def test_team_since_dates_a_move_that_the_export_reports_late(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    text = (HEADER.replace("end_date\n", "end_date,team_since\n")
            + "p2,Ben Berg,ben@example.com,pm,payments,Payments,Money,Europe/London,,2025-06-15,,2026-02-01\n")
    load_text(store, text, date(2026, 4, 1))
    history = store.query("SELECT team_id, valid_from, valid_to FROM memberships WHERE person_id = 'p2' ORDER BY valid_from")
    assert spans(history) == [["checkout", "2025-06-15", "2026-02-01"], ["payments", "2026-02-01", None]]


def test_a_leaver_is_closed_the_day_after_the_last_working_day(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    report = load_text(store, ROSTER.replace("2023-01-09,", "2023-01-09,2026-02-27"), date(2026, 3, 2))
    assert report.left == ["p3"]
    row = store.query("SELECT valid_to FROM memberships WHERE person_id = 'p3'")
    assert row["valid_to"][0] == pd.Timestamp("2026-02-28")
    assert store.table("people").set_index("person_id").loc["p3", "active_to"] == pd.Timestamp("2026-02-27")


def test_loading_the_same_roster_again_changes_no_row(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    before = {name: store.table(name).to_csv() for name in ("people", "memberships", "teams", "team_groups", "person_hours")}
    report = load_text(store, ROSTER, date(2026, 2, 1))
    assert not report.changed
    assert {name: store.table(name).to_csv() for name in before} == before


def test_the_plan_is_what_a_load_writes_and_touches_no_store(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    known = {name: store.table(name) for name in ROSTER_TABLES}
    moved = ROSTER.replace("pm,checkout,Checkout,Money", "pm,search,Search,Discovery")
    plan = plan_roster(parse_roster(moved, "hr.csv"), known, as_of=date(2026, 3, 1))
    assert plan.report.moved == ["p2"] and plan.report.issues == [] and plan.clear_hours == ["p3", "p4"]
    assert {name: store.table(name).to_csv() for name in known} == {name: frame.to_csv() for name, frame in known.items()}
    load_text(store, moved, date(2026, 3, 1))
    history = store.query("SELECT team_id, valid_from, valid_to FROM memberships WHERE person_id = 'p2' ORDER BY valid_from")
    planned = plan.frames["memberships"].query("person_id == 'p2'").sort_values("valid_from")
    assert spans(history) == spans(planned[["team_id", "valid_from", "valid_to"]].assign(
        valid_from=pd.to_datetime(planned["valid_from"]), valid_to=pd.to_datetime(planned["valid_to"])))


def test_a_team_that_moves_group_counts_for_its_old_group_before_the_move(store):
    maps = "p5,Finn Hav,finn@example.com,pm,maps,Maps,Discovery,Europe/Berlin,,2024-01-01,\n"
    load_text(store, ROSTER + maps, date(2026, 1, 15))
    load_text(store, ROSTER.replace("search,Search,Discovery", "search,Search,Money") + maps, date(2026, 4, 1))
    history = store.query("SELECT group_name, valid_from, valid_to FROM team_groups WHERE team_id = 'search' ORDER BY valid_from")
    assert spans(history) == [["Discovery", "1900-01-01", "2026-04-01"], ["Money", "2026-04-01", None]]
    releases = [{"release_id": r, "project": "S", "team_id": "search", "name": r, "released": True, "released_on": d}
                for r, d in [("r1", "2026-02-10"), ("r2", "2026-05-10")]]
    tables = {**store.tables("teams", "team_groups", "memberships"), **{k: v for k, v in make_tables(releases=releases).items()
                                                                        if k not in ("teams", "team_groups", "memberships")}}
    series = compute_series(tables, Settings(), "quarter", "group", date(2026, 1, 1), date(2026, 6, 30), ["release_count"])
    counts = {(str(r.period_start), r.scope_id): r.value for r in series.itertuples()}
    assert counts[("2026-01-01", "Discovery")] == 1 and counts[("2026-01-01", "Money")] == 0
    assert counts[("2026-04-01", "Money")] == 1


def test_a_backdated_team_move_is_refused_like_a_persons_and_the_group_history_stays(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    load_text(store, ROSTER.replace("search,Search,Discovery", "search,Search,Money"), date(2026, 4, 1))
    tables = ("teams", "team_groups")
    before = {name: store.table(name).to_csv() for name in tables}

    report = load_text(store, ROSTER.replace("search,Search,Discovery", "search,Search,Growth"), date(2026, 3, 1))

    assert [(issue.row, issue.column) for issue in report.issues] == [(4, "group")]
    assert "moved to group 'Money' on 2026-04-01, after this roster's date 2026-03-01" in str(report.issues[0])
    assert report.regrouped == []
    assert {name: store.table(name).to_csv() for name in tables} == before

    moved = ROSTER.replace("pm,payments,Payments,Money", "pm,search,Search,Money").replace("search,Search,Discovery", "search,Search,Money")
    person = load_text(store, moved, date(2026, 5, 1))
    assert person.moved == ["p1"]
    refused = load_text(store, ROSTER.replace("search,Search,Discovery", "search,Search,Money"), date(2026, 4, 15))
    assert [(issue.row, "before the current membership began" in issue.message) for issue in refused.issues] == [(2, True)]


def test_an_older_snapshot_that_agrees_with_the_group_history_changes_nothing(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    load_text(store, ROSTER.replace("search,Search,Discovery", "search,Search,Money"), date(2026, 4, 1))
    before = {name: store.table(name).to_csv() for name in ("teams", "team_groups")}
    report = load_text(store, ROSTER, date(2026, 3, 1))
    assert report.issues == [] and report.regrouped == []
    assert {name: store.table(name).to_csv() for name in before} == before


def test_two_people_with_one_email_are_refused_naming_both_rows_and_nothing_is_loaded(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    before = {name: store.table(name).to_csv() for name in ROSTER_TABLES}
    twin = "p5,Ben Other,BEN@example.com,pm,search,Search,Discovery,Europe/Berlin,,2026-01-01,\n"
    with pytest.raises(RosterError, match=r"^hr.csv: two people have one email \(ben@example.com is on row 3 \(p2\), row 6 \(p5\)\)"):
        load_text(store, ROSTER + twin, date(2026, 2, 1))
    without_cleo = "".join(line for line in ROSTER.splitlines(keepends=True) if not line.startswith("p3,"))
    newcomer = "p6,Cleo Neu,cleo@example.com,pm,search,Search,Discovery,Europe/Berlin,,2026-01-01,\n"
    with pytest.raises(RosterError, match=r"cleo@example.com is on row 5 \(p6\), p3 \(stored, not in this roster\)"):
        load_text(store, without_cleo + newcomer, date(2026, 2, 1))
    assert {name: store.table(name).to_csv() for name in before} == before


def test_a_departed_persons_email_may_go_to_someone_new(store):
    load_text(store, ROSTER.replace("2023-01-09,", "2023-01-09,2025-12-31"), date(2026, 1, 15))
    without_cleo = "".join(line for line in ROSTER.splitlines(keepends=True) if not line.startswith("p3,"))
    newcomer = "p6,Cleo Neu,cleo@example.com,pm,search,Search,Discovery,Europe/Berlin,,2026-02-01,\n"
    assert load_text(store, without_cleo + newcomer, date(2026, 2, 1)).joined == ["p6"]


def test_a_roster_file_reads_like_its_text(tmp_path):
    file = tmp_path / "hr.csv"
    file.write_text("\ufeff" + ROSTER)
    assert read_roster(file).people == parse_roster(ROSTER, str(file)).people


# ---------------------------------------------------------------------------------------------
# Identities

IDENTITIES = """source,external_id,person_id
jira,5b10ac8d82e05b22cc7d4ef5,p1
calendar,ana.work@example.org,p1
jira,ghost-account,p9
jira,5b10ac8d82e05b22cc7d4ef5,p2
"""


def test_the_identity_map_keeps_the_first_mapping_and_reports_unknown_people(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    identities = parse_identity_map(IDENTITIES, "ids.csv")
    assert [(i.row, i.column) for i in identities.issues] == [(5, "external_id")]
    issues = load_identity_map(store, identities)
    assert "'p9' is not in the roster" in str(issues[-1])
    assert len(store.table("identity_map")) == 3


def test_source_ids_resolve_through_the_map_then_person_ids_then_emails_and_unknown_ones_stay(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    load_identity_map(store, parse_identity_map(IDENTITIES, "ids.csv"))
    ids = pd.Series(["5b10ac8d82e05b22cc7d4ef5", "p3", "BEN@example.com", "someone-else", None])
    resolved = resolve_people(ids, "jira", store.table("identity_map"), store.table("people"))
    assert resolved.iloc[:4].tolist() == ["p1", "p3", "p2", "someone-else"] and pd.isna(resolved.iloc[4])
    assert resolve_people(pd.Series(["ana.work@example.org"]), "calendar", store.table("identity_map"), store.table("people")).tolist() == ["p1"]


def test_unmatched_identities_are_listed_not_dropped(store):
    load_text(store, ROSTER, date(2026, 1, 15))
    load_identity_map(store, parse_identity_map(IDENTITIES, "ids.csv"))
    with store.transaction() as tx:
        tx.upsert("work_items", pd.DataFrame([
            {"source": "jira", "item_id": "1", "key": "D-1", "kind": "data_request", "reporter_id": "someone-else", "assignee_id": "p1"},
            {"source": "jira", "item_id": "2", "key": "D-2", "kind": "data_request", "reporter_id": "someone-else", "assignee_id": None},
        ]).reindex(columns=make_tables()["work_items"].columns))
        tx.upsert("survey_unmatched", pd.DataFrame([{"survey_id": "pulse/2026Q1", "field": "team", "value": "Growth", "responses": 2}]))
    listed = unmatched_identities(store)
    assert listed.to_dict("records") == [
        {"source": "jira", "kind": "person", "external_id": "ghost-account", "seen_in": "identity_map (person 'p9' is not in the roster)", "rows": 1},
        {"source": "jira", "kind": "person", "external_id": "someone-else", "seen_in": "work_items.reporter_id", "rows": 2},
        {"source": "survey pulse/2026Q1", "kind": "team", "external_id": "Growth", "seen_in": "survey answers", "rows": 2},
    ]


def test_nothing_unmatched_in_empty_tables():
    assert find_unmatched(make_tables()).empty
