#!/usr/bin/env python3
"""Run the course notebooks headless through the real evcxr kernel.

  notebooks.py test    [NOTEBOOK ...]  run each notebook top to bottom in a fresh kernel, then
                                       every code cell a second time in the same kernel; fail on
                                       any error, panic, stderr output or timeout; write a per-cell
                                       timing report and print a summary. Notebooks are not changed.
  notebooks.py execute [NOTEBOOK ...]  run each notebook once and write its fresh outputs back
                                       (consecutive execution counts, volatile metadata stripped);
                                       a notebook that fails is left untouched.
  notebooks.py check   [NOTEBOOK ...]  static checks of the committed notebooks, no kernel: outputs
                                       clean (no ✘, no "not judged"), consecutive counts, a chart,
                                       the set-up cell's shape, the navigation, safe outputs.
  notebooks.py safe    NOTEBOOK ...    fails when a notebook's outputs may not be trusted (set-up
                                       signs only notebooks that pass).
  notebooks.py nav                     writes every chapter's navigation lines (first and last
                                       cell) from the chapters' titles; `check` fails when they
                                       differ from what this would write.
  notebooks.py warm    [NOTEBOOK]      build the first kernel slot for every set-up the chapters use
                                       (each distinct set of `:dep` lines, run once from
                                       notebooks/ in a fresh kernel, with a chart), so no reader's
                                       first cell compiles the tree; skipped when the slot was
                                       built from the same sources (a stamp in target/kernels).
                                       With NOTEBOOK: that notebook once instead. Fails on any
                                       problem; reports each first cell's time and peak memory
                                       (`make lab`, `make test` and Binder's postBuild run it).

With no NOTEBOOK, every notebooks/NN-*.ipynb is used, in order.

How failures are caught. The kernel runs with evcxr's defaults, as a reader's does: a panic
keeps the variables of earlier cells, and evcxr reports it as success, so the harness reads the
outputs instead. A cell fails on an error output (a compile error), on any stderr output (a
panic's message, a top-level `?` error; tag a cell `allow-stderr` if writing to stderr is its
point), and on any ✘ in its outputs (a claim that did not hold: support::claims shows the table
with its ✘ rows and one line of error, and stops the cell). A cell tagged `raises-exception` must
fail with an error (a compile error that is the lesson), and with the one the lesson expects when
its metadata names it: `"expected_errors": ["E0521", "future cannot be sent"]`, each text found
in an error output.

Claims that could not be judged show "– not judged (busy)" or "– not judged (unavailable)"
(support::claims). On a quiet run, "busy" (other programs competed with the measurement, on
evidence independent of it) may happen in one pass of a cell and be judged in the other: a
virtual machine's host can take a core for a moment; a cell whose claims were not judged in
both passes fails, and "unavailable" (a count or a tool missing) fails in any pass. `test --busy`
is for runs where other programs compete on purpose (a CPU hog in the test command): "busy" is
listed there, not failed, and at least one claim must have seen the competition.

Only one harness run measures at a time on a machine: each waits for the others (a file lock),
because two runs would disturb each other's claims.
"""
from __future__ import annotations

import argparse
import copy
import json
import pathlib
import re
import os
import statistics
import subprocess
import sys
import threading
import time

