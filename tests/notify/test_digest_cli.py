"""`python -m dashboard digest` as cron runs it: a separate process, its settings from prodops.toml,
the password from the environment, the mail server's certificate trusted the way any deployment
trusts its own (`SSL_CERT_FILE`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import DEMO_TODAY, ROOT
from tests.notify.smtp_server import PASSWORD, USER, SmtpServer

SUBSCRIBERS = ["vp@example.com", "ops@example.com"]


@pytest.fixture
def deployment(databases, demo_db, tmp_path):
    """A copy of the demo, a mail server, and the prodops.toml that names both."""
    location = databases.copy(demo_db, tmp_path, "digest_cli")
    with SmtpServer(tmp_path) as server:
        config = tmp_path / "prodops.toml"
        config.write_text(
            f'[digest]\nbase_url = "https://prodops.example.com"\n'
            f'[digest.smtp]\nhost = "127.0.0.1"\nport = {server.port}\nusername = "{USER}"\n'
            f'sender = "Product Ops <prodops@example.com>"\nmax_retries = 0\n'
            + "".join(f'[[digest.subscriptions]]\nemail = "{who}"\nrole = "{who.split("@")[0]}"\n' for who in SUBSCRIBERS)
        )
        env = {**os.environ, "PRODOPS_DB": location, "PRODOPS_CONFIG": str(config), "PRODOPS_TODAY": DEMO_TODAY.isoformat(),
               "SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(server.cert)}
        yield server, env


def digest(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "digest", *flags], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_a_scheduled_send_mails_each_subscriber_once_and_a_rerun_sends_nothing(deployment):
    server, env = deployment
    first = digest(env, "--send")
    assert first.returncode == 0, first.stderr
    assert sorted(m["To"] for m in server.inbox.messages) == sorted(SUBSCRIBERS)
    again = digest(env, "--send")
    assert again.returncode == 0, again.stderr
    assert len(server.inbox.messages) == len(SUBSCRIBERS), "a re-run sent a digest twice"
    assert PASSWORD not in first.stdout + first.stderr + again.stdout + again.stderr


def test_a_dry_run_lists_what_would_be_sent_and_sends_nothing(deployment):
    server, env = deployment
    done = digest(env, "--dry-run")
    assert done.returncode == 0, done.stderr
    planned = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert len(planned) == len(SUBSCRIBERS), done.stderr
    assert not server.inbox.messages
    assert PASSWORD not in done.stdout + done.stderr


def test_a_wrong_password_fails_the_run_without_printing_it(deployment):
    server, env = deployment
    done = digest({**env, "SMTP_PASSWORD": "not-the-password"}, "--send")
    assert done.returncode == 1, done.stderr
    assert not server.inbox.messages
    assert "not-the-password" not in done.stdout + done.stderr
