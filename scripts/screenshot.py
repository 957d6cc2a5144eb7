"""Take the README's screenshot: the Overview of the demo organisation, as a browser shows it.

Usage: .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--today 2026-11-26]

Builds the demo into a temporary database, serves it with `streamlit run` and photographs it
with Debian's headless Chromium, the same way the browser tests do (tests/browser.py).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.core.config import Settings  # noqa: E402
from dashboard.core.store import Store  # noqa: E402
from dashboard.demo import build_demo  # noqa: E402
from tests.browser import launch_chromium, streamlit_server, wait_for_app  # noqa: E402

DEMO_DAY = date(2026, 11, 26)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--today", type=date.fromisoformat, default=DEMO_DAY, help="the demo's day (%(default)s)")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "prodops.duckdb"
        build_demo(Store(database), Settings(), today=args.today)
        env = {"PRODOPS_DB": str(database), "PRODOPS_TODAY": args.today.isoformat(), "PRODOPS_CONFIG": None}
        with streamlit_server(env) as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
            page.goto(url)
            wait_for_app(page)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
