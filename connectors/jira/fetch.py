"""Fetch: read raw issues (with complete changelogs) and versions from Jira. Network only.

Everything comes back exactly as the client received it (REST v2 JSON dicts), so normalize can
be tested, and fed by the demo, without a server.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from connectors.jira.connection import JiraApi, JiraSyncError
from connectors.jira.endpoints import CHANGELOG_PAGE, ISSUE_FIELDS, SEARCH_EXPAND
from dashboard.pipeline.source import Progress, no_progress


@dataclass
class Raw:
    """What one run read: the JQL it asked, the raw issues and the raw versions per project key."""

    jql: str
    issues: list[dict] = field(default_factory=list)
    versions: dict[str, list[dict]] = field(default_factory=dict)
    truncated_changelogs: int = 0


def fetch(api: JiraApi, jql: str, projects: Iterable[str], page_size: int, progress: Progress = no_progress) -> Raw:
    """Every issue the JQL matches, then every version of `projects` and of the issues' projects."""
    pull = Raw(jql)
    for issue in search(api, jql, page_size, progress):
        if complete_changelog(api, issue):
            pull.truncated_changelogs += 1
        pull.issues.append(issue)
    keys = set(projects) | {project_key(issue) for issue in pull.issues} - {None}
    for done, key in enumerate(sorted(keys), start=1):
        pull.versions[key] = fetch_versions(api, key)
        progress("versions", done, len(keys))
    return pull


def project_key(issue: dict) -> str | None:
    return ((issue.get("fields") or {}).get("project") or {}).get("key")


def search(api: JiraApi, jql: str, page_size: int, progress: Progress = no_progress) -> Iterator[dict]:
    """All issues matching `jql`, page by page in the deployment's paging scheme."""
    pages = _token_pages if api.deployment.paging == "token" else _offset_pages
    done = 0
    for issues, total in pages(api, jql, page_size):
        done += len(issues)
        progress("issues", done, total)
        yield from issues


def _search_page(api: JiraApi, method, jql: str, **paging) -> dict:
    page = api.call(
        "searching issues", method, jql, fields=list(ISSUE_FIELDS), expand=SEARCH_EXPAND, json_result=True,
        jql=jql, **paging,
    )
    if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
        raise JiraSyncError(f"Jira's search answer has no list of issues (got {str(page)[:200]!r})\n  JQL: {jql}")
    return page


def _token_pages(api: JiraApi, jql: str, size: int) -> Iterator[tuple[list[dict], None]]:
    """Cloud `/search/jql`: follow `nextPageToken` until a page comes without one.

    The server picks the real page size; the token, not a count, says where the next page is.
    """
    token, seen = None, set()
    while True:
        page = _search_page(api, api.client.enhanced_search_issues, jql, nextPageToken=token, maxResults=size)
        yield page["issues"], None
        token = page.get("nextPageToken")
        if not token:
            return
        if token in seen:
            raise JiraSyncError(f"Jira sent the same nextPageToken twice; stopping rather than looping\n  JQL: {jql}")
        seen.add(token)


def _offset_pages(api: JiraApi, jql: str, size: int) -> Iterator[tuple[list[dict], int | None]]:
    """Data Center `/search`: advance `startAt` by what actually came back, until `total` is reached.

    Jira caps `maxResults` silently; stepping by the requested size would skip issues.
    """
    start = 0
    while True:
        page = _search_page(api, api.client.search_issues, jql, startAt=start, maxResults=size)
        issues, total = page["issues"], page.get("total")
        yield issues, total
        start += len(issues)
        if not issues or total is None or start >= total:
            return


def complete_changelog(api: JiraApi, issue: dict) -> bool:
    """Replace a truncated embedded changelog with the whole history; True when it was truncated.

    Cloud's search embeds at most 40 histories (the newest); `total` says how many there are.
    """
    log = issue.get("changelog")
    if not isinstance(log, dict):
        return False
    histories = log.get("histories") or []
    if log.get("total", len(histories)) <= len(histories):
        return False
    full = fetch_changelog(api, issue)
    issue["changelog"] = {"startAt": 0, "maxResults": len(full), "total": len(full), "histories": full}
    return True


def fetch_changelog(api: JiraApi, issue: dict) -> list[dict]:
    """The whole history of one issue, oldest first where the endpoint pages."""
    deployment = api.deployment
    path = deployment.changelog_path.format(id=issue["id"])
    what = f"reading the changelog of {issue.get('key', issue['id'])}"
    if not deployment.changelog_paged:
        answer = api.get_json(what, path, dict(deployment.changelog_params))
        log = answer.get("changelog") or {}
        histories = log.get(deployment.changelog_items) or []
        if log.get("total", len(histories)) > len(histories):
            raise JiraSyncError(f"Jira returned {len(histories)} of {log['total']} histories while {what}")
        return histories
    histories: list[dict] = []
    while True:
        page = api.get_json(what, path, {**deployment.changelog_params, "startAt": len(histories), "maxResults": CHANGELOG_PAGE})
        values = page.get(deployment.changelog_items) or []
        histories.extend(values)
        if not values or page.get("isLast") or len(histories) >= page.get("total", 0):
            return histories


def fetch_versions(api: JiraApi, project: str) -> list[dict]:
    """Every version of a project (one plain array: `/project/{key}/versions` does not page)."""
    versions = api.call(f"reading the versions of project {project}", api.client.project_versions, project)
    return [version.raw for version in versions]
