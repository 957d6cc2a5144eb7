"""The colours every chart draws with, chosen so that no two shown together can be confused.

The rule, tested in tests/charts/test_colours.py: any two colours a chart shows side by side stay
at least `DISTINCT` apart (CAM02-UCS ΔE) for normal vision and for simulated full deuteranomaly,
protanomaly and tritanomaly. The line palette is drawn from Okabe & Ito's and Paul Tol's
colour-blind-safe sets; a chart with more lines than `PALETTE` holds colours one and greys the rest
(see `dashboard.charts.trends.emphasis`) rather than reusing a hue.
"""
from __future__ import annotations

DISTINCT = 20.0

PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#BB5566",  # rose
)
REFERENCE_COLOR = "#343A40"
MUTED_COLOR = "#C3C9D1"
TARGET_COLOR = "#868E96"
ANNOTATION_COLOR = "#ADB5BD"
GRID_COLOR = "#EEF1F6"

ON_TIME, LATE, MISSING, NOT_DUE = "#0072B2", "#E69F00", "#CC3311", "#DEE2E6"
