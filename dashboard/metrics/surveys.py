"""Survey results that keep respondents anonymous: every number is decided by `dashboard.core.privacy`.

What a user can see of one measure (a construct's scores, or one question's answers) is laid
out as cells: a time cut (a wave, or the week, month or quarter holding the wave's date), a
scope (the organisation, a group, a team) and a role filter (everyone, or one role). All of them
are decided together, once per measure, so whichever combination of filters a user picks, the
numbers on screen can be added and subtracted without revealing a group under the minimum.

Operations respondents belong to no product team: they count in the organisation's figures and
in the operations-only figures, never in a group's or team's. So "organisation minus its groups"
is exactly the operations people (plus anyone whose team was not recognised). The privacy model
treats that remainder like any other group: when it is under the minimum, something must give,
either the organisation's all-roles figure or the smallest group with it, whichever loses less
(the figures the signal pages show, FEATURED below, count four times). The same holds between
"everyone" and "PMs only": their difference is the operations respondents.

Response rates stand beside every score: answered (responses in the survey) over invited (people
of the wave's audience roles in the roster on the wave's date), shown when at least the minimum
group size were invited. They reveal who took part in a group, never what anyone answered.
"""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from dashboard.core.config import TEAM_ROLES, Settings
from dashboard.core.periods import floor
from dashboard.core.publication import Family, cell_keys, first_publication, published_cells
from dashboard.metrics.aggregate import grid, group_at
from dashboard.metrics.registry import EVERY_SCOPE, SCOPES, SURVEY, Context, metric, scoped_id
from dashboard.metrics.survey import per_respondent, scored_answers, wave_dates

TIME_CUTS = ("wave", "week", "month", "quarter")
LEVELS = ("org", "group", "team")
ALL = "all"  # the role filter "everyone"
# Constructs the Survey page knows by name; a mapping may define others.
CONSTRUCTS = {
    "pm_time_on_strategy_pct": "Time on strategy (self-reported)",
    "insights_self_serve": "Insights without asking",
    "process_knowledge": "Knowing the release and planning processes",
    "decision_rights": "Product decides, product ops informs",
    "alignment": "Product-operations alignment",
    "ops_satisfaction": "Satisfaction with product operations",
    "enps": "eNPS",
}
# The role filters the signal pages show for a construct (the registered metrics below). When
# something must be hidden to protect a small group, these cells are the last to go.
FEATURED: dict[str, tuple[str, ...]] = {
    "alignment": ("pm", "ops"),
    "insights_self_serve": (ALL,),
    "process_knowledge": (ALL,),
    "decision_rights": (ALL,),
    "pm_time_on_strategy_pct": ("pm",),
}
FEATURED_WEIGHT = 4.0
HIDDEN_NOTE = "hidden to keep respondents anonymous"
NOTE = {"hidden": HIDDEN_NOTE, "empty": "no responses", "shown": ""}
"""What a reader is told of a cell. Every hidden cell reads the same: saying whether it stood on
fewer than k respondents or protects a smaller group would say what hiding its n keeps back."""


# ---------------------------------------------------------------------------------------------
# Placing respondents in cells


