#!/usr/bin/env bash
# Installs what the course needs and is missing, and nothing else: safe to run again and again.
#   - checks Rust (>= 1.95) and its rust-src component (evcxr's type inference reads it);
#   - creates a project-local Python venv (.venv) with the pinned JupyterLab, nbclient and uvloop
#     (binder/requirements.txt, the one list of them: Binder installs the same file);
#   - builds evcxr_jupyter (the Rust kernel) from its published source with the course's changes
#     to evcxr (scripts/evcxr/*.patch), with `cargo install --locked`, unless that
#     exact build is already installed (about 8 minutes on 2 cores, once per machine);
#   - registers the kernel inside .venv, never in your global Jupyter, started through
#     scripts/kernel.py (a build directory per kernel that outlives it);
#   - trusts the course's own notebooks (notebooks/NN-*.ipynb), so JupyterLab shows their charts
#     on opening, with a key and signature database inside .venv, again never your global
#     Jupyter's; signed again only when a notebook changed (git pull, make execute).
# COURSE_VENV=/path/to/env uses an existing Python environment instead of .venv (Binder's
# postBuild points it at the environment Binder's Jupyter runs in).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
venv_name="${VENV#"$ROOT"/}"

# --- Rust ----------------------------------------------------------------------------------
command -v cargo >/dev/null && command -v rustc >/dev/null ||
  die "Rust is not installed (no cargo or rustc on PATH).
Fix: install it from https://rustup.rs (Rust $MIN_RUST or newer), open a new shell, run this again."
rust_version="$(rustc --version | awk '{print $2}')"
version_at_least "${rust_version%%-*}" "$MIN_RUST" ||
  die "Rust $rust_version is too old: evcxr_jupyter $EVCXR_VERSION needs Rust $MIN_RUST or newer.
Fix: rustup update stable"
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
  step "Adding the rust-src component (the kernel's type inference reads the standard library's source)"
  rustup component add rust-src ||
    die "could not add rust-src. Fix: rustup component add rust-src"
fi

# --- Python and the venv -------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null ||
  die "Python 3 is not installed (no $PYTHON on PATH).
Fix: install Python $MIN_PYTHON or newer (e.g. apt install python3 python3-venv), or set PYTHON=/path/to/python3."
py_version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
version_at_least "$py_version" "$MIN_PYTHON" ||
  die "Python $py_version is too old; JupyterLab needs $MIN_PYTHON or newer. Set PYTHON=/path/to/newer/python3."
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null ||
    die "Python's venv module is missing. Fix (Debian/Ubuntu): apt install python3-venv"
  step "Creating the project's Python environment in $venv_name"
  "$PYTHON" -m venv "$VENV"
fi
# On Binder, repo2docker has already installed this file into COURSE_VENV: pip finds every pin
# satisfied and changes nothing (a few seconds).
requirements="binder/requirements.txt"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$wanted" ]; then
  step "Installing JupyterLab, nbclient and uvloop into $venv_name ($requirements; about a minute the first time)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q -r "$requirements" ||
    die "pip could not install $requirements into $venv_name (see its message above)"
  echo "$wanted" > "$VENV/.requirements.sha256"
fi

