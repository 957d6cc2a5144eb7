"""The Subscriptions page in Chromium: each role's digest previewed as its recipient would see it,
and a test message sent from the page to a real mail server."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.core.config import load_settings
from dashboard.core.store import Store
from dashboard.notify import digest, subscriptions
from dashboard.notify.facts import Facts
from tests.app.test_browser import ARTIFACTS, open_page
from tests.browser import streamlit_server, wait_for_app
from tests.conftest import DEMO_TODAY
from tests.notify.smtp_server import PASSWORD, USER, SmtpServer

pytestmark = pytest.mark.duckdb_only("the page's behaviour is Streamlit's and the browser's; "
                                     "tests/app/test_subscriptions_page.py runs it on both stores")

RECIPIENTS = {"vp": "vp@example.com", "lead": "payments@example.com", "ops": "ops@example.com"}
ME = "me@example.com"
BUILD_MS = 180_000


@pytest.fixture(scope="module")
def dashboard(databases, demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("subscriptions")
    location = databases.copy(demo_db, folder, "subscriptions_demo")
    with SmtpServer(folder) as smtp:
        config = folder / "prodops.toml"
        config.write_text(
            '[digest]\nbase_url = "https://prodops.example.com"\n'
            f'[digest.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nusername = "{USER}"\n'
            'sender = "Product Ops <prodops@example.com>"\nmax_retries = 0\n'
            f'[[digest.subscriptions]]\nemail = "{RECIPIENTS["vp"]}"\nrole = "vp"\n'
            f'[[digest.subscriptions]]\nemail = "{RECIPIENTS["lead"]}"\nrole = "lead"\ngroup = "Payments"\n'
            f'[[digest.subscriptions]]\nemail = "{RECIPIENTS["ops"]}"\nrole = "ops"\n'
        )
        env = {"PRODOPS_DB": str(location), "PRODOPS_TODAY": DEMO_TODAY.isoformat(), "PRODOPS_CONFIG": str(config),
               "SSL_CERT_FILE": str(smtp.cert), "SMTP_PASSWORD": PASSWORD}
        with streamlit_server(env) as url:
            yield url, smtp, location, config


def expected_digest(location: str, config, role: str):
    settings = load_settings(config)
    store = Store(location)
    chosen = next(s for s in subscriptions.every(store, settings) if s.email == RECIPIENTS[role])
    return digest.build(chosen, Facts(store, settings, DEMO_TODAY))


@pytest.mark.parametrize("role", list(RECIPIENTS))
def test_each_roles_digest_is_previewed_and_a_test_is_sent_from_the_page(dashboard, browser, role):
    url, smtp, location, config = dashboard
    expected = expected_digest(location, config, role)
    page, errors = open_page(browser, f"{url}/subscriptions")
    try:
        recipient = page.get_by_test_id("stSelectbox").filter(has_text="Recipient")
        recipient.click()
        page.get_by_role("option").filter(has_text=RECIPIENTS[role]).click()
        # The rerun builds the digest and draws its charts in Chromium: seconds, more on a busy machine,
        # and it may not have started when the click returns, so wait for its result, not for the app.
        email = page.locator(".st-key-preview_email")
        expect(email.get_by_text(expected.subject, exact=True)).to_be_visible(timeout=BUILD_MS)
        wait_for_app(page, timeout_ms=BUILD_MS)
        images = email.locator('img[src^="data:image/png;base64,"]')
        expect(images).to_have_count(len(expected.charts()), timeout=BUILD_MS)
        for k in range(len(expected.charts())):
            assert images.nth(k).evaluate("image => image.complete && image.naturalWidth > 0"), "a chart did not load"
        first_row = next(table.rows[0] for section in expected.sections for table in section.tables if table.rows)
        expect(email.get_by_text(first_row[0], exact=True).first).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"subscriptions-preview-{role}.png", full_page=True)

        before = len(smtp.inbox.messages)
        page.get_by_role("textbox", name="Send the test to").fill(ME)
        page.get_by_role("textbox", name="Send the test to").press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name=f"Send me a test ({ME})").click()
        expect(page.get_by_text(f"Sent a test of this digest to {ME}.")).to_be_visible(timeout=BUILD_MS)
        (sent,) = smtp.inbox.messages[before:]
        assert sent["To"] == ME and sent["Subject"] == f"[Test] {expected.subject}"
        assert not errors, "\n".join(errors)
    finally:
        page.close()


def test_a_page_without_subscribers_says_how_to_add_one(server, browser):
    page, errors = open_page(browser, f"{server}/subscriptions")
    try:
        expect(page.get_by_text("Nobody is subscribed yet.", exact=False)).to_be_visible()
        assert not errors, "\n".join(errors)
    finally:
        page.close()


