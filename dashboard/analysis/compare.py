"""How far a value sits from its peers, how fast it moves, and which cells moved most.

The Bottlenecks page and the QBR's top movers both need to compare numbers of different
units (a share, a count of days, a score) on one scale. They measure every difference in
**spreads**: the robust standard deviation of the peers (every team, or every group) in the
same period, so "2.5" means as unusual for a share as for a number of days.

- The centre is the peers' median and the spread is 1.4826 x the median absolute deviation
  (MAD), which equals the standard deviation for normally distributed values but is not
  pulled by the very outliers it is meant to find. When more than half of the peers share one
  value the MAD is 0; the spread then falls back to 1.2533 x the mean absolute deviation (the
  same equivalence for the mean). Four teams slipping every release among twenty on time is
  exactly that case.
- A spread is never below `MIN_SPREAD` for the metric's unit: when every team sits within a
  percentage point of the others, a two-point difference is not a bottleneck.
- Fewer than `MIN_PEERS` peers with a value give no spread (and no distance): two teams
  cannot say which of them is unusual.

Every function here is pure (frames in, frames out) and direction-aware: "worse" is higher
for a metric where lower is better, and the other way round.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from dashboard.metrics.registry import Metric

MAD_TO_SD = 1.4826
MEAN_AD_TO_SD = 1.2533
MIN_PEERS = 3
MIN_SPREAD: dict[str, float] = {
    "share": 0.02,  # two percentage points
    "hours": 0.5,
    "days": 0.5,
    "count": 1.0,
    "score": 2.0,
    "points": 2.0,
    "per_pm_month": 0.1,
    "ratio": 0.5,
}
FLAG = 1.5
"""Spreads worse than the peers' median from which a cell counts as a problem (a bottleneck, or a
mover that is better but still among the worst)."""
MIN_MOVER_N = 5
"""What a mover's value must stand on, in both quarters: a change resting on one release is a hint."""
MIN_MOVE = 0.5
"""A mover must have moved at least half a spread; smaller changes are noise, not news."""


def worse_sign(metric: Metric) -> int:
    """+1 when a higher value is worse (lower is better), -1 when a higher value is better."""
    return 1 if metric.better == "lower" else -1


def robust_spread(values: Iterable[float], unit: str) -> float:
    """The peers' robust standard deviation, floored at the unit's `MIN_SPREAD`; NaN with too few peers.

    >>> robust_spread([1, 2, 3, 4, 100], "count")  # MAD 1
    1.4826
    """
    known = pd.Series(list(values), dtype=float).dropna()
    if len(known) < MIN_PEERS:
        return float("nan")
    deviation = (known - known.median()).abs()
    spread = deviation.median() * MAD_TO_SD
    if spread == 0:
        spread = deviation.mean() * MEAN_AD_TO_SD
    return float(max(spread, MIN_SPREAD.get(unit, 0.0)))


def distances(frame: pd.DataFrame, metrics: dict[str, Metric]) -> pd.DataFrame:
    """Each row's distance from its peers, in spreads, positive when worse.

    Args:
        frame: series rows (`metric_id`, `period_start`, `scope`, `scope_id`, `value`, `n`); the
            peers of a row are the rows of the same metric, period and scope level with a value.
        metrics: the declarations, for the unit and the better direction.

    Returns:
        The rows with a value, plus `centre` (the peers' median), `spread` and `distance`.
    """
    rows = frame.dropna(subset=["value"])
    rows = rows[rows["metric_id"].isin(metrics)].copy()
    if rows.empty:
        return rows.assign(centre=[], spread=[], distance=[])
    peers = [rows["metric_id"], rows["scope"], rows["period_start"]]
    rows["centre"] = rows["value"].groupby(peers).transform("median")
    rows["spread"] = _spreads(rows, peers, metrics)
    sign = rows["metric_id"].map(lambda metric_id: worse_sign(metrics[metric_id]))
    rows["distance"] = sign * (rows["value"] - rows["centre"]) / rows["spread"]
    return rows