# --- The Rust kernel -----------------------------------------------------------------------
# evcxr_jupyter's published source, built against a patched copy of evcxr, the library it runs
# on: scripts/evcxr/*.patch, in name order (each file's header says what it changes and what
# that saves). Cargo fetches both crates from crates.io; every patch must apply cleanly;
# evcxr_jupyter's own Cargo.lock is kept, with only evcxr's entry pointing at the patched copy.
# The build's version carries the patches' hash (EVCXR_BUILD, scripts/common.sh): it is what
# `cargo install --list` shows and what the kernel reports as its implementation_version, so the
# test harness can tell that the kernel in use is this build, and changed patches are built again.
build_kernel() {
  local build="${XDG_CACHE_HOME:-$HOME/.cache}/async-techniques-in-rust/evcxr-build"
  local jupyter="$build/evcxr_jupyter-$EVCXR_VERSION" evcxr="$build/evcxr-$EVCXR_VERSION" name
  rm -rf "$jupyter" "$evcxr" "$build/fetch"
  mkdir -p "$build/fetch/src"
  : > "$build/fetch/src/lib.rs"
  printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nevcxr_jupyter = "=%s"\n[workspace]\n' \
    "$EVCXR_VERSION" > "$build/fetch/Cargo.toml"
  cargo fetch --quiet --manifest-path "$build/fetch/Cargo.toml" ||
    die "cargo could not fetch evcxr_jupyter $EVCXR_VERSION from crates.io (its message is above)"
  for name in evcxr_jupyter evcxr; do
    local crate
    crate="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$name-$EVCXR_VERSION.crate" | head -n 1)"
    [ -n "$crate" ] || die "cargo fetched no $name-$EVCXR_VERSION.crate"
    tar -xzf "$crate" -C "$build"
  done
  local change
  for change in "$ROOT/$EVCXR_PATCHES"/*.patch; do
    if command -v patch >/dev/null; then
      patch --quiet --forward --batch -p1 -d "$evcxr" < "$change"
    else
      (cd "$evcxr" && git apply -p1 "$change")
    fi || die "${change#"$ROOT"/} does not apply to evcxr $EVCXR_VERSION's published source"
  done
  # The build's version (its [package] table's first `version` line), and the patched evcxr.
  awk -v from="version = \"$EVCXR_VERSION\"" -v to="version = \"$EVCXR_BUILD\"" \
    '!done && $0 == from { $0 = to; done = 1 } { print }' "$jupyter/Cargo.toml" > "$jupyter/Cargo.toml.new"
  mv "$jupyter/Cargo.toml.new" "$jupyter/Cargo.toml"
  grep -qx "version = \"$EVCXR_BUILD\"" "$jupyter/Cargo.toml" || die "could not set the build's version"
  printf '\n[patch.crates-io]\nevcxr = { path = "../evcxr-%s" }\n' "$EVCXR_VERSION" >> "$jupyter/Cargo.toml"
  # Resolving writes only what the two edits change into the lock file (evcxr's source, the
  # version); fetching for this machine alone downloads what the build needs and no more.
  (cd "$jupyter" && cargo fetch --quiet --target "$(rustc -vV | sed -n 's/^host: //p')") ||
    die "cargo could not fetch what the patched evcxr_jupyter needs (its message is above)"
  # --force: it replaces an evcxr_jupyter installed from crates.io, which owns the same binary.
  cargo install --locked --force --path "$jupyter" --target-dir "$build/target"
  rm -rf "$build"
}
if ! cargo install --list | grep -q "^evcxr_jupyter v$EVCXR_BUILD "; then
  step "Building evcxr_jupyter $EVCXR_VERSION with the course's changes to evcxr, the Rust kernel (about 8 minutes on 2 cores; once per machine)"
  started=$SECONDS
  build_kernel
  note "built in $((SECONDS - started)) s: evcxr_jupyter $EVCXR_BUILD"
fi
# The kernel spec starts evcxr through scripts/kernel.py, which gives each kernel a build
# directory kept from one kernel to the next (target/kernels/slot-N): a kernel's first `:dep`
# cell then checks a finished build instead of making one, and later cells rebuild nothing.
kernel_dir="$VENV/share/jupyter/kernels/rust"
kernel_json="$(printf '{\n "argv": ["%s", "%s", "--evcxr", "%s", "{connection_file}"],\n "display_name": "Rust",\n "interrupt_mode": "message",\n "language": "rust"\n}\n' \
  "$VENV/bin/python" "$ROOT/scripts/kernel.py" "$CARGO_BIN/evcxr_jupyter")"
if [ "$(cat "$kernel_dir/kernel.json" 2>/dev/null)" != "$kernel_json" ]; then
  step "Registering the Rust kernel inside $venv_name (not in your global Jupyter)"
  JUPYTER_PATH="$VENV/share/jupyter" "$CARGO_BIN/evcxr_jupyter" --install >/dev/null
  printf '%s\n' "$kernel_json" > "$kernel_dir/kernel.json"
  note "kernel spec: ${kernel_dir#"$ROOT"/} (starts evcxr through scripts/kernel.py)"
fi
# --- Trust the course's notebooks ----------------------------------------------------------
# Every chart is an image/svg+xml output, and JupyterLab renders SVG only from trusted outputs;
# a notebook not executed in this server is untrusted, so its charts would show as text until
# re-run. `jupyter trust` signs the committed notebooks with a key and a signature database kept
# in the venv, and a config file in the venv points JupyterLab (any Jupyter app run from the
# venv: jupyter_config.json is read by all of them) at the same two files. Nothing is written to
# your global Jupyter (JUPYTER_DATA_DIR is the venv's for `jupyter trust`, which would otherwise
# create ~/.local/share/jupyter). On Binder, COURSE_VENV is the image's environment.
jupyter_data="$VENV/share/jupyter"
trust_db="$jupyter_data/nbsignatures.db"
trust_secret="$jupyter_data/notebook_secret"
trust_config="$VENV/etc/jupyter/jupyter_config.json"
if ! grep -qsF "\"db_file\": \"$trust_db\"" "$trust_config" ||
   ! grep -qsF "\"secret_file\": \"$trust_secret\"" "$trust_config"; then
  # Merged into the file, in case the environment already has one (Binder's might).
  "$VENV/bin/python" - "$trust_config" "$trust_db" "$trust_secret" <<'PY' ||
import json, pathlib, sys
path, db_file, secret_file = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
config = json.loads(path.read_text()) if path.exists() else {}
config.setdefault("NotebookNotary", {}).update(db_file=db_file, secret_file=secret_file)
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(config, indent=2) + "\n")
PY
    die "could not write ${trust_config#"$ROOT"/} (JupyterLab's notebook-trust settings)"
fi
shopt -s nullglob
notebooks=(notebooks/[0-9][0-9]-*.ipynb)
shopt -u nullglob
if [ "${#notebooks[@]}" -gt 0 ]; then
  signed="$(sha256sum "${notebooks[@]}" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$VENV/.trusted-notebooks.sha256" 2>/dev/null)" != "$signed" ] ||
     [ ! -s "$trust_db" ] || [ ! -s "$trust_secret" ]; then
    # Signing a notebook lets its outputs run in the browser: scripts/trust.sh signs only the
    # notebooks whose outputs pass the safety check, and names the others (left untrusted).
    trusted=0
    scripts/trust.sh "$trust_db" "$trust_secret" "${notebooks[@]}" || trusted=$?
    case "$trusted" in
      0) echo "$signed" > "$VENV/.trusted-notebooks.sha256" ;;
      3) ;;  # some were refused and named: checked again next time
      *) die "scripts/trust.sh could not sign the course's notebooks (its output is above)" ;;
    esac
  fi
fi
# wrk is optional: chapter 08 cross-checks its own load generator with it when it is installed
# (without it that claim shows "not judged (unavailable)"). As root on Debian or Ubuntu (a CI
# machine, a container) set-up installs it; elsewhere it says how.
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "Installing wrk (Debian's package; chapter 08 cross-checks its load generator with it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } ||
      note "could not install wrk with apt-get; chapter 08's cross-check will say it is unavailable"
  else
    note "Optional: wrk (the course's load-testing tool) is not installed; chapter 08 uses it for a cross-check when it is. Install: apt install wrk (Debian/Ubuntu) or brew install wrk (macOS)."
  fi
fi
# --warm (make lab, make test): build the first kernel's slot for every chapter's set-up, once,
# so that no reader's first cell compiles the tree; skipped when it is current.
if [ "${1:-}" = "--warm" ]; then
  step "Building the Rust kernels' first build directory for every chapter's set-up (minutes the first time; skipped when current)"
  started=$SECONDS
  "$VENV/bin/python" scripts/notebooks.py warm || die "the warm-up failed (its output is above)"
  note "took $((SECONDS - started)) s"
fi
step "Set-up complete: Rust $rust_version, Python $py_version, evcxr_jupyter $EVCXR_BUILD"
