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
    code = "".join(path.read_text() for folder in ("dashboard", "connectors", "app_pages") for path in (ROOT / folder).rglob("*.py"))
    names = {name for name in re.findall(r"PRODOPS_[A-Z_]+", code) if not name.endswith("_")}
    page = (ROOT / "docs" / "deployment.md").read_text()
    assert {"PRODOPS_DB", "PRODOPS_SYNC_WAIT"} <= names
    assert sorted(name for name in names if f"`{name}`" not in page) == [], "document it in docs/deployment.md"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "source scripts/python-env.sh && ensure_venv requirements.txt" in dockerfile
    for needed in ("streamlit_app.py", "app_pages/", "dashboard/", "connectors/", "assets/", ".streamlit/config.toml"):
        assert needed in dockerfile, f"the image lacks {needed}"
    assert "/_stcore/health" in dockerfile and "/_stcore/health" in page
