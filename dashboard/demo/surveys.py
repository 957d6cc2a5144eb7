"""The pulse survey, as exports of the tools the organisation used over the years.

One wave a quarter (a month in the large organisation) asks PMs and operations how aligned they
are, whether insights come without asking, what share of their week goes to strategy, and so on. Alignment starts at ~55/100 for
PMs and ~75 for operations; PMs close most of that twenty-point gap (to about five) as product
ops beds in. Insights come without asking once the portal is there.

The answers are generated per respondent, then written out as each wave's export: Google Forms
at first, SurveyMonkey once product ops takes the survey over, Qualtrics when the company buys
it. Each export is read by the survey connector (`read_text`) and normalized with a mapping
given in code (`MAPPINGS`), so the stored answers are the connector's: salted response ids, no
names, emails or free text, team from the team question, `survey_id` as "pulse/<wave>".
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from statistics import NormalDist

import numpy as np
import pandas as pd

from connectors.survey import normalize, read_text, wave_tables
from dashboard.core.config import Settings, SurveyMapping, SurveyQuestion
from dashboard.core.schema import TABLES
from dashboard.core.teams import team_at
from dashboard.demo.story import DAY, Story, stream, timestamps

SURVEY = "pulse"
SURVEY_SALT = b"demo-pulse-salt"
"""Fixed, so the demo's response ids are the same on every build (a real load keeps its salt secret)."""

QUESTIONS = pd.DataFrame.from_records([
    ("strategy_share", "What share of your week goes to strategy work?", "pm_time_on_strategy_pct", "percent", False),
    ("insights_without_asking", "I get the insights I need without having to ask for them", "insights_self_serve",
     "likert5", False),
    ("shared_priorities", "Product and operations share the same priorities", "alignment", "likert5", True),
    ("ops_understands_needs", "Operations understands what product teams need", "alignment", "likert5", True),
    ("ops_support", "I am satisfied with the support from product operations", "ops_satisfaction", "likert5", True),
    ("recommend", "How likely are you to recommend working here?", "enps", "nps", True),
    ("know_processes", "I know how our release and planning processes work", "process_knowledge", "likert5", True),
    ("product_decides", "Product decisions are made by the product team, informed by product ops", "decision_rights",
     "likert5", True),
], columns=["question_id", "text", "construct", "scale", "asked_of_ops"])
OPERATING_MODEL = ("know_processes", "product_decides")
"""Questions added after the first waves' design: answered from a stream of their own, so every
other answer is what it was before they were asked."""
TOOLS = ("google_forms",) * 2 + ("surveymonkey",) * 3 + ("qualtrics",) * 3
"""The tool each of the last eight waves was run with, oldest first (any earlier wave used the first)."""
ROLE_ANSWERS = {"pm": "Product manager", "ops": "Product operations"}
AGREE = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
COMMENTS = ("Fewer status meetings, please", "The insights portal saves me hours", "Release dates keep moving",
            "More time with customers would help")


