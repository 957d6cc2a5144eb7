"""CSV text to records, refusing a file that was cut short or is shaped to hurt.

A copy or an upload that stopped part-way leaves a file that ends inside a quoted field or in
the middle of a row. Read as it is, its complete rows would replace the good ones of the last
load (a survey wave, a check-in form) and the cut row would be half read. So such a file is
refused as a whole: `CutShort` says where it ends, and the caller names the file.

A cell over `MAX_CELL_CHARS` or a row over `MAX_COLUMNS` columns (`dashboard.core.file_limits`) is
refused the same way, as `TooWide`, with the row and the limit.
"""
from __future__ import annotations

import csv
import io

from dashboard.core.file_limits import MAX_CELL_CHARS, MAX_COLUMNS, excerpt


class CsvError(ValueError):
    """The text cannot be read as CSV records; the message says where and why (the caller names the file)."""


class CutShort(CsvError):
    """The text ends inside a quoted field or part-way through its last row."""


class TooWide(CsvError):
    """A cell or a row is over the limits of `dashboard.core.file_limits`."""


def records(text: str, delimiter: str = ",") -> list[list[str]]:
    """Every CSV record of `text` (a byte order mark already removed); CsvError if it was cut or is too wide."""
    try:
        found = _read(text, delimiter, strict=True)
    except CutShort:
        raise
    except csv.Error:
        found = _read(text, delimiter, strict=False)  # lenient about stray quotes
    if len(found) > 1 and not text.endswith(("\n", "\r")) and 0 < len(found[-1]) < len(found[0]):
        raise CutShort(f"the file ends part-way through row {len(found)} ({len(found[-1])} of {len(found[0])} columns): "
                       "it looks cut short (truncated); nothing was loaded")
    return found


def _read(text: str, delimiter: str, strict: bool) -> list[list[str]]:
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    found = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return found
        except csv.Error as error:
            raise _refusal(error, len(found) + 1, strict) from None
        if len(record) > MAX_COLUMNS:
            raise TooWide(f"row {len(found) + 1} has {len(record):,} columns, over the limit of {MAX_COLUMNS:,}; nothing was loaded")
        found.append(record)


def _refusal(error: csv.Error, row: int, strict: bool) -> csv.Error | CsvError:
    """The error a reading error stands for: too wide or cut short (ours), else csv's own (strict only)."""
    message = str(error)
    if "field larger than field limit" in message:
        return TooWide(f"row {row} has a cell over the limit of {MAX_CELL_CHARS:,} characters; nothing was loaded")
    if "unexpected end of data" in message:
        return CutShort(f"the file ends inside a quoted field on row {row}: it looks cut short (truncated); nothing was loaded")
    if strict:
        return error
    return CsvError(f"row {row} cannot be read as CSV ({excerpt(message)}); nothing was loaded")
