#!/usr/bin/env python3
"""Prove that the chapters' claims can fail: break the code on purpose and watch them turn ✘.

  mutants.py [--quick] [--only ID ...]

Each sabotage in tests/mutants.toml is a small source change with the claim it must break:

    [[mutant]]
    id = "01-every-thread-counts-all"      # unique, starts with the chapter's number
    what = "every thread is given the whole count instead of its share"
    file = "notebooks/01-why-async.ipynb"  # a chapter (its code cells), or a file of the workspace
    find = "let per_thread = total / threads as u64;"   # must occur exactly once
    replace = "let per_thread = total;"
    claim = "with one thread per core"     # a ✘ row whose text contains this must appear
    notebook = "notebooks/01-why-async.ipynb"   # for a workspace file: the chapter that shows it
    quick = true                           # one per chapter: run by the test command

An *absence* (expect = "unavailable") takes away something a reader may not have (Python, wrk)
the way the chapter would meet it: the whole chapter must then run without a failure, and its
claim about that thing must show "– not judged (unavailable)", never ✔ (it is not a quick one).

A chapter sabotage runs a copy of the notebook with the cell changed; a workspace sabotage
(support/, math_core/) runs the chapter against a copy of the workspace with the file changed
(its `:dep` lines point at the copy, so the kernel builds that copy once: tens of seconds).
Each run stops at the first cell that shows a ✘ or fails: the sabotage is *caught* when that cell
shows a ✘ row naming the expected claim. Anything else (the chapter ran through, a compile
error, another claim failed first) fails this tool. `--quick` runs the sabotages marked quick;
the table at the end gives each one's verdict and seconds.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import sys
import time
import tomllib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import notebooks  # noqa: E402  (the harness: its kernel runner and its reading of outputs)

ROOT = notebooks.ROOT
LIST = ROOT / "tests" / "mutants.toml"
WORK = ROOT / "target" / "mutants"
# What a workspace copy needs (no target/, no notebooks).
# What a workspace sabotage copies: the manifest, the lock file and every member's top folder
# (read from Cargo.toml, so a new member, such as course_os, is never left out of the copy).
WORKSPACE = ["Cargo.toml", "Cargo.lock"] + sorted({
    member.split("/")[0]
    for member in tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]})


def load(only: list[str], quick: bool) -> list[dict]:
    mutants = tomllib.loads(LIST.read_text())["mutant"]
    ids = [m["id"] for m in mutants]
    if len(ids) != len(set(ids)):
        raise SystemExit("tests/mutants.toml: two sabotages share an id")
    for m in mutants:
        missing = [k for k in ("id", "what", "file", "find", "replace", "claim") if k not in m]
        if missing:
            raise SystemExit(f"tests/mutants.toml: {m.get('id', '?')} lacks {missing}")
        if m.get("expect", "✘") not in ("✘", "unavailable"):
            raise SystemExit(f"tests/mutants.toml: {m['id']}: expect is ✘ (the default) or unavailable")
        if not m["file"].endswith(".ipynb") and "notebook" not in m:
            raise SystemExit(f"tests/mutants.toml: {m['id']} changes {m['file']}: name its `notebook`")
    if only:
        unknown = set(only) - set(ids)
        if unknown:
            raise SystemExit(f"no such sabotage: {sorted(unknown)}")
        mutants = [m for m in mutants if m["id"] in only]
    if quick:
        mutants = [m for m in mutants if m.get("quick")]
    return mutants


def apply_to_cells(nb, find: str, replace: str, what: str) -> None:
    hits = [c for c in nb.cells if c.cell_type == "code" and find in c.source]
    count = sum(c.source.count(find) for c in hits)
    if count != 1:
        raise ValueError(f"{what}: the text to change occurs {count} times in the chapter's code "
                         f"cells, not once: {find!r}")
    hits[0].source = hits[0].source.replace(find, replace)


def workspace_copy(m: dict) -> pathlib.Path:
    """A copy of the workspace with the sabotage applied, under target/mutants/<id>/."""
    dest = WORK / m["id"]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in WORKSPACE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("target"))
        else:
            shutil.copy2(source, dest / name)
    target = dest / m["file"]
    text = target.read_text()
    if text.count(m["find"]) != 1:
        raise ValueError(f"{m['id']}: the text to change occurs {text.count(m['find'])} times in "
                         f"{m['file']}, not once")
    target.write_text(text.replace(m["find"], m["replace"]))
    return dest


def point_deps_at(nb, workspace: pathlib.Path) -> None:
    """Makes the chapter's `:dep` lines use the crates of `workspace`."""
    pattern = re.compile(r'(:dep\s+(\w+)\s*=\s*\{\s*path\s*=\s*")\.\./(\w+)(")')
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = pattern.sub(lambda mt: f"{mt[1]}{workspace / mt[3]}{mt[4]}", cell.source)


