#!/usr/bin/env bash
# Opens the course in JupyterLab (after setup.sh). Extra arguments go to `jupyter lab`,
# e.g. scripts/lab.sh --no-browser --port 8890
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
step "Starting JupyterLab on notebooks/ (the first cell of a chapter compiles for a minute the first time)"
exec "$VENV/bin/jupyter" lab --notebook-dir="$ROOT/notebooks" "$@"
