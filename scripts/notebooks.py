#!/usr/bin/env python3
"""Run the course notebooks headless through the real evcxr kernel.

  notebooks.py test    [NOTEBOOK ...]  run each notebook top to bottom in a fresh kernel, then
                                       every code cell a second time in the same kernel; fail on
                                       any error, panic, stderr output or timeout; write a per-cell
                                       timing report and print a summary. Notebooks are not changed.
  notebooks.py execute [NOTEBOOK ...]  run each notebook once and write its fresh outputs back
                                       (consecutive execution counts, volatile metadata stripped);
                                       a notebook that fails is left untouched.
  notebooks.py check   [NOTEBOOK ...]  static checks of the committed notebooks, no kernel.
  notebooks.py warm    NOTEBOOK        run one notebook once from notebooks/ (so evcxr.toml and
                                       the `:dep` paths apply) to fill evcxr's build cache; fail
                                       on any problem; report the first cell's time and the peak
                                       memory (Binder's postBuild warms the image with it).

With no NOTEBOOK, every notebooks/NN-*.ipynb is used, in order.

How failures are caught (evcxr reports a panic as success by default): before the notebook's
first cell the harness runs `:preserve_vars_on_panic 0`, so a panic aborts the cell with an
error reply. A `?` error at the top level of a cell is only printed to stderr, so any stderr
output fails the cell too (tag a cell `allow-stderr` if writing to stderr is its point). A cell
tagged `raises-exception` must fail (a compile error that is the lesson) and may not pass.

Timing claims that met a busy machine are shown as "not judged" instead of failing (see
support::claims). By default the harness treats the machine as quiet and fails any claim shown
"not judged" because its measurements did not get their cores, so that mark cannot hide a false
claim. `test` runs every cell twice (pass 2 re-measures), and fails a cell whose claims were not
judged in both passes: a virtual machine's host can take a core for a moment even on a quiet
run (CI's machine did, once in 524 cells), but a claim must be judged in at least one pass, and a
false one is ✘ there. `test --busy` is for runs where other programs are meant to compete (a CPU hog in the test
command), and lists those claims instead. One kind is listed even in a quiet run: a speed-up
whose cores were all ours but computed more slowly while all of them were busy (support::share's
"cores' worth of work": a busy host under a virtual machine, shared hyperthreads, a power limit),
which is how this machine is, not a moment of competition.
"""
from __future__ import annotations

import argparse
import copy
import json
import pathlib
import re
import os
import statistics
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REPORT = ROOT / "target" / "notebook-timings.json"
KERNEL = "rust"
# The first cell compiles the support crate and its dependencies: minutes on a cold cache.
CELL_TIMEOUT = 1200
STARTUP_TIMEOUT = 300
STRICT_PANICS = ":preserve_vars_on_panic 0"
# Binder gives a learner 2 GB at most (450 MB guaranteed): a notebook whose kernel, its code's
# process and its compilers together go over that (resident memory summed, so pages they share
# count more than once) fails the test. The kernel alone is about 0.8 GB, mostly its type checker.
MAX_PEAK_MIB = 2048
# The mark support::claims gives a timing claim that met a busy machine (claims::NOT_JUDGED).
NOT_JUDGED = "– not judged"
# Set by `test --busy`: claims shown "not judged" are listed, not failed.
# Set by `test` on a quiet run of two passes: a cell whose claims were not judged in one pass
# fails only if they were not judged in the other pass either (see `test`).
BUSY = {"allowed": False, "judged_by_pass": False}
# The reason support::share gives when the cores were all ours but computed more slowly while
# all were busy (a busy host under a virtual machine, shared hyperthreads, a power limit): a
# property of the machine that no quiet moment changes, so a quiet run lists it, not fails it.
SLOW_CORES = "cores' worth of work"


def notebook_paths(names: list[str]) -> list[pathlib.Path]:
    if names:
        return [pathlib.Path(n).resolve() for n in names]
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


# A value from `support` printed with `{:?}` instead of its own display (see problems_in).
DEBUG_DUMP = re.compile(r"^(Figure|Claims|Table|Check|Machine|CpuTrace) \{")