# nbformat validates with jsonschema, and jsonschema imports `rfc3987_syntax` when it is installed
# (JupyterLab's jupyter-events brings it) for an "iri" format no notebook schema uses; that import
# builds a parser grammar, 2.9 s of every run's start here. Marked absent, it is skipped.
sys.modules.setdefault("rfc3987_syntax", None)

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REPORT = ROOT / "target" / "notebook-timings.json"
KERNEL = "rust"
# The first cell compiles the support crate and its dependencies: minutes on a cold cache.
CELL_TIMEOUT = 1200
STARTUP_TIMEOUT = 300
# Binder gives a learner 2 GB at most (450 MB guaranteed): a notebook whose kernel, its code's
# process and its compilers together go over that (resident memory summed, so pages they share
# count more than once) fails the test. The kernel alone is about 0.8 GB, mostly its type checker.
MAX_PEAK_MIB = 2048
# The marks support::claims gives a claim it could not judge, and one that failed.
NOT_JUDGED = "– not judged"
BUSY_MARK = "– not judged (busy)"
FAILED_MARK = "✘"
# Set by `test --busy`: claims not judged because the machine was busy are listed, not failed.
# Set by `test` on a quiet run of two passes: a cell whose claims were not judged (busy) in one
# pass fails only if they were not judged in the other pass either (see `test`).
BUSY = {"allowed": False, "judged_by_pass": False, "must_see": False}
# Where harness runs take turns (see the module doc).
MEASURE_LOCK = pathlib.Path(os.environ.get("COURSE_MEASURE_LOCK", "/tmp/async-techniques-in-rust.measure.lock"))


