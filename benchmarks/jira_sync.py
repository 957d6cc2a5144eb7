"""Issues per second of a full Jira sync against the local fake, and of the fetch alone.

The difference between the two lines is our side's overhead (normalize and the store write);
the fetch line is bounded by the fake server and the `jira` client, which share this process.

Run: .venv/bin/python benchmarks/jira_sync.py [issues] [cloud|datacenter ...]
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.jira import normalize, sync_jira
from connectors.jira.connection import connect
from connectors.jira.fetch import fetch
from connectors.jira.query import scope_jql, scoped_projects, search_jql
from connectors.retry import RetryPolicy
from dashboard.core.store import Store
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite, populate


def rate(issues: int, seconds: float) -> str:
    return f"{issues:,} issues in {seconds:.2f} s = {issues / seconds:,.0f} issues/s"


def bench(mode: str, issues: int, repeat: int) -> None:
    site = JiraSite(mode)
    populate(site, issues=issues, versions=50)
    histories = sum(len(i.histories) for i in site.issues.values())
    print(f"{mode}: {issues:,} issues, {histories:,} histories, 50 versions (best of {repeat})")
    with JiraServer(site) as server, tempfile.TemporaryDirectory() as folder:
        settings = jira_settings(server)
        source = settings.jira
        policy = RetryPolicy(max_retries=0)
        fetch_times, normalize_times, sync_times = [], [], []
        for attempt in range(repeat):
            began = time.perf_counter()
            api = connect(source, server.token, policy)
            pull = fetch(api, search_jql(scope_jql(source), None, 0), scoped_projects(source), source.page_size)
            fetch_times.append(time.perf_counter() - began)

            began = time.perf_counter()
            normalize(pull.issues, pull.versions, datetime.now(UTC).replace(tzinfo=None))
            normalize_times.append(time.perf_counter() - began)

            store = Store(Path(folder) / f"bench{attempt}.duckdb")
            marks: dict[str, float] = {}
            began = time.perf_counter()
            result = sync_jira(store, settings, token=server.token, retry=policy,
                               progress=lambda stage, done, total: marks.__setitem__(stage, time.perf_counter()))  # noqa: B023
            sync_times.append((time.perf_counter() - began, marks["store"] - marks["versions"]))
        total, ours = min(sync_times)
        print(f"  fetch only       {rate(len(pull.issues), min(fetch_times))} ({api.requests} requests, no store)")
        print(f"  normalize only   {rate(len(pull.issues), min(normalize_times))}")
        print(f"  full sync        {rate(result.issues, total)} ({result.rows:,} rows written)")
        print(f"  our side         {ours:.2f} s of that run after the last response (normalize, store write)")


def main() -> None:
    issues = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    for mode in sys.argv[2:] or ["cloud", "datacenter"]:
        bench(mode, issues, repeat=3)


if __name__ == "__main__":
    main()