def problems_in(cell) -> list[str]:
    """What is wrong with an executed code cell's outputs, judged by its tags."""
    found = []
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    stderr = "".join(o.get("text", "") for o in cell.outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    if "raises-exception" in tags(cell):
        if not errors:
            found.append("tagged raises-exception but ran without error")
        return found
    for e in errors:
        found.append(f"error: {e.get('evalue', '')[:300]}")
    if "panicked at" in stderr:
        # A claim table can be longer than any excerpt: the rows that did not hold come first.
        failed = [line.strip() for line in stderr.splitlines() if line.lstrip().startswith("✘")]
        if failed:
            found.append("claims that did not hold: " + " | ".join(failed)[:1500])
        found.append("panic: " + stderr.strip()[:1500])
    elif stderr.strip() and "allow-stderr" not in tags(cell):
        found.append("stderr: " + stderr.strip()[:300])
    competed = [line for line in not_judged(cell) if SLOW_CORES not in line]
    if competed and not BUSY["allowed"] and not BUSY["judged_by_pass"]:
        found.append("claims were not judged (other programs took the cores) on a run meant to be "
                     "quiet: " + "; ".join(competed)[:600])
    for o in cell.outputs:
        plain = "".join(o.get("data", {}).get("text/plain", ""))
        if o.get("output_type") == "execute_result" and DEBUG_DUMP.match(plain):
            # evcxr tries `.evcxr_display()` first and silently falls back to `{:?}` when that
            # attempt fails to compile, so a chart can arrive as a page of Debug text. One cause:
            # the session's first top-level `?` fails once (evcxr then enables `?` and retries),
            # and if that `?` is in the final expression, the retry uses the fallback. Using `?`
            # in a statement of the set-up cell avoids it.
            found.append(f"a support value was shown as Debug text, not rendered: {plain[:80]}")
    return found


def not_judged(cell) -> list[str]:
    """The lines of a claim table (its plain-text form) whose claim was not judged."""
    lines = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        text = "".join(data.get("text/plain", "")) + "".join(o.get("text", ""))
        lines += [line.strip() for line in text.splitlines() if NOT_JUDGED in line]
    return lines


def late_output_client():
    """An nbclient NotebookClient that keeps the stderr it would otherwise throw away.

    evcxr forwards a cell's stderr on its own thread, so the last lines (the message of a
    top-level `?` error, printed as the cell returns) can reach the output channel after the
    cell's reply. nbclient then reads them while polling for the *next* cell and drops them,
    because their parent request is not the current one; a broken cell would pass. This client
    files such lines under their request's id instead (`stray`), for the harness to attribute.
    Overrides a private method of nbclient 0.11 (pinned in binder/requirements.txt)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionComplete
    from nbclient.util import ensure_async

    class Client(NotebookClient):
        stray: dict = {}
        last_request: str | None = None

        async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
            self.last_request = parent_msg_id
            while True:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
                request = msg["parent_header"].get("msg_id")
                if request == parent_msg_id:
                    try:
                        self.process_message(msg, cell, cell_index)
                    except CellExecutionComplete:
                        return
                elif msg["msg_type"] == "stream" and msg["content"].get("name") == "stderr":
                    self.stray.setdefault(request, []).append(msg["content"].get("text", ""))

    return Client


class Run:
    """One notebook in one fresh kernel."""

    def __init__(self, path: pathlib.Path):
        import nbformat

        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        self.requests: list[tuple[object, str, bool]] = []  # (label, request id, stderr allowed)
        self.client = late_output_client()(
            self.nb,
            kernel_name=KERNEL,
            timeout=CELL_TIMEOUT,
            startup_timeout=STARTUP_TIMEOUT,
            interrupt_on_timeout=True,
            allow_errors=True,
            record_timing=False,
            coalesce_streams=True,
            resources={"metadata": {"path": str(path.parent)}},
        )

        self.client.stray = {}

    def run_cell(self, cell, index: int, label=None) -> tuple[float, list[str]]:
        from nbclient.exceptions import CellTimeoutError

        start = time.monotonic()
        try:
            self.client.execute_cell(cell, index)
            found = problems_in(cell)
        except CellTimeoutError:
            found = [f"timed out after {CELL_TIMEOUT} s"]
        if label is not None and self.client.last_request:
            allowed = "allow-stderr" in tags(cell) or "raises-exception" in tags(cell)
            self.requests.append((label, self.client.last_request, allowed))
        return time.monotonic() - start, found

    def late(self) -> list[tuple[object, str]]:
        """Stderr that reached a labelled cell's request after its reply: (label, problem)."""
        found = []
        for label, request, allowed in self.requests:
            text = "".join(self.client.stray.get(request, [])).strip()
            if text and not allowed:
                kind = "panic" if "panicked at" in text else "stderr"
                found.append((label, f"{kind} (arrived late): {text[:300]}"))
        return found

    def run_extra(self, source: str) -> list[str]:
        """Runs code that is not part of the notebook (nbclient wants it in the cell list while
        it runs, so it is appended and removed again)."""
        import nbformat

        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        try:
            _, found = self.run_cell(cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        return found

    def strict(self) -> None:
        """Make panics fail the cell, before the notebook's first cell runs."""
        found = self.run_extra(STRICT_PANICS)
        if found:
            raise SystemExit(f"{self.path.name}: could not set {STRICT_PANICS}: {found}")


class PeakMemory:
    """Samples the memory of a process and all its descendants (the kernel, and the cargo and
    rustc processes it starts) every 0.2 s, from /proc (proportional set sizes, so shared pages
    count once); keeps the largest sum seen.
    Reports 0 where /proc is missing (not Linux)."""

    def __init__(self, pid: int | None):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        if self.pid and os.path.isdir("/proc"):
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _tree_rss(self) -> int:
        parents, rss = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
                rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            children = [p for p, pp in parents.items() if pp == parent and p not in tree]
            tree.update(children)
            frontier += children
        return sum(self._pss(p, rss.get(p, 0)) for p in tree)

    @staticmethod
    def _pss(pid: int, rss: int) -> int:
        """A process's proportional set size: its private pages plus its share of pages it
        shares. Summing resident sizes instead counts shared pages once per process, and a child
        between fork and exec shares all of the kernel's ~1 GiB, so a moment when two or three
        processes were being started read as 1-2 GiB more than the machine was using (seen on
        one core, where that moment lasts longer). A memory limit such as Binder's counts each
        page once, as this does. Falls back to the resident size where smaps_rollup is missing."""
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            pass
        return rss

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self._tree_rss())

    @property
    def mib(self) -> float:
        return self.peak / 2**20


def kernel_pid(client) -> int | None:
    """The kernel process's id (jupyter_client's local provisioner), if it can be found."""
    try:
        return client.km.provisioner.process.pid
    except AttributeError:
        return None


def short(path: pathlib.Path) -> str:
    return path.stem


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def test(paths: list[pathlib.Path], report: pathlib.Path = REPORT, passes: int = 2,
         from_notebooks: bool = False, max_peak_mib: float = 0) -> int:
    rows, failures, late, unjudged = [], [], 0, []
    # On a quiet run of two passes, not-judged claims are settled per cell after both passes.
    BUSY["judged_by_pass"] = passes > 1 and not BUSY["allowed"]
    for path in paths:
        competed = {}
        run = Run(path)
        if from_notebooks:
            # The kernel starts in notebooks/, so notebooks/evcxr.toml (evcxr's cache among its
            # settings) and the chapters' relative `:dep` paths apply to a notebook kept elsewhere.
            run.client.resources = {"metadata": {"path": str(NOTEBOOKS)}}
        started = time.monotonic()
        print(f"== {short(path)}: starting a fresh kernel", flush=True)
        with run.client.setup_kernel(), PeakMemory(kernel_pid(run.client)) as memory:
            run.strict()
            cells = code_cells(run.nb)
            # The second pass re-runs copies in the same kernel, as a reader re-running cells would.
            for pass_no in range(1, passes + 1):
                for number, (index, cell) in enumerate(cells, 1):
                    cell = cell if pass_no == 1 else copy.deepcopy(cell)
                    seconds, found = run.run_cell(cell, index, label=(pass_no, number))
                    unjudged += [f"{path.name} cell {number} (pass {pass_no}): {line}"
                                 for line in not_judged(cell)]
                    lines = [line for line in not_judged(cell) if SLOW_CORES not in line]
                    competed.setdefault(number, {})[pass_no] = lines
                    rows.append({"notebook": path.name, "pass": pass_no, "cell": number,
                                 "seconds": round(seconds, 3), "ok": not found})
                    mark = "ok" if not found else "FAIL"
                    print(f"   pass {pass_no}  cell {number:>2}/{len(cells)}  {seconds:7.2f} s  {mark}",
                          flush=True)
                    for f in found:
                        failures.append(f"{path.name} cell {number} (pass {pass_no}): {f}")
                        print(f"      {f}", flush=True)
            if BUSY["judged_by_pass"]:
                for number, by_pass in competed.items():
                    if by_pass and all(by_pass.get(p) for p in range(1, passes + 1)):
                        failures.append(
                            f"{path.name} cell {number}: claims were not judged (other programs took "
                            "the cores) in every pass of a run meant to be quiet: "
                            + "; ".join(by_pass[passes])[:600])
                        for row in rows:
                            if row["notebook"] == path.name and row["cell"] == number:
                                row["ok"] = False
                    elif any(by_pass.values()):
                        print(f"   cell {number}: claims not judged in one pass were judged in the "
                              "other (a moment of competition on a quiet run)", flush=True)
            # Output that a cell wrote just before it finished can reach the kernel's output
            # channel after the reply; one more cell collects it.
            found = run.run_extra("()")
            late += bool(found)
            for f in found:
                failures.append(f"{path.name} last cell (late output): {f}")
            for (pass_no, number), problem in run.late():
                failures.append(f"{path.name} cell {number} (pass {pass_no}): {problem}")
                for row in rows:
                    if row["notebook"] == path.name and (row["pass"], row["cell"]) == (pass_no, number):
                        row["ok"] = False
        print(f"   {short(path)}: {time.monotonic() - started:.1f} s in all; peak memory of the "
              f"kernel and its compilers {memory.mib:.0f} MiB", flush=True)
        if max_peak_mib and memory.mib > max_peak_mib:
            failures.append(f"{path.name}: the kernel and its compilers peaked at {memory.mib:.0f} MiB, "
                            f"over the budget of {max_peak_mib:.0f} MiB (--max-peak-mib)")
        for row in rows:
            if row["notebook"] == path.name:
                row["peak_mib"] = round(memory.mib)

    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(rows, indent=1) + "\n")
    summary(rows)
    print(f"Per-cell timings: {report}")
    failed_cells = sum(1 for r in rows if not r["ok"]) + late
    print(f"claims not judged (the machine was busy, or its cores slower when all were busy): "
          f"{len(unjudged)}")
    for line in unjudged:
        print("   NOT JUDGED", line)
    for f in failures:
        print("FAILED", f)
    print(f"cells: {len(rows) + late - failed_cells} passed, {failed_cells} failed")
    return 1 if failures else 0