def measuring_alone():
    """A context that holds the machine-wide measurement lock, waiting (and saying so) while
    another harness run holds it. Where fcntl is missing (Windows) it holds nothing."""
    import contextlib

    @contextlib.contextmanager
    def hold():
        try:
            import fcntl
        except ImportError:
            yield
            return
        with open(MEASURE_LOCK, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                print(f"   waiting for another notebook run on this machine to finish ({MEASURE_LOCK})",
                      flush=True)
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    return hold()


def notebook_paths(names: list[str]) -> list[pathlib.Path]:
    if names:
        return [pathlib.Path(n).resolve() for n in names]
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


# A value from `support` printed with `{:?}` instead of its own display (see problems_in).
DEBUG_DUMP = re.compile(r"^(Figure|Claims|Table|Check|Machine|CpuTrace) \{")


def output_text(output) -> str:
    """The plain text of one output: a stream's text, an error's message, or a display's
    text/plain."""
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    if output.get("output_type") == "error":
        return output.get("evalue", "") + "\n" + "\n".join(output.get("traceback", []))
    return "".join(output.get("data", {}).get("text/plain", ""))


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def problems_in(cell, unavailable_skips: bool = False) -> list[str]:
    """What is wrong with an executed code cell's outputs, judged by its tags. A claim not
    judged because something is unavailable here is a problem, unless `unavailable_skips`
    (a test run: the caller records it as SKIPPED)."""
    found = []
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    stderr = "".join(o.get("text", "") for o in cell.outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    if "raises-exception" in tags(cell):
        if not errors:
            found.append("tagged raises-exception but ran without error")
        said = ANSI.sub("", "\n".join(output_text(o) for o in errors))
        first = said.strip().splitlines()[0][:200] if said.strip() else "(none)"
        for expected in cell.get("metadata", {}).get("expected_errors", []):
            if expected not in said:
                found.append(f"tagged raises-exception expecting {expected!r}, but its error "
                             f"was: {first}")
        return found
    for e in errors:
        found.append(f"error: {e.get('evalue', '')[:300]}")
    failed = [line.strip() for o in cell.outputs for line in output_text(o).splitlines()
              if line.lstrip().startswith(FAILED_MARK)]
    if failed:
        found.append("claims that did not hold: " + " | ".join(failed)[:1500])
    if "panicked at" in stderr:
        found.append("panic: " + stderr.strip()[:1500])
    elif stderr.strip() and "allow-stderr" not in tags(cell) and not failed:
        found.append("stderr: " + stderr.strip()[:300])
    busy, other = not_judged(cell)
    if other and not unavailable_skips:
        found.append("claims were not judged for a reason no quiet moment changes: "
                     + "; ".join(other)[:600])
    if busy and not BUSY["allowed"] and not BUSY["judged_by_pass"]:
        found.append("claims were not judged (other programs competed) on a run meant to be "
                     "quiet: " + "; ".join(busy)[:600])
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


def not_judged(cell) -> tuple[list[str], list[str]]:
    """The lines of a cell's claim tables (their plain-text form) whose claim was not judged:
    (because the machine was busy, for any other reason)."""
    busy, other = [], []
    for o in cell.get("outputs", []):
        for line in output_text(o).splitlines():
            if NOT_JUDGED in line:
                (busy if BUSY_MARK in line else other).append(line.strip())
    return busy, other


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
        # As JupyterLab does: the kernel launcher (scripts/kernel.py) preloads this notebook's
        # set-up while the first cell is on its way, as it does while a reader reads.
        os.environ["JPY_SESSION_NAME"] = str(path)
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
            found = problems_in(cell, unavailable_skips=True)
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


class PeakMemory:
    """Samples the memory of a process and all its descendants (the kernel, and the cargo and
    rustc processes it starts) once a second, from /proc (proportional set sizes, so shared pages
    count once); keeps the largest sum seen. Not more often: reading a process's
    smaps_rollup walks its page tables, and sampling five times a second the harness averaged
    a tenth of a core over a chapter's run (ps), which the chapters' measurements count as
    another program competing.
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
        while not self._stop.wait(1.0):
            self.peak = max(self.peak, self._tree_rss())

    @property
    def mib(self) -> float:
        return self.peak / 2**20


def memory_budget(name: str, memory: PeakMemory, max_peak_mib: float) -> list[str]:
    """The failure when a run's peak passed the budget. A peak that could not be read (no /proc,
    no kernel process found: it stays 0) is not a pass: it is SKIPPED, and so fails under CI."""
    if not max_peak_mib:
        return []
    if memory.peak == 0:
        skipped(f"{name}: the memory budget was not checked (no /proc, or the kernel's "
                "process was not found)")
        return []
    if memory.mib > max_peak_mib:
        return [f"{name}: the kernel and its compilers peaked at {memory.mib:.0f} MiB, "
                f"over the budget of {max_peak_mib:.0f} MiB (--max-peak-mib)"]
    return []


def kernel_pid(client) -> int | None:
    """The kernel process's id (jupyter_client's local provisioner), if it can be found."""
    try:
        return client.km.provisioner.process.pid
    except AttributeError:
        return None


def course_kernel_build() -> str:
    """The version scripts/setup.sh gives the kernel it builds: EVCXR_BUILD, evcxr_jupyter's
    version, then "+course." and a hash of the patches to evcxr. Asked of scripts/common.sh
    itself, which computes it for set-up, so that the two can never disagree."""
    common = ROOT / "scripts" / "common.sh"
    result = subprocess.run(["bash", "-c", 'source "$1" && printf %s "$EVCXR_BUILD"', "bash",
                             str(common)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or "+course." not in result.stdout:
        raise SystemExit(f"{common} gave no EVCXR_BUILD: {result.stderr.strip()}")
    return result.stdout


def kernel_build_problem(client) -> str | None:
    """None when the kernel reports the course's build of evcxr_jupyter, else what is wrong."""
    reply = client.wait_for_reply(client.kc.kernel_info())
    found = (reply or {}).get("content", {}).get("implementation_version", "(no reply)")
    wanted = course_kernel_build()
    if found != wanted:
        return (f"the kernel is evcxr_jupyter {found}, not the course's build {wanted} "
                "(scripts/evcxr/*.patch): run scripts/setup.sh")
    return None


def short(path: pathlib.Path) -> str:
    return path.stem


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


SKIPPED: list[str] = []


def skipped(what: str) -> None:
    """Records a check that could not run here; `report_skipped` prints them all at the end
    (or, under the test command, which sets COURSE_SKIPPED_FILE, the test command does)."""
    SKIPPED.append(what)
    print(f"   SKIPPED {what}", flush=True)
    shared = os.environ.get("COURSE_SKIPPED_FILE")
    if shared:
        with open(shared, "a") as f:
            f.write(f"notebooks: {what}\n")


