#!/usr/bin/env bash
# Run a command with a PostgreSQL server for the benchmarks: Debian's postgresql in a throwaway
# cluster (the tests' own, scripts/postgres-env.sh), but durable as a shared deployment runs it
# (fsync and synchronous commit on) with 1 GB of shared buffers. PRODOPS_BENCH_PG names it, so
# `--backend postgres` finds it; the cluster and the demo loaded into it go when the command ends.
# Usage: bash benchmarks/with_postgres.sh .venv/bin/python benchmarks/page_render.py --scale large --backend postgres
cd "$(dirname "$0")/.."
source scripts/python-env.sh
source scripts/postgres-env.sh
PRODOPS_PG_OPTIONS="-c shared_buffers=1GB" start_throwaway_postgres || exit 1
export PRODOPS_BENCH_PG="$PRODOPS_TEST_PG"
"$@"