def summary(rows: list[dict]) -> None:
    print()
    print(f"{'notebook':<28} {'cells':>5} {'1st cell':>9} {'median':>8} {'max':>8} "
          f"{'pass 1':>8} {'pass 2':>8} {'peak mem':>9}")
    books = sorted({r["notebook"] for r in rows})
    for book in books:
        first = [r["seconds"] for r in rows if r["notebook"] == book and r["pass"] == 1]
        second = [r["seconds"] for r in rows if r["notebook"] == book and r["pass"] == 2]
        later = first[1:] or first
        peak = max((r.get("peak_mib", 0) for r in rows if r["notebook"] == book), default=0)
        print(f"{book[:28]:<28} {len(first):>5} {first[0]:>8.1f}s {statistics.median(later):>7.2f}s "
              f"{max(later):>7.2f}s {sum(first):>7.1f}s {sum(second):>7.1f}s {peak:>5} MiB")
    total = sum(r["seconds"] for r in rows)
    print(f"{'all notebooks, both passes':<28} {'':>5} {'':>9} {'':>8} {'':>8} {total:>16.1f}s")
    print("(1st cell = kernel's first `:dep` build; median and max are over the later cells of pass 1)")


VOLATILE_NOTEBOOK_KEYS = ("widgets", "vscode", "papermill", "toc")


