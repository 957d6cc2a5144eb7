#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium) and run the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]
cd "$(dirname "$0")/.."
source scripts/python-env.sh
ensure_venv requirements-dev.txt
[ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
mkdir -p tests/artifacts
exec .venv/bin/python -m pytest "$@"
