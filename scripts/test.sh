#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium) and run the whole suite
# on each store backend named by PRODOPS_TEST_BACKENDS (default: duckdb).
# Usage: bash scripts/test.sh [pytest arguments]
#   PRODOPS_TEST_BACKENDS="duckdb postgres" also installs Debian's postgresql if missing, starts a
#   throwaway server, runs the suite on it, and stops and removes the server when the script ends;
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
