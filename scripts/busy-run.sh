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
    # The CPUs this process may run on (a container's cpuset may hold fewer than the machine).
    allowed="$(taskset -cp $$ | sed 's/.*: //')"
    usable="$("$VENV/bin/python" -c 'import os; print(len(os.sched_getaffinity(0)))')"
    if [ "$usable" -lt 2 ]; then
      skipped "the busy run: this process may use $usable CPU ($allowed): a hog would take all of it"
      exit 0
    fi
    hog_cpu="$("$VENV/bin/python" -c 'import os; print(max(os.sched_getaffinity(0)))')"
    taskset -c "$hog_cpu" "$VENV/bin/python" -c 'while True: pass' &
    hog=$!
    # SIGKILL: it ends the hog even if it was stopped (a stopped process keeps a SIGTERM pending).
    trap 'kill -KILL "$hog" 2>/dev/null; wait "$hog" 2>/dev/null || true' EXIT
    # Named for the harness self-test, which stops the hog from a notebook to prove the check
    # below fails a run that was not busy.
    export COURSE_HOG_PID="$hog"
    sleep 1
    kill -0 "$hog" 2>/dev/null || die "the CPU hog did not start on CPU $hog_cpu"
    note "a CPU hog (process $hog) keeps CPU $hog_cpu of the ones this run may use ($allowed) busy"
    started=$SECONDS
    hog_cpu_seconds() { awk '{print ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$hog/stat"; }
    "$VENV/bin/python" scripts/notebooks.py test --passes 1 --busy --report "$report" "$@"
    # The harness checked that claims saw the competition; this checks the hog really ran.
    used="$(hog_cpu_seconds)"
    wall=$((SECONDS - started))
    awk -v used="$used" -v wall="$wall" 'BEGIN { exit !(used >= 0.8 * wall) }' ||
      die "the CPU hog used only $used s of CPU in $wall s: the run was not busy"
    note "the hog used $used s of CPU in $wall s"
    ;;
  *) die "unknown mode '$mode': one-core or busy" ;;
esac