def report_skipped() -> int:
    """Prints the SKIPPED summary; under CI (CI=true) any skip fails the run. Under the test
    command (COURSE_SKIPPED_FILE set) the test command prints and judges them instead."""
    if not SKIPPED or os.environ.get("COURSE_SKIPPED_FILE"):
        return 0
    print("SKIPPED (checks that could not run here):")
    for what in SKIPPED:
        print(f"   SKIPPED {what}")
    if os.environ.get("CI") == "true":
        print("FAILED: under CI nothing may be skipped")
        return 1
    return 0


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
            wrong_kernel = kernel_build_problem(run.client)
            if wrong_kernel:
                failures.append(f"{path.name}: {wrong_kernel}")
                print(f"   FAIL {wrong_kernel}", flush=True)
                continue
            cells = code_cells(run.nb)
            # The second pass re-runs copies in the same kernel, as a reader re-running cells would.
            for pass_no in range(1, passes + 1):
                for number, (index, cell) in enumerate(cells, 1):
                    cell = cell if pass_no == 1 else copy.deepcopy(cell)
                    seconds, found = run.run_cell(cell, index, label=(pass_no, number))
                    busy_lines, other_lines = not_judged(cell)
                    unjudged += [f"{path.name} cell {number} (pass {pass_no}): {line}"
                                 for line in busy_lines]
                    for line in other_lines:
                        skipped(f"{path.name} cell {number} (pass {pass_no}): {line}")
                    competed.setdefault(number, {})[pass_no] = (busy_lines, other_lines)
                    rows.append({"notebook": path.name, "pass": pass_no, "cell": number,
                                 "seconds": round(seconds, 3), "ok": not found})
                    if pass_no == 1 and number == 1:
                        rows[-1]["from_launch"] = round(time.monotonic() - started, 3)
                    mark = "ok" if not found else "FAIL"
                    print(f"   pass {pass_no}  cell {number:>2}/{len(cells)}  {seconds:7.2f} s  {mark}",
                          flush=True)
                    for f in found:
                        failures.append(f"{path.name} cell {number} (pass {pass_no}): {f}")
                        print(f"      {f}", flush=True)
            if BUSY["judged_by_pass"]:
                for number, by_pass in competed.items():
                    # Not judged in every pass, and busy in at least one (unavailable in every
                    # pass is a SKIPPED line, recorded above: under CI that fails the run).
                    if (by_pass and all(sum(by_pass.get(p, ([], [])), []) for p in range(1, passes + 1))
                            and any(busy for busy, _ in by_pass.values())):
                        failures.append(
                            f"{path.name} cell {number}: claims were not judged in every pass of a "
                            "run meant to be quiet: "
                            + "; ".join(sum(by_pass[passes], []))[:600])
                        for row in rows:
                            if row["notebook"] == path.name and row["cell"] == number:
                                row["ok"] = False
                    elif any(busy for busy, _ in by_pass.values()):
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
        failures += memory_budget(path.name, memory, max_peak_mib)
        for row in rows:
            if row["notebook"] == path.name:
                row["peak_mib"] = round(memory.mib)

    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(rows, indent=1) + "\n")
    summary(rows)
    print(f"Per-cell timings: {report}")
    failed_cells = sum(1 for r in rows if not r["ok"]) + late
    print(f"claims not judged because other programs competed: {len(unjudged)}")
    for line in unjudged:
        print("   NOT JUDGED", line)
    if BUSY["must_see"] and not unjudged:
        failures.append("a run meant to be busy, but no claim saw any competition: the CPU hog "
                        "did not compete with the measurements (is it running, on a CPU this "
                        "run may use?)")
    for f in failures:
        print("FAILED", f)
    print(f"cells: {len(rows) + late - failed_cells} passed, {failed_cells} failed")
    return 1 if failures else 0


