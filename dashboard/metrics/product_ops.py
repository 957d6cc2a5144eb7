"""Product operations itself: early warnings of the common mistakes a product-ops function makes.

Issue 21's mistakes are about the function, not the PMs it serves: investing in it late (PMs
per product-ops person grows while PM overhead rises) and running it as project management
instead of building systems (their own calendar time, from `prodops_weeks`: the PM-week columns for
product-ops people, shown under the same calendar minimum of people as PM figures, decided in a
privacy family of their own), and sitting too far from product or from operations (the share of
their meeting time with PMs, and with operations staff, from the roster roles of who they meet, and
with each product group, from the roster teams of who they meet: `prodops_group_weeks`).
The signal is "ops".
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import aggregate, in_periods, near_periods
from dashboard.metrics.calendar_cells import PRODUCT_OPS_GROUPS, PRODUCT_OPS_WEEKS, measures, suppress
from dashboard.metrics.headcount import headcount
from dashboard.metrics.registry import CLOCK, EVERY_SCOPE, PRODUCT_OPS, Context, metric, scoped_id
from dashboard.metrics.time_use import CALENDAR, mean_over_weeks

SIGNAL = PRODUCT_OPS.id
ROSTER_SOURCE = ("roster",)


@metric(
    id="pms_per_prodops", title="PMs per product-ops person", signal=SIGNAL, unit="ratio", better="lower",
    definition="Average PM headcount in the scope divided by the average headcount of product-ops people "
    "(roster role prodops) in the period, both sampled weekly. Product ops is a central function without "
    "a team, so the ratio is the organisation's; a group or team has none.",
    sources=ROSTER_SOURCE, n_label="product-ops people", needs=(CLOCK,),
)
def pms_per_prodops(ctx: Context) -> pd.DataFrame:
    """The ratio per period; n is the product-ops people in post on a sampled day of the period.

    A product-ops person has no team, so only the organisation's cells have a denominator; a
    period with no one in product ops has no ratio (there is nothing to divide by), not an infinite one.
    """
    cells = ["period_start", "scope_id"]
    pms = headcount(ctx, "pm").drop(columns="people").rename(columns={"headcount": "pms"})
    prodops = headcount(ctx, "prodops")
    result = pms.merge(prodops, on=cells, how="left")
    result["value"] = result["pms"] / result["headcount"].where(result["headcount"] > 0)
    result["n"] = result["people"].fillna(0).astype(int)
    return result[[*cells, "value", "n"]]


@metric(
    id="prodops_coordination_share", title="Product-ops time on status and coordination", signal=SIGNAL,
    unit="share", better="lower",
    definition="Mean over product-ops people's weeks of hours in status and coordination meetings (the "
    "process-overhead category) divided by working hours less time out of office: product ops running "
    "projects instead of building systems.",
    sources=CALENDAR, n_label="product-ops people", needs=("prodops_weeks", "privacy_cells"),
)
def prodops_coordination_share(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "overhead_share", PRODUCT_OPS_WEEKS)


@metric(
    id="prodops_focus_hours", title="Product-ops focus hours per week", signal=SIGNAL, unit="hours",
    better="higher",
    definition="Mean over product-ops people's weeks of hours in free blocks of at least the focus minimum "
    "(2 h by default) inside their own working hours: the time systems get built in.",
    sources=CALENDAR, n_label="product-ops people", needs=("prodops_weeks", "privacy_cells"),
)
def prodops_focus_hours(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "focus_hours", PRODUCT_OPS_WEEKS)


@metric(
    id="prodops_time_with_pms_share", title="Product-ops meeting time with PMs", signal=SIGNAL, unit="share",
    better="higher",
    definition="Mean over product-ops people's weeks of meeting hours in meetings with at least one PM (roster "
    "role pm, matched by attendee email) divided by the week's meeting hours, overlaps counted once: product "
    "ops bridging to product. A week without meetings, or with meetings synced before attendees' roles "
    "were kept, has no share.",
    sources=CALENDAR, n_label="product-ops people", needs=("prodops_weeks", "privacy_cells"),
)
def prodops_time_with_pms_share(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "with_pms_share", PRODUCT_OPS_WEEKS)


@metric(
    id="prodops_time_with_operations_share", title="Product-ops meeting time with operations", signal=SIGNAL,
    unit="share", better="higher",
    definition="Mean over product-ops people's weeks of meeting hours in meetings with at least one operations "
    "person (roster role ops, matched by attendee email) divided by the week's meeting hours, overlaps "
    "counted once: product ops bridging to operations. A week without meetings, or with meetings synced "
    "before attendees' roles were kept, has no share.",
    sources=CALENDAR, n_label="product-ops people", needs=("prodops_weeks", "privacy_cells"),
)
def prodops_time_with_operations_share(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "with_operations_share", PRODUCT_OPS_WEEKS)


@metric(
    id="prodops_time_with_group_share", title="Product-ops meeting time with the group", signal=SIGNAL,
    unit="share", better="higher",
    definition="At a product group: mean over product-ops people's weeks of meeting hours in meetings with at "
    "least one person of the group (their roster team, matched by attendee email, in its group on the day) "
    "divided by the week's meeting hours, overlaps counted once: how much of product ops's time reaches each "
    "group. Every product-ops person's weeks count for every group, none included, so the figure is the "
    "function's as a whole and never its partner's for that group. The organisation and teams have none.",
    sources=CALENDAR, n_label="product-ops people", needs=("prodops_group_weeks", "privacy_cells"),
)
def prodops_time_with_group_share(ctx: Context) -> pd.DataFrame:
    """Placed on the group met, not on a team of the person's (product ops has none)."""
    weeks = ctx.tables[PRODUCT_OPS_GROUPS.table]
    observations = pd.DataFrame({"date": pd.to_datetime(weeks["week_start"]), "person_id": weeks["person_id"],
                                 "group_name": weeks["group_name"], "value": measures(weeks)["with_group_share"]})
    placed = in_periods(ctx, near_periods(ctx, observations, "date"))
    if ctx.scope == EVERY_SCOPE:
        placed = placed.assign(scope_id=scoped_id("group", placed["group_name"].astype(str)))
    else:
        placed = (placed if ctx.scope == "group" else placed.iloc[0:0]).assign(scope_id=placed["group_name"])
    return suppress(ctx, aggregate(ctx, placed, "mean", unit="person_id"), "with_group_share", PRODUCT_OPS_GROUPS)
