#!/usr/bin/env bash
# Runs binder/postBuild as Binder would, as far as that can be done without Docker:
#   - a throwaway HOME, so evcxr's cache, pip's cache and Jupyter's folders start empty;
#   - a throwaway CARGO_HOME holding only the kernel binary this machine already built (so the
#     8-minute build is skipped, as postBuild skips what exists), so cargo fetches and unpacks
#     every crate afresh and postBuild's clean-up really runs;
#   - this machine's Rust toolchain (RUSTUP_HOME), which postBuild must find and keep;
#   - a new, empty Python environment standing in for Binder's;
#   - the kernels' build directories (scripts/kernel.py's slots) in a throwaway folder too.
# Then a second, fresh kernel runs the warm-up again, as a learner's first kernel on Binder would:
# its first `:dep` cell must find the slot postBuild built: cargo compiles no crate (a lost build
# shows as cargo's `Compiling` lines), and the cell finishes within WARM_FIRST_CELL_LIMIT seconds of
# the kernel's launch. Prints the cold and warm times and the peak memory; removes everything after.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
# A fresh kernel's first cell after postBuild, timed from the kernel's launch. Measured here on 2
# cores: 18-26 s, of which about 6 s is evcxr starting (its type checker loads std's source), 8 s
# the type checker loading the `:dep` tree and 4 s cargo and rustc for the cell; a lost build adds
# minutes. Issue 26's goal is 10 s: this limit catches a lost build, not that remaining gap.
WARM_FIRST_CELL_LIMIT="${WARM_FIRST_CELL_LIMIT:-40}"

real_cargo="${CARGO_HOME:-$HOME/.cargo}"
real_rustup="${RUSTUP_HOME:-$HOME/.rustup}"
[ -x "$real_cargo/bin/evcxr_jupyter" ] ||
  die "no evcxr_jupyter in $real_cargo/bin: run scripts/setup.sh first"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/binder-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/cargo/bin"
cp "$real_cargo/bin/evcxr_jupyter" "$tmp/cargo/bin/"
cp "$real_cargo/.crates.toml" "$real_cargo/.crates2.json" "$tmp/cargo/" 2>/dev/null || true
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m venv "$tmp/env"

# Only the throwaway folders, whatever this shell had set.
isolated=(env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u JUPYTER_PATH
          -u JUPYTER_DATA_DIR -u JUPYTER_CONFIG_DIR -u VIRTUAL_ENV
          HOME="$tmp/home" CARGO_HOME="$tmp/cargo" RUSTUP_HOME="$real_rustup"
          COURSE_KERNEL_SLOTS="$tmp/kernels"
          COURSE_VENV="$tmp/env" PATH="$tmp/cargo/bin:$real_cargo/bin:$PATH")

step "Binder check: binder/postBuild with a throwaway HOME, CARGO_HOME and Python environment"
t=$SECONDS
"${isolated[@]}" bash binder/postBuild
cold=$((SECONDS - t))
[ -d "$tmp/home/.cache/evcxr" ] || die "postBuild left no evcxr cache in \$HOME/.cache/evcxr"
[ ! -d "$tmp/cargo/registry/src" ] || die "postBuild left cargo's unpacked sources behind"
grep -qs "evcxr_jupyter" "$tmp/env/share/jupyter/kernels/rust/kernel.json" ||
  die "postBuild did not register the Rust kernel in the Python environment"

step "Binder check: a fresh kernel's first \`:dep support\` cell, after the warm-up"
"${isolated[@]}" "$tmp/env/bin/python" scripts/notebooks.py warm \
  --max-first-cell "$WARM_FIRST_CELL_LIMIT" 2>&1 | tee "$tmp/warm.log"
if grep -E '^\s+Compiling [a-z_0-9-]+ v' "$tmp/warm.log"; then
  die "a fresh kernel compiled the crates above after postBuild: it did not find the build postBuild made"
fi
note "postBuild (Rust found, set-up, cold warm-up, clean-up): $cold s"