def summary(rows: list[dict]) -> None:
    print()
    print(f"{'notebook':<28} {'cells':>5} {'1st cell':>9} {'median':>8} {'max':>8} "
          f"{'pass 1':>8} {'pass 2':>8} {'peak mem':>9}")
    # "1st cell" is timed from the kernel's launch, as a reader who runs it at once would wait.
    books = sorted({r["notebook"] for r in rows})
    for book in books:
        first = [r.get("from_launch", r["seconds"]) if r["cell"] == 1 else r["seconds"]
                 for r in rows if r["notebook"] == book and r["pass"] == 1]
        second = [r["seconds"] for r in rows if r["notebook"] == book and r["pass"] == 2]
        later = first[1:] or first
        peak = max((r.get("peak_mib", 0) for r in rows if r["notebook"] == book), default=0)
        print(f"{book[:28]:<28} {len(first):>5} {first[0]:>8.1f}s {statistics.median(later):>7.2f}s "
              f"{max(later):>7.2f}s {sum(first):>7.1f}s {sum(second):>7.1f}s {peak:>5} MiB")
    total = sum(r["seconds"] for r in rows)
    print(f"{'all notebooks, both passes':<28} {'':>5} {'':>9} {'':>8} {'':>8} {total:>16.1f}s")
    print("(1st cell: from the kernel's launch to the first cell's result; median and max are over "
          "the later cells of pass 1)")


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


def chapter_setups() -> list[list[str]]:
    """Each distinct list of `:dep` lines the chapters' set-up cells start with, in order."""
    import nbformat

    setups = []
    for path in notebook_paths([]):
        nb = nbformat.read(path, as_version=4)
        first = next((c.source for c in nb.cells if c.cell_type == "code"), "")
        deps = [line for line in first.splitlines() if line.startswith(":dep ")]
        if deps and deps not in setups:
            setups.append(deps)
    return setups


def warm_stamp() -> str:
    """A hash of what a slot's build depends on: the workspace's Rust sources and lock file,
    the chapters' `:dep` lines, rustc's and the kernel's versions."""
    import hashlib
    import subprocess

    digest = hashlib.sha256()
    for member in ("support", "course_os", "math_core", "loadgen"):
        for file in sorted((ROOT / member).rglob("*")):
            if file.is_file() and "target" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    digest.update((ROOT / "Cargo.lock").read_bytes())
    digest.update(repr(chapter_setups()).encode())
    for tool in (["rustc", "--version"], ["evcxr_jupyter", "--version"]):
        try:
            digest.update(subprocess.run(tool, capture_output=True, timeout=30).stdout)
        except (OSError, subprocess.SubprocessError):
            pass
    return digest.hexdigest()[:20]


def warm_chapters(max_first_cell: float | None) -> int:
    """Builds the first kernel slot for every chapter set-up (see the module doc)."""
    import nbformat
    import tempfile

    slots = pathlib.Path(os.environ.get("COURSE_KERNEL_SLOTS") or ROOT / "target" / "kernels")
    stamp = slots / f"warm-{warm_stamp()}"
    if stamp.exists() and max_first_cell is None:
        print("   the kernels' build is current (built from these sources before): nothing to do",
              flush=True)
        return 0
    setups = chapter_setups()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, deps in enumerate(setups, 1):
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Rust", "language": "rust"}
            nb.cells = [nbformat.v4.new_code_cell("\n".join(deps) + "\nuse support::prelude::*;\n"
                                                  + SETUP_END),
                        nbformat.v4.new_code_cell('bar_chart("Warm-up", "cores", &["this machine"], '
                                                  '&[Series::bars("cores", [cores as f64])])?')]
            path = pathlib.Path(tmp) / f"set-up-{i}.ipynb"
            nbformat.write(nb, path)
            print(f"== set-up {i} of {len(setups)}: {' '.join(d.split('=', 1)[0].strip() for d in deps)}"
                  f" ({'; '.join(deps)})", flush=True)
            failed |= warm(path, max_first_cell)
    if not failed:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        for old in stamp.parent.glob("warm-*"):
            old.unlink()
        stamp.touch()
    return failed


