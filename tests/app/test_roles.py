"""Sign-in and roles, with AppTest's simulated `st.user` over the demo organisation.

Sign-in is switched on by an `[auth]` section in the test's secrets (placeholder values: no
provider is contacted), and roles come from an `[access]` section in a prodops.toml written per
test. For each role: exactly its pages are in the navigation and render, a URL to another page
does not open it, only ops can sync and edit, and a PM sees their own calendar numbers and
nobody else's whatever the filters and query parameters say. Without `[auth]` the app is open,
as ops, under a banner.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.analysis import own_time
from dashboard.app.auth import Viewer, identity, role_for
from dashboard.core import periods
from dashboard.core.config import Access, ConfigError, parse_settings
from dashboard.core.store import Store
from tests.conftest import ENTRYPOINT, page_file

ROOT = Path(__file__).resolve().parents[2]
APP = str(ENTRYPOINT)
DATA_PAGE = page_file("data.py")
PM_TIME = page_file("pm_time.py")
ALL_PAGES = sorted(page_file(path.name) for path in (ROOT / "pages").glob("*.py"))
SUBSCRIPTIONS_PAGE = page_file("subscriptions.py")
ANALYSIS_PAGES = [page for page in ALL_PAGES if page not in (DATA_PAGE, SUBSCRIPTIONS_PAGE)]
EXPECTED_PAGES = {"leader": ANALYSIS_PAGES, "pm": ANALYSIS_PAGES, "ops": ALL_PAGES}
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "placeholder-for-tests",
    "client_id": "placeholder",
    "client_secret": "placeholder",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
OPS_GROUP = "product-ops"


@pytest.fixture(scope="module")
def org(demo_db) -> dict:
    """People of the demo roster to sign in as: a leader, an ops person and two PMs of different teams."""
    store = Store(demo_db)
    people = store.table("people")
    weeks = store.table("pm_weeks")
    pms = people[people["person_id"].isin(weeks["person_id"])].sort_values("person_id")
    me = pms.iloc[0]
    other = pms[pms["team_id"] != me["team_id"]].iloc[0]
    return {
        "leader": people[people["role"] == "leader"].iloc[0]["email"],
        "ops": people[people["role"] == "ops"].iloc[0]["email"],
        "me": me, "other": other, "people": people, "weeks": weeks,
        "domain": me["email"].rpartition("@")[2],
        "group_of": dict(zip(*store.table("teams")[["team_id", "group_name"]].T.values)),
    }


def write_config(tmp_path: Path, monkeypatch, org: dict, extra: str = "") -> None:
    """Leader by email, ops by group claim, every other address of the company's domain a PM."""
    config = tmp_path / "prodops.toml"
    config.write_text(
        f'[access]\ndefault_role = "none"\n'
        f'[access.leader]\nemails = ["{org["leader"]}"]\n'
        f'[access.ops]\ngroups = ["{OPS_GROUP}"]\n'
        f'[access.pm]\ndomains = ["{org["domain"]}"]\n{extra}'
    )
    monkeypatch.setenv("PRODOPS_CONFIG", str(config))


@pytest.fixture()
def signed_in(demo_env, tmp_path, monkeypatch, org) -> dict:
    write_config(tmp_path, monkeypatch, org)
    return org


def user_for(role: str, org: dict) -> dict:
    if role == "ops":
        return {"is_logged_in": True, "email": org["ops"], "email_verified": True, "groups": [OPS_GROUP]}
    email = org["leader"] if role == "leader" else org["me"]["email"]
    return {"is_logged_in": True, "email": email, "email_verified": True, "name": f"A {role}"}


def session(user: dict | None, params: dict[str, str] | None = None) -> AppTest:
    """An app session with sign-in on (`user` None: sign-in off), run once on the default page."""
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.secrets["auth"] = dict(AUTH)
        at.user = dict(user)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def listed_pages(at: AppTest) -> list[str]:
    """The page files the session's navigation routes (AppTest refuses to switch to any other)."""
    listed = []
    for page in ALL_PAGES:
        try:
            at.switch_page(page)
        except ValueError:
            continue
        listed.append(page)
    return listed


def assert_clean(at: AppTest, context: str) -> None:
    assert not at.exception, f"{context}: {[e.value for e in at.exception]}"
    assert not at.error, f"{context}: {[e.value for e in at.error]}"


def titles(at: AppTest) -> list[str]:
    return [title.value for title in at.title]