def _spreads(rows: pd.DataFrame, peers: list[pd.Series], metrics: dict[str, Metric]) -> pd.Series:
    """`robust_spread` of each row's peers, for all of them at once: one call per group of peers cost
    the large organisation's ranking half its time. The mean absolute deviation, where the median
    one is 0, is left to `robust_spread` itself, so its sum is taken exactly as there."""
    deviation = (rows["value"] - rows["centre"]).abs()
    spread = deviation.groupby(peers).transform("median") * MAD_TO_SD
    for _, group in rows[spread == 0].groupby(peers):
        spread[group.index] = robust_spread(group["value"], "")
    floor = rows["metric_id"].map({metric_id: MIN_SPREAD.get(metrics[metric_id].unit, 0.0) for metric_id in rows["metric_id"].unique()})
    counted = rows["value"].groupby(peers).transform("count")
    return spread.clip(lower=floor).where(counted >= MIN_PEERS)


def slope(values: list[float]) -> float:
    """Least-squares change per step of equally spaced values (NaN skipped); NaN with fewer than 3.

    >>> slope([1.0, 2.0, 3.0])
    1.0
    """
    y = np.asarray(values, dtype=float)
    x = np.arange(len(y), dtype=float)
    known = ~np.isnan(y)
    if known.sum() < 3:
        return float("nan")
    x, y = x[known], y[known]
    return float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())


def quarter_index(day: date) -> int:
    """Quarters counted from year 0, so consecutive quarters differ by one."""
    return day.year * 4 + (day.month - 1) // 3


def trends(scored: pd.DataFrame, metrics: dict[str, Metric], period: date, quarters: int = 4) -> pd.DataFrame:
    """How fast each cell is getting worse, relative to its peers, in the quarters up to `period`.

    The distance of each of the last `quarters` quarters is measured against that quarter's
    peer median but in *this* quarter's spread, so a quarter with an unusually tight spread does
    not exaggerate the slope. A running quarter compares with peers over the same elapsed days,
    which is why the trend is relative: a count that is low because the quarter is half over is
    low for every team.

    Returns:
        One row per (`metric_id`, `scope`, `scope_id`) with `worsening`: spreads per quarter,
        positive when getting worse; NaN with fewer than three quarters of values.
    """
    keys = ["metric_id", "scope", "scope_id"]
    now = quarter_index(period)
    recent = scored[scored["period_start"].map(quarter_index).between(now - quarters + 1, now)]
    current = scored[scored["period_start"] == period].set_index(keys)["spread"]
    spread = current.reindex(pd.MultiIndex.from_frame(recent[keys])).to_numpy()
    sign = recent["metric_id"].map({m: worse_sign(metrics[m]) for m in recent["metric_id"].unique()}).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = sign * (recent["value"].to_numpy() - recent["centre"].to_numpy()) / spread
    column = recent["period_start"].map(quarter_index) - now + quarters - 1
    grid = (pd.DataFrame({**{k: recent[k].to_numpy() for k in keys}, "column": column.to_numpy(), "offset": offset})
            .pivot_table(index=keys, columns="column", values="offset", aggfunc="last", dropna=False)
            .reindex(columns=range(quarters)))
    present = recent[keys].drop_duplicates().set_index(keys).index
    grid = grid.reindex(present.sort_values())
    return grid.index.to_frame(index=False).assign(worsening=slopes(grid.to_numpy(dtype=float)))


def slopes(rows: np.ndarray) -> np.ndarray:
    """`slope` of each row (NaN where fewer than three values are known)."""
    known = ~np.isnan(rows)
    x = np.where(known, np.arange(rows.shape[1], dtype=float), np.nan)
    count = known.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean, y_mean = np.nansum(x, axis=1, keepdims=True) / count, np.nansum(rows, axis=1, keepdims=True) / count
        dx = x - x_mean
        fitted = np.nansum(dx * (rows - y_mean), axis=1) / np.nansum(dx ** 2, axis=1)
    return np.where(known.sum(axis=1) >= 3, fitted, np.nan)


