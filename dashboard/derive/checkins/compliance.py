"""What the Check-ins page and the list of open misses read: per team and kind, from the `checkins` rows."""
from __future__ import annotations

import pandas as pd

STATE_LABELS = {"on_time": "on time", "late": "late", "missing": "missing", "pending": "not due"}


def _judged(checkins: pd.DataFrame) -> pd.DataFrame:
    """Check-ins that have a verdict (not pending), newest last."""
    judged = checkins[checkins["status"] != "pending"].copy()
    judged["due_at"] = pd.to_datetime(judged["due_at"])
    return judged.sort_values(["team_id", "kind", "due_at"])


def _trailing(statuses: pd.Series, state: str) -> int:
    """How many of the last statuses in a row are `state`."""
    count = 0
    for value in reversed(statuses.tolist()):
        if value != state:
            break
        count += 1
    return count


def streaks(checkins: pd.DataFrame) -> pd.DataFrame:
    """Per team and kind: the current run of on-time check-ins (0 when the latest was late or missing)."""
    rows = [(team, kind, _trailing(group["status"], "on_time"), group["due_at"].max())
            for (team, kind), group in _judged(checkins).groupby(["team_id", "kind"])]
    return pd.DataFrame(rows, columns=["team_id", "kind", "streak", "last_due"])


def open_misses(checkins: pd.DataFrame) -> pd.DataFrame:
    """What is missing right now: per team and kind whose latest check-in is missing, since when
    (the due time of the first of the run of missing ones) and how many in a row."""
    rows = []
    for (team, kind), group in _judged(checkins).groupby(["team_id", "kind"]):
        run = _trailing(group["status"], "missing")
        if run:
            missed = group.tail(run)
            rows.append((team, kind, missed["period_start"].iloc[0], missed["due_at"].iloc[0], run))
    out = pd.DataFrame(rows, columns=["team_id", "kind", "since_period", "since", "missed"])
    return out.sort_values(["since", "team_id", "kind"], ignore_index=True)


def board(checkins: pd.DataFrame, teams: pd.DataFrame, kind: str, first, last) -> pd.DataFrame:
    """The check-ins of one kind due in [first, last] for the given teams, with a readable state
    and the evidence behind each (source and ref): what the heatmap draws and a click opens.
    `cell` ("team_id|period start") names each check-in for a selection; `label` says it in words."""
    chosen = checkins[(checkins["kind"] == kind) & checkins["team_id"].isin(teams["team_id"])].copy()
    due = pd.to_datetime(chosen["due_at"])
    chosen = chosen[(due >= pd.Timestamp(first)) & (due < pd.Timestamp(last) + pd.Timedelta(days=1))]
    chosen["team"] = chosen["team_id"].map(teams.set_index("team_id")["name"])
    chosen["state"] = chosen["status"].map(STATE_LABELS)
    chosen["period_start"] = pd.to_datetime(chosen["period_start"]).dt.date
    chosen["cell"] = chosen["team_id"] + "|" + chosen["period_start"].astype(str)
    chosen["label"] = chosen["team"] + " · " + chosen["period_start"].astype(str) + " · " + chosen["state"]
    columns = ["cell", "label", "team_id", "team", "period_start", "due_at", "submitted_at", "state", "source", "ref"]
    return chosen[columns].sort_values(["team", "period_start"], ignore_index=True)


def evidence_of(cell: pd.Series) -> pd.DataFrame:
    """What stands behind one check-in, in words: the ticket, the form row or the meeting."""
    what = {"jira": "Jira ticket", "form": "form response", "calendar": "review meeting"}
    rows = [("Team", cell["team"]), ("Period", str(cell["period_start"])), ("Due", f"{cell['due_at']:%Y-%m-%d %H:%M} UTC"),
            ("State", cell["state"])]
    if pd.notna(cell["submitted_at"]):
        rows += [("Submitted", f"{pd.Timestamp(cell['submitted_at']):%Y-%m-%d %H:%M} UTC"),
                 ("Evidence", f"{what.get(cell['source'], cell['source'])}: {cell['ref']}")]
    else:
        rows.append(("Evidence", "none found"))
    return pd.DataFrame(rows, columns=["Item", "Detail"])
