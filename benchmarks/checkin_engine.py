"""How fast the check-in engine derives the `checkins` table: many teams, three kinds, two years.

Each team owes a weekly status (Jira tickets, some moved back and forth), a monthly roadmap
review (form rows, some duplicated) and a QBR prep; about 85 % are sent, some late. The timed
part is `derive_checkins` (expectations, evidence readers, matching), as run after every sync.

Run: .venv/bin/python benchmarks/checkin_engine.py [teams]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.core.config import parse_settings
from dashboard.core.schema import TABLES
from dashboard.derive.checkins import derive_checkins

NOW = datetime(2026, 11, 26, 12)
KINDS = [
    {"id": "weekly_status", "cadence": "weekly", "weekday": "fri", "jira_label": "weekly-status"},
    {"id": "monthly_roadmap", "cadence": "monthly", "business_day": 3},
    {"id": "qbr_prep", "cadence": "quarterly", "days_before_quarter_end": 10, "jira_label": "qbr-prep"},
]


def organisation(teams: int, rng: random.Random) -> dict[str, pd.DataFrame]:
    team_ids = [f"team-{n:04d}" for n in range(teams)]
    people = pd.DataFrame({"person_id": [f"p{n}" for n in range(teams)], "role": "pm", "team_id": team_ids,
                           "tz": [rng.choice(["Europe/Berlin", "America/New_York", "Asia/Tokyo"]) for _ in team_ids]})
    items, moves, forms = [], [], []
    for n, team in enumerate(team_ids):
        week = datetime(2024, 12, 6, 16)
        while week < NOW:
            if rng.random() < 0.85:
                at = week + timedelta(hours=rng.uniform(-30, 40))
                key = f"CHK-{len(items) + 1}"
                items.append({"source": "jira", "item_id": key, "key": key, "kind": "checkin", "status": "Done",
                              "created": at - timedelta(days=2), "labels": ["weekly-status"], "reporter_id": f"p{n}"})
                moves.append({"item_id": key, "at": at, "field": "status", "from_value": "To Do", "to_value": "Done"})
                if rng.random() < 0.1:
                    moves.append({"item_id": key, "at": at + timedelta(days=1), "field": "status",
                                  "from_value": "Done", "to_value": "Done"})
            week += timedelta(days=7)
        for month in pd.date_range("2024-12-01", NOW, freq="MS"):
            for _ in range(2 if rng.random() < 0.05 else 1):
                forms.append({"source_file": "f.csv", "response_key": str(len(forms)), "row": len(forms) + 2,
                              "team_id": team, "kind": "monthly_roadmap",
                              "submitted_at": month + timedelta(days=rng.uniform(1, 6))})
    frame = {name: pd.DataFrame(columns=list(table.columns)) for name, table in TABLES.items()}
    frame.update({
        "teams": pd.DataFrame({"team_id": team_ids, "name": team_ids, "group_name": [f"g{n % 20}" for n in range(teams)]}),
        "people": people,
        "memberships": pd.DataFrame({"person_id": people["person_id"], "team_id": team_ids, "role": "pm",
                                     "valid_from": pd.Timestamp("2024-06-01"), "valid_to": pd.NaT}).astype(
                                         {"valid_from": "datetime64[us]", "valid_to": "datetime64[us]"}),
        "work_items": pd.DataFrame(items), "work_item_transitions": pd.DataFrame(moves), "checkin_forms": pd.DataFrame(forms),
    })
    return frame


def main() -> None:
    teams = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    tables = organisation(teams, random.Random(7))
    settings = parse_settings({"checkins": {"kinds": KINDS, "jira_submitted_status": "Done"}})
    began = time.perf_counter()
    rows = derive_checkins(tables, settings, NOW)
    seconds = time.perf_counter() - began
    evidence = len(tables["work_items"]) + len(tables["checkin_forms"])
    print(f"{teams} teams, {evidence:,} pieces of evidence -> {len(rows):,} check-ins in {seconds:.2f} s")
    print(rows["status"].value_counts().to_string())


if __name__ == "__main__":
    main()
