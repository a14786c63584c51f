#!/usr/bin/env bash
# The course in a real browser: starts the course's JupyterLab through scripts/lab.sh, the
# script a reader's `make lab` runs (so its root is notebooks/, and as root it adds
# --allow-root), on 127.0.0.1 (a free port, a random token, settings and workspaces in a
# temporary folder), and runs tests/browser/e2e.mjs, which drives Debian's headless Chromium
# with Playwright (playwright-core from npm): every chapter opened unexecuted must draw each
# chart its file holds, then notebooks/01-why-async.ipynb is run from the Run menu. OPEN_ONLY=1
# does the opening check alone (about a minute). Screenshots: target/browser-test/. Installs
# Chromium (Debian's `chromium` package, as root) and the npm package when missing.
# JupyterLab, its kernels and Chromium are stopped whatever happens.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
ARTIFACTS="$ROOT/target/browser-test"
if [ "${OPEN_ONLY:-0}" != 0 ]; then
  # Before anything starts: under CI nothing may be skipped, so fail at once rather than at the end.
  [ "${CI:-}" != "true" ] || die "OPEN_ONLY=1 skips the browser run of chapter 01, and under CI nothing may be skipped"
  skipped "the browser run of chapter 01 from the Run menu (OPEN_ONLY=1)"
fi
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
    die "Chromium is not installed at $CHROMIUM.
Fix (Debian/Ubuntu): sudo apt-get install chromium, or set CHROMIUM=/path/to/chromium"
  step "Installing Chromium from Debian's packages (once)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
fi
command -v node >/dev/null && command -v npm >/dev/null ||
  die "Node.js and npm are needed for the browser test. Fix (Debian/Ubuntu): apt-get install nodejs npm"
lock_hash="$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)"
if [ "$(cat tests/browser/node_modules/.lock.sha256 2>/dev/null)" != "$lock_hash" ]; then
  step "Installing playwright-core from npm (tests/browser, once)"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
  echo "$lock_hash" > tests/browser/node_modules/.lock.sha256
fi

NOTEBOOK="notebooks/01-why-async.ipynb"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/browser-test.XXXXXX")"
cp "$NOTEBOOK" "$tmp/notebook-before.ipynb"
lab_pid=""
cleanup() {
  if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
    kill -TERM "$lab_pid" 2>/dev/null || true          # JupyterLab shuts its kernels down
    for _ in $(seq 50); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$lab_pid" 2>/dev/null || true
  fi
  pkill -f -- "--user-data-dir=$tmp/chromium" 2>/dev/null || true
  if ! cmp -s "$NOTEBOOK" "$tmp/notebook-before.ipynb"; then
    cp "$tmp/notebook-before.ipynb" "$NOTEBOOK"
    printf '\nerror: the browser test changed %s on disk (restored it)\n' "$NOTEBOOK" >&2
    rm -rf "$tmp"
    exit 1
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')"
mkdir -p "$tmp/settings/@jupyterlab/notebook-extension" "$tmp/workspaces" "$tmp/runtime" "$tmp/config"
# Draw every cell (no virtual scrolling), so the test sees all outputs at once.
echo '{ "windowingMode": "none" }' > "$tmp/settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
# Never save: the test edits a cell of the real notebook (it is also restored below if changed).
mkdir -p "$tmp/settings/@jupyterlab/docmanager-extension"
echo '{ "autosave": false }' > "$tmp/settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
# No "would you like news?" pop-up over the notebook, and no update check (no internet here).
mkdir -p "$tmp/settings/@jupyterlab/apputils-extension"
echo '{ "fetchNews": "false", "checkForUpdates": false }' > "$tmp/settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"

step "Browser test: JupyterLab through scripts/lab.sh on 127.0.0.1:$port, driven by headless Chromium"
# lab.sh execs jupyter, so $lab_pid is JupyterLab itself.
JUPYTER_CONFIG_DIR="$tmp/config" JUPYTER_RUNTIME_DIR="$tmp/runtime" \
  scripts/lab.sh --no-browser --ip=127.0.0.1 --port="$port" --ServerApp.port_retries=0 \
  --IdentityProvider.token="$token" \
  --LabApp.user_settings_dir="$tmp/settings" --LabApp.workspaces_dir="$tmp/workspaces" \
  --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
  > "$tmp/lab.log" 2>&1 &
lab_pid=$!
for _ in $(seq 120); do
  curl -fsS "http://127.0.0.1:$port/api/status?token=$token" >/dev/null 2>&1 && break
  kill -0 "$lab_pid" 2>/dev/null || { cat "$tmp/lab.log"; die "JupyterLab did not start"; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/api/status?token=$token" >/dev/null ||
  { tail -20 "$tmp/lab.log"; die "JupyterLab did not answer within 60 s"; }
note "JupyterLab is up (pid $lab_pid)"
if [ "$(id -u)" = 0 ]; then
  grep -q -- "passing --allow-root" "$tmp/lab.log" ||
    die "running as root, but scripts/lab.sh did not say it passed --allow-root"
  note "as root: scripts/lab.sh passed --allow-root, and said so"
fi

rm -rf "$ARTIFACTS"
LAB_URL="http://127.0.0.1:$port" LAB_TOKEN="$token" ARTIFACTS="$ARTIFACTS" \
  CHROME_PROFILE="$tmp/chromium" CHROMIUM="$CHROMIUM" NOTEBOOKS_DIR="$ROOT/notebooks" \
  OPEN_ONLY="${OPEN_ONLY:-0}" node tests/browser/e2e.mjs ||
  { echo "--- JupyterLab's log (last 30 lines) ---"; tail -30 "$tmp/lab.log"; die "the browser test failed (screenshots: ${ARTIFACTS#"$ROOT"/})"; }
