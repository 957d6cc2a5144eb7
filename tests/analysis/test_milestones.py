"""Milestone impact: the windows each side of a milestone, and the verdicts' rule applied to them."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dashboard.analysis import milestones
from dashboard.analysis.verdict import IMPROVED, UNKNOWN
from dashboard.metrics import METRICS

REQUESTS = METRICS["data_requests_per_pm"]


def months(first: date, values: list[float], metric_id: str = REQUESTS.id, scope_id: str = "org") -> pd.DataFrame:
    starts = pd.date_range(first, periods=len(values), freq="MS").date
    return pd.DataFrame({"metric_id": metric_id, "scope_id": scope_id, "period_start": starts, "value": values, "n": 40})


def marks(*rows: tuple[date, str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["on_date", "scope", "label", "metrics"])


def test_the_windows_leave_out_the_milestones_month_and_the_running_one():
    after, before = milestones.windows(date(2026, 2, 16), until=date(2026, 11, 1))
    assert (before.first, before.end, before.label) == (date(2025, 8, 1), date(2026, 2, 1), "Aug 2025–Jan 2026")
    assert (after.first, after.end, after.label) == (date(2026, 3, 1), date(2026, 9, 1), "Mar–Aug 2026")
    recent, _ = milestones.windows(date(2026, 8, 3), until=date(2026, 11, 1))
    assert (recent.first, recent.end, recent.label) == (date(2026, 9, 1), date(2026, 11, 1), "Sep–Oct 2026")
    none_yet, _ = milestones.windows(date(2026, 10, 5), until=date(2026, 11, 1))
    assert none_yet.first == none_yet.end and none_yet.label == "none yet"


def test_a_drop_beyond_the_spread_is_an_improvement_told_with_its_numbers():
    noise = np.random.default_rng(4).normal(0, 0.15, 14)
    monthly = months(date(2025, 8, 1), list(np.r_[np.full(7, 3.5), np.full(7, 1.2)] + noise))
    [impact] = milestones.impacts(marks((date(2026, 2, 16), "org", "Portal launched", REQUESTS.id)), monthly, METRICS,
                                  until=date(2026, 11, 1))
    assert impact.outcome == IMPROVED and impact.comparison.periods == (6, 6)
    assert impact.headline().startswith("Portal launched: Ad-hoc data requests per PM per month 3.")
    assert "90% interval -" in impact.reason() and "n ≈ 40 and 40 requests a month" in impact.reason()


def test_other_milestones_in_the_windows_are_named_and_unknown_or_missing_metrics_are_skipped():
    monthly = months(date(2025, 8, 1), [3.0] * 14)
    found = milestones.impacts(marks(
        (date(2026, 2, 16), "org", "Portal launched", f"{REQUESTS.id},no_such_metric"),
        (date(2026, 4, 13), "org", "New release process", None),
        (date(2026, 4, 20), "Payments", "Payments reorg", None),
    ), monthly, METRICS, until=date(2026, 11, 1))
    assert [impact.label for impact in found] == ["Portal launched"]
    assert found[0].others == ("New release process (13 Apr 2026)",), "another scope's milestone is not named"


def test_a_milestone_of_a_team_reads_its_teams_months_and_too_few_months_give_no_verdict():
    monthly = pd.concat([months(date(2025, 8, 1), [3.0] * 14), months(date(2026, 1, 1), [2.0, 2.0], scope_id="t1")])
    [impact] = milestones.impacts(marks((date(2026, 2, 16), "t1", "Intake form", REQUESTS.id)), monthly, METRICS,
                                  until=date(2026, 11, 1))
    assert impact.outcome == UNKNOWN and impact.comparison.periods == (0, 1)
    assert impact.headline() == "Intake form: Ad-hoc data requests per PM per month, too early to tell"
    assert "at least 3 months on each side" in impact.reason()
