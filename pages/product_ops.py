"""Product ops itself: the function's own health on one screen, for a VP and for product ops."""
from __future__ import annotations

from dashboard.app import product_ops_panels, product_ops_views, ui

filters = ui.require_filters()
ui.page_header("Product ops itself", product_ops_views.QUESTION, filters)
product_ops_panels.warnings(filters)
product_ops_panels.founding()
ui.metric_grid("ops", filters)
