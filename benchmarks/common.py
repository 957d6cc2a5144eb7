"""What every benchmark shares: the `--scale small|large` argument and the demo database it runs on.

The demo organisation of each scale is built once, as of a fixed day, into
`benchmarks/.cache/<scale>.duckdb` (git-ignored) and reused by every later run, so the
benchmarks measure the same data every time. `--rebuild` builds it again.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.core.config import Settings  # noqa: E402
from dashboard.core.store import Store  # noqa: E402
from dashboard.demo import SCALES, build_demo  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
FIGURES = CACHE / "figures.jsonl"
"""Every figure a benchmark records, one JSON line each, newest last: what `cost_growth.py` reads."""
TODAY = date(2026, 11, 26)
"""The day every benchmark's organisation is built as of (the tests' demo day)."""


def arguments(description: str, **extra) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--rebuild", action="store_true", help="build the cached demo database again")
    parser.add_argument("--backend", choices=("duckdb", "postgres"), default="duckdb",
                        help="where the demo is read from (postgres: loaded from the DuckDB file, see stores.py)")
    parser.add_argument("--pg", help="the PostgreSQL server for --backend postgres (default: $PRODOPS_BENCH_PG)")
    for name, options in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **options)
    return parser.parse_args()


def demo_database(scale: str, rebuild: bool = False) -> Path:
    """The cached demo database of `scale`, built first if missing (or asked to)."""
    path = CACHE / f"{scale}.duckdb"
    if rebuild or not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"building the {scale} demo organisation into {path} ...", file=sys.stderr)
        timings: dict[str, float] = {}
        with Timer() as timer:
            counts = build_demo(Store(path), Settings(), TODAY, timings, scale=SCALES[scale])
        print(f"  built in {timings['total']:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
              file=sys.stderr)
        record("build", scale, "duckdb", wall_s=timer.seconds, cpu_s=timer.cpu + children_cpu(),
               peak_rss_mb=peak_rss_mb(), **counts)
    return path


def peak_rss_mb() -> float:
    """The largest resident memory this process, or any one child it waited for, has held."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def children_cpu() -> float:
    """CPU seconds of the children this process waited for (the demo's calendar workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def record(benchmark: str, scale: str, backend: str, **figures: float) -> None:
    """Keep `figures` of one run in `FIGURES`, with the load they were taken under."""
    CACHE.mkdir(parents=True, exist_ok=True)
    line = {"benchmark": benchmark, "scale": scale, "backend": backend, "taken": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "load": round(os.getloadavg()[0], 2), **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}}
    with FIGURES.open("a") as out:
        out.write(json.dumps(line) + "\n")


def demo_settings(scale: str) -> Settings:
    """The settings the demo of `scale` derives with: the defaults plus the story's check-in kinds
    (which live in the demo's code, not in a prodops.toml)."""
    from dashboard.demo.checkins import demo_checkin_settings
    from dashboard.demo.story import make_story

    story_scale = SCALES[scale]
    return demo_checkin_settings(Settings(), make_story(TODAY, story_scale.quarters, story_scale))


def medians(timers: list[Timer]) -> tuple[float, float]:
    """The median wall and the median CPU seconds of `timers`."""
    return statistics.median(t.seconds for t in timers), statistics.median(t.cpu for t in timers)


def median_text(timers: list[Timer]) -> str:
    """`wall s (cpu s cpu)`, medians over the runs."""
    wall, cpu = medians(timers)
    return f"{wall:.2f} s ({cpu:.2f} s cpu)"


def median_of(runs: int, measure) -> float:
    """The median of `runs` calls of `measure()`, each returning seconds."""
    return statistics.median(measure() for _ in range(runs))


class Timer:
    """Wall-clock seconds and this process's CPU seconds (all its threads) of a block.

    The machine the figures are taken on is shared, so wall time stretches with other people's
    load; CPU time is what the work itself cost and is printed beside it.
    """

    def __enter__(self) -> Timer:
        self.began, self.cpu_began = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_) -> None:
        self.seconds = time.perf_counter() - self.began
        self.cpu = time.process_time() - self.cpu_began


def header(what: str, scale: str, backend: str = "duckdb") -> None:
    print(f"# {what}: {scale} organisation on {backend}, {date.today().isoformat()}, load {os.getloadavg()[0]:.2f}, "
          f"{sys.executable}")


if __name__ == "__main__":
    options = arguments("Build the demo organisation of --scale into benchmarks/.cache (again with --rebuild).")
    print(demo_database(options.scale, options.rebuild))
