"""Export text to rows of cells: encoding marks, line endings and trailing empty columns."""
from __future__ import annotations

import hashlib

from connectors.csv_text import CsvError, records
from connectors.survey.export import SurveyFormatError


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows(text: str) -> list[list[str]]:
    """CSV records (tab-separated when the header has tabs and no commas), BOM stripped.

    SurveyFormatError when the text was cut short (its complete rows would replace a whole wave)
    or a cell or row is over the limits of `dashboard.core.file_limits`."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return records(text, delimiter)
    except CsvError as error:
        raise SurveyFormatError(str(error)) from None


def cell(record: list[str], index: int) -> str:
    return record[index].strip() if index < len(record) else ""


def unique(names: list[str]) -> list[str]:
    """Header names made unique ("Q", "Q (2)"), so a repeated header cannot hide a column."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
