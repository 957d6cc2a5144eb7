"""The Subscriptions page in AppTest: list, add, refuse, remove, preview each role's digest and send a test."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core.config import load_settings
from dashboard.core.store import Store
from dashboard.notify import chat, digest, sent_log, subscriptions
from dashboard.notify.facts import Facts
from dashboard.notify.mail import text
from tests.conftest import DEMO_TODAY, ENTRYPOINT, page_file
from tests.notify.smtp_server import PASSWORD, USER, SmtpServer
from tests.notify.webhook_server import WebhookServer

PAGE = page_file("subscriptions.py")
DECLARED = "vp@example.com"
TEAM = "core-platform-search"


@pytest.fixture()
def smtp(tmp_path, monkeypatch):
    with SmtpServer(tmp_path) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        yield server


@pytest.fixture()
def configured(demo_copy, tmp_path, monkeypatch, smtp):
    """The demo's copy, one subscription declared in prodops.toml, a mail server and a Slack webhook."""
    config = tmp_path / "prodops.toml"
    config.write_text(
        '[digest]\nbase_url = "https://prodops.example.com"\n'
        f'[digest.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nusername = "{USER}"\n'
        'sender = "Product Ops <prodops@example.com>"\nmax_retries = 0\n'
        '[digest.webhooks.payments]\nkind = "slack"\nurl_env = "SLACK_PAYMENTS_URL"\n'
        f'[[digest.subscriptions]]\nemail = "{DECLARED}"\nrole = "vp"\n'
    )
    monkeypatch.setenv("PRODOPS_CONFIG", str(config))
    monkeypatch.setenv("PRODOPS_DB", demo_copy)
    monkeypatch.setenv("PRODOPS_TODAY", DEMO_TODAY.isoformat())
    return demo_copy


def open_page() -> AppTest:
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=180)
    at.run()
    return at.switch_page(PAGE).run()


def assert_clean(at: AppTest, context: str) -> None:
    assert not at.exception, f"{context}: {[e.value for e in at.exception]}"
    assert not at.error, f"{context}: {[e.value for e in at.error]}"


def listed(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["Recipient"])


def add(at: AppTest, channel: str = "email", email: str | None = None, role: str = "vp", scope=None,
        cadence: str = "weekly", webhook: str | None = None) -> AppTest:
    at.selectbox(key="sub_channel").select(channel).run()
    if email is not None:
        at.text_input(key="sub_email").input(email).run()
    if webhook is not None:
        at.selectbox(key="sub_webhook").select(webhook).run()
    at.selectbox(key="sub_role").select(role).run()
    if scope is not None:
        at.selectbox(key="sub_scope").select(scope).run()
    at.radio(key="sub_cadence").set_value(cadence).run()
    return at.button(key="sub_add").click().run()


def test_ops_adds_a_lead_and_a_slack_channel_beside_the_declared_vp_and_removes_one(configured):
    at = open_page()
    assert_clean(at, "first load")
    assert listed(at) == [DECLARED]
    add(at, email="Search.Lead@example.com", role="lead", scope=("team", TEAM), cadence="monthly")
    assert_clean(at, "after adding a lead")
    add(at, channel="slack", webhook="payments", role="ops")
    assert_clean(at, "after adding a Slack channel")
    assert listed(at) == [DECLARED, "search.lead@example.com", "slack:payments"]
    kept = subscriptions.stored(Store(configured))
    assert [(s.email, s.role, s.team, s.cadence, s.channel, s.webhook) for s in kept] == [
        ("search.lead@example.com", "lead", TEAM, "monthly", "email", None),
        (None, "ops", None, "weekly", "slack", "payments"),
    ]
    stored = Store(configured).query("SELECT * FROM digest_subscriptions")
    assert not stored.astype(str).apply(lambda column: column.str.contains("https://")).any().any(), \
        "a webhook is stored by its name, never its URL"

    # The declared subscription is not offered for removal: it lives in prodops.toml.
    choices = at.selectbox(key="sub_remove_choice").options
    assert len(choices) == 2 and not any(DECLARED in choice for choice in choices)
    at.selectbox(key="sub_remove_choice").select_index(1).run()
    at.button(key="sub_remove").click().run()
    assert_clean(at, "after removing")
    assert listed(at) == [DECLARED, "search.lead@example.com"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"email": DECLARED, "role": "vp"}, "already subscribed"),
    ({"email": "not-an-address", "role": "vp"}, "not an email address"),
    ({"email": "", "role": "ops"}, "names an email address"),
])
def test_a_wrong_or_repeated_subscription_is_refused_with_the_reason(configured, fields, message):
    at = open_page()
    add(at, **fields)
    assert [e.value for e in at.error] and message in at.error[0].value
    assert listed(at) == [DECLARED]


