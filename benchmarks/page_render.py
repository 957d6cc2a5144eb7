"""Each page's server-side render time, cold and warm, beside the bare store queries it needs.

A page is run in process with Streamlit's AppTest through the app's entrypoint (navigation and
filters included), as a user opening it would. Cold: every Streamlit cache cleared first, so
the page reads the store and computes its metrics. Warm: the same page again with the caches
as the previous run left them. The store queries a cold run made are recorded and then run
bare (same SQL, results fetched as data frames, nothing else): cold / bare is the overhead of
our side as a ratio.

The floor is what any page costs before it draws anything: `benchmarks/floor_page.py`, a page
with a title and nothing else, run warm through the same entrypoint (sign-in, navigation, the
sidebar's filters and the copied link). A page answers at the speed of its data when its warm
time is within 3 x its bare queries plus that floor: `warm/goal` is warm / (3 x bare + floor),
at most 1 when the target holds.

`--profile DIR` also writes a cProfile of one cold and one warm run of each page (and of the
floor) into DIR (`<page>.cold.prof`, `<page>.warm.prof`), for `python -m pstats` or
`benchmarks/profile_summary.py`. It profiles the script's own thread, where the page runs (the
test's thread only waits for it), in that thread's CPU seconds, which another process's load does
not stretch.

AppTest opens a page by its file only when the page's URL path is the file's name (`pm_time.py`
answers at `/pm-time`): otherwise it silently runs the default page. So each page's script hash is
learnt once from a run of the app, as a session finds it, and every measured run opens it by that.

Run: python benchmarks/page_render.py --scale small|large|xlarge [--backend duckdb|postgres] [--runs 5] [--pages pages/data.py ...] [--profile DIR]
     [--statements N]
"""
from __future__ import annotations

import cProfile
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from common import ROOT, Timer, arguments, header, medians, record
from stores import demo_store
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from dashboard.app import navigation
from dashboard.cli import ENTRYPOINT
from dashboard.core.store import Store

APP = str(ENTRYPOINT)
PAGES = [f"pages/{page.file}" for page in navigation.PAGES]
FLOOR = "benchmarks/floor_page.py"
"""A page with the same frame as every page and nothing of its own (see the module's docstring)."""


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
def recording(log: list, backend: type[Store]):
    original = backend.reader

    @contextmanager
    def reader(self):
        with original(self) as con:
            yield Recording(con, log)

    backend.reader = reader
    try:
        yield
    finally:
        backend.reader = original


@contextmanager
def with_floor_page():
    """The floor page added to the navigation every viewer gets, at its own path."""
    original = navigation.pages_for

    def pages_for(viewer):
        return [*original(viewer), st.Page(ROOT / FLOOR, title="Floor", url_path="floor")]

    navigation.pages_for = pages_for
    try:
        yield
    finally:
        navigation.pages_for = original


HASHES: dict[str, str] = {}
"""Each page's script hash, as `st.navigation` registers it (see the module's docstring)."""


def learn_hashes(pages: list[str]) -> None:
    learner = AppTest.from_file(APP, default_timeout=600).run()
    for page in pages:
        HASHES[page] = learner.switch_page(str(ROOT / page))._page_hash


def render(page: str) -> Timer:
    at = AppTest.from_file(APP, default_timeout=600)
    at._page_hash = HASHES[page]
    with Timer() as timer:
        at.run()
    if at.exception or at.error:
        raise RuntimeError(f"{page}: {[e.value for e in [*at.exception, *at.error]]}")
    return timer


@contextmanager
def profiling(profile: cProfile.Profile):
    """`profile` on in the script's thread while a run lasts (cProfile follows one thread)."""
    original = script_runner.ScriptRunner._run_script

    def run_script(self, rerun_data):
        profile.enable()
        try:
            return original(self, rerun_data)
        finally:
            profile.disable()

    script_runner.ScriptRunner._run_script = run_script
    try:
        yield
    finally:
        script_runner.ScriptRunner._run_script = original


def cold(page: str) -> Timer:
    st.cache_data.clear()
    st.cache_resource.clear()
    return render(page)


def fetch(con, sql: str, parameters) -> None:
    """Run one recorded statement as the page did, its result fetched as a data frame."""
    (con.execute(sql, parameters) if parameters is not None else con.execute(sql)).df()


def bare(store: Store, statements: list) -> Timer:
    with store.reader() as con, Timer() as timer:
        for sql, parameters in statements:
            fetch(con, sql, parameters)
    return timer


