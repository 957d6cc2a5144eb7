"""Digests sent through a real SMTP server: what each role receives, and that its numbers are the published ones."""
from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from connectors.retry import RetryPolicy
from dashboard.analysis.verdict import verdict
from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import METRICS, SIGNALS, compute_series, load_tables
from dashboard.notify import digest, run, sent_log
from dashboard.notify.facts import Facts
from dashboard.notify.smtp import Mailer
from tests.conftest import DEMO_TODAY
from tests.notify.smtp_server import PASSWORD, USER, SmtpServer

BASE = "https://prodops.example.com"
VP, GROUP_LEAD, TEAM_LEAD, OPS = "vp@example.com", "payments@example.com", "search@example.com", "ops@example.com"
TEAM = "core-platform-search"


def settings_for(port: int, subscriptions: list[dict] | None = None) -> Settings:
    return Settings.model_validate({"digest": {
        "base_url": BASE,
        "smtp": {"host": "127.0.0.1", "port": port, "username": USER, "sender": "Product Ops <prodops@example.com>",
                 "max_retries": 2},
        "subscriptions": subscriptions if subscriptions is not None else [
            {"email": VP, "role": "vp"},
            {"email": GROUP_LEAD, "role": "lead", "group": "Payments"},
            {"email": TEAM_LEAD, "role": "lead", "team": TEAM, "cadence": "monthly"},
            {"email": OPS, "role": "ops"},
        ],
    }})


def mailer(server: SmtpServer, settings: Settings, password: str = PASSWORD, waits: list | None = None):
    policy = RetryPolicy(max_retries=settings.digest.smtp.max_retries, sleep=(waits if waits is not None else []).append)
    return lambda: Mailer(settings.digest.smtp, password, policy, tls=server.client_tls())


@pytest.fixture(scope="module")
def delivered(databases, demo_db, tmp_path_factory):
    """Each role's digest of the demo organisation, sent once through the server; (server inbox, outcomes, store)."""
    folder = tmp_path_factory.mktemp("digest")
    store = Store(databases.copy(demo_db, folder, "digest_demo"))
    with SmtpServer(folder) as server:
        settings = settings_for(server.port)
        said: list[str] = []
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings), say=said.append)
    assert not any("charts left out" in line for line in said), said
    return server.inbox, outcomes, store


def html_of(message) -> str:
    return next(part for part in message.walk() if part.get_content_type() == "text/html").get_content()


def test_each_subscriber_gets_one_html_mail_with_inline_charts_and_a_text_part(delivered):
    inbox, outcomes, _ = delivered
    assert [o.status for o in outcomes] == ["sent"] * 4
    for address in (VP, GROUP_LEAD, TEAM_LEAD, OPS):
        (mail,) = inbox.to(address)
        assert mail.get_content_type() == "multipart/alternative"
        plain, rich = mail.get_payload()
        assert plain.get_content_type() == "text/plain"
        html, *images = rich.get_payload() if rich.is_multipart() else [rich]
        assert rich.get_content_type() == ("multipart/related" if images else "text/html")
        assert html.get_content_type() == "text/html"
        cids = set(re.findall(r'src="cid:([^"]+)"', html.get_content()))
        attached = {image["Content-ID"].strip("<>") for image in images}
        assert cids == attached, "every inline image is referenced and every reference attached"
        assert all(image.get_content_type() == "image/png" and image.get_content().startswith(b"\x89PNG") for image in images)
        assert len(images) == (0 if address == OPS else len(SIGNALS))
        assert mail["Message-ID"].startswith("<digest-")


def test_links_reopen_the_subscribers_view(delivered):
    inbox, _, _ = delivered
    for address, params in ((VP, "group=&team="), (GROUP_LEAD, "group=Payments&team="),
                            (TEAM_LEAD, f"group=Core+Platform&team={TEAM}")):
        html = html_of(inbox.to(address)[0])
        hrefs = re.findall(r'href="([^"]+)"', html)
        assert hrefs and all(h.startswith(BASE + "/") for h in hrefs)
        overview = next(h for h in hrefs if "/overview?" in h)
        assert params in overview.replace("&amp;", "&")
        assert overview.replace("&amp;", "&") in inbox.to(address)[0].get_payload()[0].get_content()
    ops = inbox.to(OPS)[0].get_payload()[0].get_content()
    assert f"{BASE}/bottlenecks?" in ops and "focus=" in ops and f"{BASE}/data?" in ops


