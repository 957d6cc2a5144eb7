"""Faults while sending: a refusal, a failed login, a passing 4xx, a run killed half-way."""
from __future__ import annotations

import pytest

from dashboard.core.store import Store
from dashboard.notify import run, sent_log
from tests.conftest import DEMO_TODAY
from tests.notify.smtp_server import PASSWORD, SmtpServer
from tests.notify.test_digest_email import mailer, settings_for

OPS = [f"ops{k}@example.com" for k in range(1, 4)]
"""Product ops digests: no charts, so a fault test costs no Chromium."""


def ops_settings(server: SmtpServer):
    return settings_for(server.port, [{"email": address, "role": "ops"} for address in OPS])


class Killed(BaseException):
    """What a SIGKILL is to the run: nothing after it runs."""


def test_a_refused_recipient_is_recorded_and_the_rest_are_sent(demo_copy, tmp_path):
    store = Store(demo_copy)
    with SmtpServer(tmp_path) as server:
        server.inbox.reply = lambda to: "554 5.7.1 Relay access denied" if to == OPS[1] else None
        settings, waits = ops_settings(server), []
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings, waits=waits),
                           say=lambda _: None)
    assert [o.status for o in outcomes] == ["sent", "failed", "sent"]
    assert "554" in outcomes[1].detail and waits == [], "a 5xx is final: not retried"
    assert sorted(m["To"] for m in server.inbox.messages) == [OPS[0], OPS[2]]
    logged = sent_log.log(store).set_index("subscription")
    assert logged.loc[settings.digest.subscriptions[1].id, "status"] == "failed"
    assert "554" in logged.loc[settings.digest.subscriptions[1].id, "error"]
    assert run.exit_code(outcomes) == 1


def test_a_passing_refusal_is_retried_per_the_shared_policy(demo_copy, tmp_path):
    store = Store(demo_copy)
    with SmtpServer(tmp_path) as server:
        tries = []
        server.inbox.reply = lambda to: (tries.append(to), "451 4.3.0 Try again later")[1] if len(tries) < 2 else None
        settings, waits = ops_settings(server), []
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings, waits=waits),
                           say=lambda _: None)
    assert [o.status for o in outcomes] == ["sent"] * 3
    assert waits == [1.0, 2.0] and len(server.inbox.messages) == 3


def test_a_failed_login_fails_each_message_without_the_password_anywhere(demo_copy, tmp_path):
    store = Store(demo_copy)
    said = []
    with SmtpServer(tmp_path) as server:
        settings = ops_settings(server)
        outcomes = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings, password="wrong-pass"),
                           say=said.append)
    assert [o.status for o in outcomes] == ["failed"] * 3 and server.inbox.messages == []
    assert "refused the login" in outcomes[0].detail
    logged = sent_log.log(store)
    everything = "\n".join(said) + logged.to_csv()
    assert "wrong-pass" not in everything and PASSWORD not in everything


def test_a_run_killed_half_way_sends_only_the_rest_when_run_again(demo_copy, tmp_path):
    store = Store(demo_copy)

    def die_after_first(line: str) -> None:
        if '"status": "sent"' in line:
            raise Killed

    with SmtpServer(tmp_path) as server:
        settings = ops_settings(server)
        with pytest.raises(Killed):
            run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings), say=die_after_first)
        assert [m["To"] for m in server.inbox.messages] == [OPS[0]]
        again = run.run(store, settings, DEMO_TODAY, send=True, mailer=mailer(server, settings), say=lambda _: None)
    assert [o.status for o in again] == [run.SKIPPED, "sent", "sent"]
    assert sorted(m["To"] for m in server.inbox.messages) == sorted(OPS), "each one exactly once"
