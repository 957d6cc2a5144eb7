"""Peak memory and time of every file reader on large hostile input, each run as a user runs it.

Each case writes one file into a scratch folder and runs the command that reads it
(`python -m dashboard load roster|survey|checkins FILE`, `sync calendar`, or any command reading
`prodops.toml`) in a process of its own under `/usr/bin/time -v` (Debian's `time` package,
installed if missing), on a store holding a small roster. It prints one row per case: file
size, what happened (read, or the start of the error), wall seconds and maximum RSS.

The cases are the largest input each reader accepts (just under its limit in
`dashboard.core.file_limits`, or the calendar's `[calendar]` limits) and the hostile files over or
around the limits (200 MB, UTF-16 without a byte order mark, a million columns, cells of 1 Mi
characters). Run it from the repository root:

    .venv/bin/python benchmarks/hostile_files.py [--only CASE ...]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.core.config import Settings  # noqa: E402
from dashboard.core.file_limits import MAX_CELL_CHARS, MAX_EXPORT_BYTES, MAX_ROSTER_BYTES, MAX_TOML_BYTES  # noqa: E402
from tests.connectors.test_file_load_faults import CHECKINS, CONFIG, ROSTER, bigger  # noqa: E402

TIME = Path("/usr/bin/time")
OWNER = "ana@example.com"
ICS_EVENTS = int(Settings().calendar.max_ics_megabytes * 2**20 * 0.98 / 252)
"""Meetings of `calendar()` (252 bytes each) that fill the default `[calendar].max_ics_megabytes`."""


def up_to(kind: str, limit: int) -> str:
    """`bigger(kind, rows)` with as many rows as fit under `limit` bytes (within a percent)."""
    rows = 1000
    while True:
        text = bigger(kind, rows)
        size = len(text.encode())
        if 0.98 * limit <= size <= limit:
            return text
        rows = int(rows * 0.99 * limit / size)


def calendar(events: int) -> str:
    """One owner's calendar of single meetings over the last weeks, each with two attendees."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=40)
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:bench-{n}\r\nSUMMARY:Meeting {n}\r\n"
        f"DTSTART:{start + timedelta(minutes=7 * n):%Y%m%dT%H%M%SZ}\r\nDTEND:{start + timedelta(minutes=7 * n + 30):%Y%m%dT%H%M%SZ}\r\n"
        f"ORGANIZER:mailto:lead@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{OWNER}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:eng@example.com\r\nEND:VEVENT\r\n"
        for n in range(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n{body}END:VCALENDAR\r\n"


def sparse(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        handle.truncate(size)


def huge_cells(text: str, rows: int, chars: int) -> str:
    """The check-in form with `rows` more rows, each with a note of `chars` characters."""
    return text + "".join(f'03/11/2026 10:00:00,x{n}@example.com,Search,"{"n" * chars}"\n' for n in range(rows))


CASES: dict[str, tuple[str, Callable[[Path], None], list[str]]] = {
    # name: (file name, how to write it, the command after `python -m dashboard`, with FILE for its path)
    "baseline: the good roster": ("hr.csv", lambda p: p.write_text(ROSTER), ["load", "roster", "FILE"]),
    "roster just under the limit": ("hr.csv", lambda p: p.write_text(up_to("roster", MAX_ROSTER_BYTES)), ["load", "roster", "FILE"]),
    "roster, a million columns": ("hr.csv", lambda p: p.write_text(ROSTER.replace("\n", ",c" * 1_000_000 + "\n", 1)),
                                  ["load", "roster", "FILE"]),
    "survey just under the limit": ("pulse.csv", lambda p: p.write_text(up_to("survey", MAX_EXPORT_BYTES)),
                                    ["load", "survey", "FILE", "--survey", "msforms", "--wave", "2026Q1"]),
    "survey of 200 MB": ("pulse.csv", lambda p: sparse(p, 200 * 2**20), ["load", "survey", "FILE", "--survey", "msforms", "--wave", "2026Q1"]),
    "survey in UTF-16 without BOM": ("pulse.csv", lambda p: p.write_bytes(up_to("survey", MAX_EXPORT_BYTES // 2 - 2**20).encode("utf-16-le")),
                                     ["load", "survey", "FILE", "--survey", "msforms", "--wave", "2026Q1"]),
    "check-in form, cells of 1 Mi chars": ("roadmap.csv",
                                           lambda p: p.write_text(huge_cells(CHECKINS, MAX_EXPORT_BYTES // MAX_CELL_CHARS - 1, MAX_CELL_CHARS)),
                                           ["load", "checkins", "FILE", "--kind", "roadmap_review"]),
    "check-in form, a cell over the limit": ("roadmap.csv", lambda p: p.write_text(huge_cells(CHECKINS, 1, MAX_CELL_CHARS + 1)),
                                             ["load", "checkins", "FILE", "--kind", "roadmap_review"]),
    "ICS just under the limit": ("ana.ics", lambda p: p.write_text(calendar(ICS_EVENTS)), ["sync", "calendar"]),
    "ICS of 200 MB": ("ana.ics", lambda p: sparse(p, 200 * 2**20), ["sync", "calendar"]),
    "config, 1 MiB of unknown keys": ("prodops.toml", lambda p: p.write_text(
        "".join(f"key_{n} = {n}\n" for n in range(MAX_TOML_BYTES // 20))), ["--config", "FILE", "metrics"]),
    "config nested 100,000 deep": ("prodops.toml", lambda p: p.write_text("a = " + "[" * 100_000 + "]" * 100_000),
                                   ["--config", "FILE", "metrics"]),
}


def ensure_time() -> None:
    if TIME.exists():
        return
    as_root = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*as_root, "apt-get", "install", "-y", "-qq", "time"], check=True, stdout=subprocess.DEVNULL)


def run_case(name: str, folder: Path) -> tuple[str, str, float, float]:
    file_name, write, command = CASES[name]
    path = folder / file_name
    write(path)
    size = path.stat().st_size
    config = folder / "prodops.toml.base"
    config.write_text(CONFIG + f'[calendar]\nhistory_days = 60\n[[calendar.ics]]\nlocation = "{folder / "ana.ics"}"\nowner = "{OWNER}"\n')
    env = {**os.environ, "PRODOPS_DB": str(folder / "bench.duckdb"), "PRODOPS_CONFIG": str(config),
           "PRODOPS_SURVEY_SALT": "bench-salt", "PYTHONPATH": str(ROOT)}
    seed = folder / "seed.csv"
    seed.write_text(ROSTER)
    subprocess.run([sys.executable, "-m", "dashboard", "load", "roster", str(seed)], cwd=folder, env=env, check=True, capture_output=True)
    args = [str(path) if part == "FILE" else part for part in command]
    done = subprocess.run([str(TIME), "-v", sys.executable, "-m", "dashboard", *args], cwd=folder, env=env,
                          capture_output=True, text=True)
    rss = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1]) / 1024
    clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    seconds = int(clock[1] or 0) * 3600 + int(clock[2]) * 60 + float(clock[3])
    said = done.stderr.split("\tCommand being timed")[0].strip().replace(str(folder) + "/", "")
    first = said.splitlines()[0] if said else ""
    outcome = f"exit {done.returncode}: {first[:90]}{'…' if len(first) > 90 else ''}"
    path.unlink()
    return f"{size / 2**20:,.1f} MiB", outcome, seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    chosen = parser.parse_args().only or list(CASES)
    ensure_time()
    scratch = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    try:
        print("| case | file | outcome | wall s | max RSS MB |\n|---|---:|---|---:|---:|")
        for name in chosen:
            folder = scratch / re.sub(r"\W+", "-", name)
            folder.mkdir()
            size, outcome, seconds, rss = run_case(name, folder)
            print(f"| {name} | {size} | {outcome} | {seconds:.1f} | {rss:,.0f} |", flush=True)
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
