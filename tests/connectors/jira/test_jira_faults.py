"""A Jira sync under faults: retried when Jira says "later", otherwise failed cleanly, with
the store, the cursor and the dashboard's last good data exactly as they were."""
from __future__ import annotations

import base64
import traceback

import pandas as pd
import pytest

from connectors.jira import JiraSyncError, sync_jira
from connectors.retry import RetryPolicy
from dashboard.core.schema import PUBLICATION_TABLES, TABLES
from tests.fakes.faults import Fault
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite, populate

DATA_TABLES = [name for name in TABLES if name not in ("sync_runs", *PUBLICATION_TABLES)]


class Sleeps(list):
    """A retry policy's sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sync(server: JiraServer, store, sleeps: Sleeps | None = None, token: str | None = None, **jira):
    policy = RetryPolicy(max_retries=jira.pop("max_retries", 4), base_delay=0.01, sleep=sleeps if sleeps is not None else Sleeps())
    return sync_jira(store, jira_settings(server, **jira), token=token or server.token, retry=policy)


def snapshot(store) -> dict[str, pd.DataFrame]:
    """Every data table, sorted by its key, for exact before/after comparison."""
    if not store.exists():
        return {}
    tables = store.tables(*DATA_TABLES)
    return {name: frame.sort_values(list(TABLES[name].key)).reset_index(drop=True) for name, frame in tables.items()}


def assert_same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame], ignore: dict[str, list[str]] | None = None):
    assert left.keys() == right.keys()
    for name in left:
        drop = (ignore or {}).get(name, [])
        pd.testing.assert_frame_equal(left[name].drop(columns=drop), right[name].drop(columns=drop), check_dtype=False, obj=name)


def last_good_cursor(store) -> str | None:
    runs = store.table("sync_runs")
    good = runs[runs["status"] == "success"].sort_values("finished_at")
    return good["cursor"].iloc[-1] if len(good) else None


@pytest.fixture(params=["cloud", "datacenter"])
def jira(request):
    site = JiraSite(request.param)
    populate(site, issues=300, versions=12, long_every=25)
    with JiraServer(site, search_cap=50) as server:
        yield server


@pytest.fixture()
def cloud():
    site = JiraSite("cloud")
    populate(site, issues=120, versions=6)
    with JiraServer(site, search_cap=50) as server:
        yield server


def test_429_with_retry_after_then_success_completes(jira, store):
    fault = jira.inject(Fault("status", path="/search", status=429, retry_after="0", skip=2))
    sleeps = Sleeps()
    result = sync(jira, store, sleeps)
    assert fault.fired == 1 and sleeps == [0.0] and result.issues == 300
    assert len(store.table("work_items")) == 300
    statuses = [r.status for r in jira.log if r.path.startswith("/rest/api/2/search")]
    assert statuses.count(429) == 1 and statuses.count(200) == len(statuses) - 1


def test_503_is_retried_with_exponential_backoff_and_an_http_date_retry_after_is_understood(cloud, store):
    cloud.inject(Fault("status", path="/versions", status=503, times=2))
    cloud.inject(Fault("status", path="/field", status=429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    sleeps = Sleeps()
    sync(cloud, store, sleeps)
    assert sleeps == [0.0, 0.01, 0.02]  # a date in the past means now; then 1x, 2x the base delay


def test_rate_limiting_that_never_ends_fails_after_the_configured_retries(cloud, store):
    cloud.inject(Fault("status", path="/search", status=429, retry_after="1", times=None))
    sleeps = Sleeps()
    with pytest.raises(JiraSyncError, match=r"kept rate-limiting \(HTTP 429\) after 2 retries while searching issues"):
        sync(cloud, store, sleeps, max_retries=2)
    assert sleeps == [1.0, 1.0]


def test_a_500_mid_run_leaves_the_store_and_the_cursor_exactly_as_before(jira, store):
    sync(jira, store)
    for key in ("APP-3", "WEB-7", "DATA-2"):
        jira.site.transition(key, "Done")
    before, cursor = snapshot(store), last_good_cursor(store)
    jira.inject(Fault("status", path="/versions", status=500, skip=1, times=None))  # after the issues were fetched

    with pytest.raises(JiraSyncError, match="Jira answered HTTP 500 after 4 retries while reading the versions of project"):
        sync(jira, store)

    assert_same(snapshot(store), before)
    assert last_good_cursor(store) == cursor
    runs = store.table("sync_runs").sort_values("started_at")
    assert runs["status"].tolist() == ["success", "failed"] and "HTTP 500" in runs["error"].iloc[-1]
    assert pd.isna(runs["cursor"].iloc[-1])

    jira.clear()
    sync(jira, store)
    assert set(jira.searched_keys()) >= {"APP-3", "WEB-7", "DATA-2"}  # the failed run's changes are fetched again
    assert (store.table("work_items").set_index("key").loc[["APP-3", "WEB-7", "DATA-2"], "status"] == "Done").all()


def test_a_connection_reset_then_a_clean_re_run_equals_one_clean_run(jira, store, make_store):
    jira.inject(Fault("reset", path="/search", skip=3, times=None))
    with pytest.raises(JiraSyncError, match=r"the connection to Jira at .* failed while searching issues \(after 4 retries\)"):
        sync(jira, store)
    assert snapshot(store) == {} or all(frame.empty for frame in snapshot(store).values())
    jira.clear()
    sync(jira, store)

    clean = make_store("clean")
    sync(jira, clean)
    assert_same(snapshot(store), snapshot(clean), ignore={"release_plans": ["observed_at"]})
    assert store.table("sync_runs")["status"].tolist().count("success") == 1


def test_a_page_of_broken_json_fails_the_run_cleanly(jira, store):
    sync(jira, store)
    before = snapshot(store)
    jira.site.transition("APP-1", "Done")
    jira.inject(Fault("broken_json", path="/search"))
    with pytest.raises(JiraSyncError, match="Jira sent a response that is not valid JSON while searching issues"):
        sync(jira, store)
    assert_same(snapshot(store), before)


def test_a_slow_answer_times_out_and_fails_the_run_cleanly(cloud, store):
    cloud.inject(Fault("slow", path="/versions", delay=1.0, times=None))
    with pytest.raises(JiraSyncError, match=r"did not answer within 0.3 s while reading the versions .*\(after 1 retries\) \(\[jira\]\.timeout_seconds\)"):
        sync(cloud, store, timeout_seconds=0.3, max_retries=1)
    assert all(frame.empty for frame in snapshot(store).values())


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_refused_credentials_name_the_settings_and_never_show_the_token(mode, store):
    site = JiraSite(mode)
    populate(site, issues=10, versions=1)
    wrong = "s3cr3t-wrong-token-value"
    with JiraServer(site) as server, pytest.raises(JiraSyncError) as refused:
        sync(server, store, token=wrong)
    message = str(refused.value)
    assert "refused the credentials (HTTP 401" in message and "$JIRA_API_TOKEN" in message
    assert ("[jira].email = 'ops@example.com'" if mode == "cloud" else "personal access token") in message
    printed = "".join(traceback.format_exception(refused.value))  # what a command line would print
    basic = base64.b64encode(f"{server.email}:{wrong}".encode()).decode()
    for shown in (message, printed, "".join(store.table("sync_runs")["error"])):
        assert wrong not in shown and basic not in shown and "Authorization" not in shown


def test_a_403_on_a_project_says_the_credentials_were_refused(cloud, store):
    cloud.inject(Fault("status", path="/project/WEB/versions", status=403))
    with pytest.raises(JiraSyncError, match=r"refused the credentials \(HTTP 403: You do not have permission.*Jira Cloud signs in with \[jira\]\.email"):
        sync(cloud, store)


def test_a_400_on_jql_shows_jiras_message_and_the_jql(jira, store):
    with pytest.raises(JiraSyncError) as bad:
        sync(jira, store, jql="labels = (backend")
    message = str(bad.value)
    assert "Jira rejected the request (HTTP 400) while searching issues: Error in the JQL Query: Expecting" in message
    assert 'JQL: project in ("APP", "DATA", "WEB") AND (labels = (backend) ORDER BY created ASC, key ASC' in message


def test_a_mode_that_contradicts_server_info_is_named(cloud, store):
    with pytest.raises(JiraSyncError, match=r"\[jira\]\.mode is 'datacenter' but .* says it is Jira Cloud"):
        sync(cloud, store, mode="datacenter")


def test_the_token_comes_from_the_environment_or_the_secrets_file(cloud, store, tmp_path, monkeypatch):
    settings = jira_settings(cloud, token_env="PRODOPS_TEST_JIRA_TOKEN")
    monkeypatch.delenv("PRODOPS_TEST_JIRA_TOKEN", raising=False)
    secrets = tmp_path / "secrets.toml"
    with pytest.raises(JiraSyncError, match="no Jira token: set the environment variable PRODOPS_TEST_JIRA_TOKEN"):
        sync_jira(store, settings, secrets_file=secrets)
    secrets.write_text(f'PRODOPS_TEST_JIRA_TOKEN = "{cloud.token}"\n')
    assert sync_jira(store, settings, secrets_file=secrets).issues == 120
    secrets.write_text('PRODOPS_TEST_JIRA_TOKEN = "wrong"\n')
    monkeypatch.setenv("PRODOPS_TEST_JIRA_TOKEN", cloud.token)
    assert sync_jira(store, settings, secrets_file=secrets).issues >= 1  # the environment wins
    runs = store.table("sync_runs")
    assert runs["status"].tolist().count("failed") == 1 and cloud.token not in "".join(runs["cursor"].dropna())


def test_an_expired_next_page_token_fails_the_run_cleanly_and_a_re_run_equals_one_clean_run(cloud, store, make_store):
    expired = cloud.inject(Fault("status", path="/search/jql", status=400, skip=1,
                                 message="The provided next page token is invalid or expired."))
    with pytest.raises(JiraSyncError, match=r"HTTP 400\) while searching issues: The provided next page token is invalid or expired"):
        sync(cloud, store)
    assert expired.fired == 1 and all(frame.empty for frame in snapshot(store).values())
    assert store.table("sync_runs")["status"].tolist() == ["failed"]

    cloud.clear()
    sync(cloud, store)
    clean = make_store("clean")
    sync(cloud, clean)
    assert_same(snapshot(store), snapshot(clean), ignore={"release_plans": ["observed_at"]})
