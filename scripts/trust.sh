#!/usr/bin/env bash
# Signs notebooks for JupyterLab, so their charts show on opening, but only those whose outputs
# pass the safety check (scripts/notebooks.py safe: a MIME allow-list; no script, event handler,
# javascript: URL or foreign content in HTML or SVG). Signing a notebook lets its outputs run in
# the browser, so one pulled in from a fork with a <script> in an output must never be signed:
# such a notebook is named and left untrusted (its charts show as text until it is re-run).
#   scripts/trust.sh DB_FILE SECRET_FILE NOTEBOOK...
# Exits 0 when every notebook was signed, 3 when some were refused, 1 on any other failure.
# scripts/setup.sh runs it whenever a notebook changed; scripts/test_harness.py tests it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ $# -ge 3 ] || die "usage: scripts/trust.sh DB_FILE SECRET_FILE NOTEBOOK..."
db="$1"; secret="$2"; shift 2
data="$(dirname "$db")"
mkdir -p "$data"
log="$(mktemp "${TMPDIR:-/tmp}/trust.XXXXXX")"
trap 'rm -f "$log"' EXIT
safe=()
for nb in "$@"; do
  if "$VENV/bin/python" "$ROOT/scripts/notebooks.py" safe "$nb" > "$log" 2>&1; then
    safe+=("$nb")
  else
    note "NOT trusting $nb: its outputs failed the safety check:"
    sed 's/^/      /' "$log" >&2
  fi
done
if [ "${#safe[@]}" -gt 0 ]; then
  # JUPYTER_DATA_DIR: `jupyter trust` would otherwise create ~/.local/share/jupyter.
  JUPYTER_DATA_DIR="$data" "$VENV/bin/jupyter" trust \
    --NotebookNotary.db_file="$db" --NotebookNotary.secret_file="$secret" \
    "${safe[@]}" > "$log" 2>&1 ||
    { cat "$log" >&2; die "jupyter trust failed (its output is above)"; }
fi
step "Trusted ${#safe[@]} of $# notebooks, so JupyterLab shows their charts on opening (key and signatures: ${data#"$ROOT"/})"
[ "${#safe[@]}" -eq $# ] || exit 3
