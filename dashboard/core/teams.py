"""Which team a person was on at a given date, from the membership history.

`valid_to` is exclusive: a membership that ends on 2026-04-01 covers 31 March but not 1 April,
so a move on that day puts the person on exactly one team.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def team_at(memberships: pd.DataFrame, people: pd.Series, dates: pd.Series) -> pd.Series:
    """The team each person was on at each date, from the membership history."""
    asked = pd.DataFrame({"person_id": people.values, "date": pd.to_datetime(dates).values, "row": np.arange(len(people))})
    history = memberships[["person_id", "team_id", "valid_from", "valid_to"]].copy()
    history["valid_from"] = pd.to_datetime(history["valid_from"])
    history["valid_to"] = pd.to_datetime(history["valid_to"]).fillna(pd.Timestamp("2999-12-31"))
    joined = asked.merge(history, on="person_id", how="left")
    held = joined[(joined["date"] >= joined["valid_from"]) & (joined["date"] < joined["valid_to"])]
    teams = held.drop_duplicates("row", keep="last").set_index("row")["team_id"]
    return pd.Series(teams.reindex(np.arange(len(people))).values, index=people.index)
