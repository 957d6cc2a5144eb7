"""What Jira's two deployments do differently, as data (see ../shared/reference/jira.md).

The fetch code asks a `Deployment` how to search, page and complete a changelog instead of
testing "is this Cloud?" at every turn. Paths are relative to `/rest/api/2/`, which is what the
`jira` client prefixes to every call, Cloud included.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Deployment:
    name: Literal["cloud", "datacenter"]
    title: str
    paging: Literal["token", "offset"]
    """Cloud's `/search/jql` pages with `nextPageToken`; Data Center's `/search` with `startAt`."""
    changelog_path: str
    """Where the rest of a truncated embedded changelog is read, `{id}` being the issue id."""
    changelog_items: str
    """The key holding the histories in that response (`values` on the paged endpoint)."""
    changelog_params: dict[str, str]
    changelog_paged: bool
    auth_hint: str
    """Which credential the site expects, for the message when it refuses them."""


CLOUD = Deployment(
    name="cloud",
    title="Jira Cloud",
    paging="token",
    changelog_path="issue/{id}/changelog",
    changelog_items="values",
    changelog_params={},
    changelog_paged=True,
    auth_hint="Jira Cloud signs in with [jira].email and an API token",
)
DATACENTER = Deployment(
    name="datacenter",
    title="Jira Data Center",
    paging="offset",
    # Data Center has no changelog endpoint; its embedded changelog is complete, and the issue
    # itself is the fallback should a proxy or plugin ever cut it short.
    changelog_path="issue/{id}",
    changelog_items="histories",
    changelog_params={"expand": "changelog", "fields": "status"},
    changelog_paged=False,
    auth_hint="Jira Data Center signs in with a personal access token (leave [jira].email unset)",
)


def deployment_of(server_info: dict) -> Deployment:
    """`serverInfo.deploymentType` is exactly "Cloud" on Cloud; a DC node reports "Server"."""
    return CLOUD if server_info.get("deploymentType") == "Cloud" else DATACENTER


# The issue fields the canonical `work_items` table is built from, and the summary its work class
# is read from (never stored). Asking for these instead of
# the client's default `*all` keeps pages small (Cloud returns more issues per page that way).
ISSUE_FIELDS: tuple[str, ...] = (
    "project", "issuetype", "status", "created", "updated", "resolutiondate", "assignee", "reporter",
    "labels", "components", "fixVersions", "duedate", "parent", "summary",
)
SEARCH_EXPAND = "changelog"
CHANGELOG_PAGE = 100
"""Page size asked of `/issue/{id}/changelog`; the server may answer with fewer."""

AUTH_STATUSES = frozenset({401, 403})
