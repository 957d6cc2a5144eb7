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
            recurring="BOOLEAN", response="VARCHAR", title_hash="VARCHAR", rule="VARCHAR", attendee_roles="VARCHAR",
            attendee_teams="VARCHAR",
        ),
        _table(
            "work_items", ("source", "item_id"),
            source="VARCHAR", item_id="VARCHAR", key="VARCHAR", kind="VARCHAR", project="VARCHAR",
            type="VARCHAR", status="VARCHAR", status_category="VARCHAR", created="TIMESTAMP",
            updated="TIMESTAMP", resolved="TIMESTAMP", assignee_id="VARCHAR", reporter_id="VARCHAR",
            labels="VARCHAR[]", components="VARCHAR[]", fix_versions="VARCHAR[]", due_date="DATE",
            parent_key="VARCHAR", work_class="VARCHAR",
        ),
        _table(
            "work_item_transitions", ("item_id", "at", "field", "to_value"),
            item_id="VARCHAR", at="TIMESTAMP", field="VARCHAR", from_value="VARCHAR", to_value="VARCHAR",
            author_id="VARCHAR",
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
            ref="VARCHAR", status="VARCHAR",
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
        _table("annotations", ("on_date", "scope", "label"), on_date="DATE", scope="VARCHAR", label="VARCHAR",
               metrics="VARCHAR"),
        _table(
            "pm_weeks", ("person_id", "week_start"),
            person_id="VARCHAR", week_start="DATE", team_id="VARCHAR", working_hours="DOUBLE",
            meeting_hours="DOUBLE", overhead_hours="DOUBLE", strategy_hours="DOUBLE",
            focus_hours="DOUBLE", ooo_hours="DOUBLE", short_focus_hours="DOUBLE", fragmented_hours="DOUBLE",
            enablement_hours="DOUBLE", hours_with_pms="DOUBLE", hours_with_operations="DOUBLE",
        ),
        # Event titles, written only when `calendar.keep_titles` asks for them (privacy by default).
        _table(
            "calendar_titles", ("source", "event_uid", "person_id"),
            source="VARCHAR", event_uid="VARCHAR", person_id="VARCHAR", title="VARCHAR",
        ),
    ]
}

# Issue 5, surveys and roster. A wave is one loaded export (`survey_id` is "<survey>/<wave>");
# the identity map ties each source's user ids to people; team_groups keeps which group a team
# was in when (valid_to exclusive); survey_unmatched lists survey answers (team, role) that named
# no known team or role, so the Data page can show them instead of dropping them.
SURVEY_ROSTER_TABLES = [
    _table(
        "survey_waves", ("survey_id",),
        survey_id="VARCHAR", survey="VARCHAR", wave="VARCHAR", tool="VARCHAR", source_name="VARCHAR",
        fielded_on="DATE", first_response="DATE", last_response="DATE", audience="VARCHAR[]",
        responses="INTEGER", excluded="INTEGER", issues="INTEGER", content_sha256="VARCHAR",
        loaded_at="TIMESTAMP",
    ),
    _table(
        "survey_unmatched", ("survey_id", "field", "value"),
        survey_id="VARCHAR", field="VARCHAR", value="VARCHAR", responses="INTEGER",
    ),
    _table("identity_map", ("source", "external_id"), source="VARCHAR", external_id="VARCHAR", person_id="VARCHAR"),
    _table(
        "team_groups", ("team_id", "valid_from"),
        team_id="VARCHAR", valid_from="DATE", group_name="VARCHAR", valid_to="DATE",
    ),
    _table("person_hours", ("person_id",), person_id="VARCHAR", day_start="TIME", day_end="TIME", days="VARCHAR[]"),
]
TABLES.update({table.name: table for table in SURVEY_ROSTER_TABLES})

