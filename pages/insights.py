"""S2: do insights and data reach teams without custom requests?"""
from __future__ import annotations

from dashboard.app import ui, views

filters = ui.require_filters()
ui.page_header("Insights", views.signals()["S2"], filters)
ui.metric_grid("S2", filters)
