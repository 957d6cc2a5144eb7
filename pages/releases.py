"""S3: do release management and enablement run smoothly at scale?"""
from __future__ import annotations

from dashboard.app import ui, views

filters = ui.require_filters()
ui.page_header("Releases and enablement", views.signals()["S3"], filters)
ui.metric_grid("S3", filters)
