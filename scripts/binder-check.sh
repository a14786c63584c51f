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
#
# The cold build is not redone for nothing. postBuild's warm-up compiles every registry crate the
# chapters load into evcxr's artifact cache, which starts empty here: about 7 minutes on 2 cores.
# What it compiles is fixed by the lock file, the members' manifests, the kernels' profiles
# (CARGO_CONFIG in scripts/kernel.py), the chapters' `:dep` lines, rustc and evcxr. After a run
# passes, its evcxr cache is kept under a hash of those; a later run with the same hash starts
# postBuild with it, and says so (evcxr keys each entry by the whole rustc command line, so an
# entry is only ever reused for the very same compilation). Any change to those inputs, or
# COURSE_BINDER_COLD=1, runs it cold again. The throwaway folders sit at a fixed path, so that
# the command lines match from one run to the next.
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
kept="${XDG_CACHE_HOME:-$HOME/.cache}/async-techniques-in-rust/binder-check"
mkdir -p "$kept"
exec 9> "$kept/lock"
flock -n 9 || die "another Binder check is running (it holds $kept/lock)"
tmp="$kept/run"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/cargo/bin"
# On Binder the clone, its kernels' build folders and the toolchain (~/.rustup) all sit in the home
# folder, as in most readers' clones: a cell's library then finds Rust's standard library only
# through scripts/kernel.py's library path (a kernel without it dies at its first cell). The
# throwaway folders sit in this user's home beside its toolchain, so that layout is what runs here.
case "$tmp/" in
  "$(dirname "$real_rustup")"/*)
    note "the kernels' build folders and the toolchain share $(dirname "$real_rustup"), as on Binder" ;;
  *) skipped "the Binder layout: the toolchain ($real_rustup) is not beside $tmp" ;;
esac
# The key of what the cold build compiles (see the top of this file).
key="$( { cat Cargo.lock Cargo.toml ./*/Cargo.toml; sed -n '/^CARGO_CONFIG = /,/^"""/p' scripts/kernel.py; grep -ho '":dep .*' notebooks/*.ipynb | sort -u
          rustc -vV; grep -s "^\"evcxr_jupyter " "$real_cargo/.crates.toml" || sha256sum "$real_cargo/bin/evcxr_jupyter"; } | sha256sum | cut -c1-16)"
seeded=""
if [ "${COURSE_BINDER_COLD:-0}" != "1" ] && [ -d "$kept/evcxr-$key" ]; then
  mkdir -p "$tmp/home/.cache"
  cp -al "$kept/evcxr-$key" "$tmp/home/.cache/evcxr"
  seeded="$(cat "$kept/evcxr-$key.txt" 2>/dev/null || echo "an earlier run")"
  note "evcxr's cache starts with the build of a passing cold run of the same inputs ($seeded; key $key);"
  note "COURSE_BINDER_COLD=1 runs it cold"
else
  note "evcxr's cache starts empty (a cold build: no passing run of these inputs is kept, key $key)"
fi
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
if [ -n "$seeded" ]; then
  note "postBuild (Rust found, set-up, warm-up from the kept cache, clean-up): $cold s"
else
  note "postBuild (Rust found, set-up, cold warm-up, clean-up): $cold s"
  # Kept for the next run of the same inputs (hard links: no second copy on disk).
  rm -rf "$kept"/evcxr-*
  cp -al "$tmp/home/.cache/evcxr" "$kept/evcxr-$key"
  echo "cold postBuild $cold s on $(date -u +%Y-%m-%d)" > "$kept/evcxr-$key.txt"
  note "kept evcxr's cache of this cold run for the next run of the same inputs ($(du -sh "$kept/evcxr-$key" | cut -f1))"
fi