def strip(nb) -> None:
    for key in VOLATILE_NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = {"display_name": "Rust", "language": "rust", "name": KERNEL}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)


def execute(paths: list[pathlib.Path]) -> int:
    import nbformat

    failed = 0
    for path in paths:
        run = Run(path)
        print(f"== {short(path)}: executing", flush=True)
        started = time.monotonic()
        found_any = []
        with run.client.setup_kernel():
            run.strict()
            cells = code_cells(run.nb)
            for number, (index, cell) in enumerate(cells, 1):
                seconds, found = run.run_cell(cell, index, label=number)
                print(f"   cell {number:>2}/{len(cells)}  {seconds:7.2f} s  {'ok' if not found else 'FAIL'}",
                      flush=True)
                found_any += [f"cell {number}: {f}" for f in found]
            found_any += [f"last cell (late output): {f}" for f in run.run_extra("()")]
            found_any += [f"cell {number}: {problem}" for number, problem in run.late()]
        if found_any:
            failed += 1
            for f in found_any:
                print(f"   FAILED {f}")
            print(f"   {path.name} left unchanged")
            continue
        strip(run.nb)
        nbformat.write(run.nb, path)
        print(f"   wrote {path.relative_to(ROOT)} ({time.monotonic() - started:.1f} s)")
    return 1 if failed else 0


