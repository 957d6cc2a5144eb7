#!/usr/bin/env bash
# Install the dashboard and start it on the demo organisation (built on first run).
# Usage: bash scripts/start.sh [--port 8501] [--address 0.0.0.0]
cd "$(dirname "$0")/.."
source scripts/python-env.sh
ensure_venv requirements.txt
exec .venv/bin/python -m dashboard serve "$@"
