#!/usr/bin/env bash
# Binder builds on mybinder.org's rules: repo2docker (the tool Binder builds images with) is run
# on this repository the way mybinder.org runs it, with no default build pack
# (--Repo2Docker.default_buildpack=None: a repository without an environment file fails there),
# and --no-build, so it only prints the Dockerfile it would build (no Docker engine is needed).
# The Dockerfile must
#   - pip-install binder/requirements.txt in its own layer, before the repository is copied in
#     (so the Python side is cached until that file changes),
#   - build its Python environment for the version in binder/runtime.txt,
#   - run binder/postBuild after the repository is copied in,
#   - start through binder/start (repo2docker's entrypoint runs $R2D_ENTRYPOINT).
# Then a self-test: on a copy of the repository without the environment files, the check must
# fail (repo2docker refuses: "No environment specification found"), and with runtime.txt alone
# (repo2docker builds, but installs nothing of ours) the check's own assertions must fail.
# jupyter-repo2docker is installed in a throwaway venv (pip's cache makes later runs quick).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
R2D_VERSION="2026.4.0"
PYTHON="${PYTHON:-python3}"
started=$SECONDS

tmp="$(mktemp -d "${TMPDIR:-/tmp}/repo2docker-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

step "repo2docker check: jupyter-repo2docker $R2D_VERSION in a throwaway venv"
"$PYTHON" -m venv "$tmp/venv" ||
  die "could not create a venv with $PYTHON. Fix (Debian/Ubuntu): apt install python3-venv"
"$tmp/venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
  "jupyter-repo2docker==$R2D_VERSION" ||
  die "could not install jupyter-repo2docker $R2D_VERSION from PyPI (is PyPI reachable?)"
note "installed in $((SECONDS - started)) s"

# check_repo DIR SLUG NAME: checks the Dockerfile repo2docker would build for DIR (kept in
# $tmp/SLUG.Dockerfile, its log in $tmp/SLUG.log); on failure, says why and returns 1 (never
# exits, so the self-test can expect a failure).
check_repo() {
  local dir="$1" out="$tmp/$2" name="$3"
  # mybinder.org builds as jovyan, uid 1000 (as root, repo2docker would default to uid 0).
  if ! "$tmp/venv/bin/repo2docker" --no-build --Repo2Docker.default_buildpack=None \
      --user-id 1000 --user-name jovyan "$dir" > "$out.Dockerfile" 2> "$out.log"; then
    note "repo2docker refused to build $name:"
    grep -v '^$' "$out.log" | tail -3 | sed 's/^/      /'
    return 1
  fi
  local df="$out.Dockerfile" problems=()
  # Line number of the first line matching an extended regex, or 0.
  at() { grep -n -m 1 -E "$1" "$df" | cut -d: -f1 || true; }
  local pip_at copy_at post_at start_at entry_at
  pip_at="$(at '^RUN \$\{KERNEL_PYTHON_PREFIX\}/bin/pip install .*-r "?binder/requirements\.txt"?$')"
  copy_at="$(at '^COPY .*src/ \$\{REPO_DIR\}/$')"
  post_at="$(at '^RUN \./binder/postBuild$')"
  start_at="$(at '^ENV R2D_ENTRYPOINT="\$\{REPO_DIR\}/binder/start"$')"
  entry_at="$(at '^ENTRYPOINT \["/usr/local/bin/repo2docker-entrypoint"\]$')"
  [ -n "$copy_at" ] || problems+=("it never copies the repository in (no COPY src/)")
  if [ -z "$pip_at" ]; then
    problems+=("it does not pip-install binder/requirements.txt")
  elif [ -n "$copy_at" ] && [ "$pip_at" -gt "$copy_at" ]; then
    problems+=("binder/requirements.txt is installed after the repository is copied in (no cached layer)")
  fi
  # The conda environment's lock file, named as repo2docker escapes it ('-' is -2d, '.' is -2e):
  # environment.py-3.12-linux-64.lock -> environment-2epy-2d3-2e12-2dlinux-2d64-2elock
  local built want=""
  built="$(grep -o -m 1 -E 'environment-2epy-2d[0-9]+-2e[0-9]+-2d' "$df" | sed -E 's/.*py-2d([0-9]+)-2e([0-9]+)-2d/\1.\2/' || true)"
  if [ -f "$dir/binder/runtime.txt" ]; then
    want="$(sed -n -E 's/^python-([0-9]+\.[0-9]+).*/\1/p' "$dir/binder/runtime.txt" | head -n 1)"
  fi
  if [ -z "$want" ]; then
    problems+=("binder/runtime.txt names no Python version (python-X.Y): repo2docker would pick its default")
  elif [ "$built" != "$want" ]; then
    problems+=("its Python environment is ${built:-of no known version}, not $want from binder/runtime.txt")
  fi
  if [ -z "$post_at" ]; then
    problems+=("it does not run binder/postBuild")
  elif [ -n "$copy_at" ] && [ "$post_at" -lt "$copy_at" ]; then
    problems+=("it runs binder/postBuild before the repository is copied in")
  fi
  [ -n "$start_at" ] && [ -n "$entry_at" ] && [ "$entry_at" -gt "$start_at" ] ||
    problems+=("its entrypoint does not start through binder/start")
  if [ "${#problems[@]}" -gt 0 ]; then
    note "the Dockerfile repo2docker would build for $name is wrong:"
    printf '      - %s\n' "${problems[@]}"
    return 1
  fi
  note "$name: python $built, pip -r binder/requirements.txt (line $pip_at, before COPY src/ at $copy_at), ./binder/postBuild (line $post_at), entrypoint binder/start"
}

step "repo2docker check: the Dockerfile Binder would build for this repository"
t=$SECONDS
check_repo "$ROOT" repo "this repository" ||
  die "Binder would not build the course as intended. To see the Dockerfile:
pip install jupyter-repo2docker==$R2D_VERSION, then
repo2docker --no-build --Repo2Docker.default_buildpack=None --user-id 1000 --user-name jovyan ."
note "checked in $((SECONDS - t)) s"

step "repo2docker check, self-test: copies of the repository that must fail it"
# The files git tracks or would track (new, not ignored), as they are in the working tree.
copy_tree() {
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$1"
}
copy_tree "$tmp/no-env"
rm -f "$tmp/no-env/binder/requirements.txt" "$tmp/no-env/binder/runtime.txt"
if check_repo "$tmp/no-env" no-env "a copy without binder/requirements.txt and runtime.txt"; then
  die "self-test: the check passed on a copy without the environment files"
fi
grep -q "No environment specification found" "$tmp/no-env.log" ||
  die "self-test: repo2docker failed on the copy without environment files, but not with \"No environment specification found\""
note "(expected) without the environment files: failed"
copy_tree "$tmp/runtime-only"
rm -f "$tmp/runtime-only/binder/requirements.txt"
if check_repo "$tmp/runtime-only" runtime-only "a copy with runtime.txt alone"; then
  die "self-test: the check passed on a copy without binder/requirements.txt"
fi
note "(expected) with runtime.txt alone: failed"
note "repo2docker check and self-test: $((SECONDS - started)) s"
