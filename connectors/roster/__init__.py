"""The HR roster: who is a PM on which team, since when, in which time zone; and who is who in each source.

The roster is a CSV export from the HR system, one row per person, read with explicit columns:

    person_id, name, email, role, team_id, group, time_zone, working_hours, start_date, end_date
    (optional: team_name, team_since)

`role` is pm, ops (operations staff), prodops (the product-operations function), eng, design,
leader or other; `team_id` may be blank except for PMs (operations is not in a product team);
`working_hours` is blank (the configured default) or `09:00-17:00`, optionally followed by days
(`mon-thu` or `mon,tue,wed`); dates are YYYY-MM-DD and `end_date` is the last working day. A
missing column stops the load with an error naming the file and column;
a bad row is reported with its file, row and column and left out, and the rest is loaded.

Every load is a snapshot taken on `as_of`, and history is kept: when a person's team or role
differs from their current membership, that membership is closed and a new one opened on
`team_since` if the row gives it, else on `as_of` (`valid_to` is exclusive). The same for teams:
a team that moved to another group gets a new `team_groups` row from `as_of`. So past quarters
are counted against the team (and group) people were in then. Loading the same roster again
changes nothing. A snapshot never rewrites the history after its date: a change dated before a
person's current membership began, or a team's group move before its last one, is refused for that
row and reported (the row keeps what it had).

Two people with one email (in the file, or one of them stored, still active and not in the file)
refuse the whole load, naming both: the email is how sign-in finds a PM's own calendar weeks.

The identity map ties each source's user ids (a Jira accountId or username, a calendar owner
address, ...) to a person: a CSV `source, external_id, person_id`. Ids that match no one are not
dropped: `unmatched_identities` lists every id in the canonical tables that names no person.

`parse_roster` (text to people) and `plan_roster` (a snapshot over what is known, to rows) are
pure; `load_roster` reads what is known from the store and writes the plan in one transaction.
The demo organisation's HR exports go through the two pure steps.
"""
from __future__ import annotations

from connectors.roster.identities import (
    REFERENCES,
    UNMATCHED_COLUMNS,
    IdentityMap,
    find_unmatched,
    load_identity_map,
    parse_identity_map,
    read_identity_map,
    resolve_people,
    unmatched_identities,
)
from connectors.roster.load import ROSTER_TABLES, RosterPlan, load_roster, plan_roster
from connectors.roster.parse import (
    DAYS,
    EARLIEST,
    IDENTITY_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TEAM_REQUIRED_FOR,
    Person,
    Roster,
    RosterError,
    RosterReport,
    RowIssue,
    parse_hours,
    parse_roster,
    read_roster,
)

__all__ = [
    "DAYS",
    "EARLIEST",
    "IDENTITY_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REFERENCES",
    "REQUIRED_COLUMNS",
    "ROSTER_TABLES",
    "TEAM_REQUIRED_FOR",
    "UNMATCHED_COLUMNS",
    "IdentityMap",
    "Person",
    "Roster",
    "RosterError",
    "RosterPlan",
    "RosterReport",
    "RowIssue",
    "find_unmatched",
    "load_identity_map",
    "load_roster",
    "parse_hours",
    "parse_identity_map",
    "parse_roster",
    "plan_roster",
    "read_identity_map",
    "read_roster",
    "resolve_people",
    "unmatched_identities",
]