def my_time_table(at: AppTest) -> pd.DataFrame | None:
    """The "My time" table of the PM time page, or None when the page has no such section."""
    headers = [header.value for header in at.main.subheader]
    if "My time" not in headers:
        return None
    frames = [frame.value for frame in at.main.dataframe if "overhead_share" in frame.value.columns]
    assert len(frames) == 1, "one My time table"
    return frames[0]


def expected_own(at: AppTest, org: dict, person: pd.Series) -> pd.DataFrame:
    """What a person's own table holds under the session's filters, from their PM-weeks picked by
    person id (the app finds them by email)."""
    filters = at.session_state["_filters"]
    weeks = org["weeks"][org["weeks"]["person_id"] == person["person_id"]]
    table = own_time.summary(weeks, filters.grain, filters.start, filters.end)
    return table.assign(period=table["period"].map(lambda start: periods.label(start, filters.grain))).reset_index(drop=True)


def assert_own_numbers(at: AppTest, org: dict) -> None:
    """The page's My time table is the signed-in PM's, and differs from the other PM's."""
    shown = my_time_table(at)
    assert shown is not None, "no My time section"
    shown = shown.reset_index(drop=True)
    mine, theirs = expected_own(at, org, org["me"]), expected_own(at, org, org["other"])
    assert len(mine) > 0
    pd.testing.assert_frame_equal(shown, mine, check_dtype=False)
    assert not shown.equals(theirs)


# ---------------------------------------------------------------------------------------------
# Who gets which role


def access(**sections) -> Access:
    return parse_settings({"access": sections}).access


@pytest.mark.parametrize(
    ("email", "groups", "expected"),
    [
        ("vp@example.com", [], "leader"),          # by email, over the pm domain
        ("VP@Example.COM", [], "leader"),          # case ignored
        ("someone@example.com", [], "pm"),         # by domain
        ("someone@example.com", ["ops"], "ops"),   # a group claim outranks a domain
        ("vp@example.com", ["ops"], "leader"),     # an email outranks a group claim
        ("someone@elsewhere.org", [], None),       # nothing matches, default "none"
        ("someone@sub.example.com", [], None),     # a domain is matched exactly
        (None, ["ops"], "ops"),                    # no verified email, a group still counts
    ],
)
def test_role_from_email_group_and_domain(email, groups, expected):
    rules = access(leader={"emails": ["vp@example.com"]}, ops={"groups": ["ops"]}, pm={"domains": ["example.com"]})
    assert role_for(rules, email, groups) == expected


def test_within_one_kind_the_role_with_more_access_wins_and_the_default_applies():
    rules = access(leader={"groups": ["staff"]}, ops={"groups": ["ops"]}, default_role="pm")
    assert role_for(rules, "a@x.org", ["staff", "ops"]) == "ops"
    assert role_for(rules, "a@x.org", ["staff"]) == "leader"
    assert role_for(rules, "a@x.org", []) == "pm"


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"leader": {"emails": ["a@x.org"]}, "pm": {"emails": ["A@x.org"]}}, "listed under both leader and pm"),
        ({"pm": {"domains": ["@x.org"]}}, "not domains"),
        ({"ops": {"emails": ["not-an-address"]}}, "not email addresses"),
        ({"default_role": "admin"}, "access.default_role"),
        ({"open_role": "none"}, "access.open_role"),
    ],
)
def test_a_wrong_access_section_is_refused_by_name(sections, message):
    with pytest.raises(ConfigError, match=message):
        parse_settings({"access": sections})


def test_an_unverified_email_is_not_trusted_and_groups_come_from_the_configured_claim():
    assert identity({"email": "A@x.org", "email_verified": False}, "groups") == (None, [])
    assert identity({"email": "A@x.org", "email_verified": True, "roles": "ops"}, "roles") == ("a@x.org", ["ops"])
    assert identity({"email": "a@x.org", "email_verified": True, "groups": ["g1", "g2"]}, "groups") == ("a@x.org", ["g1", "g2"])


def test_only_ops_syncs_and_edits_and_only_a_pm_sees_their_own_calendar():
    holders = {
        permission: {role for role in ("leader", "ops", "pm") if Viewer("signed_in", role).may(permission)}
        for permission in ("data", "sync", "annotate", "notes", "subscribe", "own_calendar")
    }
    assert holders == {"data": {"ops"}, "sync": {"ops"}, "annotate": {"ops"}, "notes": {"ops"}, "subscribe": {"ops"},
                       "own_calendar": {"pm"}}
    assert not Viewer("signed_in", None).may("own_calendar")


