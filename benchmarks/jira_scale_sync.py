"""Jira sync against the local fake at the size of the demo organisation: full, then incremental.

The fake Jira (tests/fakes) is populated with as many issues as the organisation of `--scale`
has work items, with histories. A full sync pulls them all into an empty store; then a day of
work happens (about one issue in a thousand moves status) and an incremental sync pulls only
what changed since the cursor. Both are end to end: requests through the `jira` client,
normalize, one store transaction, publish. The fake server shares this machine.

Run: python benchmarks/jira_scale_sync.py --scale small|large [--issues N]
"""
from __future__ import annotations

import random
import tempfile
from pathlib import Path

from common import Timer, arguments, demo_database, header

from connectors.jira import sync_jira
from connectors.retry import RetryPolicy
from dashboard.core.store import Store
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite, populate


def rate(issues: int, timer: Timer) -> str:
    return (f"{issues:,} issues in {timer.seconds:.1f} s = {issues / timer.seconds:,.0f} issues/s "
            f"({timer.cpu:.1f} s cpu in this process, fake server included: {issues / timer.cpu:,.0f} issues per cpu s)")


def main() -> None:
    args = arguments(__doc__.splitlines()[0], issues={"type": int, "help": "issues (default: the organisation's)"})
    header("Jira sync against the fake", args.scale)
    issues = args.issues
    if issues is None:
        with Store(demo_database(args.scale, args.rebuild)).reader() as con:
            issues = con.execute("SELECT count(*) FROM work_items").fetchone()[0]
    site = JiraSite("cloud")
    with Timer() as setup:
        populate(site, issues=issues, versions=200)
    histories = sum(len(issue.histories) for issue in site.issues.values())
    print(f"fake Jira Cloud: {issues:,} issues, {histories:,} histories, 200 versions (populated in {setup.seconds:.0f} s)")
    with JiraServer(site) as server, tempfile.TemporaryDirectory() as folder:
        settings = jira_settings(server)
        store = Store(Path(folder) / "jira.duckdb")
        policy = RetryPolicy(max_retries=0)
        with Timer() as full:
            result = sync_jira(store, settings, token=server.token, retry=policy)
        print(f"full sync          {rate(result.issues, full)} ({result.rows:,} rows written)")

        rng = random.Random(1)
        changed = rng.sample(sorted(site.by_key), max(1, issues // 1000))
        for key in changed:
            site.transition(key, "In Progress" if site.by_key[key].status != "In Progress" else "Done")
        with Timer() as incremental:
            result = sync_jira(store, settings, token=server.token, retry=policy)
        print(f"incremental sync   {rate(result.issues, incremental)} after {len(changed):,} issues changed "
              f"({result.rows:,} rows written; the run includes copying and publishing the store)")


if __name__ == "__main__":
    main()