@pytest.mark.parametrize(("role", "scope"), [("vp", None), ("lead", ("group", "Payments")), ("ops", None)])
def test_the_preview_is_the_digest_a_run_would_send_and_a_test_reaches_only_the_viewer(configured, smtp, role, scope):
    at = open_page()
    email = f"{role}.preview@example.com"
    add(at, email=email, role=role, scope=scope)
    choice = next(option for option in at.selectbox(key="preview_choice").options if option.startswith(email))
    at.selectbox(key="preview_choice").select(choice).run()
    assert_clean(at, f"{role} preview")

    settings = load_settings()
    subscription = next(s for s in subscriptions.every(Store(configured), settings) if s.email == email)
    expected = digest.build(subscription, Facts(Store(configured), settings, DEMO_TODAY))
    shown = [block.proto.body for block in at.get("html")]
    assert len(shown) == 1 and expected.subject in shown[0]
    for row in (row for section in expected.sections for table in section.tables for row in table.rows):
        assert all(str(cell).replace("&", "&amp;") in shown[0] for cell in row), f"{row} is not in the preview"
    assert shown[0].count('src="data:image/png;base64,') == len(expected.charts())
    assert at.code[0].value == text(expected).rstrip("\n")

    at.text_input(key="test_to").input("me@example.com").run()
    at.button(key="send_test").click().run()
    assert_clean(at, f"{role} test send")
    (sent,) = smtp.inbox.messages
    assert sent["To"] == "me@example.com" and sent["Subject"] == f"[Test] {expected.subject}"
    assert not sent["Message-ID"].startswith("<digest-"), "a test must not share the real digest's Message-ID"
    assert sent_log.sent_keys(Store(configured)) == set(), "a test is not the subscriber's digest"


def test_a_slack_subscription_previews_the_json_its_webhook_is_sent_and_posts_a_test_there(configured, monkeypatch):
    at = open_page()
    add(at, channel="slack", webhook="payments", role="lead", scope=("group", "Payments"))
    choice = next(option for option in at.selectbox(key="preview_choice").options if option.startswith("slack:payments"))
    at.selectbox(key="preview_choice").select(choice).run()
    assert_clean(at, "slack preview")
    settings = load_settings()
    subscription = next(s for s in subscriptions.every(Store(configured), settings) if s.webhook == "payments")
    expected = chat.message(digest.build(subscription, Facts(Store(configured), settings, DEMO_TODAY)), "slack")
    assert len(at.json) == 1 and json.loads(at.json[0].value) == expected
    assert not at.get("html"), "a chat digest has no email to show"

    with WebhookServer() as server:
        monkeypatch.setenv("SLACK_PAYMENTS_URL", server.url("payments"))
        at.button(key="post_test").click().run()
    assert_clean(at, "slack test post")
    (posted,) = server.taken("payments")
    assert posted["text"] == "[Test] " + expected["text"]
    assert posted["blocks"][1:] == expected["blocks"][1:], "the same message, only its title marked"
    assert sent_log.sent_keys(Store(configured)) == set()
