"""The chart export: one Chromium, batches on pages side by side, and a clear error without Chromium."""
from __future__ import annotations

import threading

import plotly.graph_objects as go
import pytest

from dashboard.report import images


def figures(count: int) -> list[go.Figure]:
    return [go.Figure(go.Scatter(x=[1, 2, 3], y=[index, 2, 1], name=f"series {index}")) for index in range(count)]


def test_background_draws_come_back_in_order_and_equal_a_call_of_their_own():
    """Two pages draw batches side by side; each future still holds its own figures, in order,
    and a figure's PNG does not depend on which page drew it or what it was drawn beside."""
    drawn = figures(7)
    with images.Renderer() as renderer:
        first, second = renderer.draw(drawn[:4]), renderer.draw(drawn[4:], height=200)
        together = first.result() + second.result()
    assert len(together) == 7 and len(set(together)) == 7
    assert together[:4] == images.render_png(drawn[:4])
    assert together[4:] == images.render_png(drawn[4:], height=200)


def test_a_long_run_gets_fresh_pages_and_the_same_images(monkeypatch):
    drawn = figures(9)
    before = images.render_png(drawn)
    monkeypatch.setattr(images, "PAGE_FIGURES", 3)
    monkeypatch.setattr(images, "BATCH", 2)
    assert images.render_png(drawn) == before


def test_without_chromium_the_error_names_where_it_looked_and_the_next_call_is_not_blocked(monkeypatch, tmp_path):
    missing = tmp_path / "no-chromium"
    monkeypatch.setenv("BROWSER_PATH", str(missing))
    for _ in range(2):
        with pytest.raises(images.ImageError, match=f"no Chromium for chart images at {missing}"):
            images.render_png(figures(1))
    assert not [thread for thread in threading.enumerate() if thread.name == "chart-images"]
