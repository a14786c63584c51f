#!/usr/bin/env python3
"""How fast the Rust kernel answers, measured through the real evcxr kernel (`make bench-kernel`).

A benchmark, not a test: it prints what it measured and writes it to target/kernel-bench.json,
and fails only if a cell fails. For each chapter's configuration (its set-up cell), started as
JupyterLab starts a kernel (JPY_SESSION_NAME set to the notebook, so scripts/kernel.py
preloads its set-up):

  1. CI's pace: a fresh kernel runs the set-up cell at once; timed from the kernel's launch.
  2. A reader's pace: a fresh kernel, the set-up cell run READ seconds after the launch (a reader
     reads the title and introduction first); timed from the cell's request to its result.
  3. Then TRIVIAL cells of `let x = 1 + 1; x`, alternating with the same cell in a bare kernel
     (no dependency) started once for the whole run, so the ratio of their medians is measured
     side by side; each chapter kernel's peak memory with its compilers; and every "Compiling …"
     line cargo printed on a later cell (there should be none).

Run it on a quiet machine: it takes the harness's measurement lock, so it waits for notebook runs.

  bench_kernel.py [--trivial N] [--read SECONDS] [--chapters 01 03 ...]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from notebooks import NOTEBOOKS, ROOT, PeakMemory, code_cells  # noqa: E402

TRIVIAL = "let x = 1 + 1;\nx"
BARE_SETUP = "use std::collections::HashMap;\nlet cores = std::thread::available_parallelism()?.get();\ncores"
COMPILING = re.compile(r"^\s*Compiling (\S+)", re.M)


class Kernel:
    """One evcxr kernel started by jupyter_client in `cwd`, as JupyterLab starts one for
    `notebook` (None: no notebook, so no preload); its stderr (cargo's progress lines) is
    collected so that rebuilds can be counted per cell."""

    def __init__(self, cwd: pathlib.Path, notebook: pathlib.Path | None):
        from jupyter_client import KernelManager

        self.launched = time.monotonic()
        self.log = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ)
        env.pop("JPY_SESSION_NAME", None)
        if notebook is not None:
            env["JPY_SESSION_NAME"] = str(notebook)
        self.km = KernelManager(kernel_name="rust")
        self.km.start_kernel(cwd=str(cwd), stderr=self.log, env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=300)
        self.pid = self.km.provisioner.process.pid
        self._seen = 0

    def run(self, code: str, timeout: float = 1200) -> tuple[float, list[str], list[str]]:
        """Runs a cell: (seconds, problems, crates cargo printed as Compiling)."""
        problems: list[str] = []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                problems.append(f"error: {content.get('evalue', '')[:300]}")
            elif kind == "stream" and content.get("name") == "stderr" and content["text"].strip():
                problems.append(f"stderr: {content['text'].strip()[:300]}")

        started = time.monotonic()
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=hook)
        seconds = time.monotonic() - started
        if reply["content"].get("status") != "ok" and not problems:
            problems.append(f"status {reply['content'].get('status')}")
        time.sleep(0.05)
        self.log.flush()
        self.log.seek(self._seen)
        text = self.log.read()
        self._seen = self.log.tell()
        return seconds, problems, COMPILING.findall(text)

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self.log.close()


def chapter(notebook: pathlib.Path, bare: Kernel, trivial: int, read: float) -> dict:
    setup = first_cell(notebook)
    problems: list[str] = []
    # CI's pace: the first cell at once, timed from the launch.
    kernel = Kernel(NOTEBOOKS, notebook)
    try:
        with PeakMemory(kernel.pid) as memory:
            _, found, _ = kernel.run(setup)
            at_once = time.monotonic() - kernel.launched
            problems += found
    finally:
        kernel.stop()
    peak = memory.mib
    # A reader's pace: the first cell READ seconds after the launch, then trivial cells beside
    # the bare kernel's.
    kernel = Kernel(NOTEBOOKS, notebook)
    try:
        with PeakMemory(kernel.pid) as memory:
            time.sleep(max(0.0, read - (time.monotonic() - kernel.launched)))
            reader, found, _ = kernel.run(setup)
            problems += found
            times, bare_times, rebuilt = [], [], []
            for _ in range(trivial):
                seconds, found, compiled = kernel.run(TRIVIAL)
                problems += found
                times.append(seconds)
                rebuilt += compiled
                seconds, found, _ = bare.run(TRIVIAL)
                problems += found
                bare_times.append(seconds)
    finally:
        kernel.stop()
    peak = max(peak, memory.mib)
    median, bare_median = statistics.median(times), statistics.median(bare_times)
    row = {"chapter": notebook.stem, "first_cell_at_once_s": round(at_once, 2),
           "first_cell_after_reading_s": round(reader, 2), "median_trivial_s": round(median, 3),
           "bare_median_trivial_s": round(bare_median, 3), "trivial_ratio": round(median / bare_median, 2),
           "peak_mib": round(peak), "recompiled_on_later_cells": sorted(set(rebuilt)),
           "problems": problems}
    print(f"   {notebook.stem:<26} first cell: at once {at_once:5.1f} s, after {read:.0f} s of reading "
          f"{reader:5.2f} s;  trivial {median:.3f} s vs bare {bare_median:.3f} s "
          f"({row['trivial_ratio']:.2f}×);  peak {row['peak_mib']:>5} MiB;  "
          f"'Compiling' later: {len(rebuilt)}", flush=True)
    for p in problems:
        print(f"      PROBLEM {p}", flush=True)
    return row


def first_cell(notebook: pathlib.Path) -> str:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells = code_cells(nb)
    return cells[0][1].source if cells else ""


def main() -> int:
    from notebooks import measuring_alone

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trivial", type=int, default=10, help="trivial cells per chapter (10)")
    parser.add_argument("--read", type=float, default=20.0,
                        help="seconds a reader reads before running the first cell (20)")
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="chapter numbers (default: all)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "target" / "kernel-bench.json")
    args = parser.parse_args()
    chapters = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.chapters is not None:
        chapters = [c for c in chapters if c.name[:2] in args.chapters]
    rows = []
    with measuring_alone():
        bare = Kernel(NOTEBOOKS, None)
        try:
            bare.run(BARE_SETUP)
            print("== each chapter: its first cell at once and after reading, then trivial cells "
                  "beside a bare kernel's", flush=True)
            for notebook in chapters:
                rows.append(chapter(notebook, bare, args.trivial, args.read))
        finally:
            bare.stop()
    result = {"rows": rows, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
              "read_s": args.read}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print()
    if rows:
        at_once = [r["first_cell_at_once_s"] for r in rows]
        reader = [r["first_cell_after_reading_s"] for r in rows]
        ratios = [r["trivial_ratio"] for r in rows]
        peaks = [r["peak_mib"] for r in rows]
        print(f"first cell at once: {min(at_once):.1f}–{max(at_once):.1f} s (goal ≤ 8 s)")
        print(f"first cell after {args.read:.0f} s of reading: {min(reader):.2f}–{max(reader):.2f} s (goal ≤ 3 s)")
        print(f"trivial cell against a bare kernel's: {min(ratios):.2f}–{max(ratios):.2f}× (goal ≤ 1.5×)")
        print(f"peak memory, kernel and compilers: {min(peaks)}–{max(peaks)} MiB (goal ≤ 1,200 MiB)")
    rebuilt = sorted({c for r in rows for c in r["recompiled_on_later_cells"]})
    print(f"crates cargo printed as Compiling on a later cell: {', '.join(rebuilt) or 'none'}")
    print(f"written to {args.out.resolve()}")
    return 1 if any(r["problems"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
