"""`python -m dashboard digest --send` killed with SIGKILL half-way, then run again: each digest arrives once.

The run is a process of its own, as cron starts it, sending five weekly digests to a real mail
server (aiosmtpd, STARTTLS, a login). The server holds the third message at a chosen point and
tells the test, which kills the process there:

- at DATA, the message's content received but not answered: the server never said 250, so the
  message was not accepted (the connection's loss cancels the held reply, as a mail server drops
  a message whose sender hung up before the acknowledgement);
- at MAIL FROM: between two messages, after the 250 for the second and its sent-log entry.

The server then lets go and the test runs the command again to completion. Every subscriber's
digest has arrived exactly once, the sent-log holds one "sent" row per idempotency key, and the
re-run says "already sent" for the two that went before the kill. (A kill after the server's 250
and before the sent-log's write, the one gap `sent_log` describes, cannot be reached from outside
the process and is not tested here.)
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.notify import digest as digests
from dashboard.notify import sent_log
from dashboard.notify.model import message_key
from dashboard.notify.run import SENT, SKIPPED
from tests.conftest import DEMO_TODAY, ROOT
from tests.notify.smtp_server import PASSWORD, USER, Inbox, SmtpServer

SUBSCRIPTIONS = [
    {"email": "search@example.com", "role": "lead", "team": "core-platform-search"},
    {"email": "payments@example.com", "role": "lead", "group": "Payments"},
    *({"email": f"ops{k}@example.com", "role": "ops"} for k in range(1, 4)),
]
"""Five weekly digests, sent in this order; the third is the one the kill interrupts. The two leads'
carry charts (the killed run renders them); product ops' carry none, so the re-run, which sends
only those, starts no browser and the test stays well inside its time."""
HELD = 2
"""The message (0-based) the server holds."""
WAIT = 45.0
"""Longest wait for the run to reach the held message (it builds five digests and renders their charts first)."""
SHORT = 10.0
"""Longest wait for anything after the kill."""


@dataclass
class HoldingInbox(Inbox):
    """An inbox that holds message `hold_at` at `stage` ("DATA": content received, not answered;
    "MAIL": the next message's MAIL FROM, before any reply) until `release` is set or the sender
    hangs up, which cancels the held reply: a message held at DATA is then never accepted."""

    stage: str = "DATA"
    hold_at: int = HELD
    held: threading.Event = field(default_factory=threading.Event)
    dropped: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def _hold(self, stage: str) -> None:
        if stage != self.stage or len(self.messages) != self.hold_at or self.held.is_set():
            return
        self.held.set()
        deadline = time.monotonic() + WAIT + SHORT
        try:
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)  # the server's loop stays free to notice the sender hang up
        except asyncio.CancelledError:
            self.dropped.set()
            raise

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self._hold("MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await self._hold("DATA")
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def deployment(databases, demo_db, tmp_path):
    """A copy of the demo, the five subscriptions in prodops.toml, and the environment cron gives the command."""
    location = databases.copy(demo_db, tmp_path, "digest_kill")
    config = tmp_path / "prodops.toml"

    def lines(subscription: dict) -> str:
        return "[[digest.subscriptions]]\n" + "".join(f'{key} = "{value}"\n' for key, value in subscription.items())

    def configure(port: int, cert: Path) -> dict[str, str]:
        config.write_text(
            f'[digest]\nbase_url = "https://prodops.example.com"\n'
            f'[digest.smtp]\nhost = "127.0.0.1"\nport = {port}\nusername = "{USER}"\n'
            f'sender = "Product Ops <prodops@example.com>"\nmax_retries = 0\ntimeout_seconds = 60\n'
            + "".join(lines(subscription) for subscription in SUBSCRIPTIONS))
        return {**os.environ, "PRODOPS_DB": location, "PRODOPS_CONFIG": str(config), "PRODOPS_TODAY": DEMO_TODAY.isoformat(),
                "SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(cert)}

    return location, configure


def holding_server(folder: Path, stage: str) -> SmtpServer:
    server = SmtpServer(folder)
    server.inbox = server.controller.handler = HoldingInbox(stage=stage)
    return server


def outcomes(stderr: str) -> dict[str, str]:
    """Each subscriber's status in a run's structured log lines."""
    found = [json.loads(line) for line in stderr.splitlines() if line.startswith('{"event": "digest"')]
    return {line["email"]: line["status"] for line in found if "email" in line}


def kill_at_the_hold(env: dict[str, str], inbox: HoldingInbox, folder: Path) -> str:
    """Start `digest --send`, SIGKILL it once the server holds the message, and return what it had logged."""
    log = folder / "killed-run.err"
    with open(log, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "dashboard", "digest", "--send"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        deadline = time.monotonic() + WAIT
        while not inbox.held.wait(0.1):
            assert process.poll() is None, f"the run ended before the held message:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the run did not reach message {HELD} in {WAIT:g} s:\n{log.read_text()}"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=SHORT) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=SHORT)
        with contextlib.suppress(ProcessLookupError):  # anything it started (a browser for the charts) goes too
            os.killpg(process.pid, signal.SIGKILL)
    assert inbox.dropped.wait(SHORT), "the server noticed the sender hang up and dropped the held reply"
    inbox.release.set()
    return log.read_text()


def run_again(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "digest", "--send"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=WAIT + SHORT)


def assert_each_sent_once(location: str, inbox: HoldingInbox) -> None:
    addresses = [subscription["email"] for subscription in SUBSCRIPTIONS]
    received = [message["To"] for message in inbox.messages]
    assert sorted(received) == sorted(addresses), "every digest arrived, and none twice"
    assert len({message["Message-ID"] for message in inbox.messages}) == len(addresses)
    settings = Settings.model_validate({"digest": {"subscriptions": SUBSCRIPTIONS}})
    _, period = digests.reporting_period("weekly", DEMO_TODAY, settings.week_start)
    keys = sorted(message_key(subscription, period) for subscription in settings.digest.subscriptions)
    logged = sent_log.log(Store(location))
    assert sorted(logged["message_key"]) == keys, "one row per idempotency key, no duplicates"
    assert set(logged["status"]) == {sent_log.SENT}
    assert set(logged["attempts"]) == {1}, "no message was attempted twice"


@pytest.mark.parametrize("stage", [
    pytest.param("DATA", id="killed-mid-message-before-the-250"),
    pytest.param("MAIL", id="killed-between-two-messages"),
])
def test_a_killed_send_then_a_rerun_delivers_each_digest_exactly_once(deployment, tmp_path, stage):
    location, configure = deployment
    addresses = [subscription["email"] for subscription in SUBSCRIPTIONS]
    with holding_server(tmp_path, stage) as server:
        inbox = server.inbox
        env = configure(server.port, server.cert)
        killed = kill_at_the_hold(env, inbox, tmp_path)
        assert [message["To"] for message in inbox.messages] == addresses[:HELD], "the held message was not accepted"
        assert outcomes(killed) == dict.fromkeys(addresses[:HELD], SENT), killed
        assert sorted(sent_log.log(Store(location))["status"]) == [sent_log.SENT] * HELD

        again = run_again(env)
        assert again.returncode == 0, again.stderr
        assert outcomes(again.stderr) == {**dict.fromkeys(addresses[:HELD], SKIPPED),
                                          **dict.fromkeys(addresses[HELD:], SENT)}, again.stderr
    assert_each_sent_once(location, inbox)
    assert PASSWORD not in killed + again.stdout + again.stderr
