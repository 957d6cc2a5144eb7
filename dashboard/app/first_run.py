"""The first run of `python -m dashboard serve`: the server starts at once, the demo builds beside it.

Building the demo organisation reads about a hundred thousand calendar occurrences through
the ICS connector, which takes tens of seconds on a small machine. The server must answer
its health check long before that, so the build runs in a child process and leaves a marker
file while it works; pages that find no data but a marker say the demo is on its way.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dashboard.core.config import Settings


def marker(settings: Settings) -> Path | None:
    """Where a demo build in progress leaves its mark (file databases only)."""
    url = settings.database_url()
    if "://" in url and not url.startswith("duckdb://"):
        return None
    return Path(url.removeprefix("duckdb://") + ".building")


def building(settings: Settings) -> bool:
    found = marker(settings)
    return found is not None and found.exists()


def build_in_background(config: str | None) -> subprocess.Popen:
    """Start `python -m dashboard demo` as a child; it removes the marker when it ends, however it ends."""
    command = [sys.executable, "-m", "dashboard", *(["--config", config] if config else []), "demo", "--mark-building"]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)
