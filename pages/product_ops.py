"""Product ops itself: the function's own health on one screen, for a VP and for product ops."""
from __future__ import annotations

from dashboard.app import product_ops_panels, ui
from dashboard.metrics.registry import PRODUCT_OPS

filters = ui.require_filters()
ui.page_header("Product ops itself", PRODUCT_OPS.question, filters)
product_ops_panels.warnings(filters)
product_ops_panels.warning_history(filters)
product_ops_panels.investment(filters)
product_ops_panels.meeting_partners(filters)
product_ops_panels.founding()
ui.metric_grid("ops", filters)