def warm(path: pathlib.Path, max_first_cell: float | None) -> int:
    """Runs `path` once with notebooks/ as the kernel's working directory; see the module doc."""
    run = Run(path)
    run.client.resources = {"metadata": {"path": str(NOTEBOOKS)}}
    print(f"== warming evcxr's cache with {path.name} (kernel in {NOTEBOOKS.relative_to(ROOT)}/)",
          flush=True)
    started, times, found_any = time.monotonic(), [], []
    with run.client.setup_kernel(), PeakMemory(kernel_pid(run.client)) as memory:
        cells = code_cells(run.nb)
        for number, (index, cell) in enumerate(cells, 1):
            seconds, found = run.run_cell(cell, index, label=number)
            times.append(seconds)
            if number == 1:
                launch_to_first = time.monotonic() - started
            print(f"   cell {number:>2}/{len(cells)}  {seconds:7.2f} s  {'ok' if not found else 'FAIL'}",
                  flush=True)
            found_any += [f"cell {number}: {f}" for f in found]
        found_any += [f"cell {number}: {problem}" for number, problem in run.late()]
    for f in found_any:
        print(f"   FAILED {f}")
    first = launch_to_first if times else 0.0
    print(f"   first cell {first:.1f} s from the kernel's launch; all {time.monotonic() - started:.1f} s; "
          f"peak memory of the kernel and its compilers {memory.mib:.0f} MiB", flush=True)
    if max_first_cell is not None and first > max_first_cell:
        print(f"   FAILED the first cell took {first:.1f} s, more than {max_first_cell:.0f} s")
        return 1
    return 1 if found_any else 0


NAV_MARK = "<!--NAVIGATION-->"
TITLE = re.compile(r"^# (\d\d) · (.+)$", re.MULTILINE)
# Every chapter's set-up cell ends with these lines, so every chapter has `machine` and `cores`.
SETUP_END = "let machine = Machine::detect();\nlet cores = machine.cores;\nmachine"


def chapter_titles() -> list[tuple[str, str]]:
    """(file name, "NN · Title") of every chapter, in order."""
    import nbformat

    titles = []
    for path in notebook_paths([]):
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0].source if nb.cells else ""
        found = TITLE.search(first)
        titles.append((path.name, f"{found[1]} · {found[2]}" if found else path.stem))
    return titles


def navigation(name: str, titles: list[tuple[str, str]]) -> str:
    """The navigation lines of chapter `name`: previous, contents, next."""
    names = [n for n, _ in titles]
    i = names.index(name)
    links = []
    if i > 0:
        links.append(f"[← {titles[i - 1][1]}]({titles[i - 1][0]})")
    links.append("[Contents](../README.md#contents)")
    if i + 1 < len(titles):
        links.append(f"[{titles[i + 1][1]} →]({titles[i + 1][0]})")
    return f"{NAV_MARK}\n" + " · ".join(links)


def with_navigation(nb, name: str, titles) -> bool:
    """Puts the navigation at the top of the first cell and as the last cell; True if changed."""
    import nbformat

    nav = navigation(name, titles)
    first = nb.cells[0]
    body = first.source
    if body.startswith(NAV_MARK):
        body = body.split("\n\n", 1)[1] if "\n\n" in body else ""
    new_first = f"{nav}\n\n{body}"
    changed = new_first != first.source
    first.source = new_first
    last = nb.cells[-1]
    if last.cell_type == "markdown" and last.source.startswith(NAV_MARK):
        changed |= last.source != nav
        last.source = nav
    else:
        nb.cells.append(nbformat.v4.new_markdown_cell(nav))
        changed = True
    return changed


def nav() -> int:
    import nbformat

    titles = chapter_titles()
    for path in notebook_paths([]):
        nb = nbformat.read(path, as_version=4)
        if with_navigation(nb, path.name, titles):
            nbformat.write(nb, path)
            print(f"navigation written: {path.relative_to(ROOT)}")
    return 0


# Outputs a notebook may carry. Anything else (JavaScript, widgets) is refused, and so is HTML or
# SVG that could run code when a trusted notebook is opened.
SAFE_MIME = {"text/plain", "text/html", "image/svg+xml", "image/png", "text/markdown"}
UNSAFE = re.compile(r"<\s*script|\bon[a-z]+\s*=|javascript:|<\s*iframe|<\s*object|<\s*embed"
                    r"|<\s*foreignObject|<\s*use\b[^>]*href\s*=\s*[\"']?(?!#)|<\s*meta|<\s*link\b",
                    re.IGNORECASE)