def test_the_verdicts_are_the_ones_the_metrics_give(delivered):
    inbox, _, store = delivered
    tables, settings = load_tables(store), Settings()
    since = date(2024, 1, 1)
    for address, scope, scope_id in ((VP, "org", "org"), (GROUP_LEAD, "group", "Payments")):
        text = inbox.to(address)[0].get_payload()[0].get_content()
        monthly = compute_series(tables, settings, "month", scope, since, DEMO_TODAY)
        weekly = compute_series(tables, settings, "week", scope, since, DEMO_TODAY)
        for key, signal in SIGNALS.items():
            month, week = (f[(f["metric_id"] == signal.lead) & (f["scope_id"] == scope_id)] for f in (monthly, weekly))
            found = verdict(key, signal.question, METRICS[signal.lead], month, week, DEMO_TODAY)
            assert found.year.reason() in text, (address, key)


def test_the_sent_log_holds_each_message_and_a_second_run_sends_nothing(delivered, tmp_path):
    _, _, store = delivered
    logged = sent_log.log(store)
    assert sorted(logged["status"]) == ["sent"] * 4
    with SmtpServer(tmp_path) as server:
        settings = settings_for(server.port)
        again = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings), say=lambda _: None)
    assert [o.status for o in again] == [run.SKIPPED] * 4
    assert server.inbox.messages == []


def shown_cells(store: Store) -> set[tuple]:
    tables = load_tables(store)
    cells = []
    for grain in ("week", "month", "quarter"):
        for scope in ("org", "group", "team"):
            frame = compute_series(tables, Settings(), grain, scope, date(2023, 1, 1), DEMO_TODAY)
            cells.append(frame[frame["value"].notna()].assign(grain=grain))
    every = pd.concat(cells)
    return {(m, s, g, p, round(v, 6), int(n)) for m, s, g, p, v, n in
            zip(every["metric_id"], every["scope_id"], every["grain"], every["period_start"], every["value"], every["n"])}


@pytest.mark.parametrize("subscription, allowed", [
    ({"email": GROUP_LEAD, "role": "lead", "group": "Payments"}, "group"),
    ({"email": TEAM_LEAD, "role": "lead", "team": TEAM}, "team"),
    ({"email": TEAM_LEAD, "role": "lead", "team": TEAM, "cadence": "monthly"}, "team"),
    ({"email": VP, "role": "vp"}, "org"),
])
def test_every_figure_is_a_published_cell_and_a_lead_reads_only_their_scope(demo_db, subscription, allowed):
    store = Store(demo_db)
    settings = settings_for(25, [subscription])
    facts = Facts(store, settings, DEMO_TODAY)
    made = digest.build(settings.digest.subscriptions[0], facts)
    teams = store.table("teams")
    scope_id = made.subscription.scope_id
    inside = {"org": None, "group": {"org", scope_id, *teams.loc[teams["group_name"] == scope_id, "team_id"]},
              "team": {"org", scope_id}}[allowed]
    cells = shown_cells(store)
    checked = 0
    for record in made.records():
        if "metric_id" not in record or record["kind"] == "verdict":
            continue
        if inside is not None:
            assert record["scope_id"] in inside, record
        if record["value"] is None:
            assert record["n"] in (None, 0), "a hidden value publishes no n (an empty one 0)"
            continue
        grain = record["grain"]
        start = {"quarter": lambda p: date(int(p[:4]), 3 * int(p[-1]) - 2, 1), "month": lambda p: date.fromisoformat(p + "-01"),
                 "week": date.fromisoformat}[grain](record["period"])
        assert (record["metric_id"], record["scope_id"], grain, start, round(record["value"], 6), record["n"]) in cells, record
        checked += 1
    assert checked > 20
    if allowed == "team":
        assert any(r["value"] is None and r["n"] is None for r in made.records() if r.get("kind") in ("chart", "scorecard")), \
            "a lead's small-group cells stay hidden"


def test_without_chromium_the_digests_go_without_charts_and_the_log_says_why_once(databases, demo_db, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    store = Store(databases.copy(demo_db, tmp_path, "digest_no_charts"))
    with SmtpServer(tmp_path) as server:
        settings = settings_for(server.port)
        said: list[str] = []
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings), say=said.append)
    assert [o.status for o in outcomes] == ["sent"] * 4
    left_out = [line for line in said if "charts left out" in line]
    assert len(left_out) == 1 and "no-chromium" in left_out[0]
    for address in (VP, GROUP_LEAD, TEAM_LEAD, OPS):
        (mail,) = server.inbox.to(address)
        assert not [part for part in mail.walk() if part.get_content_type() == "image/png"]
        assert "cid:" not in html_of(mail)
