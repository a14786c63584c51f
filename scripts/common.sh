# Shared by the scripts in this folder: paths, versions and how progress is printed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The Python environment that holds JupyterLab and the kernel spec: the project's own .venv,
# or an existing one named by COURSE_VENV (Binder points it at the environment its Jupyter runs in).
VENV="${COURSE_VENV:-$ROOT/.venv}"
EVCXR_VERSION="0.22.0"      # the kernel; needs Rust >= MIN_RUST
# The course's changes to evcxr (applied in name order), and the version of the kernel built with
# them (scripts/setup.sh): the first 12 hex digits of the SHA-256 of the files, concatenated.
EVCXR_PATCHES="scripts/evcxr"
EVCXR_BUILD="$EVCXR_VERSION+course.$(LC_ALL=C; cat "$ROOT/$EVCXR_PATCHES"/*.patch | sha256sum | cut -c1-12)"
# The Rust version lives in one place, the workspace's Cargo.toml (`rust-version`).
MIN_RUST="$(sed -n 's/^rust-version = "\([0-9.]*\)"/\1/p' "$ROOT/Cargo.toml")"
[ -n "$MIN_RUST" ] || { echo "error: no rust-version in $ROOT/Cargo.toml" >&2; exit 1; }
MIN_PYTHON="3.9"
CARGO_BIN="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\nerror: %s\n' "$*" >&2; exit 1; }
# skipped WHAT: a check that could not run here. Printed now, and collected for the test
# command's SKIPPED summary at the end (COURSE_SKIPPED_FILE), which fails under CI.
skipped() {
  printf '    SKIPPED %s\n' "$*"
  if [ -n "${COURSE_SKIPPED_FILE:-}" ]; then printf '%s\n' "$*" >> "$COURSE_SKIPPED_FILE"; fi
}

# version_at_least HAVE NEED: true when dotted version HAVE >= NEED.
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}
