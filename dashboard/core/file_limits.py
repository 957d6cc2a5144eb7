"""What a file reader accepts, stated once: sizes, cells, columns, encodings; and how it says no.

Every file the dashboard reads comes from outside (an HR export, a survey or check-in form export,
`prodops.toml`, `.streamlit/secrets.toml`) and may be huge, binary, in an encoding nobody asked
for, or made to hurt. The readers read it through `read_text`, which refuses it before any parser
sees it, with a `FileRefused` that names the file and the limit:

- a roster over `MAX_ROSTER_BYTES`, a survey or check-in form export over `MAX_EXPORT_BYTES`, a
  TOML file over `MAX_TOML_BYTES`: not read at all. Each is set so that loading the largest file
  accepted stays within 1 GB, as `benchmarks/hostile_files.py` measures (benchmarks/RESULTS.md);
- UTF-16 or UTF-32 without a byte order mark, or any other NUL bytes: refused as what they are
  (read as UTF-8 they would decode to text full of NULs and fail later, as "cut short");
- anything not UTF-8 (a byte order mark allowed) nor UTF-16/UTF-32 with one: refused with the
  first bad byte.

CSV cells over `MAX_CELL_CHARS` and rows over `MAX_COLUMNS` columns are refused by
`connectors.csv_text`. ICS calendars have their limits in the settings (`[calendar]
max_ics_megabytes`, `max_occurrences`, `max_series_occurrences`), because an organisation may need
to raise them.

A message that quotes a file is bounded whatever the file holds: `listing` names a few items and
counts the rest, `excerpt` cuts a long text and makes it printable.
"""
from __future__ import annotations

import codecs
import tomllib
from collections.abc import Iterable
from pathlib import Path

MAX_ROSTER_BYTES = 4 * 2**20
"""Largest HR roster read: 4 MiB, some 40,000 people (its load peaks at about 850 MB there)."""
MAX_EXPORT_BYTES = 16 * 2**20
"""Largest survey or check-in form export read: 16 MiB, some 150,000 responses to a short pulse
(its load peaks at about 850 MB there; 200 MB once grew past 5.8 GB)."""
MAX_TOML_BYTES = 2**20
"""Largest `prodops.toml` or `.streamlit/secrets.toml` read (1 MiB)."""
MAX_CELL_CHARS = 2**20
"""Longest CSV cell read (1 Mi characters; Python's csv module stops at 128 Ki with a traceback)."""
MAX_COLUMNS = 5_000
"""Most columns a CSV row may have (a long Qualtrics export has a few hundred)."""
SHOWN_ITEMS = 5
SHOWN_CHARS = 160

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: FF FE starts both
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF8, "utf-8-sig"),
)
_SNIFF = 4096


class FileRefused(ValueError):
    """A file a reader will not read; the message names the file and the limit or fault."""


def size_text(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB" if size >= 2**20 else f"{size:,} bytes"


def read_text(path: str | Path, max_bytes: int, what: str = "file", *, utf8_only: bool = False) -> str:
    """The text of `path`, if it is no bigger than `max_bytes` and in an encoding read without guessing.

    `utf8_only` refuses UTF-16 and UTF-32 even with a byte order mark (TOML is UTF-8 by definition).
    """
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > max_bytes:
            raise FileRefused(f"{file}: too large: {size_text(size)}, over the limit of {size_text(max_bytes)} for a {what}")
        with open(file, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise FileRefused(f"{file}: cannot read: {error.strerror or type(error).__name__}") from None
    if len(data) > max_bytes:
        raise FileRefused(f"{file}: too large: over the limit of {size_text(max_bytes)} for a {what} (it grew while read)")
    return decode(data, str(file), utf8_only=utf8_only)


def read_toml(file: str | Path, what: str) -> dict:
    """A TOML file's tables, within `MAX_TOML_BYTES`; FileRefused naming the file otherwise.

    tomllib reads nested arrays and inline tables recursively, so a file of a few kilobytes of
    `[[[[...` would end in a RecursionError: that is refused as too deeply nested.
    """
    text = read_text(file, MAX_TOML_BYTES, what, utf8_only=True)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FileRefused(f"{file}: not valid TOML: {excerpt(str(error))}") from None
    except RecursionError:
        raise FileRefused(f"{file}: not valid TOML: nested too deeply to read") from None


def decode(data: bytes, name: str | None = None, *, utf8_only: bool = False) -> str:
    """UTF-8 (with or without a byte order mark), or UTF-16/UTF-32 with one; FileRefused otherwise,
    its message starting with `name` when one is given."""
    named = f"{name}: " if name else ""
    for bom, encoding in _BOMS[-1:] if utf8_only else _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).removeprefix("\ufeff")
            except UnicodeDecodeError as error:
                raise FileRefused(f"{named}not valid {encoding.upper().removesuffix('-SIG')} text despite its byte order "
                                  f"mark (bad bytes at position {error.start})") from None
    if b"\x00" in data:
        raise FileRefused(named + nul_bytes(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileRefused(f"{named}not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start}): "
                          "save or export it as UTF-8 (\"CSV UTF-8\")") from None


def wide_bom(data: bytes) -> bool:
    """Whether `data` starts with a UTF-16 or UTF-32 byte order mark."""
    return data.startswith(tuple(bom for bom, encoding in _BOMS if encoding != "utf-8-sig"))


def nul_bytes(data: bytes) -> str:
    """What text holding NUL bytes is: UTF-16/UTF-32 without a byte order mark, or binary data."""
    sample = data[:_SNIFF - _SNIFF % 4]
    zeros = [sum(1 for b in sample[lane::4] if b == 0) / max(1, len(sample[lane::4])) for lane in range(4)]
    mostly, rarely = (lambda share: share > 0.9), (lambda share: share < 0.1)
    if rarely(zeros[0]) and all(mostly(z) for z in zeros[1:]):
        kind = "UTF-32 (little-endian)"
    elif all(mostly(z) for z in zeros[:3]) and rarely(zeros[3]):
        kind = "UTF-32 (big-endian)"
    elif rarely(zeros[0]) and rarely(zeros[2]) and mostly(zeros[1]) and mostly(zeros[3]):
        kind = "UTF-16 (little-endian)"
    elif mostly(zeros[0]) and mostly(zeros[2]) and rarely(zeros[1]) and rarely(zeros[3]):
        kind = "UTF-16 (big-endian)"
    else:
        return f"not a text file: it holds binary data (a NUL byte at position {data.index(0)})"
    return (f"looks like {kind} text without a byte order mark, which cannot be read without guessing: "
            "save it as UTF-8, or with a byte order mark")


def listing(items: Iterable[object], shown: int = SHOWN_ITEMS, *, quoted: bool = True, width: int = 40) -> str:
    """`'a', 'b', 'c' and 9,997 more`: a few items, each cut to `width`, and how many were left out."""
    items = list(items)
    head = ", ".join((repr if quoted else str)(excerpt(str(item), width)) for item in items[:shown])
    return head + (f" and {len(items) - shown:,} more" if len(items) > shown else "")


def excerpt(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` made printable and cut to `limit` characters, for a message that quotes a file."""
    printable = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return printable if len(printable) <= limit else printable[:limit] + "…"
