#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium and postgresql), start a
# throwaway PostgreSQL server, and run the whole suite on each store backend: DuckDB, then
# PostgreSQL. The server is stopped and removed when the script ends, whatever happens.
# Usage: bash scripts/test.sh [pytest arguments]
#   PRODOPS_TEST_BACKENDS="duckdb" (or "postgres") runs one backend only;
#   PRODOPS_TEST_PG=postgresql://user@host:port/db uses that server instead of starting one
#   (its user must be allowed to create databases).
cd "$(dirname "$0")/.."
source scripts/python-env.sh
source scripts/postgres-env.sh
ensure_venv requirements-dev.txt
[ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
mkdir -p tests/artifacts

backends=${PRODOPS_TEST_BACKENDS:-duckdb}
if [[ " $backends " == *" postgres "* && -z "${PRODOPS_TEST_PG:-}" ]]; then
  start_throwaway_postgres
fi

failed=""
for backend in $backends; do
  echo "=== pytest --backend $backend" >&2
  .venv/bin/python -m pytest --backend "$backend" "$@" || failed="$failed $backend"
done
if [ -n "$failed" ]; then
  echo "=== failed on:$failed" >&2
  exit 1
fi
