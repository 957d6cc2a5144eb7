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
