"""The `[jira]` section of prodops.toml: strict, and every error names its field."""
from __future__ import annotations

from datetime import datetime

import pytest

from connectors.jira.query import Bookmark, scope_jql, search_jql, signature
from dashboard.core.config import ConfigError, load_settings
from dashboard.pipeline.source import Cursor

GOOD = """
[jira]
url = "https://example.atlassian.net/"
email = "ops@example.com"
projects = ["APP", "IN"]
checkin_issue_type = "Check-in"
project_teams = { APP = "t1" }
people = { "5b10a2844c20165700ede21g" = "p1" }

[jira.data_request]
projects = ["DATA"]
labels = ["data-request"]
"""


def load(tmp_path, text: str):
    path = tmp_path / "prodops.toml"
    path.write_text(text)
    return load_settings(path)


def test_a_complete_section_loads_with_defaults_for_the_rest(tmp_path):
    jira = load(tmp_path, GOOD).jira
    assert jira.url == "https://example.atlassian.net" and jira.mode == "auto"
    assert jira.token_env == "JIRA_API_TOKEN" and jira.overlap_minutes == 10 and jira.page_size == 100
    assert jira.data_request.projects == ["DATA"] and jira.project_teams == {"APP": "t1"}
    assert load(tmp_path, "").jira is None


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[jira]\nprojects = ["APP"]', "jira.url"),
        ('[jira]\nurl = "example.atlassian.net"\nprojects = ["APP"]', "jira.url"),
        ('[jira]\nurl = "https://x"\nprojects = ["APP"]\ntoken = "abc"', "jira.token"),
        ('[jira]\nurl = "https://x"', "jira"),
        ('[jira]\nurl = "https://x"\njql = "project = A ORDER BY key"', "jira.jql"),
        ('[jira]\nurl = "https://x"\nprojects = ["A"]\nmode = "server"', "jira.mode"),
        ('[jira]\nurl = "https://x"\nprojects = ["A"]\nmode = "cloud"', "jira"),
        ('[jira]\nurl = "https://x"\nprojects = ["A"]\npage_size = 0', "jira.page_size"),
        ('[jira]\nurl = "https://x"\nprojects = ["A"]\n[jira.data_request]\nlabels = []', "jira.data_request"),
    ],
)
def test_a_wrong_jira_field_is_named(tmp_path, text, field):
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    assert f"field '{field}'" in str(error.value)


def test_the_jql_quotes_keys_adds_data_request_projects_and_bounds_by_epoch_millis(tmp_path):
    jira = load(tmp_path, GOOD).jira
    scope = scope_jql(jira)
    assert scope == 'project in ("APP", "DATA", "IN")'  # IN is a JQL word: quoted, it is a key
    stored = Cursor.from_json(Bookmark(datetime(2026, 1, 1, 0, 10), signature(jira)).cursor().to_json())
    assert search_jql(scope, Bookmark.of(stored).updated, jira.overlap_minutes) == (
        '(project in ("APP", "DATA", "IN")) AND updated >= 1767225600000 ORDER BY created ASC, key ASC'
    )
    assert Cursor.from_json("not json") is None and Cursor.from_json(None) is None
    assert Bookmark.of(Cursor({"updated": "not a date", "signature": "x"})) is None and Bookmark.of(None) is None
