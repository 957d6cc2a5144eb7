#!/usr/bin/env bash
# Retake the store-scale benchmarks in one sitting, on both backends and every size, for
# RESULTS.md and cost_growth.py. Each command is printed with the load average it starts under,
# and its output follows, in benchmarks/.cache/retake-<time>.log. The figures of an earlier
# sitting are kept aside (figures-<time>.jsonl), so cost_growth.py reads this one's only, except
# the build figure of a size whose demo database is kept. A size whose demo database is missing is
# built first (delete one to retake its build).
# Run it on a quiet machine: about two hours on two cores, most of it the xlarge size.
# Usage: bash benchmarks/retake.sh [scale ...]   (default: small large xlarge)
cd "$(dirname "$0")/.."

run() {
  echo "\$ $* # $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RETAKE_LOG"
  "$@" 2>&1 | tee -a "$RETAKE_LOG"
}

measure() {  # measure BACKEND SCALE...
  local backend=$1 scale runs
  shift
  for scale in "$@"; do
    runs=3; [ "$scale" = xlarge ] && runs=1
    run .venv/bin/python benchmarks/recompute.py --scale "$scale" --backend "$backend" --runs "$runs"
    run .venv/bin/python benchmarks/page_render.py --scale "$scale" --backend "$backend" --runs "$runs"
    run .venv/bin/python benchmarks/metrics_cli.py --scale "$scale" --backend "$backend"
    run .venv/bin/python benchmarks/serve_memory.py --scale "$scale" --backend "$backend"
  done
}

profile_cold_pages() {  # where a cold page's time goes, for the pages furthest from 1 s
  local folder=benchmarks/.cache/profiles-$stamp
  run .venv/bin/python benchmarks/page_render.py --scale large --runs 1 --profile "$folder" \
    --pages pages/overview.py pages/bottlenecks.py pages/releases.py pages/surveys.py
  for page in overview bottlenecks releases surveys; do
    run .venv/bin/python benchmarks/profile_summary.py "$folder" --match "$page.cold"
  done
}

if [ "${1:-}" = --measure ]; then  # the PostgreSQL half, inside with_postgres.sh
  shift
  measure "$@"
  exit
fi

scales=("${@:-small}")
[ $# -eq 0 ] && scales=(small large xlarge)
stamp=$(date +%Y%m%d-%H%M)
export RETAKE_LOG=benchmarks/.cache/retake-$stamp.log
mkdir -p benchmarks/.cache
earlier=benchmarks/.cache/figures-$stamp.jsonl
[ -f benchmarks/.cache/figures.jsonl ] && mv benchmarks/.cache/figures.jsonl "$earlier"
for scale in "${scales[@]}"; do
  if [ -f "benchmarks/.cache/$scale.duckdb" ]; then
    [ -f "$earlier" ] && grep -F '"benchmark": "build"' "$earlier" | grep -F "\"scale\": \"$scale\"" | tail -n 1 \
      >> benchmarks/.cache/figures.jsonl
  else
    run .venv/bin/python benchmarks/common.py --scale "$scale"
  fi
done
measure duckdb "${scales[@]}"
[[ " ${scales[*]} " == *" large "* ]] && profile_cold_pages
bash benchmarks/with_postgres.sh bash benchmarks/retake.sh --measure postgres "${scales[@]}"
run .venv/bin/python benchmarks/cost_growth.py
