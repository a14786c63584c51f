#!/usr/bin/env bash
# Every test, in order of speed: formatting, lints, the support crate's unit and doc tests,
# the committed notebooks' static check, the Dockerfile mybinder.org's repo2docker would build
# (scripts/repo2docker-check.sh, with its self-test), a self-test of the notebook harness, every
# notebook run headless through the real evcxr kernel, twice in the same kernel
# (scripts/notebooks.py test; a claim shown "not judged" fails this quiet run), five chapters
# on one core and four beside a CPU hog (scripts/busy-run.sh), chapter 01 run in JupyterLab
# in headless Chromium
# (scripts/browser-test.sh), and Binder's postBuild with a throwaway HOME
# (scripts/binder-check.sh). Stops at the first failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
started=$SECONDS
timed() {
  local label="$1"; shift
  step "$label"
  local t=$SECONDS
  "$@"
  note "($label: $((SECONDS - t)) s)"
}
timed "cargo fmt --check" cargo fmt --all -- --check
timed "cargo clippy (warnings are errors)" cargo clippy --workspace --all-targets --locked -- -D warnings
timed "cargo clippy, support without its web feature (chapters 01, 03, 04, 05)" \
  cargo clippy -p support --no-default-features --all-targets --locked -- -D warnings
timed "cargo test (support: unit and doc tests)" cargo test --workspace --locked
timed "static check of the committed notebooks" "$VENV/bin/python" scripts/notebooks.py check
timed "Binder: the Dockerfile repo2docker would build, on mybinder.org's rules (and its self-test)" scripts/repo2docker-check.sh
timed "the notebook harness catches what it should (self-test)" "$VENV/bin/python" scripts/test_harness.py
timed "notebooks through the evcxr kernel" "$VENV/bin/python" scripts/notebooks.py test
timed "one core (taskset -c 0, as on Binder): chapters 01, 03, 05, 09, 10" \
  scripts/busy-run.sh one-core notebooks/01-*.ipynb notebooks/03-*.ipynb notebooks/05-*.ipynb notebooks/09-*.ipynb \
  notebooks/10-*.ipynb
timed "a busy machine (a CPU hog on one core): chapters 01, 03, 09, 10" \
  scripts/busy-run.sh busy notebooks/01-*.ipynb notebooks/03-*.ipynb notebooks/09-*.ipynb notebooks/10-*.ipynb
timed "the course in a real browser (JupyterLab, headless Chromium)" scripts/browser-test.sh
timed "Binder: postBuild with a throwaway HOME, then a fresh kernel's first cell" scripts/binder-check.sh
step "All tests passed in $((SECONDS - started)) s"