# Forward migrations: version N is reached by running MIGRATIONS[N - 1]. Never edit a released
# step; append a new one. Both backends run them: write DuckDB SQL that PostgreSQL takes too once
# `dashboard.core.store.postgres_sql.dialect` renames DOUBLE and VARCHAR (CREATE TABLE IF NOT EXISTS,
# ALTER TABLE ... ADD COLUMN IF NOT EXISTS, the types above).
MIGRATIONS: list[list[str]] = [
    [table.ddl() for table in TABLES.values()],
    # 2: short focus and fragmented time per PM-week; titles kept on request (issue 4).
    [
        "ALTER TABLE pm_weeks ADD COLUMN IF NOT EXISTS short_focus_hours DOUBLE",
        "ALTER TABLE pm_weeks ADD COLUMN IF NOT EXISTS fragmented_hours DOUBLE",
        TABLES["calendar_titles"].ddl(),
    ],
    # 3: survey waves, identity map, team history, unmatched survey answers, personal working hours (issue 5).
    [table.ddl() for table in SURVEY_ROSTER_TABLES],
]
SCHEMA_VERSION = len(MIGRATIONS)

# Issue 7, leadership views: the QBR's notes, one per quarter, scope and section (the section
# ids of `dashboard.report.content.section_ids`). Annotations already have their table.
QBR_TABLES = [
    _table(
        "qbr_notes", ("quarter", "scope_id", "section"),
        quarter="VARCHAR", scope_id="VARCHAR", section="VARCHAR", note="VARCHAR", updated_at="TIMESTAMP",
    ),
]
MIGRATIONS.append([table.ddl() for table in QBR_TABLES])  # 4
TABLES.update({table.name: table for table in QBR_TABLES})
SCHEMA_VERSION = len(MIGRATIONS)

# 5: the name of the classification rule each occurrence matched (issue 4's rules preview: how
# many hours each rule catches, read from the stored rows once titles are gone).
MIGRATIONS.append(["ALTER TABLE calendar_events ADD COLUMN IF NOT EXISTS rule VARCHAR"])

# Issue 6, check-in compliance: the check-ins are derived (expected x evidence), with their status
# (on_time, late, missing, pending); a loaded form export's rows are raw evidence kept apart.
CHECKIN_TABLES = [
    _table(
        "checkin_forms", ("source_file", "response_key"),
        source_file="VARCHAR", response_key="VARCHAR", row="INTEGER", team_answer="VARCHAR", team_id="VARCHAR",
        kind="VARCHAR", submitted_at="TIMESTAMP", loaded_at="TIMESTAMP",
    ),
]
MIGRATIONS.append([  # 6
    "ALTER TABLE checkins ADD COLUMN IF NOT EXISTS status VARCHAR",
    *(table.ddl() for table in CHECKIN_TABLES),
])
TABLES.update({table.name: table for table in CHECKIN_TABLES})
SCHEMA_VERSION = len(MIGRATIONS)

# Issue 9, scale: every metric's series for each grain and scope over the dashboard's window,
# computed in the transaction that wrote their inputs (`dashboard.derive.series_store`), so a page
# reads a few thousand rows instead of computing them from every table. The state row says which
# day and settings they were computed for; a write that changes an input without computing them
# again deletes it (`Transaction.seal`), and pages then compute live.
SERIES_TABLES = [
    _table(
        "metric_series", ("grain", "scope", "metric_id", "scope_id", "period_start"),
        metric_id="VARCHAR", grain="VARCHAR", scope="VARCHAR", scope_id="VARCHAR", period_start="DATE",
        value="DOUBLE", n="INTEGER",
    ),
    _table("metric_series_failed", ("grain", "scope", "metric_id"), grain="VARCHAR", scope="VARCHAR", metric_id="VARCHAR",
           error="VARCHAR"),
    _table(
        "metric_series_state", ("state_id",),
        state_id="VARCHAR", as_of="DATE", first_period="DATE", fingerprint="VARCHAR", first_record="DATE",
    ),
]
MIGRATIONS.append([table.ddl() for table in SERIES_TABLES])  # 7
TABLES.update({table.name: table for table in SERIES_TABLES})

