"""The metrics CLI on the demo organisation: every grain and scope, timed, with a digest of its output.

`python -m dashboard metrics --grain G --scope S` runs in a process of its own for each of the
nine grain-scope pairs, as a cron job or a script would call it, over the CLI's default window
(eight quarters back from the demo's day). Printed: wall and CPU seconds (the child's), the
rows and bytes written, and the SHA-256 of the output, so a run on each backend shows whether
DuckDB and PostgreSQL answer byte for byte the same.

Run: python benchmarks/metrics_cli.py --scale small|large|xlarge [--backend duckdb|postgres]
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

from common import ROOT, TODAY, arguments, children_cpu, header, record
from stores import demo_store

GRAINS = ("week", "month", "quarter")
SCOPES = ("org", "group", "team")


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    header("metrics CLI", args.scale, args.backend)
    env = {**os.environ, "PRODOPS_DB": demo_store(args.scale, args.backend, args.pg, args.rebuild),
           "PRODOPS_TODAY": TODAY.isoformat()}
    total_wall = total_cpu = 0.0
    everything = hashlib.sha256()
    print(f"{'grain':<9}{'scope':<7}{'wall s':>8}{'cpu s':>8}{'rows':>11}{'bytes':>12}  sha256")
    for grain in GRAINS:
        for scope in SCOPES:
            began, cpu_began = time.perf_counter(), children_cpu()
            done = subprocess.run([sys.executable, "-m", "dashboard", "metrics", "--grain", grain, "--scope", scope],
                                  cwd=ROOT, env=env, capture_output=True, check=True)
            wall, cpu = time.perf_counter() - began, children_cpu() - cpu_began
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            everything.update(done.stdout)
            rows = done.stdout.count(b"\n") - 1
            print(f"{grain:<9}{scope:<7}{wall:8.2f}{cpu:8.2f}{rows:11,d}{len(done.stdout):12,d}  "
                  f"{hashlib.sha256(done.stdout).hexdigest()[:16]}")
    print(f"all nine in {total_wall:.1f} s ({total_cpu:.1f} s cpu); sha256 of all outputs {everything.hexdigest()[:16]}")
    record("metrics_cli", args.scale, args.backend, wall_s=total_wall, cpu_s=total_cpu, sha256=everything.hexdigest())


if __name__ == "__main__":
    main()
