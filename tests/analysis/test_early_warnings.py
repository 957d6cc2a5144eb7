"""The four mistakes as early warnings: hand-worked quarters against each rule, and its edges."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.analysis import early_warnings
from dashboard.analysis.early_warnings import MISTAKES, evaluate
from dashboard.core.config import Target
from dashboard.metrics.registry import Metric

Q3, Q2, Q1, Q4 = date(2026, 7, 1), date(2026, 4, 1), date(2026, 1, 1), date(2025, 10, 1)


def metric(metric_id: str, unit: str = "share", better: str = "lower") -> Metric:
    return Metric(metric_id, metric_id.replace("_", " ").capitalize(), "ops", unit, better, "a definition",
                  ("calendar_events",), "people", lambda ctx: pd.DataFrame())


METRICS = {
    "ops_decision_share": metric("ops_decision_share"),
    "decision_rights_score": metric("decision_rights_score", "score", "higher"),
    "pms_per_prodops": metric("pms_per_prodops", "points"),
    "pm_overhead_share": metric("pm_overhead_share"),
    "prodops_coordination_share": metric("prodops_coordination_share"),
    "prodops_time_with_pms_share": metric("prodops_time_with_pms_share", better="higher"),
    "prodops_time_with_operations_share": metric("prodops_time_with_operations_share", better="higher"),
}
TARGETS = {
    "ops_decision_share": Target(target=0.15, tolerance=0.10),
    "decision_rights_score": Target(target=65, tolerance=10),
    "prodops_coordination_share": Target(target=0.35, tolerance=0.10),
    "prodops_time_with_pms_share": Target(target=0.30, tolerance=0.10),
    "prodops_time_with_operations_share": Target(target=0.15, tolerance=0.05),
}


def cells(*rows: tuple[str, date, float | None, int | None], scope_id: str = "org") -> pd.DataFrame:
    return pd.DataFrame([{"metric_id": m, "period_start": q, "scope_id": scope_id, "value": v, "n": n}
                         for m, q, v, n in rows], columns=["metric_id", "period_start", "scope_id", "value", "n"])


def by_id(found) -> dict:
    return {warning.mistake.id: warning for warning in found}


def test_one_warning_per_mistake_in_the_guides_order():
    found = evaluate(cells(), "org", Q3, METRICS, TARGETS)
    assert [w.mistake.id for w in found] == ["deciding", "late", "project_management", "distance"]
    assert {w.state for w in found} == {"unknown"}


@pytest.mark.parametrize(("share", "state"), [(0.10, "clear"), (0.15, "clear"), (0.20, "watch"), (0.25, "watch"),
                                              (0.26, "warning")])
def test_deciding_fires_beyond_the_band_and_asks_to_watch_inside_it(share, state):
    """Target 15% with a 10-point tolerance: on at or under 15%, near up to 25%, off beyond."""
    found = by_id(evaluate(cells(("ops_decision_share", Q3, share, 40), ("decision_rights_score", Q3, 80, 12)),
                           "org", Q3, METRICS, TARGETS))["deciding"]
    assert found.state == state
    assert [e.text() for e in found.evidence] == [f"Ops decision share: {share:.0%} (n = 40)",
                                                  "Decision rights score: 80 (n = 12)"]


def test_a_hidden_cell_raises_nothing_and_an_earlier_quarter_is_not_read():
    found = by_id(evaluate(cells(("ops_decision_share", Q3, None, None), ("ops_decision_share", Q2, 0.9, 40)),
                           "org", Q3, METRICS, TARGETS))["deciding"]
    assert found.state == "unknown"


def test_the_worst_figure_decides_and_the_reason_names_it():
    found = by_id(evaluate(cells(("prodops_time_with_pms_share", Q3, 0.45, 6),
                                 ("prodops_time_with_operations_share", Q3, 0.02, 6)),
                           "org", Q3, METRICS, TARGETS))["distance"]
    assert found.state == "warning"
    assert found.reason == "Prodops time with operations share 2%, off its target in Q3 2026."


def test_only_the_scope_asked_for_is_read():
    rows = cells(("prodops_coordination_share", Q3, 0.9, 4), scope_id="g1")
    assert by_id(evaluate(rows, "org", Q3, METRICS, TARGETS))["project_management"].state == "unknown"
    assert by_id(evaluate(rows, "g1", Q3, METRICS, TARGETS))["project_management"].state == "warning"


def ratio_and_overhead(ratios, overheads):
    quarters = [Q4, Q1, Q2, Q3]
    return cells(*[("pms_per_prodops", q, r, 5) for q, r in zip(quarters, ratios)],
                 *[("pm_overhead_share", q, o, 60) for q, o in zip(quarters, overheads)])


@pytest.mark.parametrize(("ratios", "overheads", "state"), [
    ((10, 12, 14, 16), (0.20, 0.22, 0.25, 0.30), "warning"),
    ((10, 12, 14, 16), (0.30, 0.28, 0.25, 0.22), "watch"),
    ((16, 14, 12, 10), (0.20, 0.22, 0.25, 0.30), "watch"),
    ((16, 14, 12, 10), (0.30, 0.28, 0.25, 0.22), "clear"),
    ((None, 12, 14, 16), (0.20, 0.22, 0.25, 0.30), "unknown"),
])
def test_investing_late_is_the_ratio_and_overhead_rising_together_over_three_quarters(ratios, overheads, state):
    assert early_warnings.TREND_QUARTERS == 3
    found = by_id(evaluate(ratio_and_overhead(ratios, overheads), "org", Q3, METRICS, TARGETS))["late"]
    assert found.state == state
    if state == "warning":
        assert found.reason == ("Each product-ops person serves more PMs while overhead rises: Pms per prodops 10 to 16, "
                                "Pm overhead share 20% to 30%, Q4 2025 to Q3 2026.")


def test_a_mistake_whose_metrics_are_not_measured_says_so():
    found = by_id(evaluate(ratio_and_overhead((10, 12, 14, 16), (0.2, 0.22, 0.25, 0.3)), "org", Q3,
                           {k: v for k, v in METRICS.items() if k != "pms_per_prodops"}, TARGETS))["late"]
    assert found.state == "unknown" and "not measured" in found.reason


def test_every_mistake_names_figures_and_decides_on_banded_ones_only():
    for mistake in MISTAKES:
        assert mistake.metrics and 0 <= mistake.banded <= len(mistake.metrics)