# ---------------------------------------------------------------------------------------------
# Pages per role


@pytest.mark.parametrize("role", ["leader", "ops", "pm"])
def test_each_role_is_offered_exactly_its_pages_and_each_renders(signed_in, role):
    at = session(user_for(role, signed_in))
    assert_clean(at, f"{role} first page")
    assert listed_pages(at) == EXPECTED_PAGES[role]
    for page in EXPECTED_PAGES[role]:
        at.switch_page(page).run()
        assert_clean(at, f"{role} on {page}")
        assert at.title, f"{role} on {page}: no title"
        assert not at.warning or "Sign-in is off" not in at.warning[0].value


@pytest.mark.parametrize("role", ["leader", "pm"])
def test_a_url_to_the_data_page_does_not_open_it_for_other_roles(signed_in, role):
    """The Data page's URL (its page hash, as an ops session got it) opens the default page instead."""
    at = session(user_for("ops", signed_in))
    at.switch_page(DATA_PAGE).run()
    assert "Data" in titles(at)
    at.user = user_for(role, signed_in)
    at.run()
    assert_clean(at, f"{role} following the Data page's URL")
    assert "Data" not in titles(at)
    assert "Product Ops Health" in titles(at), "the default page opened instead"
    assert not [button for button in at.button if button.key == "sync_now"]


def test_ops_sees_the_data_page_and_can_sync(demo_env, tmp_path, monkeypatch, org):
    write_config(tmp_path, monkeypatch, org, '[jira]\nurl = "http://127.0.0.1:9"\nprojects = ["X"]\n')
    at = session(user_for("ops", org))
    at.switch_page(DATA_PAGE).run()
    assert_clean(at, "ops on the Data page")
    assert "Data" in titles(at)
    assert at.button(key="sync_now").label == "Sync now"


@pytest.mark.parametrize("role", ["leader", "ops", "pm"])
def test_only_ops_edits_annotations_and_review_notes(signed_in, role):
    at = session(user_for(role, signed_in))
    can_edit = role == "ops"
    assert bool([b for b in at.button if b.label == "Add annotation"]) == can_edit
    assert bool([t for t in at.text_input if t.key == "ann_label"]) == can_edit
    at.switch_page(page_file("qbr.py")).run()
    assert_clean(at, f"{role} on the QBR page")
    assert bool(at.text_area) == can_edit
    assert bool([b for b in at.button if (b.key or "").startswith("qbr_save_")]) == can_edit


# ---------------------------------------------------------------------------------------------
# A PM's own numbers, and nobody else's


def test_a_pm_sees_their_own_calendar_numbers(signed_in):
    org = signed_in
    at = session(user_for("pm", org))
    at.switch_page(PM_TIME).run()
    assert_clean(at, "pm on PM time")
    assert_own_numbers(at, org)


@pytest.mark.parametrize("param", ["person", "person_id", "email", "user", "team", "group"])
def test_no_query_parameter_shows_a_pm_another_pms_numbers(signed_in, param):
    org = signed_in
    other = org["other"]
    value = {"person": other["person_id"], "person_id": other["person_id"], "email": other["email"],
             "user": other["email"], "team": other["team_id"], "group": org["group_of"][other["team_id"]]}[param]
    at = session(user_for("pm", org), {param: value})
    at.switch_page(PM_TIME).run()
    assert_clean(at, f"pm with ?{param}=")
    if param in ("team", "group"):
        assert at.session_state["_filters"].scope_id == value, "the filter took the URL's value"
    assert_own_numbers(at, org)


def test_choosing_another_pms_team_in_the_filters_keeps_a_pm_on_their_own_numbers(signed_in):
    org = signed_in
    at = session(user_for("pm", org))
    at.switch_page(PM_TIME).run()
    at.sidebar.selectbox(key="f_team").set_value(org["other"]["team_id"]).run()
    at.sidebar.button_group(key="f_grain").set_value("quarter").run()
    assert_clean(at, "pm on another team, by quarter")
    assert at.session_state["_filters"].team == org["other"]["team_id"]
    assert at.session_state["_filters"].grain == "quarter"
    assert_own_numbers(at, org)


@pytest.mark.parametrize("role", ["leader", "ops"])
def test_leaders_and_ops_see_no_one_s_own_numbers(demo_env, tmp_path, monkeypatch, org, role):
    """Even a leader whose own calendar is on record: person-level numbers go to PMs about themselves only."""
    write_config(tmp_path, monkeypatch, {**org, "leader": org["me"]["email"]})
    user = user_for(role, org) | ({"email": org["me"]["email"]} if role == "leader" else {})
    at = session(user)
    at.switch_page(PM_TIME).run()
    assert_clean(at, f"{role} on PM time")
    assert my_time_table(at) is None
    assert at.get("plotly_chart"), "the aggregate charts are there"


