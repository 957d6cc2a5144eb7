"""Where a page's time went: a summary of the cProfile files `page_render.py --profile DIR` writes.

For each file: the total, the own time (tottime) by package (streamlit, plotly, pandas, ours ...),
and the top functions by cumulative and by own time.

Run: python benchmarks/profile_summary.py DIR [--top 15] [--match overview]
"""
from __future__ import annotations

import argparse
import pstats
import re
from collections import defaultdict
from pathlib import Path

ENTRY_POINTS = ("plotly_chart", "to_plotly_json", "to_dict", "to_json", "_enqueue", "validate", "line_chart")
"""Library functions worth listing by cumulative time beside ours: where a chart's cost is spent."""
SITE = re.compile(r"(?:site|dist)-packages/([^/]+)")


def package(filename: str) -> str:
    """The package a function's file belongs to: a site-packages top level, ours by folder, or builtins."""
    found = SITE.search(filename)
    if found:
        return found.group(1).removesuffix(".py")
    for ours in ("dashboard/", "pages/", "benchmarks/", "connectors/"):
        if ours in filename:
            return ours.rstrip("/") + " (ours)"
    return "builtins" if filename.startswith(("~", "<")) else "stdlib"


def where(func: tuple) -> str:
    filename, line, name = func
    found = SITE.search(filename)
    short = filename[found.start(1):] if found else re.sub(r".*/wt-[^/]+/", "", filename)
    return f"{short}:{line}({name})" if filename != "~" else name


def summary(path: Path, top: int) -> None:
    stats = pstats.Stats(str(path))
    entries = stats.stats  # func -> (primitive calls, calls, tottime, cumtime, callers)
    total = stats.total_tt
    by_package: dict[str, float] = defaultdict(float)
    for func, (_, _, tottime, _, _) in entries.items():
        by_package[package(func[0])] += tottime
    print(f"## {path.name}: {total:.3f} s profiled")
    print("own time by package: " + ", ".join(
        f"{name} {seconds:.3f}" for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1]) if seconds >= 0.005))
    cumulative = sorted(entries.items(), key=lambda kv: -kv[1][3])
    print(f"top {top} by cumulative (ours and the libraries' entry points):")
    shown = 0
    for func, (_, calls, tottime, cumtime, _) in cumulative:
        if shown >= top:
            break
        if "(ours)" not in package(func[0]) and not any(k in func[2] for k in ENTRY_POINTS):
            continue
        print(f"  {cumtime:7.3f} cum {tottime:7.3f} own {calls:7d} calls  {where(func)}")
        shown += 1
    print(f"top {top} by own time:")
    for func, (_, calls, tottime, cumtime, _) in sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"  {tottime:7.3f} own {cumtime:7.3f} cum {calls:7d} calls  {where(func)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--match", default="", help="only files whose name holds this")
    args = parser.parse_args()
    for path in sorted(args.folder.glob("*.prof")):
        if args.match in path.name:
            summary(path, args.top)


if __name__ == "__main__":
    main()
