"""CSV text to records, refusing a file that was cut short.

A copy or an upload that stopped part-way leaves a file that ends inside a quoted field or in
the middle of a row. Read as it is, its complete rows would replace the good ones of the last
load (a survey wave, a check-in form) and the cut row would be half read. So such a file is
refused as a whole: `CutShort` says where it ends, and the caller names the file.
"""
from __future__ import annotations

import csv
import io


class CutShort(ValueError):
    """The text ends inside a quoted field or part-way through its last row."""


def records(text: str, delimiter: str = ",") -> list[list[str]]:
    """Every CSV record of `text` (a byte order mark already removed); CutShort if the text was cut."""
    try:
        found = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            row = len(list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
            raise CutShort(f"the file ends inside a quoted field on row {row}: it looks cut short (truncated); "
                           "nothing was loaded") from None
        found = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))  # lenient about stray quotes
    if len(found) > 1 and not text.endswith(("\n", "\r")) and 0 < len(found[-1]) < len(found[0]):
        raise CutShort(f"the file ends part-way through row {len(found)} ({len(found[-1])} of {len(found[0])} columns): "
                       "it looks cut short (truncated); nothing was loaded")
    return found
