"""Alerts: each rule on a hand-built store, sent through a real SMTP server once per occurrence."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli
from dashboard.core import periods
from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from dashboard.notify import alerts
from tests.conftest import ENTRYPOINT, page_file
from tests.notify.smtp_server import USER, SmtpServer
from tests.notify.test_digest_email import mailer
from tests.notify.webhook_server import TOKEN, Answer, WebhookServer
from tests.tables import TEAMS, make_tables

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0)
BASE = "https://prodops.example.com"
OPS, LEAD = "ops@example.com", "lead@example.com"
SECRET_ERROR = "HTTP 401 from jira.example.com: token expired"


def _checkins(team: str, states: list[str]) -> list[dict]:
    rows = []
    for k, state in enumerate(states):
        due = datetime(2026, 10, 5, 17) + timedelta(weeks=k)
        rows.append({"checkin_id": f"{team}-{k}", "team_id": team, "kind": "weekly_status",
                     "period_start": (due - timedelta(days=4)).date(), "due_at": due, "status": state,
                     "submitted_at": due if state == "on_time" else None, "source": "jira", "ref": f"CHK-{k}"})
    return rows


def _pms() -> tuple[list[dict], list[dict], list[dict]]:
    """Three PMs on t1 and t2 each, one on t3; every PM-week of October at a 60 % overhead share (off target)."""
    people, memberships, weeks = [], [], []
    for team, count in (("t1", 3), ("t2", 3), ("t3", 1)):
        for k in range(count):
            person = f"{team}-pm{k}"
            people.append({"person_id": person, "name": person, "role": "pm", "team_id": team, "tz": "UTC",
                           "active_from": date(2026, 1, 1)})
            memberships.append({"person_id": person, "team_id": team, "role": "pm", "valid_from": date(2026, 1, 1)})
            for week in pd.date_range("2026-09-28", "2026-11-16", freq="7D"):
                weeks.append({"person_id": person, "week_start": week.date(), "team_id": team, "working_hours": 40.0,
                              "meeting_hours": 26.0, "overhead_hours": 24.0, "strategy_hours": 4.0, "focus_hours": 6.0,
                              "ooo_hours": 0.0, "short_focus_hours": 0.0, "fragmented_hours": 0.0})
    return people, memberships, weeks


def sync_run(run_id: str, source: str, started: datetime, status: str, error: str | None = None) -> dict:
    return {"run_id": run_id, "source": source, "started_at": started, "finished_at": started + timedelta(minutes=1),
            "status": status, "rows": 0, "cursor": None, "error": error}


def tables() -> dict[str, pd.DataFrame]:
    people, memberships, weeks = _pms()
    return make_tables(
        teams=TEAMS, people=people, memberships=memberships, pm_weeks=weeks,
        # t1: four missing in a row (fires at 3); t2: two (a near miss)
        checkins=_checkins("t1", ["on_time", "missing", "missing", "missing", "missing"])
        + _checkins("t2", ["on_time", "on_time", "on_time", "on_time", "missing", "missing"]),
        releases=[
            {"release_id": "r1", "project": "APP", "team_id": "t1", "name": "1.0", "planned_date": date(2026, 11, 20),
             "released": False},
            {"release_id": "r2", "project": "APP", "team_id": "t2", "name": "2.0", "planned_date": date(2026, 11, 15),
             "released": False},
            {"release_id": "r3", "project": "APP", "team_id": "t2", "name": "3.0", "planned_date": date(2026, 12, 20),
             "released": False},
        ],
        release_plans=[  # r1: first plan 1 Nov, re-planned twice, 25 days late; r2: 10 Nov, once, 16 days late
            {"release_id": "r1", "observed_at": datetime(2026, 10, 1), "planned_date": date(2026, 11, 1)},
            {"release_id": "r1", "observed_at": datetime(2026, 10, 20), "planned_date": date(2026, 11, 10)},
            {"release_id": "r1", "observed_at": datetime(2026, 11, 5), "planned_date": date(2026, 11, 20)},
            {"release_id": "r2", "observed_at": datetime(2026, 10, 1), "planned_date": date(2026, 11, 10)},
            {"release_id": "r2", "observed_at": datetime(2026, 11, 8), "planned_date": date(2026, 11, 15)},
            # r3: re-planned twice before its first date has come: not late, but re-planned
            {"release_id": "r3", "observed_at": datetime(2026, 10, 1), "planned_date": date(2026, 12, 10)},
            {"release_id": "r3", "observed_at": datetime(2026, 11, 1), "planned_date": date(2026, 12, 15)},
            {"release_id": "r3", "observed_at": datetime(2026, 11, 20), "planned_date": date(2026, 12, 20)},
        ],
        work_items=[  # 56 and 25 days open; REQ-3 was old but is resolved
            {"source": "jira", "item_id": "1", "key": "REQ-1", "kind": "data_request", "project": "REQ", "status": "Open",
             "created": datetime(2026, 10, 1, 9), "reporter_id": "t1-pm0"},
            {"source": "jira", "item_id": "2", "key": "REQ-2", "kind": "data_request", "project": "REQ", "status": "Open",
             "created": datetime(2026, 11, 1, 9), "reporter_id": "t1-pm0"},
            {"source": "jira", "item_id": "3", "key": "REQ-3", "kind": "data_request", "project": "REQ", "status": "Done",
             "created": datetime(2026, 9, 1, 9), "resolved": datetime(2026, 11, 20, 9), "reporter_id": "t2-pm0"},
        ],
        sync_runs=[  # jira failing for 30 hours; calendar for 2
            sync_run("j1", "jira", datetime(2026, 11, 24, 6), "success"),
            sync_run("j2", "jira", datetime(2026, 11, 25, 6), "failed", SECRET_ERROR),
            sync_run("j3", "jira", datetime(2026, 11, 26, 6), "failed", SECRET_ERROR),
            sync_run("c1", "calendar", datetime(2026, 11, 26, 6), "success"),
            sync_run("c2", "calendar", datetime(2026, 11, 26, 10), "failed", "calendar down"),
        ],
    )


def write(store: Store, frames: dict[str, pd.DataFrame]) -> Store:
    with store.transaction() as tx:
        for name, frame in frames.items():
            if len(frame):
                tx.upsert(name, frame)
    return store


@pytest.fixture()
def store(db_location) -> Store:
    return write(Store(db_location("alerts")), tables())


RULES = [
    {"id": "checkins", "kind": "missed_checkins", "n": 3, "to": [LEAD]},
    {"id": "replans", "kind": "release_replanned", "k": 2, "to": [LEAD]},
    {"id": "slip", "kind": "release_slip", "days": 20, "to": [LEAD]},
    {"id": "requests", "kind": "request_age", "days": 30, "to": [LEAD]},
    {"id": "syncs", "kind": "sync_failing", "hours": 24, "to": [OPS, LEAD]},
    {"id": "compliance", "kind": "metric", "metric": "checkin_compliance_rate", "scope": "team", "to": [LEAD]},
    {"id": "overhead", "kind": "metric", "metric": "pm_overhead_share", "scope": "team", "crosses": "target", "to": [LEAD]},
]


OCCURRENCES = 10
"""What `RULES` find in `tables()`, one per destination: a rule each, a second re-planned release, the sync's two
addresses, overhead on t1 and t2."""


def settings_for(port: int = 25, rules: list[dict] | None = None, **extra) -> Settings:
    return Settings.model_validate({
        "digest": {"base_url": BASE, "smtp": {"host": "127.0.0.1", "port": port, "username": USER,
                                              "sender": "Product Ops <prodops@example.com>", "max_retries": 0},
                   **extra.pop("digest", {})},
        "access": {"ops": {"emails": [OPS]}, "leader": {"emails": [LEAD]}},
        "alerts": rules if rules is not None else RULES, **extra,
    })


def found(store: Store, settings: Settings, now: datetime = NOW) -> dict[str, list[alerts.Occurrence]]:
    every = alerts.evaluate(alerts.Context(store, settings, TODAY, now))
    return {rule["id"]: [o for o in every if o.rule.id == rule["id"]] for rule in settings.model_dump()["alerts"]}


def published(store: Store, settings: Settings, metric_id: str, scope: str = "team") -> pd.DataFrame:
    """The cells of the last whole month as the metrics CLI prints them."""
    series = compute_series(load_tables(store), settings, "month", scope, date(2026, 1, 1), TODAY, [metric_id])
    return series[pd.to_datetime(series["period_start"]) == pd.Timestamp(2026, 10, 1)].set_index("scope_id")


def test_each_rule_fires_on_its_case_and_not_on_a_near_miss(store):
    hits = found(store, settings_for())
    assert [o.family for o in hits["checkins"]] == ["t1|weekly_status"], "t2 missed two in a row, under 3"
    assert hits["checkins"][0].rows[0][-1] == "4"
    assert sorted(o.family for o in hits["replans"]) == ["t1|1.0", "t2|3.0"], \
        "2.0 was re-planned once; 3.0 twice, its first date still ahead"
    assert [o.family for o in hits["slip"]] == ["t1|1.0"], "2.0 is 16 days late, not over 20"
    assert hits["slip"][0].rows[0][5] == "25"
    assert [o.family for o in hits["requests"]] == ["REQ-1"], "REQ-2 is 25 days old; REQ-3 is resolved"
    assert [o.family for o in hits["syncs"]] == ["jira"], "calendar has failed for 2 hours only"
    assert hits["syncs"][0].instance == "2026-11-25T06:00:00", "keyed by the first failure since the last success"
    assert [o.family for o in hits["compliance"]] == ["checkin_compliance_rate:team:t1"], "t2 was on target in October"


def test_a_metric_under_the_privacy_minimum_alerts_nothing_and_the_others_state_the_published_value(store):
    settings = settings_for()
    hits = {o.family.rsplit(":", 1)[1]: o for o in found(store, settings)["overhead"]}
    cells = published(store, settings, "pm_overhead_share")
    assert pd.isna(cells.loc["t3", "value"]), "one PM: the published cell has no value"
    assert "t3" not in hits, "a hidden value raises no alert"
    shown = cells[cells["value"].notna()]
    assert len(shown) and set(hits) == set(shown.index)
    metric = METRICS["pm_overhead_share"]
    for team, occurrence in hits.items():
        latest = occurrence.rows[0]
        assert latest[:3] == [periods.label(date(2026, 10, 1), "month"), metric.format(shown.loc[team, "value"]),
                              str(int(shown.loc[team, "n"]))]
    compliance = found(store, settings)["compliance"][0]
    rate = published(store, settings, "checkin_compliance_rate").loc["t1"]
    assert compliance.rows[0][1:3] == [METRICS["checkin_compliance_rate"].format(rate["value"]), str(int(rate["n"]))]


def _send(store: Store, server: SmtpServer, settings: Settings, now: datetime = NOW) -> list[alerts.Outcome]:
    return alerts.run(store, settings, TODAY, send=True, now=now, mailer=mailer(server, settings), say=lambda _: None)


def test_each_occurrence_is_mailed_once_with_its_evidence_and_link(store, tmp_path):
    with SmtpServer(tmp_path) as server:
        settings = settings_for(server.port)
        first = _send(store, server, settings)
        again = _send(store, server, settings)
    assert {o.status for o in first} == {alerts.SENT} and len(first) == OCCURRENCES
    assert {o.status for o in again} == {alerts.SKIPPED} and len(again) == len(first), "a repeat sync repeats nothing"
    assert len(server.inbox.messages) == len(first)
    (slip,) = [m for m in server.inbox.to(LEAD) if "past its first plan" in m["Subject"]]
    plain = slip.get_body(("plain",)).get_content()
    html = slip.get_body(("html",)).get_content()
    assert "Release 1.0 is 25 days past its first plan" in slip["Subject"]
    assert f"{BASE}/releases?" in plain and "team=t1" in plain and f'href="{BASE}/releases?' in html
    assert "Days late: 25" in plain and "<td" in html


def test_a_sync_error_reaches_only_a_reader_of_the_data_page_and_is_not_stored(store, tmp_path):
    with SmtpServer(tmp_path) as server:
        settings = settings_for(server.port, [RULES[4]])
        _send(store, server, settings)
    (ops,), (lead,) = server.inbox.to(OPS), server.inbox.to(LEAD)
    assert SECRET_ERROR in ops.get_body(("plain",)).get_content()
    assert SECRET_ERROR not in lead.as_string() and "Failing since" in lead.get_body(("plain",)).get_content()
    assert SECRET_ERROR not in alerts.read_state(store).to_csv()


def test_a_failed_send_is_recorded_and_retried_without_repeating_the_sent_one(store, tmp_path):
    with SmtpServer(tmp_path) as server:
        settings = settings_for(server.port, [RULES[4]])
        server.inbox.reply = lambda to: "554 5.7.1 Relay access denied" if to == LEAD else None
        first = _send(store, server, settings)
        state = alerts.read_state(store).set_index("occurrence")
        server.inbox.reply = lambda to: None
        second = _send(store, server, settings)
    assert [(o.to, o.status) for o in first] == [(OPS, "sent"), (LEAD, "failed")] and "554" in first[1].detail
    failed = state.loc[state["status"] == "failed"]
    assert len(failed) == 1 and "554" in failed["error"].iloc[0] and failed["attempts"].iloc[0] == 1
    assert [(o.to, o.status) for o in second] == [(OPS, alerts.SKIPPED), (LEAD, "sent")]
    assert sorted(m["To"] for m in server.inbox.messages) == [LEAD, OPS], "each destination exactly once"
    assert alerts.exit_code(first) == 1 and alerts.exit_code(second) == 0


def test_a_quiet_period_holds_back_the_next_occurrence_then_lets_it_go(store, tmp_path):
    rule = {**RULES[4], "to": [OPS], "quiet_days": 3, "source": "jira"}
    with SmtpServer(tmp_path) as server:
        settings = settings_for(server.port, [rule])
        assert [o.status for o in _send(store, server, settings)] == ["sent"]
        write(store, {"sync_runs": pd.DataFrame([  # jira recovers, then fails again for more than a day
            sync_run("j4", "jira", datetime(2026, 11, 26, 18), "success"),
            sync_run("j5", "jira", datetime(2026, 11, 27, 6), "failed", SECRET_ERROR)])})
        held = _send(store, server, settings, now=datetime(2026, 11, 28, 12))
        still = _send(store, server, settings, now=datetime(2026, 11, 29, 8))
        let_go = _send(store, server, settings, now=datetime(2026, 11, 29, 13))
    assert [(o.occurrence, o.status) for o in held] == [("jira@2026-11-27T06:00:00", alerts.QUIET)]
    assert [o.status for o in still] == [alerts.QUIET]
    assert [(o.occurrence, o.status) for o in let_go] == [("jira@2026-11-27T06:00:00", alerts.SENT)]
    assert len(server.inbox.messages) == 2


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_a_chat_destination_gets_the_alert_with_its_evidence_once_and_a_500_is_retried_next_time(store, monkeypatch,
                                                                                                  kind):
    settings = settings_for(rules=[{**RULES[3], "to": [f"{kind}:ops"]}],
                            digest={"webhooks": {"ops": {"kind": kind, "url_env": "OPS_HOOK_URL", "max_retries": 0}}})
    (expected,) = found(store, settings)["requests"]
    with WebhookServer(lambda name, attempt: Answer(500, "boom") if attempt == 0 else Answer(200, "ok")) as server:
        monkeypatch.setenv("OPS_HOOK_URL", server.url("ops"))
        first = alerts.run(store, settings, TODAY, send=True, now=NOW, say=lambda _: None)
        again = alerts.run(store, settings, TODAY, send=True, now=NOW, say=lambda _: None)
        third = alerts.run(store, settings, TODAY, send=True, now=NOW, say=lambda _: None)
    assert [o.status for o in first] == ["failed"] and "HTTP 500" in first[0].detail and TOKEN not in first[0].detail
    assert [o.status for o in again] == ["sent"] and [o.status for o in third] == [alerts.SKIPPED], "sent once only"
    (payload,) = server.taken("ops")
    said = json.dumps(payload)
    assert expected.title in said and expected.url in said
    assert all(cell in said for row in expected.rows for cell in row), "every piece of evidence is in the message"
    assert TOKEN not in alerts.read_state(store).to_csv()


def test_a_dry_run_lists_and_records_nothing(store):
    outcomes = alerts.run(store, settings_for(), TODAY, send=False, now=NOW, say=lambda _: None)
    assert {o.status for o in outcomes} == {alerts.DRY} and len(outcomes) == OCCURRENCES
    assert alerts.read_state(store).empty


def failing_jira(tmp_path, server: SmtpServer, store: Store, monkeypatch):
    """A Jira that refuses every connection, and one alert on its syncs failing for an hour."""
    config = tmp_path / "prodops.toml"
    config.write_text(
        '[jira]\nurl = "http://127.0.0.1:9"\nemail = "bot@example.com"\nprojects = ["APP"]\nmax_retries = 0\n'
        f'[digest]\nbase_url = "{BASE}"\n'
        f'[digest.smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsender = "prodops@example.com"\nmax_retries = 0\n'
        f'[[alerts]]\nid = "syncs"\nkind = "sync_failing"\nhours = 1\nsource = "jira"\nto = ["{OPS}"]\n')
    monkeypatch.setenv("PRODOPS_DB", store.location)
    monkeypatch.setenv("JIRA_API_TOKEN", "t0ken-never-printed")
    monkeypatch.setattr(alerts, "_mailer", lambda settings: mailer(server, settings)())
    return config


def test_a_sync_evaluates_the_alerts_even_when_it_fails(store, tmp_path, monkeypatch):
    with SmtpServer(tmp_path) as server:
        config = failing_jira(tmp_path, server, store, monkeypatch)
        code = cli.main(["--config", str(config), "sync", "jira"])
    assert code == 1, "the sync failed, and an alert does not change that"
    (sent,) = server.inbox.to(OPS)
    assert "Syncs of jira have failed since 25 Nov 2026 06:00 UTC" in sent["Subject"]
    state = alerts.read_state(store)
    assert state["status"].tolist() == ["sent"] and json.loads(state["evidence"].iloc[0])["family"] == "jira"
    assert "t0ken-never-printed" not in state.to_csv()


def test_sync_now_on_the_data_page_evaluates_the_alerts_too(store, tmp_path, monkeypatch):
    with SmtpServer(tmp_path) as server:
        monkeypatch.setenv("PRODOPS_CONFIG", str(failing_jira(tmp_path, server, store, monkeypatch)))
        at = AppTest.from_file(str(ENTRYPOINT), default_timeout=120)
        at.run()
        at.switch_page(page_file("data.py")).run()
        at.button(key="sync_now").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (sent,) = server.inbox.to(OPS)
    assert "Syncs of jira have failed" in sent["Subject"]
