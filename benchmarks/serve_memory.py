"""Peak memory of a real dashboard server while 20 browser sessions use it at once.

`streamlit run dashboard/entrypoint/streamlit_app.py` serves the organisation of `--scale`; 20 headless Chromium
sessions (Playwright, Debian's chromium) open at the same time, spread over every page, then
each moves on to the next page, `--rounds` pages in all, waiting each time until every session's
page has finished rendering. The
server's resident memory is read from /proc every 0.2 s (its children included, if any); the
kernel's own high-water mark (VmHWM) is printed beside the sampled peak.

Run: python benchmarks/serve_memory.py --scale small|large|xlarge [--backend duckdb|postgres] [--sessions 20] [--rounds 2]
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from common import TODAY, Timer, arguments, header, record
from playwright.sync_api import sync_playwright
from stores import demo_store

from tests.browser import PAGES, launch_chromium, streamlit_server, wait_for_app


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def _server_pids(port: int) -> list[int]:
    """The streamlit process serving `port` and its descendants."""
    found, parents = [], {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"streamlit" in cmdline and str(port).encode() in cmdline:
            found.append(int(entry.name))
    children = [pid for pid, parent in parents.items() if parent in found]
    return found + children


class Sampler(threading.Thread):
    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.samples, self.stopped = pids, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.peak = max(self.peak, sum(_status(pid)["VmRSS"] for pid in self.pids))
                self.samples += 1
            except (OSError, KeyError):
                pass
            time.sleep(0.2)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], sessions={"type": int, "default": 20}, rounds={"type": int, "default": 2})
    header(f"server memory with {args.sessions} sessions", args.scale, args.backend)
    database = demo_store(args.scale, args.backend, args.pg, args.rebuild)
    env = {"PRODOPS_DB": database, "PRODOPS_TODAY": TODAY.isoformat(), "PRODOPS_CONFIG": None}
    paths = list(PAGES.values())
    with streamlit_server(env, timeout=120) as url, sync_playwright() as playwright:
        port = int(url.rsplit(":", 1)[1])
        pids = _server_pids(port)
        idle = sum(_status(pid)["VmRSS"] for pid in pids)
        sampler = Sampler(pids)
        sampler.start()
        browser = launch_chromium(playwright)
        with Timer() as timer:
            pages = [browser.new_context().new_page() for _ in range(args.sessions)]
            for n, page in enumerate(pages):
                page.goto(f"{url}/{paths[n % len(paths)]}", wait_until="commit")
            for page in pages:
                wait_for_app(page, timeout_ms=600_000)
            for step in range(1, args.rounds):
                for n, page in enumerate(pages):
                    page.goto(f"{url}/{paths[(n + step) % len(paths)]}", wait_until="commit")
                for page in pages:
                    wait_for_app(page, timeout_ms=600_000)
        sampler.stopped.set()
        sampler.join()
        hwm = sum(_status(pid)["VmHWM"] for pid in pids)
        browser.close()
    print(f"server pid(s) {pids}: {idle / 2**20:,.0f} MB idle, peak RSS {sampler.peak / 2**20:,.0f} MB sampled "
          f"({sampler.samples} samples), VmHWM {hwm / 2**20:,.0f} MB")
    print(f"{args.sessions} sessions x {args.rounds} pages each, over all {len(paths)} pages, in {timer.seconds:.0f} s")
    record("serve_memory", args.scale, args.backend, sessions=args.sessions, idle_mb=idle / 2**20,
           peak_rss_mb=sampler.peak / 2**20, vmhwm_mb=hwm / 2**20, wall_s=timer.seconds)


if __name__ == "__main__":
    main()
