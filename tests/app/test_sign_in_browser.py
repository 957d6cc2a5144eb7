"""Sign-in for real: a `streamlit run` server, headless Chromium and a local OpenID Connect
provider (tests/fakes/oidc_provider.py). `st.login` goes through the provider's authorization
and token endpoints and the ID token's claims become `st.user`, so this checks what AppTest's
simulated user cannot: the `[auth]` section as documented works, the claims `dashboard/app/auth.py`
reads arrive, and a URL typed into the browser does not open a page the role may not see.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.app import navigation
from dashboard.core.store import Store
from tests.browser import free_port, streamlit_server, wait_for_app
from tests.conftest import DEMO_TODAY
from tests.fakes.oidc_provider import OidcProvider

pytestmark = pytest.mark.duckdb_only("sign-in and roles are the server's and the provider's, the same over either store; "
                                     "tests/app/test_roles.py checks each role's pages on both")

CLIENT_ID, CLIENT_SECRET = "prodops-dashboard", "test-client-secret"
OPS_GROUP = "product-ops"


@pytest.fixture(scope="module")
def pm(demo_db) -> dict:
    store = Store(demo_db)
    people, weeks = store.table("people"), store.table("pm_weeks")
    person = people[people["person_id"].isin(weeks["person_id"])].sort_values("person_id").iloc[0]
    return {"email": person["email"], "name": person["name"], "email_verified": True}


@contextmanager
def signed_in_server(folder: Path, demo_db: str, pm: dict, provider: OidcProvider) -> Iterator[str]:
    """A fresh dashboard server with sign-in on and `[access]`: PMs by domain, ops by group."""
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\ncookie_secret = "test-cookie-secret"\n'
        f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\nserver_metadata_url = "{provider.metadata_url}"\n'
    )
    config = folder / "prodops.toml"
    config.write_text(
        f'[access.ops]\ngroups = ["{OPS_GROUP}"]\n[access.pm]\ndomains = ["{pm["email"].rpartition("@")[2]}"]\n'
    )
    env = {"PRODOPS_DB": str(demo_db), "PRODOPS_TODAY": DEMO_TODAY.isoformat(), "PRODOPS_CONFIG": str(config),
           "AUTHLIB_INSECURE_TRANSPORT": "1"}
    with streamlit_server(env, port=port, options=("--secrets.files", str(secrets))) as url:
        yield url


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(CLIENT_ID, CLIENT_SECRET) as running:
        yield running


@pytest.fixture(scope="module")
def site(demo_db, pm, provider, tmp_path_factory) -> Iterator[tuple[str, OidcProvider]]:
    with signed_in_server(tmp_path_factory.mktemp("sign_in"), demo_db, pm, provider) as url:
        yield url, provider


@pytest.fixture()
def page(site, browser) -> Iterator:
    """A fresh browser context per test: no sign-in cookie carries over."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def sign_in(page, url: str, provider: OidcProvider, user: dict) -> None:
    provider.user = user
    page.goto(url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda address: address.rstrip("/") == url, timeout=30_000)
    wait_for_app(page)


def heading(page) -> str:
    return page.locator("[data-testid='stMain'] h1").first.inner_text()


def test_a_pm_signs_in_through_the_provider_sees_their_time_and_cannot_open_the_data_page(site, page, pm):
    url, provider = site
    sign_in(page, url, provider, pm)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"{pm['name']} · Product manager")
    assert heading(page) == "Product Ops Health"
    assert {"/authorize", "/token"} <= set(provider.requests), "the provider was not asked"

    page.goto(f"{url}/pm-time")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="My time")).to_be_visible()

    page.goto(f"{url}/data")
    wait_for_app(page)
    assert heading(page) == "Product Ops Health", "the default page opened instead"
    expect(page.get_by_role("dialog")).to_contain_text("Page not found")
    expect(page.get_by_role("button", name="Sync now")).to_have_count(0)

    page.goto(url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)


def test_ops_by_group_claim_opens_the_data_page(site, page):
    url, provider = site
    sign_in(page, url, provider, {"email": "ops.person@elsewhere.org", "email_verified": True, "groups": [OPS_GROUP]})
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Product ops")
    page.goto(f"{url}/data")
    wait_for_app(page)
    assert heading(page) == "Data"


def test_an_address_no_role_matches_is_turned_away(site, page):
    url, provider = site
    sign_in(page, url, provider, {"email": "visitor@elsewhere.org", "email_verified": True})
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("visitor@elsewhere.org has no role")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_deep_link_as_a_fresh_servers_first_request_gets_the_sign_in_screen(demo_db, pm, provider, browser, tmp_path):
    """Streamlit's legacy router would run a page file alone, without sign-in, for the first
    request of a server whose entrypoint has a `pages/` folder beside it: every page is opened
    that way, each on a server of its own."""
    for spec in navigation.PAGES:
        with signed_in_server(tmp_path, demo_db, pm, provider) as url:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(f"{url}/{spec.url_path}")
            wait_for_app(page)
            expect(page.get_by_role("button", name="Sign in"), f"/{spec.url_path}").to_be_visible()
            assert heading(page) == "Product Ops Health", f"/{spec.url_path} ran without sign-in"
            expect(page.get_by_test_id("stException")).to_have_count(0)
            context.close()
