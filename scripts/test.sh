#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium, Debian's poppler-utils for
# pdftoppm, which renders the QBR pack's pages to PNG, Debian's openssl, which makes the digest tests'
# mail server a certificate, Debian's postgresql) and run the whole suite
# on each store backend named by PRODOPS_TEST_BACKENDS (default: both).
# Usage: bash scripts/test.sh [pytest arguments]
#   The PostgreSQL run gets a throwaway server (installed if missing, started on a free port,
#   stopped and removed when the script ends); PRODOPS_TEST_PG=postgresql://user@host:port/db
#   uses that server instead (its user must be allowed to create databases).
#   The backends run side by side, one pytest process each (the machine has two cores), each
#   with its own log under tests/artifacts/, printed when it ends. PRODOPS_TEST_BACKENDS=duckdb
#   runs one backend in the foreground.
cd "$(dirname "$0")/.."
source scripts/python-env.sh
source scripts/postgres-env.sh
ensure_venv requirements-dev.txt
[ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
[ -x /usr/bin/pdftoppm ] || apt_install poppler-utils
[ -x /usr/bin/openssl ] || apt_install openssl
mkdir -p tests/artifacts

echo "=== ruff check" >&2
.venv/bin/ruff check . || exit 1
echo "=== lint-imports (the layer contracts in pyproject.toml)" >&2
.venv/bin/lint-imports || exit 1

backends=${PRODOPS_TEST_BACKENDS:-duckdb postgres}
if [[ " $backends " == *" postgres "* && -z "${PRODOPS_TEST_PG:-}" ]]; then
  start_throwaway_postgres
fi

run_backend() {
  local backend=$1; shift
  .venv/bin/python -m pytest --backend "$backend" --basetemp "$scratch/$backend" "$@"
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/prodops-tests.XXXXXX")
failed=""
if [ "$(wc -w <<<"$backends")" -eq 1 ]; then
  echo "=== pytest --backend $backends" >&2
  run_backend "$backends" "$@" || failed=" $backends"
else
  declare -A pids
  for backend in $backends; do
    echo "=== pytest --backend $backend (log: tests/artifacts/pytest-$backend.log)" >&2
    run_backend "$backend" "$@" >"tests/artifacts/pytest-$backend.log" 2>&1 &
    pids[$backend]=$!
  done
  for backend in $backends; do
    wait "${pids[$backend]}" || failed="$failed $backend"
    echo "=== pytest --backend $backend" >&2
    cat "tests/artifacts/pytest-$backend.log"
  done
fi
rm -rf "$scratch"
if [ -n "$failed" ]; then
  echo "=== failed on:$failed" >&2
  exit 1
fi
