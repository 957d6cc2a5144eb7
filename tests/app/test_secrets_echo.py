"""A server that echoes the request in its error page never gets a credential anywhere.

The fakes answer with the Authorization header (or the token inside it) in every encoding a
credential travels in: raw, upper-cased, Basic base64(email:token), base64 of the token alone,
URL-safe base64, percent-encoded in either case of hex, Bearer. After each such sync the token
is looked for, in every one of those encodings and by decoding what could hide it, in stdout,
stderr, the log records, every table of the database and the rendered Data page.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from urllib.parse import quote, unquote

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from connectors.calendar import sync_calendars
from connectors.retry import RetryPolicy
from dashboard import cli
from dashboard.core.schema import TABLES
from dashboard.core.store import Store
from tests.app.test_roles import APP, DATA_PAGE
from tests.connectors.calendar.test_calendar_faults import google, graph
from tests.connectors.calendar.test_calendar_sync import TODAY, seed_roster
from tests.fakes.faults import Fault
from tests.fakes.google_calendar import GoogleCalendarFake
from tests.fakes.graph_calendar import GraphCalendarFake
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import JiraSite, populate

TOKEN = "tok/en+Sec=ret~2026_ABC"
"""Holds characters that base64's two alphabets and percent-encoding each write differently."""
EMAIL = "ops@example.com"


def b64(text: str, alphabet=base64.b64encode) -> str:
    return alphabet(text.encode()).decode()


def token_in(authorization: str) -> tuple[str, str]:
    """(the user part or "", the token) an Authorization header carries: Basic or Bearer."""
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "basic":
        user, _, token = base64.b64decode(credential).decode().partition(":")
        return user, token
    return "", credential


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda hexed: hexed.group(0).lower(), text)


ECHOES: dict[str, Callable[[str], str]] = {
    "the header": lambda auth: f"Authorization: {auth}",
    "the header upper-cased": lambda auth: f"AUTHORIZATION: {auth.upper()}",
    "the header percent-encoded": lambda auth: "auth=" + quote(auth, safe=""),
    "the header percent-encoded, lower-case hex": lambda auth: "auth=" + lower_hex(quote(auth, safe="")),
    "the token": lambda auth: f"bad token {token_in(auth)[1]}",
    "the token upper-cased": lambda auth: f"BAD TOKEN {token_in(auth)[1].upper()}",
    "the token percent-encoded": lambda auth: f"?token={quote(token_in(auth)[1], safe='')}&x=1",
    "the token in base64": lambda auth: f"token {b64(token_in(auth)[1])}",
    "user and token in URL-safe base64": lambda auth: "Basic " + b64(":".join(token_in(auth)), base64.urlsafe_b64encode),
    "Bearer": lambda auth: f"expected Bearer {token_in(auth)[1]}",
    "a JSON page": lambda auth: json.dumps({"errorMessages": [f"headers: {{'Authorization': '{auth}'}}"]}),
}


def forms(token: str, user: str = EMAIL) -> set[str]:
    """Every written form of the token the checker knows, lower-cased."""
    found = set()
    for plain in (token, f"{user}:{token}"):
        for encoded in (plain, b64(plain), b64(plain, base64.urlsafe_b64encode)):
            found |= {encoded, quote(encoded, safe=""), encoded.rstrip("=")}
    return {form.lower() for form in found}


def leaks(text: str, token: str = TOKEN) -> list[str]:
    """Where `text` still says the token: a known form in any case, or a base64 run that decodes to it."""
    found = [form for form in forms(token) if form in text.lower() or form in unquote(text).lower()]
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}=*", unquote(text)):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(run + "=" * (-len(run) % 4)).decode("utf-8", "ignore")
            except (binascii.Error, ValueError):
                continue
            if token.lower() in decoded.lower():
                found.append(f"base64 {run}")
    return found


def database_text(store: Store) -> str:
    """Every row of every table, as text."""
    return "\n".join(frame.to_csv() for frame in store.tables(*TABLES).values())


def jira_config(tmp_path, monkeypatch, server: JiraServer, db: str) -> None:
    projects = ", ".join(f'"{p}"' for p in sorted(server.site.projects))
    email = f'email = "{server.email}"\n' if server.site.mode == "cloud" else ""
    config = tmp_path / "prodops.toml"
    config.write_text(f'[jira]\nurl = "{server.url}"\n{email}projects = [{projects}]\nmax_retries = 1\n')
    monkeypatch.setenv("PRODOPS_CONFIG", str(config))
    monkeypatch.setenv("PRODOPS_DB", db)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)


