#!/usr/bin/env bash
# Opens the course in JupyterLab (after setup.sh). Extra arguments go to `jupyter lab`,
# e.g. scripts/lab.sh --no-browser --port 8890
# As root (a container, a CI machine), JupyterLab refuses to start without --allow-root, so it
# is passed for you, and said so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -x "$VENV/bin/jupyter" ] || die "JupyterLab is not installed in ${VENV#"$ROOT"/}. Fix: scripts/setup.sh (or make lab)"
extra=()
if [ "$(id -u)" = 0 ] && [[ " $* " != *" --allow-root "* ]]; then
  extra+=(--allow-root)
fi
step "Starting JupyterLab on notebooks/ (the first cell of a chapter compiles for a minute the first time)"
[ "${#extra[@]}" -eq 0 ] ||
  note "running as root: passing --allow-root to JupyterLab (it refuses to run as root otherwise)"
exec "$VENV/bin/jupyter" lab --notebook-dir="$ROOT/notebooks" ${extra[@]+"${extra[@]}"} "$@"
