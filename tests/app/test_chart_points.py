"""The list of points under a trend chart: every point with a value, newest first, each named."""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.app.chart_points import point_choices


def test_points_are_listed_newest_first_the_reference_first_within_a_period_and_hidden_ones_left_out():
    frame = pd.DataFrame({
        "period_start": [date(2026, 8, 1)] * 3 + [date(2026, 9, 1)] * 3,
        "scope_id": ["org", "g1", "g2"] * 2,
        "name": ["Organisation", "Growth", "Payments"] * 2,
        "value": [0.5, 0.4, None, 0.6, None, 0.7],
    })
    choices = point_choices(frame, "month")
    assert choices.points == (("org", date(2026, 9, 1)), ("g2", date(2026, 9, 1)), ("org", date(2026, 8, 1)),
                              ("g1", date(2026, 8, 1)))
    assert [choices.labels[point] for point in choices.points] == [
        "Organisation · Sep 2026", "Payments · Sep 2026", "Organisation · Aug 2026", "Growth · Aug 2026"]
    assert choices.names["g2"] == "Payments"
    weekly = point_choices(frame.assign(period_start=pd.to_datetime(frame["period_start"])), "week")
    assert weekly.labels[("g1", date(2026, 8, 1))] == "Growth · week of 1 Aug 2026"
