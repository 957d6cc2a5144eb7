#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium, Debian's poppler-utils for
# pdftoppm, which renders the QBR pack's pages to PNG, Debian's openssl, which makes the digest tests'
# mail server a certificate, Debian's postgresql) and run the whole suite: each test that touches a
# store once on each backend named by PRODOPS_TEST_BACKENDS (default: both), every other test once.
# Usage: bash scripts/test.sh [pytest arguments]
#   The PostgreSQL tests get a throwaway server (installed if missing, started on a free port,
#   stopped and removed when the script ends); PRODOPS_TEST_PG=postgresql://user@host:port/db
#   uses that server instead (its user must be allowed to create databases).
#   pytest-xdist spreads the tests over one process per core (PRODOPS_TEST_PROCESSES changes
#   that; 0 runs them in this process), a test file to a process.
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

scratch=$(mktemp -d "${TMPDIR:-/tmp}/prodops-tests.XXXXXX")
processes=${PRODOPS_TEST_PROCESSES:-$(nproc)}
echo "=== pytest, store backends: $backends, $processes processes" >&2
status=0
# shellcheck disable=SC2046
.venv/bin/python -m pytest $(printf -- '--backend %s ' $backends) -n "$processes" --dist loadfile \
  --basetemp "$scratch" "$@" || status=$?
rm -rf "$scratch"
exit $status
