"""How the dashboard puts identifiers and missing values into words a reader says aloud.

An id such as `qbr_prep` is the config's and the store's name for a thing; a page that has no
title for it shows `spoken(id)`, "QBR prep", never the id and never "Qbr prep". A cell with no
value shows `NO_VALUE`, never what pandas or Streamlit print for it (`None`, `nan`, `<NA>`).
"""
from __future__ import annotations

NO_VALUE = "–"
"""What a table cell or a number with no value shows."""
ACRONYMS = {"qbr": "QBR", "okr": "OKR", "kpi": "KPI", "pm": "PM", "pms": "PMs", "nps": "NPS", "enps": "eNPS"}
"""Words of an id that are said as letters, as they are written."""


def spoken(identifier: str) -> str:
    """A snake-case id as words: "weekly_status" -> "Weekly status", "qbr_prep" -> "QBR prep"."""
    words = [ACRONYMS.get(word, word) for word in identifier.split("_") if word]
    if not words:
        return identifier
    first = words[0]
    return " ".join([first if first in ACRONYMS.values() else first.capitalize(), *words[1:]])
