#!/usr/bin/env python3
"""How fast the Rust kernel answers, measured through the real evcxr kernel (`make bench-kernel`).

A benchmark, not a test: it prints what it measured and writes it to target/kernel-bench.json,
and fails only if a cell fails. In one run:

  1. a bare kernel (no dependency) and a kernel with `support` loaded each run the same set-up
     cell and then TRIVIAL cells of `let x = 1 + 1; x`, side by side, so that the ratio of their
     median cell times is measured on the same machine at the same moment;
  2. each chapter's first code cell (its `:dep` line and set-up) in a fresh kernel, with evcxr's
     cache as the previous kernels left it (warm after the first), timed with the peak memory of
     the kernel and its compilers, and with each later trivial cell timed too;
  3. every "Compiling …" line cargo printed on a cell after the first, which should be none: a
     cell that compiles nothing new should not make cargo rebuild (or re-fetch from evcxr's cache)
     any dependency.

Run it on a quiet machine: never beside a notebook run or another benchmark.

  bench_kernel.py [--trivial N] [--chapters 01 03 ...] [--cold]

--cold empties evcxr's artifact cache first (~/.cache/evcxr), to time a learner's very first
kernel; it is refilled by the run.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import queue
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from notebooks import NOTEBOOKS, ROOT, PeakMemory, code_cells  # noqa: E402

TRIVIAL = "let x = 1 + 1;\nx"
SUPPORT_SETUP = ':dep support = { path = "../support" }\nuse support::prelude::*;\nlet cores = std::thread::available_parallelism()?.get();\ncores'
BARE_SETUP = "use std::collections::HashMap;\nlet cores = std::thread::available_parallelism()?.get();\ncores"
COMPILING = re.compile(r"^\s*Compiling (\S+)", re.M)


class Kernel:
    """One evcxr kernel started by jupyter_client in `cwd`; its stderr (cargo's progress lines)
    is collected so that rebuilds can be counted per cell."""

    def __init__(self, cwd: pathlib.Path):
        from jupyter_client import KernelManager

        self.log = tempfile.TemporaryFile(mode="w+")
        self.km = KernelManager(kernel_name="rust")
        self.km.start_kernel(cwd=str(cwd), stderr=self.log)
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


def session(label: str, cwd: pathlib.Path, setup: str, trivial: int) -> dict:
    kernel = Kernel(cwd)
    try:
        with PeakMemory(kernel.pid) as memory:
            first, problems, _ = kernel.run(setup)
            times, rebuilt = [], []
            for _ in range(trivial):
                seconds, found, compiled = kernel.run(TRIVIAL)
                problems += found
                times.append(seconds)
                rebuilt += compiled
    finally:
        kernel.stop()
    row = {"kernel": label, "first_cell_s": round(first, 3),
           "median_trivial_s": round(statistics.median(times), 3) if times else None,
           "trivial_s": [round(t, 3) for t in times], "peak_mib": round(memory.mib),
           "recompiled_on_later_cells": sorted(set(rebuilt)), "problems": problems}
    print(f"   {label:<34} first cell {first:6.2f} s   median trivial cell "
          f"{row['median_trivial_s'] or 0:5.3f} s   peak {row['peak_mib']:>5} MiB   "
          f"'Compiling' on later cells: {len(rebuilt)}", flush=True)
    for p in problems:
        print(f"      PROBLEM {p}", flush=True)
    return row


def first_cell(notebook: pathlib.Path) -> str:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells = code_cells(nb)
    return cells[0][1].source if cells else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trivial", type=int, default=20, help="trivial cells per kernel (20)")
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="chapter numbers whose first cell is timed (default: all)")
    parser.add_argument("--cold", action="store_true", help="empty evcxr's cache first")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "target" / "kernel-bench.json")
    args = parser.parse_args()

    if args.cold:
        cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "evcxr"
        shutil.rmtree(cache, ignore_errors=True)
        print(f"== emptied evcxr's cache ({cache})", flush=True)
    chapters = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.chapters is not None:
        chapters = [c for c in chapters if c.name[:2] in args.chapters]

    rows = []
    print("== a bare kernel and a kernel with support, side by side", flush=True)
    rows.append(session("support loaded", NOTEBOOKS, SUPPORT_SETUP, args.trivial))
    rows.append(session("bare kernel (no dependency)", NOTEBOOKS, BARE_SETUP, args.trivial))
    print("== each chapter's first cell in a fresh kernel", flush=True)
    for chapter in chapters:
        rows.append(session(chapter.stem, NOTEBOOKS, first_cell(chapter), min(args.trivial, 5)))

    support, bare = rows[0], rows[1]
    ratio = support["median_trivial_s"] / bare["median_trivial_s"]
    firsts = [r["first_cell_s"] for r in rows[2:]]
    peaks = [r["peak_mib"] for r in rows[2:]]
    result = {"rows": rows, "trivial_ratio": round(ratio, 2),
              "chapter_first_cell_max_s": max(firsts, default=None),
              "chapter_peak_max_mib": max(peaks, default=None),
              "when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print()
    print(f"trivial cell, median: support {support['median_trivial_s']:.3f} s, bare "
          f"{bare['median_trivial_s']:.3f} s: {ratio:.2f}× (goal ≤ 1.5×)")
    if firsts:
        print(f"chapters' first cells: {min(firsts):.1f}–{max(firsts):.1f} s (goal ≤ 5 s warm); "
              f"peak memory {min(peaks)}–{max(peaks)} MiB (goal ≤ 1200 MiB)")
    rebuilt = sorted({c for r in rows for c in r["recompiled_on_later_cells"]})
    print(f"crates cargo printed as Compiling on a later cell: {', '.join(rebuilt) or 'none'}")
    print(f"written to {args.out.relative_to(ROOT)}")
    return 1 if any(r["problems"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