def survey_waves(story: Story) -> pd.DataFrame:
    """One pulse wave per quarter, opening mid-way through the quarter's second month, and its tool;
    a monthly pulse (`Scale.pulses_per_quarter` 3) opens mid-month, with its quarter's tool.

    A wave that would open after `today` opens a few days before it instead (never before its
    period starts), so every period in the window, the current one included, has answers.
    """
    per_quarter = story.scale.pulses_per_quarter
    if per_quarter not in (1, 3):
        raise ValueError(f"a pulse runs once or three times a quarter, not {per_quarter}")
    quarters = pd.date_range(story.start, story.today, freq="QS")
    tools = dict(zip(quarters, (TOOLS[:1] * max(len(quarters) - len(TOOLS), 0) + TOOLS)[-len(quarters):]))
    periods = quarters if per_quarter == 1 else pd.date_range(story.start, story.today, freq="MS")
    planned = periods + pd.DateOffset(months=3 // per_quarter // 2) + pd.Timedelta(days=14)
    fallback = np.maximum(periods, pd.Timestamp(story.today) - pd.Timedelta(days=3))
    opens = pd.DatetimeIndex(np.where(planned <= pd.Timestamp(story.today), planned, fallback))
    waves = [f"{q.year}Q{(q.month - 1) // 3 + 1}" for q in periods] if per_quarter == 1 else [f"{m:%Y-%m}" for m in periods]
    return pd.DataFrame({
        "survey_id": [f"{SURVEY}/{wave}" for wave in waves], "wave": waves, "opens": opens,
        "tool": [tools[p.to_period("Q").start_time] for p in periods],
    })


# --- who answers what ---------------------------------------------------------------------------

def _respondents(story: Story, waves: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Who answers each wave: ~75 % of PMs in post and ~85 % of operations (`Scale.pulse_response`),
    never fewer than six of them."""
    rng = stream("respondents")
    people = roster[roster["role"].isin(["pm", "ops"])]
    asked = waves.merge(people[["person_id", "email", "role", "active_from", "active_to"]], how="cross")
    asked = asked[(asked["active_from"] <= asked["opens"]) & ~(asked["active_to"] <= asked["opens"])].reset_index(drop=True)
    asked["draw"] = rng.random(len(asked))
    asked["order"] = asked.groupby(["survey_id", "role"])["draw"].rank(method="first")
    pm_rate, ops_rate = story.scale.pulse_response
    rate = np.where(asked["role"] == "pm", pm_rate, ops_rate)
    answers = (asked["draw"] < rate) | ((asked["role"] == "ops") & (asked["order"] <= 6))
    asked = asked[answers.to_numpy()].reset_index(drop=True)
    asked["team_id"] = team_at(memberships, asked["person_id"], asked["opens"]).where(asked["role"] == "pm")
    span = np.minimum(7 * DAY, story.cutoff - asked["opens"] - pd.Timedelta(minutes=1))
    asked["submitted_at"] = timestamps(asked["opens"] + span * rng.random(len(asked)))
    asked["started_at"] = timestamps(asked["submitted_at"] - pd.to_timedelta(rng.integers(90, 600, len(asked)), unit="s"))
    comments = np.asarray(COMMENTS)[rng.integers(0, len(COMMENTS), len(asked))]
    asked["comment"] = np.where(rng.random(len(asked)) < 0.15, comments, "")
    return asked


def _stratified_normal(rng: np.random.Generator, answers: pd.DataFrame) -> np.ndarray:
    """Standard-normal noise, stratified within each wave, role and question.

    Each respondent still gets a random deviate, but a group's deviates cover the distribution
    evenly, so a wave's mean follows the story instead of wandering with a dozen respondents.
    """
    groups = [answers["survey_id"], answers["role"], answers["question_id"]]
    draw = pd.Series(rng.random(len(answers)), index=answers.index)
    rank = draw.groupby(groups).rank(method="first").to_numpy()
    size = draw.groupby(groups).transform("size").to_numpy()
    share = np.clip((rank - rng.random(len(answers))) / size, 1e-6, 1 - 1e-6)
    inverse = NormalDist().inv_cdf
    return np.array([inverse(u) for u in share])


def _likert(mean: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(mean + 0.8 * noise), 1, 5)


def _answer_values(story: Story, answers: pd.DataFrame) -> np.ndarray:
    """The score each respondent gives: the story's trend for the wave plus individual noise.

    Alignment starts at ~55/100 for PMs and ~75 for operations; PMs close most of the gap as
    product ops beds in. Insights come without asking once the portal is there.
    """
    noise = _stratified_normal(stream("answers"), answers)
    progress = story.progress(answers["opens"])
    portal = story.portal_effect(answers["opens"])
    pm = (answers["role"] == "pm").to_numpy()
    construct = answers["construct"].to_numpy()
    alignment = np.where(pm, 3.2 + 0.72 * progress, 4.0 + 0.05 * progress)
    satisfaction = np.where(pm, 2.9 + 1.0 * progress, 3.3 + 0.6 * progress)
    strategy = np.clip(5 * np.rint((11 + 10 * progress + 5 * noise) / 5), 0, 60)
    enps = np.clip(np.rint(6.8 + 1.0 * progress + 1.8 * noise), 0, 10)
    return np.select(
        [construct == "pm_time_on_strategy_pct", construct == "insights_self_serve", construct == "alignment",
         construct == "ops_satisfaction", construct == "enps"],
        [strategy, _likert(2.4 + 1.5 * portal, noise), _likert(alignment, noise), _likert(satisfaction, noise), enps],
    ).astype(float)


def _operating_model_values(story: Story, answers: pd.DataFrame) -> np.ndarray:
    """PMs come to know the release and planning processes as product ops teaches them (from ~40
    to ~75/100), and to see that product decides and product ops informs (~50 to ~70); operations
    knew the processes all along."""
    noise = _stratified_normal(stream("operating-model-answers"), answers)
    progress = story.progress(answers["opens"])
    pm = (answers["role"] == "pm").to_numpy()
    knows = np.where(pm, 2.6 + 1.4 * progress, 4.0 + 0.1 * progress)
    decides = np.where(pm, 3.0 + 0.8 * progress, 3.6 + 0.4 * progress)
    mean = np.where(answers["question_id"].to_numpy() == "know_processes", knows, decides)
    return _likert(mean, noise)


def make_responses(story: Story, waves: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent and wave with their answers as points on each question's scale
    (a column per question id, NaN where the question was not asked of them)."""
    respondents = _respondents(story, waves, roster, memberships)
    answers = respondents.merge(QUESTIONS, how="cross")
    answers = answers[(answers["role"] == "pm") | answers["asked_of_ops"]].reset_index(drop=True)
    added = answers["question_id"].isin(OPERATING_MODEL).to_numpy()
    answers["value"] = np.nan
    answers.loc[~added, "value"] = _answer_values(story, answers[~added])
    answers.loc[added, "value"] = _operating_model_values(story, answers[added])
    wide = answers.pivot_table(index=["survey_id", "person_id"], columns="question_id", values="value", aggfunc="first")
    out = respondents.join(wide, on=["survey_id", "person_id"])
    return out.sort_values(["survey_id", "submitted_at", "person_id"], kind="stable").reset_index(drop=True)


# --- the exports --------------------------------------------------------------------------------

def _text(value: float) -> str:
    """A point on a numeric scale as the tools write it; blank when the question was not asked."""
    return "" if pd.isna(value) else str(int(value))


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _local(values: pd.Series, zone: str) -> pd.Series:
    return pd.to_datetime(values).dt.tz_localize("UTC").dt.tz_convert(zone)


def _team_names(wave: pd.DataFrame, teams: pd.DataFrame) -> list[str]:
    names = teams.set_index("team_id")["name"]
    return [names[team] if isinstance(team, str) else "" for team in wave["team_id"]]


GOOGLE_ZONE, MONKEY_ZONE, QUALTRICS_ZONE = "Europe/London", "America/New_York", "Europe/London"
GF_ROLE, GF_TEAM, GF_COMMENT = "What is your role?", "Which team are you on?", "Anything else you want to tell us?"
SM_MATRIX = "How much do you agree?"
SM_MATRIX_ROWS = ("insights_without_asking", "shared_priorities", "ops_understands_needs", "ops_support", *OPERATING_MODEL)


def google_forms_export(wave: pd.DataFrame, teams: pd.DataFrame) -> str:
    """The form's responses sheet downloaded as CSV: day-first timestamps (an en-GB owner), emails collected."""
    header = ["Timestamp", "Email Address", GF_ROLE, GF_TEAM, *QUESTIONS["text"], GF_COMMENT]
    stamps = _local(wave["submitted_at"], GOOGLE_ZONE).dt.strftime("%d/%m/%Y %H:%M:%S")
    rows = [header]
    for (_, person), stamp, team in zip(wave.iterrows(), stamps, _team_names(wave, teams)):
        rows.append([stamp, person["email"], ROLE_ANSWERS[person["role"]], team,
                     *[_text(person[q]) for q in QUESTIONS["question_id"]], person["comment"]])
    return _csv(rows)


def surveymonkey_export(wave: pd.DataFrame, teams: pd.DataFrame, wave_number: int) -> str:
    """"All responses data", expanded: two header rows, the agreement matrix as labels, US dates."""
    metadata = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
                "Last Name", "Custom Data 1"]
    texts = QUESTIONS.set_index("question_id")["text"]
    top = [*metadata, GF_ROLE, GF_TEAM, SM_MATRIX, *[""] * (len(SM_MATRIX_ROWS) - 1), texts["strategy_share"],
           texts["recommend"], GF_COMMENT]
    sub = [""] * len(metadata) + ["Response", "Response", *[texts[q] for q in SM_MATRIX_ROWS], "Open-Ended Response",
                                  "Response", "Open-Ended Response"]
    start = _local(wave["started_at"], MONKEY_ZONE).dt.strftime("%m/%d/%Y %I:%M:%S %p")
    end = _local(wave["submitted_at"], MONKEY_ZONE).dt.strftime("%m/%d/%Y %I:%M:%S %p")
    rows = [top, sub]
    for n, ((_, person), began, ended, team) in enumerate(zip(wave.iterrows(), start, end, _team_names(wave, teams))):
        agree = ["" if pd.isna(person[q]) else AGREE[int(person[q]) - 1] for q in SM_MATRIX_ROWS]
        rows.append([str(118_000_000_000 + wave_number * 10_000 + n), "405512873", began, ended,
                     f"198.51.100.{n % 250 + 1}", "", "", "", "pulse", ROLE_ANSWERS[person["role"]], team, *agree,
                     _text(person["strategy_share"]), _text(person["recommend"]),
                     person["comment"]])
    return _csv(rows)


QUALTRICS_METADATA = (
    ("StartDate", "Start Date", "startDate"), ("EndDate", "End Date", "endDate"), ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"), ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"), ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"), ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)
QUALTRICS_QUESTIONS = (
    ("Q1", "QID1_TEXT", "strategy_share"), ("Q2_1", "QID2_1", "insights_without_asking"),
    ("Q2_2", "QID2_2", "shared_priorities"), ("Q2_3", "QID2_3", "ops_understands_needs"),
    ("Q2_4", "QID2_4", "ops_support"), ("Q2_5", "QID2_5", "know_processes"), ("Q2_6", "QID2_6", "product_decides"),
    ("Q3", "QID3", "recommend"),
)
"""Column name, ImportId and question id of each scored question."""


def qualtrics_export(wave: pd.DataFrame, teams: pd.DataFrame, wave_id: str) -> str:
    """CSV with three header rows (names, labels, ImportIds with the time zone), numeric recodes,
    role and team as embedded data from the contact list, and the survey's own preview response."""
    texts = QUESTIONS.set_index("question_id")["text"]
    dated = {"startDate", "endDate", "recordedDate"}
    names = [m[0] for m in QUALTRICS_METADATA] + [q[0] for q in QUALTRICS_QUESTIONS] + ["Q4", "role", "team"]
    labels = [m[1] for m in QUALTRICS_METADATA] + [
        texts[q[2]] if not q[0].startswith("Q2_") else f"{SM_MATRIX} - {texts[q[2]]}" for q in QUALTRICS_QUESTIONS
    ] + [GF_COMMENT, "role", "team"]
    ids = [json.dumps({"ImportId": m[2], **({"timeZone": QUALTRICS_ZONE} if m[2] in dated else {})}, separators=(",", ":"))
           for m in QUALTRICS_METADATA]
    ids += [json.dumps({"ImportId": q[1]}, separators=(",", ":")) for q in QUALTRICS_QUESTIONS]
    ids += ['{"ImportId":"QID4_TEXT"}', '{"ImportId":"role"}', '{"ImportId":"team"}']
    start = _local(wave["started_at"], QUALTRICS_ZONE).dt.strftime("%Y-%m-%d %H:%M:%S")
    end = _local(wave["submitted_at"], QUALTRICS_ZONE).dt.strftime("%Y-%m-%d %H:%M:%S")
    duration = ((wave["submitted_at"] - wave["started_at"]).dt.total_seconds()).astype(int)
    rows = [names, labels, ids]
    preview = [start.iloc[0], end.iloc[0], "1", "", "100", "60", "1", end.iloc[0], _qualtrics_id(wave_id, "preview"),
               "", "", "", "", "", "", "preview", "EN", "50", "3", "3", "3", "3", "3", "3", "5", "", "pm", ""]
    rows.append(preview)
    for (_, person), began, ended, seconds, team in zip(wave.iterrows(), start, end, duration, _team_names(wave, teams)):
        rows.append([began, ended, "0", "", "100", str(seconds), "1", ended, _qualtrics_id(wave_id, person["person_id"]),
                     "", "", "", "", "", "", "anonymous", "EN",
                     *[_text(person[q[2]]) for q in QUALTRICS_QUESTIONS], person["comment"], person["role"], team])
    return _csv(rows)


def _qualtrics_id(wave_id: str, who: str) -> str:
    return "R_" + hashlib.sha256(f"{wave_id}:{who}".encode()).hexdigest()[:15]


def _question(question_id: str, **extra) -> SurveyQuestion:
    row = QUESTIONS.set_index("question_id").loc[question_id]
    return SurveyQuestion(id=question_id, construct=row["construct"], scale=row["scale"], text=row["text"], **extra)


def _mappings() -> dict[str, SurveyMapping]:
    texts = QUESTIONS.set_index("question_id")["text"]
    team_and_role = {
        "role_question": GF_ROLE, "role_values": {text: role for role, text in ROLE_ANSWERS.items()}, "team_question": GF_TEAM,
    }
    return {
        "google_forms": SurveyMapping(
            tool="google_forms", timezone=GOOGLE_ZONE, date_order="dmy", ignore=[GF_COMMENT], **team_and_role,
            questions={texts[q]: _question(q) for q in QUESTIONS["question_id"]},
        ),
        "surveymonkey": SurveyMapping(
            tool="surveymonkey", timezone=MONKEY_ZONE, date_order="mdy", ignore=[GF_COMMENT], **team_and_role,
            questions={
                **{f"{SM_MATRIX} | {texts[q]}": _question(q, values="agree5") for q in SM_MATRIX_ROWS},
                texts["strategy_share"]: _question("strategy_share"), texts["recommend"]: _question("recommend"),
            },
        ),
        "qualtrics": SurveyMapping(
            tool="qualtrics", role_question="role", role_values={"pm": "pm", "ops": "ops"}, team_question="team",
            ignore=["QID4_TEXT"], questions={import_id: _question(q) for _, import_id, q in QUALTRICS_QUESTIONS},
        ),
    }


MAPPINGS = _mappings()
"""The pulse survey's mapping for each tool's exports, as `[surveys.pulse]` would say it."""


def survey_exports(story: Story, roster: pd.DataFrame, memberships: pd.DataFrame, teams: pd.DataFrame) -> list[dict]:
    """Each wave's export: `{"survey_id", "wave", "tool", "name", "text"}`, oldest first."""
    waves = survey_waves(story)
    responses = make_responses(story, waves, roster, memberships)
    exports = []
    for number, wave in enumerate(waves.itertuples(index=False)):
        answered = responses[responses["survey_id"] == wave.survey_id].reset_index(drop=True)
        if wave.tool == "google_forms":
            text, name = google_forms_export(answered, teams), f"Pulse {wave.wave} (Responses) - Form responses 1.csv"
        elif wave.tool == "surveymonkey":
            text, name = surveymonkey_export(answered, teams, number), f"pulse-{wave.wave}-surveymonkey.csv"
        else:
            exported = f"{story.today:%B}+{story.today.day},+{story.today.year}"
            text, name = qualtrics_export(answered, teams, wave.survey_id), f"Pulse+{wave.wave}_{exported}.csv"
        exports.append({"survey_id": wave.survey_id, "wave": wave.wave, "tool": wave.tool, "name": name, "text": text})
    return exports


def survey_tables(story: Story, exports: list[dict], teams: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    """Every wave's export read and normalized by the survey connector, as the tables its load writes.

    The exports are clean, so nothing is unmatched and `survey_unmatched` stays empty (left out).
    """
    tables: dict[str, list[pd.DataFrame]] = {}
    for export in exports:
        batch = normalize(read_text(export["text"], export["name"]), MAPPINGS[export["tool"]], survey=SURVEY,
                          wave=export["wave"], teams=teams, settings=settings, salt=SURVEY_SALT)
        if batch.issues:
            raise ValueError("the demo's survey export does not load cleanly: " + "; ".join(map(str, batch.issues)))
        for name, frame in wave_tables(batch, loaded_at=story.synced_at.to_pydatetime()).items():
            tables.setdefault(name, []).append(frame)
    return {
        name: pd.concat(frames, ignore_index=True)[list(TABLES[name].columns)]
        for name, frames in tables.items() if name != "survey_unmatched"
    }