@pytest.fixture(params=["cloud", "datacenter"])
def jira(request):
    """Cloud signs in with Basic base64(email:token), Data Center with Bearer token."""
    site = JiraSite(request.param)
    populate(site, issues=8, versions=2)
    with JiraServer(site, token=TOKEN) as server:
        yield server


def echo_faults(server, echo: Callable[[str], str], status: int, path: str = "/search") -> Fault:
    """Every request to `path` answers `status` with the echo; a 5xx says "retry now" so tests run fast."""
    return server.inject(Fault("status", path=path, status=status, echo=echo, retry_after="0", times=None))


@pytest.mark.duckdb_only("the connector masks the token before anything reaches the store, which keeps only the "
                         "masked text, the same on either; the data page test below reads it from each")
@pytest.mark.parametrize("status", [400, 502])
@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_jira_echoing_the_token_puts_it_nowhere(jira, db_location, tmp_path, monkeypatch, capsys, caplog, echo, status):
    caplog.set_level(logging.DEBUG)
    db = db_location("db")
    jira_config(tmp_path, monkeypatch, jira, db)
    fault = echo_faults(jira, echo, status)

    assert cli.main(["sync", "jira"]) == 1
    printed = capsys.readouterr()

    stored = Store(db).table("sync_runs")["error"].iloc[0]
    assert fault.fired >= 1 and f"HTTP {status}" in stored and "***" in stored, stored
    for where, text in {"stdout": printed.out, "stderr": printed.err, "log": caplog.text, "database": database_text(Store(db))}.items():
        assert not leaks(text), f"{where}: {leaks(text)}"


def test_an_error_body_is_cut_to_what_helps(jira, db_location, tmp_path, monkeypatch, capsys):
    db = db_location("db")
    jira_config(tmp_path, monkeypatch, jira, db)
    page = "<html>" + "<p>proxy says no</p>" * 2000 + f"Authorization: Bearer {TOKEN}</html>"
    echo_faults(jira, lambda auth: page, 400)
    assert cli.main(["sync", "jira"]) == 1
    stored = Store(db).table("sync_runs")["error"].iloc[0]
    assert "HTTP 400" in stored and "proxy says no" in stored
    assert len(stored) < 1000, "a few hundred characters of the page, not 40 KB"
    assert not leaks(stored + capsys.readouterr().err)


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_the_data_page_shows_the_failures_but_not_the_token(demo_copy, tmp_path, monkeypatch, deployment):
    site = JiraSite(deployment)
    populate(site, issues=8, versions=2)
    with JiraServer(site, token=TOKEN) as server:
        jira_config(tmp_path, monkeypatch, server, demo_copy)
        for echo in ECHOES.values():
            server.clear()
            echo_faults(server, echo, 502)
            assert cli.main(["sync", "jira"]) == 1
    monkeypatch.delenv("PRODOPS_CONFIG")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception
    frames = [element.value for element in at.dataframe]
    shown = "\n".join(frame.to_csv() for frame in frames if isinstance(frame, pd.DataFrame))
    shown += "\n".join(str(getattr(element, "value", "")) for element in at.main)
    assert shown.count("HTTP 502") >= len(ECHOES), "every failed run is listed"
    assert not leaks(shown), leaks(shown)


CALENDARS = {"google": (GoogleCalendarFake, google, "/events"), "graph": (GraphCalendarFake, graph, "/calendarView")}


@pytest.mark.duckdb_only("the connector masks the token before anything reaches the store, which keeps only the "
                         "masked text, the same on either; the data page test below reads it from each")
@pytest.mark.parametrize("status", [400, 503])
@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@pytest.mark.parametrize("name", CALENDARS)
def test_a_calendar_api_echoing_its_token_puts_it_nowhere(store, caplog, name, echo, status):
    """Google and Graph name their errors by a code in a JSON body: the echo goes there."""
    caplog.set_level(logging.DEBUG)
    fake_of, connector_of, path = CALENDARS[name]
    with fake_of(access_token=TOKEN) as fake:
        connector = connector_of(fake)
        seed_roster(store)
        fake.inject(Fault("status", path=path, status=status, retry_after="0", times=None,
                          echo=lambda auth: json.dumps({"error": {"code": echo(auth), "message": echo(auth)}})))
        result = sync_calendars(store, connector.settings(10.0), today=TODAY, env=connector.env,
                                policy=RetryPolicy(max_retries=1, base_delay=0))
    [quarantined] = result.quarantined
    assert f"HTTP {status}" in quarantined.error
    for where, text in {"message": quarantined.error, "log": caplog.text, "database": database_text(store)}.items():
        assert not leaks(text), f"{where}: {leaks(text)}"
