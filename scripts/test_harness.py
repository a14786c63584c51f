#!/usr/bin/env python3
"""Self-test of the notebook harness: it must fail notebooks that are broken in each way it
claims to catch, and pass one that is not. Each case is a small notebook written to a temporary
folder and run through `notebooks.py test` in its own fresh kernel (plain Rust, no :dep)."""
import pathlib
import subprocess
import sys
import tempfile

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
# The kernels start in notebooks/ (--from-notebooks), so this is the `:dep` line of chapters 01,
# 03, 04 and 05 (without the web feature: the quickest to load).
SUPPORT = ':dep support = { path = "../support", default-features = false }\nuse support::prelude::*;'
# A timing claim that is false. Measured for real, it is judged (✘) on a quiet machine; with
# a share that says another program took the cores, it is "not judged".
FALSE_TIMING = (
    'let (_, share) = timed(1.0, || spin_for(std::time::Duration::from_millis(300)))?;\n'
    'let during = Competition::new().with(share.clone());\n'
    'Claims::new().timed_claim("spinning for 0.3 s takes under 0.1 s", format!("{:.2} s", share.wall_seconds),\n'
    '    share.wall_seconds < 0.1, &during).assert_all()')
BUSY_SHARE = (
    'let busy = Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: 1.0, machine: Some((2.0, 2)),\n'
    '                   throttled_seconds: None };\n'
    'let during = Competition::new().with(busy);\n'
    'Claims::new().timed_claim("two threads run 1.6× faster", "1.0×", false, &during).assert_all()')
# Not judged the first time it runs, judged (and true) when pass 2 re-runs it: a moment of
# competition on a quiet run, which the harness lets pass 2 settle.
BUSY_ONCE = (
    'let marker = std::env::temp_dir().join(format!("harness-busy-once-{}", std::process::id()));\n'
    'let first = std::fs::File::create_new(&marker).is_ok();\n'
    'let share = Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: if first { 1.0 } else { 2.0 },\n'
    '                    machine: Some((2.0, 2)), throttled_seconds: None };\n'
    'let during = Competition::new().with(share);\n'
    'Claims::new().timed_claim("two threads run 1.6× faster", if first { "1.0×" } else { "1.9×" }, !first, &during).assert_all()')

# name: (cells as (source, tags), whether the harness must pass it, text its output must contain).
# The two `?` cases only name the error text: evcxr may deliver it after the cell's reply, and
# the harness then reports it under the cell's request or, at the very end, the closing cell.
CASES = {
    "panic": ([("let x = 1;", []), ('panic!("boom");', [])], False, "cell 2 (pass 1): error"),
    "question-mark-error": ([('let n: i32 = "seven".parse()?;\nn', [])], False, "invalid digit"),
    "compile-error": ([('let x: u8 = "not a number";', [])], False, "cell 1 (pass 1): error"),
    "works-only-once": ([(
        'let marker = std::env::temp_dir().join(format!("harness-once-{}", std::process::id()));\n'
        'std::fs::File::create_new(&marker)?;', [])], False, "File exists"),
    "expected-error-missing": ([("1 + 1", ["raises-exception"])], False, "ran without error"),
    # A false timing claim on a quiet machine still fails: "not judged" cannot hide it.
    "false-timing-claim": ([(SUPPORT, []), (FALSE_TIMING, [])], False, "a claim did not hold"),
    # A claim shown "not judged" fails a run meant to be quiet, and passes a --busy run.
    "not-judged-on-quiet-run": ([(SUPPORT, []), (BUSY_SHARE, [])], False, "were not judged (other programs"),
    "not-judged-in-one-pass-of-a-quiet-run": ([(SUPPORT, []), (BUSY_ONCE, [])], True,
                                              "were judged in the other"),
    "not-judged-on-busy-run": ([(SUPPORT, []), (BUSY_SHARE, [])], True, "claims not judged (the machine was busy, or its cores slower when all were busy): 2"),
    "healthy": ([("let x = 40;", []), ("x + 2", []), ('let y: u8 = "lesson";', ["raises-exception"])],
                True, "cells: 6 passed, 0 failed"),
}


def main() -> int:
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cells, should_pass, expect) in CASES.items():
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"name": "rust", "display_name": "Rust", "language": "rust"}
            nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags} if tags else {})
                        for src, tags in cells]
            path = pathlib.Path(tmp) / f"{name}.ipynb"
            nbformat.write(nb, path)
            busy = ["--busy"] if name.endswith("busy-run") else []
            run = subprocess.run(
                [sys.executable, str(HERE / "notebooks.py"), "test", str(path),
                 "--report", str(pathlib.Path(tmp) / "report.json"),
                 # notebooks/evcxr.toml and its build cache: the cases that load `support` then
                 # start in seconds, not minutes.
                 "--from-notebooks"] + busy,
                capture_output=True, text=True, timeout=600)
            output = run.stdout + run.stderr
            ok = (run.returncode == 0) == should_pass and expect in output
            passed += ok
            failed += not ok
            verdict = "ok" if ok else "WRONG"
            print(f"   {name:<24} harness {'passed' if run.returncode == 0 else 'failed'} it: {verdict}")
            if not ok:
                print(f"      expected it to {'pass' if should_pass else 'fail'} and say {expect!r}; it said:")
                print("      " + output[-1500:].replace("\n", "\n      "))
    print(f"harness self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
