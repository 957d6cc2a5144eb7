"""The docs are checked like code: the README's metric table is the registry's."""
from __future__ import annotations

import re

from dashboard.catalog import catalog_markdown
from tests.conftest import ROOT


def test_readme_metric_table_matches_the_registry():
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- catalog:start -->\n(.*)\n<!-- catalog:end -->", readme, re.S)
    assert table, "README lost its catalog markers"
    assert table.group(1).strip() == catalog_markdown().strip(), "regenerate with: python -m dashboard.catalog"


def test_readme_quick_start_is_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^bash (\S+)", quick_start, re.M)
    assert commands == ["scripts/start.sh", "scripts/test.sh"]
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_the_deployment_page_documents_every_environment_variable_and_the_image_installs_as_the_readme_does():
    code = "".join(path.read_text() for folder in ("dashboard", "connectors", "pages") for path in (ROOT / folder).rglob("*.py"))
    names = {name for name in re.findall(r"PRODOPS_[A-Z_]+", code) if not name.endswith("_")}
    page = (ROOT / "docs" / "deployment.md").read_text()
    assert {"PRODOPS_DB", "PRODOPS_SYNC_WAIT"} <= names
    assert sorted(name for name in names if f"`{name}`" not in page) == [], "document it in docs/deployment.md"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "source scripts/python-env.sh && ensure_venv requirements.txt" in dockerfile
    for needed in ("pages/", "dashboard/", "connectors/", "assets/", ".streamlit/config.toml"):
        assert needed in dockerfile, f"the image lacks {needed}"
    assert "/_stcore/health" in dockerfile and "/_stcore/health" in page


SOURCE_PAGES = ("jira.md", "calendars.md", "surveys.md", "roster.md")


def test_the_readme_links_one_page_per_source():
    readme = (ROOT / "README.md").read_text()
    for page in SOURCE_PAGES:
        assert (ROOT / "docs" / page).is_file(), page
        assert f"(docs/{page})" in readme, f"link docs/{page} from the README"


def test_each_source_page_says_what_to_configure_what_is_read_and_what_is_never_stored():
    for page in SOURCE_PAGES:
        text = (ROOT / "docs" / page).read_text().lower()
        for topic in ("configure" if page != "roster.md" else "columns", "never stored"):
            assert topic in text, f"docs/{page} lacks '{topic}'"


def test_the_roster_page_lists_exactly_the_columns_the_loader_reads():
    from connectors.roster import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

    page = (ROOT / "docs" / "roster.md").read_text()
    table = page.split("<!-- roster-columns:start -->")[1].split("<!-- roster-columns:end -->")[0]
    rows = re.findall(r"^\| `(\w+)` \| (yes|no)", table, re.M)
    assert [name for name, _ in rows] == list(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    assert {name for name, needed in rows if needed == "yes"} == set(REQUIRED_COLUMNS)


def test_every_roster_column_the_docs_mention_is_one_the_loader_reads():
    from connectors.roster import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

    text = "".join(path.read_text() for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
    mentioned = set(re.findall(r"roster's `(\w+)` column", text))
    assert mentioned and mentioned <= set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)


def test_the_jira_page_explains_deployment_detection_and_the_full_resync():
    import inspect

    from connectors.jira.query import signature

    page = " ".join((ROOT / "docs" / "jira.md").read_text().split())
    assert "serverInfo" in page and "deploymentType" in page
    fingerprint = re.findall(r'"(\w+)":', inspect.getsource(signature))
    assert fingerprint and all(f"`{name}`" in page or name == "scope" for name in fingerprint)
    assert "makes the next sync a full one" in page


def test_the_readme_states_the_doctors_exit_codes_and_inits_flags():
    from dashboard import doctor
    from dashboard.cli import parser

    readme = " ".join((ROOT / "README.md").read_text().split())
    section = readme.split("## Your own organisation", 1)[1].split("## ", 1)[0]
    assert f"exits {doctor.EXIT_READY} when everything is ready, {doctor.EXIT_MISSING} when something is missing" in section
    assert f"{doctor.EXIT_CONFIG} when there is no configuration" in section
    init = next(a for a in parser()._subparsers._group_actions[0].choices.items() if a[0] == "init")[1]
    flags = [o for action in init._actions for o in action.option_strings if o.startswith("--") and o != "--help"]
    assert [flag for flag in flags if flag not in section and flag != "--force"] == []
