"""Which team a piece of evidence is for: the team its person was on when it happened."""
from __future__ import annotations

import pandas as pd

from dashboard.core.teams import team_at


def person_teams(tables: dict[str, pd.DataFrame], people: pd.Series, when: pd.Series) -> pd.Series:
    """Each person's team at each (naive UTC) time, from the membership history, else their current team."""
    people = people.reset_index(drop=True)
    when = pd.to_datetime(when).reset_index(drop=True)
    if people.empty:
        return pd.Series([], dtype=object)
    found = team_at(tables["memberships"], people, when.dt.normalize())
    current = people.map(tables["people"].set_index("person_id")["team_id"])
    return found.where(found.notna(), current)