def streaks(scored: pd.DataFrame, period: date, threshold: float) -> pd.DataFrame:
    """For how many quarters in a row, ending at `period`, each cell has been at least `threshold` worse.

    A quarter without a value ends the run, as does one within the threshold.

    Returns:
        One row per (`metric_id`, `scope`, `scope_id`) with `quarters` (0 when not worse now)
        and `since` (the first quarter of the run, or None).
    """
    keys = ["metric_id", "scope", "scope_id"]
    now = quarter_index(period)
    past = scored[scored["period_start"].map(quarter_index) <= now]
    back = now - past["period_start"].map(quarter_index)
    bad = past.assign(back=back)[(past["distance"] >= threshold).to_numpy()].sort_values([*keys, "back"])
    in_run = bad["back"] == bad.groupby(keys).cumcount()
    run = bad[in_run.groupby([bad[k] for k in keys]).cummin()]
    counted = run.groupby(keys).agg(quarters=("back", "size"), since=("period_start", "last"))
    cells = past[keys].drop_duplicates().set_index(keys).index.sort_values()
    out = counted.reindex(cells).reset_index()
    out["quarters"] = out["quarters"].fillna(0).astype(int)
    out["since"] = out["since"].astype(object).where(out["quarters"] > 0, None)
    return out[[*keys, "quarters", "since"]]


def movers(
    quarterly: pd.DataFrame,
    metrics: dict[str, Metric],
    this: date,
    previous: date,
    cells: set[str] | None = None,
    count: int = 5,
    per_metric: int | None = 2,
    min_n: int = MIN_MOVER_N,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The cells that improved most and worsened most from `previous` to `this`.

    A change is measured in the spread of the cell's peers in `previous` (see `distances`), so
    a team's on-time rate and a group's days to fulfil can be ranked together. Only changes of
    at least `MIN_MOVE` spreads count.

    Args:
        quarterly: quarterly series rows for the peer levels (all groups, all teams).
        cells: the `scope_id`s that may be listed (the peers still set the spread); None for all.
        per_metric: at most this many cells of one metric in each list, so one noisy metric
            does not fill it; None for no limit.
        min_n: what the value must stand on in both quarters to be listed.

    Returns:
        (improved, still_worst, worsened), each with `metric_id`, `scope`, `scope_id`, `previous`,
        `value`, `n`, `change` (in the metric's unit) and `moved` (spreads, positive = better),
        best first. `still_worst` improved too but is still at least `FLAG` spreads worse than its
        peers: better than last quarter is not good.
    """
    scored = distances(quarterly[quarterly["period_start"].isin([this, previous])], metrics)
    columns = ["metric_id", "scope", "scope_id"]
    before = scored[scored["period_start"] == previous].set_index(columns)[["value", "spread", "n"]]
    after = scored[scored["period_start"] == this].set_index(columns)[["value", "n", "distance"]]
    pairs = after.join(before.rename(columns={"value": "previous", "n": "n_before"}), how="inner").reset_index()
    if cells is not None:
        pairs = pairs[pairs["scope_id"].isin(cells)]
    pairs = pairs[(pairs["n"] >= min_n) & (pairs["n_before"] >= min_n)]
    pairs["change"] = pairs["value"] - pairs["previous"]
    sign = pairs["metric_id"].map(lambda metric_id: worse_sign(metrics[metric_id]))
    pairs["moved"] = -sign * pairs["change"] / pairs["spread"]
    pairs = pairs.dropna(subset=["moved"])
    keep = ["metric_id", "scope", "scope_id", "previous", "value", "n", "change", "moved"]
    better = pairs[pairs["moved"] >= MIN_MOVE].sort_values(["moved", "scope_id"], ascending=[False, True], kind="stable")
    lists = (better[better["distance"] < FLAG], better[better["distance"] >= FLAG],
             pairs[pairs["moved"] <= -MIN_MOVE].sort_values(["moved", "scope_id"], kind="stable"))
    if per_metric is not None:
        lists = tuple(frame[frame.groupby("metric_id").cumcount() < per_metric] for frame in lists)
    improved, still_worst, worsened = (frame[keep].head(count).reset_index(drop=True) for frame in lists)
    return improved, still_worst, worsened