def warm(path: pathlib.Path, max_first_cell: float | None) -> int:
    """Runs `path` once with notebooks/ as the kernel's working directory; see the module doc."""
    run = Run(path)
    run.client.resources = {"metadata": {"path": str(NOTEBOOKS)}}
    print(f"== warming evcxr's cache with {path.name} (kernel in {NOTEBOOKS.relative_to(ROOT)}/)",
          flush=True)
    started, times, found_any = time.monotonic(), [], []
    with run.client.setup_kernel(), PeakMemory(kernel_pid(run.client)) as memory:
        run.strict()
        cells = code_cells(run.nb)
        for number, (index, cell) in enumerate(cells, 1):
            seconds, found = run.run_cell(cell, index, label=number)
            times.append(seconds)
            print(f"   cell {number:>2}/{len(cells)}  {seconds:7.2f} s  {'ok' if not found else 'FAIL'}",
                  flush=True)
            found_any += [f"cell {number}: {f}" for f in found]
        found_any += [f"cell {number}: {problem}" for number, problem in run.late()]
    for f in found_any:
        print(f"   FAILED {f}")
    first = times[0] if times else 0.0
    print(f"   first cell {first:.1f} s; all {time.monotonic() - started:.1f} s; "
          f"peak memory of the kernel and its compilers {memory.mib:.0f} MiB", flush=True)
    if max_first_cell is not None and first > max_first_cell:
        print(f"   FAILED the first cell took {first:.1f} s, more than {max_first_cell:.0f} s: "
              "the cache did not serve it")
        return 1
    return 1 if found_any else 0


def check(paths: list[pathlib.Path]) -> int:
    import nbformat

    problems = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        name = path.name
        if nb.metadata.get("kernelspec", {}).get("name") != KERNEL:
            problems.append(f"{name}: kernelspec is not '{KERNEL}'")
        counts, charts = [], 0
        for number, (_, cell) in enumerate(code_cells(nb), 1):
            counts.append(cell.execution_count)
            if not cell.outputs and cell.execution_count is None:
                problems.append(f"{name}: code cell {number} was never executed")
            for f in problems_in(cell):
                problems.append(f"{name}: code cell {number}: {f}")
            charts += sum(1 for o in cell.outputs if "image/svg+xml" in o.get("data", {}))
            if "execution" in cell.metadata:
                problems.append(f"{name}: code cell {number} keeps volatile timing metadata")
        if counts and (not isinstance(counts[0], int)
                       or counts != list(range(counts[0], counts[0] + len(counts)))):
            problems.append(f"{name}: execution counts {counts[:6]}… are not consecutive: "
                            "run `make execute` rather than committing a hand-run notebook")
        if charts == 0:
            problems.append(f"{name}: no chart in the committed outputs")
        print(f"{name}: {len(counts)} code cells, {charts} charts")
    readme = (ROOT / "README.md").read_text()
    for path in paths:
        if path.parent == NOTEBOOKS:
            if f"(notebooks/{path.name})" not in readme:
                problems.append(f"{path.name}: no row in the README's contents")
            if f"urlpath=lab/tree/notebooks/{path.name})" not in readme:
                problems.append(f"{path.name}: no Binder link in the README's contents")
    for p in problems:
        print("PROBLEM", p)
    print(f"{len(paths)} notebooks checked, {len(problems)} problems")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["test", "execute", "check", "warm"])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--report", type=pathlib.Path, default=REPORT,
                        help=f"where `test` writes per-cell timings (default {REPORT.relative_to(ROOT)})")
    parser.add_argument("--passes", type=int, default=2, choices=[1, 2],
                        help="`test`: run every cell once, or twice in the same kernel (default)")
    parser.add_argument("--from-notebooks", action="store_true",
                        help="`test`: start each kernel in notebooks/, wherever the notebook is")
    parser.add_argument("--busy", action="store_true",
                        help="`test`: other programs compete on purpose; list claims shown "
                             "'not judged' instead of failing them")
    parser.add_argument("--max-peak-mib", type=float, default=MAX_PEAK_MIB,
                        help="`test` fails a notebook whose kernel and compilers together used more "
                             f"resident memory (MiB; default {MAX_PEAK_MIB}, 0 for none)")
    parser.add_argument("--max-first-cell", type=float, default=None,
                        help="`warm` fails if the first cell takes longer (seconds)")
    args = parser.parse_intermixed_args()
    if args.command == "warm":
        if len(args.notebooks) != 1:
            print("warm takes exactly one notebook", file=sys.stderr)
            return 2
        return warm(pathlib.Path(args.notebooks[0]).resolve(), args.max_first_cell)
    paths = notebook_paths(args.notebooks)
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    BUSY["allowed"] = args.busy
    if args.command == "test":
        return test(paths, args.report, args.passes, args.from_notebooks, args.max_peak_mib)
    return {"execute": execute, "check": check}[args.command](paths)


if __name__ == "__main__":
    sys.exit(main())
