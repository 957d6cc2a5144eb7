"""Every set of colours a chart shows together can be told apart with any colour-vision deficiency.

Each colour is run through colorspacious's simulation of full deuteranomaly, protanomaly and
tritanomaly (Machado et al. 2009) and every pair is measured in CAM02-UCS, where a ΔE of about 20
reads as clearly different at a glance. The red/green check-in board this replaced measured 17.5
under deuteranomaly, and the old line palette 5.4.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from dashboard.charts import colours
from dashboard.charts.checkins import CHECKIN_STATES, CHECKIN_SYMBOLS

VISIONS = [None, "deuteranomaly", "protanomaly", "tritanomaly"]


def seen(hex_colour: str, vision: str | None) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    if vision is None:
        return rgb
    return np.clip(cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}, "sRGB1"), 0, 1)


def closest_pair(palette: list[str]) -> tuple[float, str, str, str]:
    return min(
        (float(deltaE(seen(a, vision), seen(b, vision), input_space="sRGB1")), str(vision), a, b)
        for vision in VISIONS for a, b in combinations(palette, 2)
    )


SETS = {
    "trend lines with their reference": [colours.REFERENCE_COLOR, *colours.PALETTE],
    "check-in states": list(CHECKIN_STATES.values()),
}


@pytest.mark.parametrize("name", list(SETS))
def test_colours_shown_together_stay_apart_under_every_colour_vision(name):
    distance, vision, a, b = closest_pair(SETS[name])
    assert distance >= colours.DISTINCT, f"{name}: {a} and {b} are {distance:.1f} apart under {vision}"


def test_the_measure_catches_a_red_green_pair():
    distance, vision, *_ = closest_pair(["#0CA678", "#E03131"])
    assert distance < colours.DISTINCT and vision == "deuteranomaly"


def test_check_in_states_that_need_telling_apart_differ_in_shape_too():
    alarming = ["on time", "late", "missing"]
    assert len({CHECKIN_SYMBOLS[state] for state in alarming}) == len(alarming)
