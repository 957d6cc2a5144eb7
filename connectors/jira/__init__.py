"""Jira connector: Cloud and Data Center, incremental, with releases as planned.

    fetch (connection, fetch)  ->  raw REST v2 JSON  ->  normalize (pure)  ->  `Jira`, the pipeline's source

Entry points:
    Jira()                                                                  the pipeline's source (connectors/registry.py)
    sync_jira(store, settings, token=None, progress=None) -> SyncResult   one run, for tests and benchmarks
    normalize(issues, versions, observed_at, rules) -> JiraFrames           the demo's Jira JSON too
    plan_changes(observations) -> DataFrame                                 planned dates to record
    version_plans(reads, rules) -> DataFrame                                planned dates seen by many reads
"""
from __future__ import annotations

from connectors.jira.connection import JiraSyncError
from connectors.jira.normalize import JiraFrames, NormalizeError, Rules, normalize, plan_changes, version_plans
from connectors.jira.sync import Jira, SyncResult, sync_jira

__all__ = [
    "Jira", "JiraFrames", "JiraSyncError", "NormalizeError", "Rules", "SyncResult", "normalize",
    "plan_changes", "sync_jira", "version_plans",
]