# Issue 14, privacy across versions: every record version and every published cell version of
# the figures about people (`dashboard.core.publication`). Written with the series, never edited.
LEDGER_TABLES = [
    _table(
        "privacy_records", ("family", "record_id", "valid_from"),
        family="VARCHAR", record_id="VARCHAR", valid_from="INTEGER", valid_to="INTEGER", unit="VARCHAR",
        part="VARCHAR", cells="VARCHAR", values="VARCHAR",
    ),
    _table(
        "privacy_cells", ("family", "measure", "slot", "cell", "version"),
        family="VARCHAR", measure="VARCHAR", slot="VARCHAR", cell="VARCHAR", version="INTEGER", value="DOUBLE",
        n="INTEGER",
    ),
]
MIGRATIONS.append([table.ddl() for table in LEDGER_TABLES])  # 8
TABLES.update({table.name: table for table in LEDGER_TABLES})

# 9: the metrics a milestone was meant to move, comma-separated ids (issue 18's milestone impact,
# `dashboard.analysis.milestones`); an annotation without them is only drawn on the charts.
MIGRATIONS.append(["ALTER TABLE annotations ADD COLUMN IF NOT EXISTS metrics VARCHAR"])
SCHEMA_VERSION = len(MIGRATIONS)

# Issue 20, digests: one row per message a `digest --send` tried, keyed by its idempotency key
# (subscription and period), so a re-run after a kill sends only what was not sent. A failure is
# kept with its error (never a credential) and tried again by the next run.
DIGEST_TABLES = [
    _table(
        "digest_sent", ("message_key",),
        message_key="VARCHAR", subscription="VARCHAR", period="VARCHAR", status="VARCHAR", attempts="INTEGER",
        first_tried_at="TIMESTAMP", last_tried_at="TIMESTAMP", sent_at="TIMESTAMP", error="VARCHAR",
    ),
]
MIGRATIONS.append([table.ddl() for table in DIGEST_TABLES])  # 10
TABLES.update({table.name: table for table in DIGEST_TABLES})
SCHEMA_VERSION = len(MIGRATIONS)

# Issue 20, subscriptions and alerts. Subscriptions ops add on the Subscriptions page (those in
# prodops.toml stay there): a webhook is named, never its URL, which is a credential. Alert state:
# one row per rule and occurrence (what crossed, where, when), so a repeat sync never repeats an
# alert and a rule's quiet period can be kept; `evidence` is the JSON the message was built from.
NOTIFY_TABLES = [
    _table(
        "digest_subscriptions", ("subscription_id",),
        subscription_id="VARCHAR", email="VARCHAR", role="VARCHAR", cadence="VARCHAR", group_name="VARCHAR",
        team_id="VARCHAR", channel="VARCHAR", webhook="VARCHAR", added_by="VARCHAR", added_at="TIMESTAMP",
    ),
    _table(
        "alert_state", ("rule_id", "occurrence"),
        rule_id="VARCHAR", occurrence="VARCHAR", status="VARCHAR", first_seen_at="TIMESTAMP",
        last_seen_at="TIMESTAMP", sent_at="TIMESTAMP", attempts="INTEGER", error="VARCHAR", evidence="VARCHAR",
    ),
]
MIGRATIONS.append([table.ddl() for table in NOTIFY_TABLES])  # 11
TABLES.update({table.name: table for table in NOTIFY_TABLES})
SCHEMA_VERSION = len(MIGRATIONS)

# 12: who made each change (a roster person, else `jira:<id>`), and the decision fields besides status
# (`dashboard.core.decisions`): product ops deciding instead of informing is read from the authors (issue 21).
MIGRATIONS.append(["ALTER TABLE work_item_transitions ADD COLUMN IF NOT EXISTS author_id VARCHAR"])
SCHEMA_VERSION = len(MIGRATIONS)

# 13: enablement hours per PM-week (issue 21, sign 3's enablement half). Weeks derived before it
# read as missing until the PM-weeks are rebuilt, never as zero.
MIGRATIONS.append(["ALTER TABLE pm_weeks ADD COLUMN IF NOT EXISTS enablement_hours DOUBLE"])
SCHEMA_VERSION = len(MIGRATIONS)

# 14: issue 21, product ops's own time: each product-ops person's weeks with the PM-week columns
# (`build_pm_weeks(role="prodops")`), in a table of their own so no PM figure, nor the privacy
# decisions behind one, can take in a product-ops person's week.
PRODUCT_OPS_TABLES = [_table("prodops_weeks", TABLES["pm_weeks"].key, **TABLES["pm_weeks"].columns)]
MIGRATIONS.append([table.ddl() for table in PRODUCT_OPS_TABLES])  # 14
TABLES.update({table.name: table for table in PRODUCT_OPS_TABLES})
SCHEMA_VERSION = len(MIGRATIONS)