def slowest(store: Store, statements: list, count: int) -> None:
    """Print the `count` slowest of a cold page's statements, each run again on its own."""
    timed = []
    with store.reader() as con:
        for sql, parameters in statements:
            with Timer() as timer:
                fetch(con, sql, parameters)
            timed.append((timer.seconds, " ".join(sql.split()), parameters))
    for seconds, sql, parameters in sorted(timed, key=lambda t: -t[0])[:count]:
        print(f"    {seconds:6.3f} s  {sql[:160]}{' ...' if len(sql) > 160 else ''}  {str(parameters or '')[:60]}")


def profiled(page: str, folder: Path) -> None:
    """One cold and one warm run of `page` under cProfile, written to `folder`."""
    name = Path(page).stem
    for kind, run in (("cold", cold), ("warm", render)):
        profile = cProfile.Profile(time.thread_time)
        with profiling(profile):
            run(page)
        profile.dump_stats(folder / f"{name}.{kind}.prof")


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs={"type": int, "default": 5},
                     pages={"nargs": "*", "default": PAGES, "help": "only these pages (default: all)"},
                     profile={"type": Path, "default": None, "help": "also write cProfile stats of each page here"},
                     statements={"type": int, "default": 0, "help": "also print each page's N slowest store statements"})
    header("page render (AppTest, in process)", args.scale, args.backend)
    database = demo_store(args.scale, args.backend, args.pg, args.rebuild)
    os.environ["PRODOPS_DB"] = database
    os.environ["PRODOPS_TODAY"] = "2026-11-26"
    logging.disable(logging.WARNING)  # AppTest's "no runtime" notices, two a run (errors still show)
    store = Store(database)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with with_floor_page():
        learn_hashes([*PAGES, FLOOR])
        render(PAGES[0])  # imports and first-run costs, so the first page measured is not charged for them
        floor_cold = medians([cold(FLOOR) for _ in range(args.runs)])
        render(FLOOR)
        floor = medians([render(FLOOR) for _ in range(args.runs)])
        if args.profile:
            profiled(FLOOR, args.profile)
        print(f"floor (a page with the same frame and nothing of its own): cold {floor_cold[0]:.3f} s "
              f"({floor_cold[1]:.2f}), warm {floor[0]:.3f} s ({floor[1]:.2f})")
        print(f"{'page':<18}{'cold s (cpu)':>16}{'warm s (cpu)':>16}{'queries':>9}{'bare s (cpu)':>16}"
              f"{'cold/bare':>11}{'3*bare+floor':>14}{'warm/goal':>11}{'(cpu)':>7}")
        for page in args.pages:
            statements: list = []
            with recording(statements, type(store)):
                cold(page)
            cold_s, cold_cpu = medians([cold(page) for _ in range(args.runs)])
            render(page)
            warm_s, warm_cpu = medians([render(page) for _ in range(args.runs)])
            bare_s, bare_cpu = medians([bare(store, statements) for _ in range(args.runs)])
            goal, goal_cpu = 3 * bare_s + floor[0], 3 * bare_cpu + floor[1]
            print(f"{page.removeprefix('pages/'):<18}{cold_s:9.2f} ({cold_cpu:4.1f}){warm_s:9.2f} ({warm_cpu:4.1f})"
                  f"{len(statements):9d}{bare_s:9.2f} ({bare_cpu:4.1f}){cold_s / bare_s if bare_s else float('nan'):11.1f}"
                  f"{goal:14.2f}{warm_s / goal:11.2f}{warm_cpu / goal_cpu:7.2f}")
            if args.profile:  # a profiling run's figures are not the measurement's
                profiled(page, args.profile)
            else:
                record("page_render", args.scale, args.backend, page=Path(page).stem, cold_s=cold_s, cold_cpu_s=cold_cpu,
                       warm_s=warm_s, warm_cpu_s=warm_cpu, bare_s=bare_s, queries=len(statements), floor_s=floor[0])
            if args.statements:
                slowest(store, statements, args.statements)
    print(f"(median of {args.runs} runs each; cold = every Streamlit cache cleared before the run; "
          "cpu = this process's CPU seconds, all threads; goal = 3 x bare + the floor's warm time, "
          "and its (cpu) the same in CPU seconds, which another process's load does not stretch)")


if __name__ == "__main__":
    main()
