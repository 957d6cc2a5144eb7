"""The hand-made survey exports in tests/data/surveys, the mapping that reads them, and a store with teams."""
from __future__ import annotations

import tomllib

import pandas as pd

from dashboard.core.config import Settings, parse_settings
from dashboard.core.store import Store
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "surveys"
SALT = b"test-salt"

_ROLES = 'role_values = { "Product manager" = "pm", "Product operations" = "ops" }'
_AGREE = """
[surveys.{s}.questions."{insights}"]
id = "insights"
construct = "insights_self_serve"
scale = "likert5"
values = "agree5"

[surveys.{s}.questions."{priorities}"]
id = "align_priorities"
construct = "alignment"
scale = "likert5"
values = "agree5"
"""
_ENPS = """
[surveys.{s}.questions."How likely are you to recommend working here?"]
id = "enps"
construct = "enps"
scale = "nps"
"""

CONFIG = f"""
org_timezone = "Europe/Berlin"

[surveys.gforms]
tool = "google_forms"
role_question = "What is your role?"
{_ROLES}
team_question = "Which team are you on?"
team_aliases = {{ "Payments squad" = "payments" }}
ignore = ["Anything else you want to tell us?"]

[surveys.gforms.questions."I get the insights I need without having to ask"]
id = "insights"
construct = "insights_self_serve"
scale = "likert5"

[surveys.gforms.questions."How aligned are product and operations? [We agree on priorities]"]
id = "align_priorities"
construct = "alignment"
scale = "likert5"
values = "agree5"

[surveys.gforms.questions."How aligned are product and operations? [Operations requests confuse me]"]
id = "align_confused"
construct = "alignment"
scale = "likert5"
values = "agree5"
reversed = true
{_ENPS.format(s="gforms")}
[surveys.gforms.questions."About what share of your week goes to strategy?"]
id = "strategy_pct"
construct = "pm_time_on_strategy_pct"
scale = "percent"
missing = ["N/A"]

[surveys.qualtrics]
tool = "qualtrics"
role_question = "role"
role_values = {{ pm = "pm", ops = "ops" }}
team_question = "team"
ignore = ["QID4_TEXT"]

[surveys.qualtrics.questions.QID1]
id = "insights"
construct = "insights_self_serve"
scale = "likert5"
values = {{ "1" = 1, "2" = 2, "4" = 3, "5" = 4, "6" = 5 }}  # the survey's recodes skip 3

[surveys.qualtrics.questions.Q2_1]  # the column name finds the ImportId QID2_1
id = "align_priorities"
construct = "alignment"
scale = "likert5"

[surveys.qualtrics.questions.QID2_2]
id = "align_confused"
construct = "alignment"
scale = "likert5"
reversed = true

[surveys.qualtrics.questions.QID3]
id = "enps"
construct = "enps"
scale = "nps"

[surveys.monkey]
tool = "surveymonkey"
date_order = "mdy"
timezone = "America/New_York"
role_question = "What is your role?"
{_ROLES}
team_question = "Which team are you on?"
ignore = ["Which tools do you use for data?", "Comments"]
{_AGREE.format(s="monkey", insights="How much do you agree? | I get the insights I need without having to ask",
               priorities="How much do you agree? | We agree on priorities")}
[surveys.monkey.questions."How much do you agree? | Operations requests confuse me"]
id = "align_confused"
construct = "alignment"
scale = "likert5"
values = "agree5"
reversed = true
{_ENPS.format(s="monkey")}
[surveys.msforms]
tool = "ms_forms"
role_question = "What is your role?"
{_ROLES}
team_question = "Which team are you on?"
{_AGREE.format(s="msforms", insights="I get the insights I need without having to ask", priorities="We agree on priorities")}
{_ENPS.format(s="msforms")}
[surveys.typeform_csv]
tool = "typeform"
role_question = "What is your role?"
{_ROLES}
team_question = "team"
ignore = ["What would make insights easier to get?"]

[surveys.typeform_csv.questions."I get the insights I need without having to ask"]
id = "insights"
construct = "insights_self_serve"
scale = "likert5"
{_ENPS.format(s="typeform_csv")}
[surveys.typeform_api]
tool = "typeform"
role_question = "hidden.role"
role_values = {{ pm = "pm", ops = "ops" }}
team_question = "team"
ignore = ["comment", "contact"]

[surveys.typeform_api.questions.insights]
construct = "insights_self_serve"
scale = "likert5"

[surveys.typeform_api.questions.enps]
construct = "enps"
scale = "nps"
"""

TEAMS = pd.DataFrame({
    "team_id": ["payments", "checkout", "search"],
    "name": ["Payments", "Checkout", "Search"],
    "group_name": ["Money", "Money", "Discovery"],
})


def settings(**overrides) -> Settings:
    data = tomllib.loads(CONFIG)
    data.update(overrides)
    return parse_settings(data, "tests/survey_fixtures.py")


def store_with_teams(store: Store) -> Store:
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    return store
