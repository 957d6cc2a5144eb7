"""What a run of digests reads from the store, once for every subscription.

The series are the ones the pages read: stored with the data when they were computed for the
dashboard's window and today's date, computed live the same way otherwise (`dashboard.derive.series_store`).
Either way they are the published cells, so a value the privacy rules hold back has no value
here either, and no digest can show it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property
from typing import Any

import pandas as pd

from dashboard.analysis import bottlenecks
from dashboard.analysis.scorecard import scorecard_period
from dashboard.core import notes, periods
from dashboard.core.config import Settings
from dashboard.core.periods import Grain
from dashboard.core.store import Store
from dashboard.derive import series_store
from dashboard.metrics import METRICS, Scope, compute_series, load_tables
from dashboard.notify.health import Health, read_health
from dashboard.report import scope_names


class Facts:
    """One store's series, names, milestones, bottleneck ranking and data health as of `today`."""

    def __init__(self, store: Store, settings: Settings, today: date):
        self.store, self.settings, self.today = store, settings, today
        self.first = series_store.window_start(today, series_store.first_record(store))
        self._series: dict[tuple[Grain, Scope], pd.DataFrame] = {}
        self._by_scope: dict[tuple[Grain, Scope], dict[str, pd.DataFrame]] = {}
        self._shared: dict[tuple, Any] = {}

    def series(self, grain: Grain, scope: Scope) -> pd.DataFrame:
        """Every metric of one grain and scope over the dashboard's window, as the pages read it."""
        if (grain, scope) not in self._series:
            found = series_store.stored(self.store, self.settings, grain, scope, self.first, self.today)
            self._series[grain, scope] = found[0] if found is not None else compute_series(
                self._tables, self.settings, grain, scope, self.first, self.today)
        return self._series[grain, scope]

    def cells(self, grain: Grain, scope: Scope, scope_id: str) -> pd.DataFrame:
        """The rows of `series(grain, scope)` of one scope, in their order: the series split once per
        run, so that each of a large organisation's digests does not scan every team's rows again."""
        if (grain, scope) not in self._by_scope:
            series = self.series(grain, scope)
            self._by_scope[grain, scope] = dict(iter(series.groupby("scope_id", sort=False, observed=True)))
        found = self._by_scope[grain, scope].get(scope_id)
        return found if found is not None else self.series(grain, scope).iloc[0:0]

    def shared(self, key: tuple, make: Callable[[], Any]) -> Any:
        """What many digests of one run read alike (the organisation's verdicts beside every lead's):
        made by the first that asks, then handed to the others."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        return load_tables(self.store)

    @cached_property
    def teams(self) -> pd.DataFrame:
        return self.store.table("teams")

    @cached_property
    def names(self) -> dict[str, str]:
        return scope_names(self.teams)

    @cached_property
    def group_of(self) -> dict[str, str]:
        return dict(zip(self.teams["team_id"], self.teams["group_name"]))

    @cached_property
    def annotations(self) -> pd.DataFrame:
        return notes.annotations(self.store)

    @cached_property
    def quarter(self) -> date:
        """The quarter bottlenecks are ranked in: the last whole one, as the Overview's scorecards."""
        return scorecard_period(periods.floor_date(self.today, "quarter"), self.today, self.first).quarter

    @cached_property
    def ranked(self) -> pd.DataFrame:
        """Every team and group cell of `quarter`, worst first (`dashboard.analysis.bottlenecks.rank`)."""
        quarterly = pd.concat([self.series("quarter", level) for level in ("group", "team")], ignore_index=True)
        quarterly = quarterly[quarterly["period_start"] <= self.quarter]
        return bottlenecks.rank(quarterly, METRICS, self.quarter, self.group_of, self.names)

    @cached_property
    def health(self) -> Health:
        return read_health(self.store)