# 15: issue 21, product ops too far from product or operations. Each occurrence keeps the roster roles of
# its other attendees (sorted, comma-joined, never their addresses; NULL where the sync did not resolve
# them), and each person-week the meeting hours spent with a PM and with an operations person.
MIGRATIONS.append([
    "ALTER TABLE calendar_events ADD COLUMN IF NOT EXISTS attendee_roles VARCHAR",
    *(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} DOUBLE"
      for table in ("pm_weeks", "prodops_weeks") for column in ("hours_with_pms", "hours_with_operations")),
])
# 16: whether a work item builds systems or coordinates (`connectors.jira.classify`),
# for product ops running projects instead of building systems (issue 21, mistake 3). Items synced
# before it have none until a sync reads them again.
MIGRATIONS.append(["ALTER TABLE work_items ADD COLUMN IF NOT EXISTS work_class VARCHAR"])
SCHEMA_VERSION = len(MIGRATIONS)

# 17: issue 21, who product ops meets by group. Each occurrence keeps the roster teams of its other
# attendees (sorted, comma-joined team ids, never their addresses; NULL where the sync did not resolve
# them), and each product-ops person-week its meeting hours with someone of every product group,
# none included, so a group's figure always stands on every product-ops person.
PARTNER_TABLES = [_table(
    "prodops_group_weeks", ("person_id", "week_start", "group_name"),
    person_id="VARCHAR", week_start="DATE", group_name="VARCHAR", meeting_hours="DOUBLE", hours_with_group="DOUBLE",
)]
MIGRATIONS.append([
    "ALTER TABLE calendar_events ADD COLUMN IF NOT EXISTS attendee_teams VARCHAR",
    *(table.ddl() for table in PARTNER_TABLES),
])
TABLES.update({table.name: table for table in PARTNER_TABLES})
SCHEMA_VERSION = len(MIGRATIONS)

# 18: issue 22, pages on PostgreSQL. A page reads the series of one grain and scope, ordered by metric,
# scope and period: the key now leads with grain and scope, so the read is a range of the key's index
# instead of a scan of every cut (0.35 s for quarter x team at large). The series' state also keeps
# the first day any dated record exists, which the pages' quarter pickers need and which otherwise
# takes the minimum of six date columns (0.25 s on PostgreSQL at large).
_REKEYED = Table("metric_series_rekeyed", TABLES["metric_series"].columns, TABLES["metric_series"].key)
MIGRATIONS.append([
    _REKEYED.ddl(),
    f"INSERT INTO {_REKEYED.name} SELECT {', '.join(_REKEYED.columns)} FROM metric_series",
    "DROP TABLE metric_series",
    f"ALTER TABLE {_REKEYED.name} RENAME TO metric_series",
    "ALTER TABLE metric_series_state ADD COLUMN IF NOT EXISTS first_record DATE",
])
SCHEMA_VERSION = len(MIGRATIONS)

PUBLICATION_TABLES = ("privacy_records", "privacy_cells", *(table.name for table in SERIES_TABLES))
"""What has been published, version by version: a store that received the same data in two writes
has published more (and may hold a figure back) than one that received it in one."""

SERIES_INPUTS = (
    "teams", "people", "memberships", "pm_weeks", "work_items", "work_item_transitions", "releases", "release_plans",
    "checkins", "survey_questions", "survey_answers", "survey_waves", "team_groups", "privacy_cells",
    "prodops_weeks", "prodops_group_weeks",
)
"""The tables metric series are computed from: a write to any of them makes stored series stale."""
SERIES_STATE = "metric_series_state"

DATED_COLUMNS = {
    "calendar_events": "start_utc",
    "work_items": "updated",
    "releases": "released_on",
    "checkins": "due_at",
    "survey_answers": "submitted_at",
    "pm_weeks": "week_start",
}
"""The column that dates each table's records: the newest is the data's freshness, the oldest
where the dashboard's window of quarters may begin."""
