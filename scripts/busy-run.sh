#!/usr/bin/env bash
# Runs chapters through the real kernel where learners meet them (part of `make test`):
#   scripts/busy-run.sh one-core NOTEBOOK...  every process of the run on CPU 0 only (taskset), as on
#                                             Binder's one-CPU quota: claims must pass as judged there;
#   scripts/busy-run.sh busy NOTEBOOK...      a CPU hog pinned to the last CPU for the whole run, as a
#                                             browser or an IDE would keep a core busy: timing claims
#                                             that cannot be judged say so ("not judged"), none fails.
# Each notebook runs once (one pass) in a fresh kernel. The hog is stopped however the run ends.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
mode="${1:-}"; shift || true
[ $# -gt 0 ] || die "usage: scripts/busy-run.sh one-core|busy NOTEBOOK..."
command -v taskset >/dev/null || die "taskset is missing (Debian/Ubuntu: apt install util-linux)"
cpus="$(nproc --all)"
report="$ROOT/target/notebook-timings-$mode.json"
case "$mode" in
  one-core)
    note "every process of this run on CPU 0 of $cpus (taskset -c 0)"
    taskset -c 0 "$VENV/bin/python" scripts/notebooks.py test --passes 1 --report "$report" "$@"
    ;;
  busy)
    if [ "$cpus" -lt 2 ]; then
      note "one CPU only: a hog would take the whole machine; the busy run is skipped"
      exit 0
    fi
    hog_cpu=$((cpus - 1))
    taskset -c "$hog_cpu" "$VENV/bin/python" -c 'while True: pass' &
    hog=$!
    trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null || true' EXIT
    note "a CPU hog (process $hog) keeps CPU $hog_cpu of $cpus busy for the whole run"
    "$VENV/bin/python" scripts/notebooks.py test --passes 1 --busy --report "$report" "$@"
    ;;
  *) die "unknown mode '$mode': one-core or busy" ;;
esac