def test_the_roster_giving_two_people_one_address_is_refused_not_merged(org):
    people = pd.DataFrame({"person_id": ["p1", "p2", "p3"], "email": ["a@x.org", "A@x.org", "b@x.org"]})
    with pytest.raises(own_time.OwnTimeError, match="2 people"):
        own_time.person_of(people, "a@x.org")
    assert own_time.person_of(people, "B@x.org") == "p3"
    assert own_time.person_of(people, "c@x.org") is None


def test_own_time_is_the_mean_over_the_person_s_weeks_in_each_period():
    from datetime import date

    weeks = pd.DataFrame({
        "week_start": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-02-02", "2026-04-06"]),
        "working_hours": [40.0, 20.0, 0.0, 40.0], "meeting_hours": [10.0, 20.0, 0.0, 8.0],
        "overhead_hours": [10.0, 10.0, 0.0, 4.0], "strategy_hours": [4.0, 2.0, 0.0, 8.0],
        "focus_hours": [6.0, 2.0, 0.0, 12.0],
    })
    table = own_time.summary(weeks, "quarter", date(2026, 1, 1), date(2026, 3, 31))
    assert table["period"].tolist() == [date(2026, 1, 1)]
    row = table.iloc[0]
    assert row["weeks"] == 3
    assert row["meeting_hours"] == pytest.approx(10.0)
    assert row["overhead_share"] == pytest.approx((10 / 40 + 10 / 20) / 2), "a week without working hours has no share"
    assert row["strategy_share"] == pytest.approx((4 / 40 + 2 / 20) / 2)
    assert row["focus_hours"] == pytest.approx(8 / 3)


# ---------------------------------------------------------------------------------------------
# Signing in, turned away, and the open mode


def test_without_auth_the_app_is_open_as_ops_under_a_banner(demo_env):
    at = session(None)
    assert_clean(at, "open mode")
    assert any("Sign-in is off" in warning.value for warning in at.warning)
    assert listed_pages(at) == EXPECTED_PAGES["ops"]
    assert not [b for b in at.button if b.key == "logout"]
    at.switch_page(PM_TIME).run()
    assert my_time_table(at) is None, "nobody is identified, so there are no own numbers"


def test_the_open_role_is_configurable(demo_env, tmp_path, monkeypatch):
    config = tmp_path / "prodops.toml"
    config.write_text('[access]\nopen_role = "leader"\n')
    monkeypatch.setenv("PRODOPS_CONFIG", str(config))
    at = session(None)
    assert any("Sign-in is off" in warning.value for warning in at.warning)
    assert listed_pages(at) == EXPECTED_PAGES["leader"]


def test_a_signed_out_visitor_sees_only_the_sign_in_screen(signed_in):
    at = session({"is_logged_in": False})
    assert_clean(at, "signed out")
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.get("plotly_chart") and not at.sidebar.selectbox
    for page in (DATA_PAGE, PM_TIME):
        at.switch_page(page).run()
        assert titles(at) == ["Product Ops Health"] and [b.label for b in at.button] == ["Sign in"], page
        assert not at.dataframe and not at.get("plotly_chart"), page


def test_each_configured_provider_gets_a_sign_in_button(signed_in):
    at = AppTest.from_file(APP, default_timeout=60)
    provider = {key: AUTH[key] for key in ("client_id", "client_secret", "server_metadata_url")}
    at.secrets["auth"] = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": "placeholder",
                          "okta": provider, "microsoft": provider}
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with Okta", "Sign in with Microsoft"]


@pytest.mark.parametrize("verified", [True, False])
def test_an_address_with_no_role_is_turned_away_and_can_sign_out(signed_in, verified):
    email = "stranger@elsewhere.org" if verified else signed_in["me"]["email"]
    at = session({"is_logged_in": True, "email": email, "email_verified": verified})
    refusals = [error.value for error in at.error]
    assert len(refusals) == 1 and "has no role" in refusals[0]
    assert not at.exception and not at.metric and not at.get("plotly_chart")
    at.switch_page(DATA_PAGE).run()
    assert "Data" not in titles(at) and not at.dataframe and len(at.error) == 1
    at.button(key="logout").click().run()
    assert [b.label for b in at.button] == ["Sign in"]
