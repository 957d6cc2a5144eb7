"""S1: do PMs spend less time on process overhead and more on strategy? A PM also sees their own weeks."""
from __future__ import annotations

from dashboard.app import ui, views

filters = ui.require_filters()
ui.page_header("PM time", views.signals()["S1"], filters)
ui.metric_grid("S1", filters)
ui.my_time(filters)