def unsafe_outputs(nb) -> list[str]:
    """Why a notebook's outputs must not be trusted (signed): a MIME type outside SAFE_MIME, or
    HTML/SVG with a script, an event handler, a javascript: URL or an element that loads
    content from elsewhere."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        for o in cell.get("outputs", []):
            for mime, data in o.get("data", {}).items():
                if mime not in SAFE_MIME:
                    found.append(f"cell {number}: an output of type {mime}")
                    continue
                text = "".join(data) if isinstance(data, list) else str(data)
                if mime in ("text/html", "image/svg+xml", "text/markdown"):
                    hit = UNSAFE.search(text)
                    if hit:
                        found.append(f"cell {number}: {mime} output contains {hit[0]!r}")
        if cell.cell_type == "markdown":
            hit = UNSAFE.search(cell.source)
            if hit:
                found.append(f"cell {number} (markdown) contains {hit[0]!r}")
    return found


def check(paths: list[pathlib.Path]) -> int:
    import nbformat

    problems = []
    titles = chapter_titles()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        name = path.name
        if nb.metadata.get("kernelspec", {}).get("name") != KERNEL:
            problems.append(f"{name}: kernelspec is not '{KERNEL}'")
        problems += [f"{name}: {why}" for why in unsafe_outputs(nb)]
        if path.parent == NOTEBOOKS and name in dict(titles):
            import copy as _copy
            if with_navigation(_copy.deepcopy(nb), name, titles):
                problems.append(f"{name}: the navigation lines are not what `notebooks.py nav` "
                                "writes (run it)")
            setup = next((c.source for c in nb.cells if c.cell_type == "code"), "")
            if not setup.startswith(":dep support") or "use support::prelude::*;" not in setup \
                    or not setup.rstrip().endswith(SETUP_END):
                problems.append(f"{name}: the set-up cell (the first code cell) must start with "
                                "`:dep support`, use `support::prelude::*` and end with:\n"
                                + SETUP_END)
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
    parser.add_argument("command", choices=["test", "execute", "check", "warm", "nav", "safe"])
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
    parser.add_argument("--quota", action="store_true",
                        help="`test`: under a CPU quota (the Binder box): list claims not judged "
                             "because others competed, as --busy does, without requiring any")
    parser.add_argument("--max-peak-mib", type=float, default=MAX_PEAK_MIB,
                        help="`test` fails a notebook whose kernel and compilers together used more "
                             f"resident memory (MiB; default {MAX_PEAK_MIB}, 0 for none)")
    parser.add_argument("--max-first-cell", type=float, default=None,
                        help="`warm` fails if the first cell takes longer (seconds)")
    args = parser.parse_intermixed_args()
    if args.command == "warm":
        if len(args.notebooks) > 1:
            print("warm takes one notebook, or none (every chapter's set-up)", file=sys.stderr)
            return 2
        with measuring_alone():
            if args.notebooks:
                return warm(pathlib.Path(args.notebooks[0]).resolve(), args.max_first_cell)
            return warm_chapters(args.max_first_cell)
    if args.command == "nav":
        return nav()
    paths = notebook_paths(args.notebooks)
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    BUSY["allowed"] = args.busy or args.quota
    BUSY["must_see"] = args.busy
    if args.command == "check":
        return check(paths)
    if args.command == "safe":
        import nbformat
        problems = [f"{p.name}: {why}" for p in paths
                    for why in unsafe_outputs(nbformat.read(p, as_version=4))]
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    with measuring_alone():
        if args.command == "test":
            code = test(paths, args.report, args.passes, args.from_notebooks, args.max_peak_mib)
        else:
            code = execute(paths)
    return code or report_skipped()


if __name__ == "__main__":
    sys.exit(main())