def _place(tables: dict[str, pd.DataFrame], frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Add each row's group (as of its wave's date) and the period holding the wave at every grain.
    Roles outside product teams lose their team here, whatever the answers said."""
    frame = frame.copy()
    if frame.empty:
        return frame.assign(group=None, wave=None, week=None, month=None, quarter=None)
    frame["team_id"] = frame["team_id"].where(frame["role"].isin(TEAM_ROLES))
    frame["group"] = group_at(tables, frame["team_id"], frame["date"])
    frame.loc[frame["team_id"].isna(), "group"] = None
    frame["wave"] = frame["survey_id"]
    for grain in ("week", "month", "quarter"):
        frame[grain] = floor(frame["date"], grain, settings.week_start).dt.date
    return frame


def slot(cut: str, level: str, role_filter: str) -> str:
    """A slot: one way of cutting the respondents (a grain, a level, everyone or by role)."""
    return f"{cut}|{level}|{role_filter}"


def _node(frame: pd.DataFrame, level: str) -> pd.Series:
    if level == "org":
        return pd.Series("org", index=frame.index)
    return frame["group" if level == "group" else "team_id"]


def _parts(placed: pd.DataFrame) -> pd.Series:
    """Which records must be decided together: a quarter's, and with it the quarter before when a
    week that began in it holds a wave of this one (that week's cell links the two)."""
    quarter = pd.to_datetime(placed["quarter"])
    began = floor(pd.to_datetime(placed["week"]), "quarter")
    linked = set(zip(began[began != quarter], quarter[began != quarter]))
    part = {}
    for q in sorted(set(quarter)):
        earlier = next((b for b, later in linked if later == q), None)
        part[q] = part.get(earlier, earlier) if earlier is not None else q
    return quarter.map(part).dt.date.astype(str)


def records(placed: pd.DataFrame) -> pd.DataFrame:
    """One record per respondent: the cell holding them in every slot, their part, their values."""
    found = pd.DataFrame({"record_id": placed["respondent"].astype(str), "unit": placed["respondent"].astype(str),
                          "part": _parts(placed) if len(placed) else pd.Series(dtype=str)}, index=placed.index)
    for cut in TIME_CUTS:
        for level in LEVELS:
            node = _node(placed, level)
            for role_filter in (ALL, "role"):
                role = placed["role"] if role_filter == "role" else ALL
                found[slot(cut, level, role_filter)] = cell_keys([placed[cut], node, role], node.notna())
    found["score"] = placed["value"].astype(float)
    found["favourable"] = placed["favourable"].astype(float)
    found["promoter"] = placed["promoter"].astype(float)
    return found.reset_index(drop=True)


def _weight(featured: tuple[str, ...]):
    """Cells of a featured role filter cost more to hide (see FEATURED)."""
    def weight(c: tuple[str, str]) -> float:
        return FEATURED_WEIGHT if c[1].rsplit("|", 1)[-1] in featured else 1.0
    return weight


SLOTS = tuple(slot(cut, level, role_filter) for cut in TIME_CUTS for level in LEVELS for role_filter in (ALL, "role"))


PUBLISHED_MEASURES = ("score", "favourable", "promoter")
"""What a survey cell publishes, decided together by the score's protection (`family`)."""


def family(name: str, found: pd.DataFrame, k: int, featured: tuple[str, ...] = ()) -> Family:
    """A construct's (or question's) figures: the score guarded by its protection interval (scores
    lie on 0-100, a percent answer too), its favourable share and eNPS published on the same cells."""
    high = max(100.0, float(found["score"].max())) if len(found) else 100.0
    return Family(name=name, slots=SLOTS, guarded={"score": PUBLISHED_MEASURES}, high={"score": high},
                  k=k, weight=_weight(featured))


FAMILY_PREFIX = "survey:"
SURVEY_CELLS = f"family LIKE '{FAMILY_PREFIX}%'"
"""The survey families' rows of the publication ledger: all a reader of survey results needs of it
(the calendar's and the shares' cells are most of a large organisation's ledger)."""
WAVE_CELLS = f"{SURVEY_CELLS} AND slot LIKE '{slot('wave', '%', '%')}'"
"""Of those, the cells of waves: all the Surveys page reads (a third of the survey cells; the
week, month and quarter cuts are the registered metrics', stored with the series). A measure built
from these rows publishes nothing for the other cuts, so a reader that asked for one would see
every cell hidden, never a figure the ledger did not publish."""


def family_name(construct: str) -> str:
    return f"{FAMILY_PREFIX}{construct}"


# ---------------------------------------------------------------------------------------------
# One measure's cells


@dataclass(frozen=True)
class Measure:
    """Respondents of one measure, placed, with what is published of their cells (`dashboard.core.publication`)."""

    placed: pd.DataFrame
    published: pd.DataFrame

    def table(self, cut: str, level: str, role: str = ALL) -> pd.DataFrame:
        """Per (period, scope_id): the published mean score, favourable share, eNPS and n, whether it
        is shown, and whether it is `fresh` (published from the respondents there are now; a held
        figure shows what an earlier version published).

        Worked out once per cut (callers read it, never change it): a wave table, a question's
        `fresh` checks and every registered survey metric ask for the same cuts."""
        if (cut, level, role) not in self._tables:
            self._tables[cut, level, role] = self._table(cut, level, role)
        return self._tables[cut, level, role]

    @cached_property
    def _tables(self) -> dict[tuple[str, str, str], pd.DataFrame]:
        return {}

    def _table(self, cut: str, level: str, role: str) -> pd.DataFrame:
        frame = self.placed if role == ALL else self.placed[self.placed["role"] == role]
        frame = frame.assign(scope_id=_node(frame, level)).dropna(subset=["scope_id"])
        frame = frame.rename(columns={cut: "period"})
        grouped = frame.groupby(["period", "scope_id"])
        result = grouped[["value"]].mean().rename(columns={"value": "now"})
        result["n_now"] = grouped["respondent"].nunique()
        result = result.reset_index()
        keys = result["period"].astype(str) + "|" + result["scope_id"].astype(str) + "|" + role
        now = self._now(slot(cut, level, ALL if role == ALL else "role")).reindex(keys)
        result["shown"] = now["shown"].fillna(False).to_numpy(dtype=bool)
        result["mean"] = now["score"].to_numpy(dtype=float)
        result["favourable"] = now["favourable"].to_numpy(dtype=float)
        result["enps"] = now["promoter"].to_numpy(dtype=float) * 100
        result["n"] = now["n"].astype("Int64").to_numpy()  # a hidden cell publishes no n
        result["fresh"] = result["shown"] & (result["n"].fillna(-1) == result["n_now"]).to_numpy() & np.isclose(
            result["mean"].fillna(-1).to_numpy(dtype=float), result["now"].to_numpy(dtype=float))
        result["reason"] = np.where(result["shown"], "shown", "hidden")
        return result.drop(columns=["now", "n_now"])

    def _now(self, where: str) -> pd.DataFrame:
        """Per cell of one slot, what readers see now: each measure's last published value, the
        score's n, and whether the score is published at all (a hidden cell publishes none).

        Worked out once per slot: each of a wave table's cuts looked up three measures in the whole
        family's versions, which was a third of a Surveys page."""
        if where not in self._slots_now:
            rows = self._last_versions.get(where)
            if rows is None:
                return _NOTHING_PUBLISHED
            values = rows.pivot(index="cell", columns="measure", values="value").reindex(columns=list(PUBLISHED_MEASURES))
            score = rows[rows["measure"] == "score"].set_index("cell")
            self._slots_now[where] = values.astype(float).assign(n=score["n"].astype("Int64"),
                                                                 shown=values.index.isin(score.index))
        return self._slots_now[where]

    @cached_property
    def _last_versions(self) -> dict[str, pd.DataFrame]:
        """Each slot's rows of the last published version of every measure and cell."""
        last = self.published.sort_values("version").drop_duplicates(["measure", "slot", "cell"], keep="last")
        return dict(tuple(last.assign(cell=last["cell"].astype(str)).groupby("slot", sort=False)))

    @cached_property
    def _slots_now(self) -> dict[str, pd.DataFrame]:
        return {}

    def fresh(self, cut: str, level: str, period, node: str, role: str) -> bool:
        """Whether the cell shows what its respondents are now (not hidden, not held)."""
        table = self.table(cut, level, role)
        row = table[(table["period"].astype(str) == str(period)) & (table["scope_id"] == node)]
        return bool(len(row) and row["fresh"].iloc[0])


_NOTHING_PUBLISHED = pd.DataFrame({**dict.fromkeys(PUBLISHED_MEASURES, pd.array([], dtype=float)),
                                   "n": pd.array([], dtype="Int64"), "shown": pd.array([], dtype=bool)},
                                  index=pd.Index([], dtype=object, name="cell"))

_MEASURES: OrderedDict[tuple, Measure] = OrderedDict()
MEASURE_INPUTS = ("survey_answers", "survey_questions", "survey_waves", "teams", "team_groups", "privacy_cells")


_FINGERPRINTS: dict[int, bytes] = {}


def _fingerprint(frame: pd.DataFrame | None) -> bytes:
    """A digest of a table's content, worked out once per frame: tables are shared read-only
    (by every metric of a computation, by every session of the app), and hashing the answers and
    the ledger for each of a computation's hundred-odd survey cuts cost more than the cuts."""
    if frame is None or frame.empty:
        return b""
    found = _FINGERPRINTS.get(id(frame))
    if found is None:
        found = hashlib.sha1(pd.util.hash_pandas_object(frame.astype(str), index=False).values.tobytes()).digest()
        _FINGERPRINTS[id(frame)] = found
        weakref.finalize(frame, _FINGERPRINTS.pop, id(frame), None)
    return found


def placed_respondents(tables: dict[str, pd.DataFrame], settings: Settings, construct: str | None = None,
                       question: tuple[str, str] | None = None) -> pd.DataFrame:
    """A construct's (or one question's) respondents, each with their score and cells' keys."""
    return _place(tables, per_respondent(scored_answers(tables, settings, construct=construct, question=question)), settings)


def measure(tables: dict[str, pd.DataFrame], settings: Settings, construct: str | None = None,
            question: tuple[str, str] | None = None) -> Measure:
    """A construct's (or one question's) respondents and the decision over every cell of theirs.

    Cached on the content of the tables it reads: every registered survey metric asks for the
    same construct once per grain and scope, and the answer never differs.
    """
    key = (construct, question, settings.org_timezone, settings.week_start, settings.privacy.min_group_size,
           *(_fingerprint(tables.get(name)) for name in MEASURE_INPUTS))
    if key not in _MEASURES:
        placed = placed_respondents(tables, settings, construct, question)
        featured = FEATURED.get(construct, ()) if construct else FEATURED.get(_construct_of(tables, *question) or "", ())
        # A question's distribution is never in the ledger: it is shown only where its construct is fresh.
        name = family_name(construct) if construct else "question"

        def first() -> pd.DataFrame:
            found = records(placed)
            return first_publication(family(name, found, settings.privacy.min_group_size, featured), found)

        _MEASURES[key] = Measure(placed, published_cells(tables, name, first) if construct else first())
        if len(_MEASURES) > 64:
            _MEASURES.popitem(last=False)
    _MEASURES.move_to_end(key)
    return _MEASURES[key]


# ---------------------------------------------------------------------------------------------
# Response rates


def invitations(tables: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """Who was invited to each wave: people of its audience roles in the roster on the wave's date."""
    dates = wave_dates(tables, settings)
    waves = tables.get("survey_waves")
    audience = {}
    if waves is not None and not waves.empty:
        audience = {sid: list(roles) for sid, roles in zip(waves["survey_id"], waves["audience"]) if roles is not None and len(roles)}
    answered_roles = tables["survey_answers"].groupby("survey_id")["respondent_role"].unique()
    memberships = tables["memberships"].copy()
    memberships["valid_from"] = pd.to_datetime(memberships["valid_from"])
    memberships["valid_to"] = pd.to_datetime(memberships["valid_to"]).fillna(pd.Timestamp("2999-12-31"))
    rows = []
    for sid, day in dates.items():
        roles = audience.get(sid) or list(answered_roles.get(sid, []))
        held = memberships[(memberships["valid_from"] <= day) & (memberships["valid_to"] > day) & memberships["role"].isin(roles)]
        held = held.drop_duplicates("person_id", keep="last")
        rows.append(pd.DataFrame({"survey_id": sid, "date": day, "role": held["role"].values, "team_id": held["team_id"].values,
                                  "respondent": held["person_id"].values}))
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["survey_id", "date", "role", "team_id", "respondent"])
    return _place(tables, frame, settings)


def responses(tables: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """Everyone who answered each wave (any question), placed like the scores."""
    answers = tables["survey_answers"].drop_duplicates(["survey_id", "response_id"])
    frame = pd.DataFrame({
        "survey_id": answers["survey_id"], "role": answers["respondent_role"], "team_id": answers["team_id"],
        "respondent": answers["survey_id"] + "/" + answers["response_id"],
    })
    frame["date"] = frame["survey_id"].map(wave_dates(tables, settings)) if len(frame) else pd.Series(dtype="datetime64[us]")
    return _place(tables, frame, settings)


def response_rates(tables: dict[str, pd.DataFrame], settings: Settings, cut: str, level: str,
                   roles: tuple[str, ...] = (ALL,)) -> dict[str, pd.DataFrame]:
    """For each role filter, per (period, scope_id): answered, invited, and the rate when at least k were
    invited. Who answered and who was invited are worked out once for every role."""
    people = {"answered": responses(tables, settings), "invited": invitations(tables, settings)}
    rates = {}
    for role in roles:
        parts = []
        for name, frame in people.items():
            if frame.empty:
                parts.append(pd.DataFrame(columns=["period", "scope_id", name]))
                continue
            frame = frame if role == ALL else frame[frame["role"] == role]
            frame = frame.assign(scope_id=_node(frame, level), period=frame[cut]).dropna(subset=["scope_id"])
            parts.append(frame.groupby(["period", "scope_id"])["respondent"].nunique().rename(name).reset_index())
        rate = parts[0].merge(parts[1], on=["period", "scope_id"], how="outer")
        rate[["answered", "invited"]] = rate[["answered", "invited"]].fillna(0).astype(int)
        rate["response_rate"] = (rate["answered"] / rate["invited"].where(rate["invited"] >= settings.privacy.min_group_size))
        rates[role] = rate
    return rates


# ---------------------------------------------------------------------------------------------
# Registered metrics read the same decisions


def _scoped(table: pd.DataFrame, scope: str) -> pd.DataFrame:
    return table.assign(scope_id=scoped_id(scope, table["scope_id"].astype(str)))


def survey_series(ctx: Context, construct: str, role: str = ALL, statistic: str = "mean", scale: float = 1.0) -> pd.DataFrame:
    """A registered metric's series (period_start, scope_id, value, n) for the context's grain and
    scope, from the construct's protected cells. A hidden cell loses its value and its n."""
    if ctx.tables["survey_answers"].empty:  # no answers, no cells: what the decision would give, cheaply
        return grid(ctx).assign(value=np.nan, n=0)
    cells = measure(ctx.tables, ctx.settings, construct=construct)
    if ctx.scope == EVERY_SCOPE:
        found = pd.concat([_scoped(cells.table(ctx.grain, scope, role), scope) for scope in SCOPES], ignore_index=True)
    else:
        found = cells.table(ctx.grain, ctx.scope, role)
    found = found.rename(columns={"period": "period_start", statistic: "value"})
    result = grid(ctx).merge(found[["period_start", "scope_id", "value", "n", "shown"]], how="left")
    result["n"] = result["n"].astype("Int64").mask(result["shown"].isna(), 0)  # no cell: nobody answered
    result = result.drop(columns="shown")
    result["value"] = result["value"].astype(float) * scale
    return result


@metric(
    id="pm_strategy_share_reported", title="PM time on strategy (self-reported)", signal="S1", unit="share",
    better="higher",
    definition="Mean over PM respondents of the share of their time they report spending on strategy "
    "(the survey's time-on-strategy question, a percent answer), to set beside the share measured "
    "from calendars. A wave counts in the period holding its median response day.",
    sources=("survey",), n_label="respondents", needs=SURVEY,
)
def pm_strategy_share_reported(ctx: Context) -> pd.DataFrame:
    return survey_series(ctx, "pm_time_on_strategy_pct", role="pm", scale=0.01)


# ---------------------------------------------------------------------------------------------
# The Survey page's tables


def wave_table(tables: dict[str, pd.DataFrame], settings: Settings, level: str, scope_id: str,
               roles: tuple[str, ...] = (ALL, "pm", "ops"), constructs: list[str] | None = None) -> pd.DataFrame:
    """Every construct per wave for one scope and each role filter, with n, response rate and a note
    for anything withheld ("hidden to keep respondents anonymous")."""
    constructs = constructs or sorted(tables["survey_questions"]["construct"].dropna().unique())
    rates = response_rates(tables, settings, "wave", level, roles)
    frames = []
    for construct in constructs:
        results = measure(tables, settings, construct=construct)
        for role in roles:
            found = results.table("wave", level, role)
            found = found[found["scope_id"] == scope_id].assign(construct=construct, role=role)
            mine = rates[role][rates[role]["scope_id"] == scope_id]
            frames.append(found.merge(mine, on=["period", "scope_id"], how="left"))
    columns = ["survey_id", "construct", "role", "scope_id", "mean", "favourable", "enps", "n", "shown", "reason", "note",
               "answered", "invited", "response_rate"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True).rename(columns={"period": "survey_id"})
    out["note"] = out["reason"].map(NOTE)
    return out[columns]


def _construct_of(tables: dict[str, pd.DataFrame], survey_id: str, question_id: str) -> str | None:
    questions = tables["survey_questions"]
    found = questions[(questions["survey_id"] == survey_id) & (questions["question_id"] == question_id)]["construct"]
    return found.iloc[0] if len(found) and pd.notna(found.iloc[0]) else None


def question_table(tables: dict[str, pd.DataFrame], settings: Settings, survey_id: str, question_id: str, level: str,
                   scope_id: str, roles: tuple[str, ...] = (ALL, "pm", "ops")) -> pd.DataFrame:
    """How the answers to one question were spread, per role filter, for one scope: one row per
    point on the scale with its count and share, or one row with a note when the cell is withheld.

    A distribution is shown only where its construct's score is shown as it is now: the counts of
    a one-question construct are its score in more detail, so they must not reveal a cell the
    construct's publication hid or holds (and the question's own decision covers respondents who
    skipped it).
    """
    results = measure(tables, settings, question=(survey_id, question_id))
    construct = _construct_of(tables, survey_id, question_id)
    whole = measure(tables, settings, construct=construct) if construct else None
    rows = []
    for role in roles:
        frame = results.placed if role == ALL else results.placed[results.placed["role"] == role]
        frame = frame[_node(frame, level) == scope_id]
        n = frame["respondent"].nunique()
        shown = results.fresh("wave", level, survey_id, scope_id, role) and (
            whole is None or whole.fresh("wave", level, survey_id, scope_id, role))
        if not shown:
            rows.append({"role": role, "answer": np.nan, "count": np.nan, "share": np.nan, "n": pd.NA, "shown": False,
                         "note": NOTE["hidden" if n else "empty"]})
            continue
        counts = frame["raw"].value_counts().sort_index()
        rows += [{"role": role, "answer": float(a), "count": int(c), "share": c / n, "n": n, "shown": True, "note": ""}
                 for a, c in counts.items()]
    return pd.DataFrame(rows, columns=["role", "answer", "count", "share", "n", "shown", "note"])
