"""The canonical tables (DESIGN.md), declared once as data.

Each table lists its columns with their DuckDB types and its natural key. The store derives
its DDL, its upserts and the empty frames it returns from this declaration, so adding a
column is one line here plus a forward migration.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, str]
    key: tuple[str, ...]

    def ddl(self) -> str:
        cols = ", ".join(f'"{name}" {kind}' for name, kind in self.columns.items())
        key = ", ".join(f'"{name}"' for name in self.key)
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, PRIMARY KEY ({key}))"


def _table(table_name: str, key: tuple[str, ...], /, **columns: str) -> Table:
    return Table(table_name, columns, key)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _table("teams", ("team_id",), team_id="VARCHAR", name="VARCHAR", group_name="VARCHAR"),
        _table(
            "people", ("person_id",),
            person_id="VARCHAR", name="VARCHAR", email="VARCHAR", role="VARCHAR", team_id="VARCHAR",
            tz="VARCHAR", active_from="DATE", active_to="DATE",
        ),
        _table(
            "memberships", ("person_id", "valid_from"),
            person_id="VARCHAR", team_id="VARCHAR", role="VARCHAR", valid_from="DATE", valid_to="DATE",
        ),
        _table(
            "calendar_events", ("source", "event_uid", "person_id", "start_utc"),
            source="VARCHAR", event_uid="VARCHAR", person_id="VARCHAR", start_utc="TIMESTAMP",
            end_utc="TIMESTAMP", all_day="BOOLEAN", category="VARCHAR", attendee_count="INTEGER",
            recurring="BOOLEAN", response="VARCHAR", title_hash="VARCHAR",
        ),
        _table(
            "work_items", ("source", "item_id"),
            source="VARCHAR", item_id="VARCHAR", key="VARCHAR", kind="VARCHAR", project="VARCHAR",
            type="VARCHAR", status="VARCHAR", status_category="VARCHAR", created="TIMESTAMP",
            updated="TIMESTAMP", resolved="TIMESTAMP", assignee_id="VARCHAR", reporter_id="VARCHAR",
            labels="VARCHAR[]", components="VARCHAR[]", fix_versions="VARCHAR[]", due_date="DATE",
            parent_key="VARCHAR",
        ),
        _table(
            "work_item_transitions", ("item_id", "at", "field", "to_value"),
            item_id="VARCHAR", at="TIMESTAMP", field="VARCHAR", from_value="VARCHAR", to_value="VARCHAR",
        ),
        _table(
            "releases", ("release_id",),
            release_id="VARCHAR", project="VARCHAR", team_id="VARCHAR", name="VARCHAR",
            start_date="DATE", planned_date="DATE", released="BOOLEAN", released_on="DATE",
            archived="BOOLEAN",
        ),
        _table(
            "release_plans", ("release_id", "observed_at"),
            release_id="VARCHAR", observed_at="TIMESTAMP", planned_date="DATE",
        ),
        _table(
            "checkins", ("checkin_id",),
            checkin_id="VARCHAR", team_id="VARCHAR", owner_id="VARCHAR", kind="VARCHAR",
            period_start="DATE", due_at="TIMESTAMP", submitted_at="TIMESTAMP", source="VARCHAR",
            ref="VARCHAR",
        ),
        _table(
            "survey_questions", ("survey_id", "question_id"),
            survey_id="VARCHAR", question_id="VARCHAR", text="VARCHAR", construct="VARCHAR",
            scale="VARCHAR",
        ),
        _table(
            "survey_answers", ("survey_id", "response_id", "question_id"),
            survey_id="VARCHAR", response_id="VARCHAR", submitted_at="TIMESTAMP",
            respondent_role="VARCHAR", team_id="VARCHAR", question_id="VARCHAR", value="DOUBLE",
        ),
        _table(
            "sync_runs", ("run_id",),
            run_id="VARCHAR", source="VARCHAR", started_at="TIMESTAMP", finished_at="TIMESTAMP",
            status="VARCHAR", rows="BIGINT", cursor="VARCHAR", error="VARCHAR",
        ),
        _table("annotations", ("on_date", "scope", "label"), on_date="DATE", scope="VARCHAR", label="VARCHAR"),
        _table(
            "pm_weeks", ("person_id", "week_start"),
            person_id="VARCHAR", week_start="DATE", team_id="VARCHAR", working_hours="DOUBLE",
            meeting_hours="DOUBLE", overhead_hours="DOUBLE", strategy_hours="DOUBLE",
            focus_hours="DOUBLE", ooo_hours="DOUBLE",
        ),
    ]
}

# Forward migrations: version N is reached by running MIGRATIONS[N - 1]. Never edit a released
# step; append a new one.
MIGRATIONS: list[list[str]] = [
    [table.ddl() for table in TABLES.values()],
]
SCHEMA_VERSION = len(MIGRATIONS)
