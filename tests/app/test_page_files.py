"""Page files as Streamlit runs them: its "magic" draws every bare expression, so a string left
at the top level of a page (a docstring under a constant, say) shows up as text on the page."""
from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

PAGES = sorted((ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_a_page_draws_no_stray_string(page):
    body = ast.parse(page.read_text()).body[1:]  # the first is the page's docstring
    stray = [node.lineno for node in body
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)]
    assert stray == [], f"{page.name} lines {stray} would be drawn as text"
