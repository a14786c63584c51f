#!/usr/bin/env bash
# Every test, in order of speed: formatting, lints, the support crate's unit and doc tests,
# the committed notebooks' static check, a self-test of the notebook harness, then every notebook run headless through the real
# evcxr kernel, twice in the same kernel (scripts/notebooks.py test). Stops at the first failure.
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
timed "cargo test (support: unit and doc tests)" cargo test --workspace --locked
timed "static check of the committed notebooks" "$VENV/bin/python" scripts/notebooks.py check
timed "the notebook harness catches what it should (self-test)" "$VENV/bin/python" scripts/test_harness.py
timed "notebooks through the evcxr kernel" "$VENV/bin/python" scripts/notebooks.py test
step "All tests passed in $((SECONDS - started)) s"
