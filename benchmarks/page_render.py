"""Each page's server-side render time, cold and warm, beside the bare store queries it needs.

A page is run in process with Streamlit's AppTest through the app's entrypoint (navigation and
filters included), as a user opening it would. Cold: every Streamlit cache cleared first, so
the page reads the store and computes its metrics. Warm: the same page again with the caches
as the previous run left them. The store queries a cold run made are recorded and then run
bare (same SQL, results fetched as data frames, nothing else): cold / bare is the overhead of
our side as a ratio.

Run: python benchmarks/page_render.py --scale small|large [--runs 5] [--pages pages/data.py ...]
"""
from __future__ import annotations

import os
import statistics
from contextlib import contextmanager

import streamlit as st
from common import ROOT, Timer, arguments, demo_database, header
from streamlit.testing.v1 import AppTest

from dashboard.app import navigation
from dashboard.cli import ENTRYPOINT
from dashboard.core.store import Store
from dashboard.core.store import duckdb as duckdb_store

APP = str(ENTRYPOINT)
PAGES = [f"pages/{page.file}" for page in navigation.PAGES]


class Recording:
    """A reader connection that notes every statement it runs."""

    def __init__(self, con, log: list):
        self._con, self._log = con, log

    def execute(self, sql, parameters=None):
        self._log.append((sql, parameters))
        return self._con.execute(sql, parameters) if parameters is not None else self._con.execute(sql)

    def __getattr__(self, name):
        return getattr(self._con, name)


@contextmanager
def recording(log: list):
    original = duckdb_store.DuckDBStore.reader

    @contextmanager
    def reader(self):
        with original(self) as con:
            yield Recording(con, log)

    duckdb_store.DuckDBStore.reader = reader
    try:
        yield
    finally:
        duckdb_store.DuckDBStore.reader = original


def render(page: str) -> Timer:
    at = AppTest.from_file(APP, default_timeout=600)
    at.switch_page(str(ROOT / page))
    with Timer() as timer:
        at.run()
    if at.exception or at.error:
        raise RuntimeError(f"{page}: {[e.value for e in [*at.exception, *at.error]]}")
    return timer


def cold(page: str) -> Timer:
    st.cache_data.clear()
    st.cache_resource.clear()
    return render(page)


def bare(store: Store, statements: list) -> Timer:
    with store.reader() as con, Timer() as timer:
        for sql, parameters in statements:
            (con.execute(sql, parameters) if parameters is not None else con.execute(sql)).df()
    return timer


def medians(timers: list[Timer]) -> tuple[float, float]:
    return statistics.median(t.seconds for t in timers), statistics.median(t.cpu for t in timers)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs={"type": int, "default": 5},
                     pages={"nargs": "*", "default": PAGES, "help": "only these pages (default: all)"})
    header("page render (AppTest, in process)", args.scale)
    database = demo_database(args.scale, args.rebuild)
    os.environ["PRODOPS_DB"] = str(database)
    os.environ["PRODOPS_TODAY"] = "2026-11-26"
    store = Store(database)
    print(f"{'page':<18}{'cold s (cpu)':>16}{'warm s (cpu)':>16}{'queries':>9}{'bare s (cpu)':>16}{'cold/bare':>11}")
    render(PAGES[0])  # imports and first-run costs, so the first page measured is not charged for them
    for page in args.pages:
        statements: list = []
        with recording(statements):
            cold(page)
        cold_s, cold_cpu = medians([cold(page) for _ in range(args.runs)])
        render(page)
        warm_s, warm_cpu = medians([render(page) for _ in range(args.runs)])
        bare_s, bare_cpu = medians([bare(store, statements) for _ in range(args.runs)])
        print(f"{page.removeprefix('pages/'):<18}{cold_s:9.2f} ({cold_cpu:4.1f}){warm_s:9.2f} ({warm_cpu:4.1f})"
              f"{len(statements):9d}{bare_s:9.2f} ({bare_cpu:4.1f}){cold_s / bare_s if bare_s else float('nan'):11.1f}")
    print(f"(median of {args.runs} runs each; cold = every Streamlit cache cleared before the run; "
          "cpu = this process's CPU seconds, all threads)")


if __name__ == "__main__":
    main()