def run_one(m: dict) -> tuple[str, float, str]:
    """(verdict, seconds, detail) for one sabotage."""
    import nbformat

    started = time.monotonic()
    chapter = ROOT / (m["file"] if m["file"].endswith(".ipynb") else m["notebook"])
    nb = nbformat.read(chapter, as_version=4)
    try:
        if m["file"].endswith(".ipynb"):
            apply_to_cells(nb, m["find"], m["replace"], m["id"])
        else:
            point_deps_at(nb, workspace_copy(m))
    except ValueError as why:
        return "BROKEN", time.monotonic() - started, str(why)
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{m['id']}.ipynb"
    nbformat.write(nb, path)
    run = notebooks.Run(path)
    run.client.resources = {"metadata": {"path": str(notebooks.NOTEBOOKS)}}
    # An absence asks whether the chapter fails without the thing, not whether the machine stayed
    # quiet through a whole chapter: claims not judged because other programs competed are no
    # failure here (a sabotage stops at its first ✘ and keeps the harness's quiet rule).
    notebooks.BUSY["allowed"] = absent = m.get("expect") == "unavailable"
    verdict, detail = "MISSED", ("every cell ran and no claim failed" if not absent else
                                 "every cell ran, and no row showed the claim not judged (unavailable)")
    with run.client.setup_kernel():
        cells = notebooks.code_cells(run.nb)
        for number, (index, cell) in enumerate(cells, 1):
            _, found = run.run_cell(cell, index, label=number)
            if absent and not found:
                rows = [line.strip() for o in cell.outputs
                        for line in notebooks.output_text(o).splitlines() if m["claim"] in line]
                judged = [row for row in rows if "– not judged (unavailable)" not in row]
                if judged:  # a ✔ (or ✘) for something that was not there: missed, whatever follows
                    verdict, detail = "MISSED", f"cell {number} judged it: {judged[0][:160]}"
                    break
                if rows:
                    verdict, detail = "caught", f"cell {number}: {rows[0][:160]}"
                continue  # the rest of the chapter must run without it too
            if not found:
                continue
            if absent:
                verdict, detail = "BROKEN", f"cell {number}: {found[0][:200]}"
                break
            failed = [line.strip() for o in cell.outputs
                      for line in notebooks.output_text(o).splitlines()
                      if line.lstrip().startswith(notebooks.FAILED_MARK)]
            named = [line for line in failed if m["claim"] in line]
            if named:
                verdict, detail = "caught", f"cell {number}: {named[0][:160]}"
            elif failed:
                verdict, detail = "WRONG CLAIM", f"cell {number}: {failed[0][:160]}"
            else:
                verdict, detail = "BROKEN", f"cell {number}: {found[0][:200]}"
            break
        if absent and verdict == "caught":
            # Stderr or a panic that reached a cell after its reply fails the chapter too.
            late = [("after the last", f) for f in run.run_extra("()")] + list(run.late())
            if late:
                verdict, detail = "BROKEN", f"cell {late[0][0]}: {late[0][1][:200]}"
    notebooks.BUSY["allowed"] = False
    return verdict, time.monotonic() - started, detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the sabotages marked quick")
    parser.add_argument("--only", nargs="*", default=[], help="only these sabotage ids")
    args = parser.parse_args()
    mutants = load(args.only, args.quick)
    rows = []
    with notebooks.measuring_alone():
        for m in mutants:
            print(f"== {m['id']}: {m['what']}", flush=True)
            verdict, seconds, detail = run_one(m)
            print(f"   {verdict} in {seconds:.0f} s: {detail}", flush=True)
            rows.append((m, verdict, seconds, detail))
    print()
    print(f"{'sabotage':<40} {'claim that must turn ✘ (or not judged)':<44} {'verdict':<12} {'s':>5}")
    for m, verdict, seconds, _ in rows:
        print(f"{m['id'][:40]:<40} {m['claim'][:44]:<44} {verdict:<12} {seconds:>5.0f}")
    missed = [r for r in rows if r[1] != "caught"]
    total = sum(r[2] for r in rows)
    print(f"{len(rows) - len(missed)} of {len(rows)} sabotages caught in {total:.0f} s")
    (ROOT / "target").mkdir(exist_ok=True)
    (ROOT / "target" / "mutants.json").write_text(json.dumps(
        [{"id": m["id"], "claim": m["claim"], "verdict": v, "seconds": round(s, 1), "detail": d}
         for m, v, s, d in rows], indent=1) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
