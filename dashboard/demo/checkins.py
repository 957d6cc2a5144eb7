"""Check-ins: the weekly status, monthly roadmap review and QBR prep every team owes.

About 75 % arrive on time before product ops and about 92 % once it has bedded in; Mobile/Android
stops sending its weekly status two quarters ago. The check-ins stay canonical rows for now; the
Jira ticket behind each submitted one (`ref`) is generated with the rest of Jira (demo/jira.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.demo.org import SILENT_TEAM, members_at
from dashboard.demo.story import DAY, Story, canonical, dates, monday, stream, timestamps, to_utc


def _checkin_schedule(story: Story) -> pd.DataFrame:
    """Every check-in a team owes: (kind, period_start, local due time), the same for every team."""
    weeks = pd.date_range(monday(story.start), story.today, freq="7D")
    months = pd.date_range(story.start, story.today, freq="MS")
    quarters = pd.date_range(story.start, story.today, freq="QS")
    five_pm = pd.Timedelta(hours=17)
    third_business_day = np.busday_offset(months.to_numpy().astype("datetime64[D]"), 2, roll="forward")
    quarter_end = quarters + pd.DateOffset(months=3) - DAY
    return pd.concat([
        pd.DataFrame({"kind": "weekly_status", "period_start": weeks, "due_local": weeks + 4 * DAY + five_pm}),
        pd.DataFrame({"kind": "monthly_roadmap", "period_start": months,
                      "due_local": pd.to_datetime(third_business_day) + five_pm}),
        pd.DataFrame({"kind": "qbr_prep", "period_start": quarters, "due_local": quarter_end - 10 * DAY + five_pm}),
    ], ignore_index=True)


def make_checkins(story: Story, org: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Weekly status, monthly roadmap review and QBR prep per team: ~75 % on time before product ops, ~92 % after."""
    rng = stream("checkins")
    pms = roster[roster["role"] == "pm"]
    main_tz = pms[pms["team_id"].notna()].drop_duplicates("team_id").set_index("team_id")["tz"]
    owed = org[["team_id"]].merge(_checkin_schedule(story), how="cross")
    owed["due_at"] = to_utc(owed["due_local"], owed["team_id"].map(main_tz))
    owed = owed[(owed["due_at"] >= pd.Timestamp(story.start)) & (owed["due_at"] < story.cutoff)].reset_index(drop=True)
    owed["row"] = np.arange(len(owed))
    owners = members_at(memberships, owed[["team_id", "due_at", "row"]], "due_at").sort_values(["row", "person_id"])
    owed["owner_id"] = owners.drop_duplicates("row").set_index("row")["person_id"].reindex(owed["row"]).to_numpy()

    progress = story.progress(owed["due_at"])
    on_time = 0.75 + (0.92 - 0.75) * progress
    late = on_time + 0.15 + (0.05 - 0.15) * progress
    u = rng.random(len(owed))
    early = pd.to_timedelta(rng.uniform(0.5, 30, len(owed)), unit="h")
    behind = pd.to_timedelta(1 + 71 * rng.random(len(owed)) ** 2, unit="h")
    submitted = pd.Series(np.where(u < on_time, owed["due_at"] - early, owed["due_at"] + behind))
    silent = (
        (owed["team_id"] == SILENT_TEAM) & (owed["kind"] == "weekly_status")
        & (owed["due_at"] >= pd.Timestamp(story.silent_since))
    )
    missing = (u >= late) | silent.to_numpy() | (submitted >= story.cutoff).to_numpy()
    owed["submitted_at"] = timestamps(submitted.where(~missing))
    owed["due_at"] = timestamps(owed["due_at"])
    owed = owed.sort_values(["due_at", "team_id", "kind"], kind="stable").reset_index(drop=True)
    sent = owed["submitted_at"].notna()
    owed["ref"] = None
    owed.loc[sent, "ref"] = "CHK-" + pd.Series(np.arange(1, sent.sum() + 1), index=owed.index[sent]).astype(str)
    owed["checkin_id"] = owed["team_id"] + "/" + owed["kind"] + "/" + owed["period_start"].dt.strftime("%Y-%m-%d")
    owed["source"] = "jira"
    owed["period_start"] = dates(owed["period_start"])
    return canonical("checkins", owed)
