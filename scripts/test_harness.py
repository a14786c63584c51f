#!/usr/bin/env python3
"""Self-test of the notebook harness: it must fail notebooks that are broken in each way it
claims to catch, and pass one that is not. Each case is a small notebook written to a temporary
folder and run through `notebooks.py test` in its own fresh kernel (plain Rust, no :dep)."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

# The harness first: its import keeps jsonschema from building a grammar nbformat never uses (2.9 s).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import notebooks  # noqa: E402
import nbformat  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
# The kernels start in notebooks/ (--from-notebooks), so this is the `:dep` line of chapters 01,
# 03, 04 and 05 (without the web feature: the quickest to load).
SUPPORT = ':dep support = { path = "../support", default-features = false }\nuse support::prelude::*;'
# A speed-up claim that is false: two threads that each do the whole count, against one thread
# doing it once. Judged against this machine's ceiling it fails on any machine, one core
# included (the ceiling says what two threads can deliver; this program delivers half of it).
# A claim judged against the run itself ("its cores computed slowly") could never fail.
FALSE_SPEEDUP = (
    'fn count(n: u64) -> u64 { let mut x = 0u64; while x < n { x = std::hint::black_box(x + 1); } x }\n'
    'const N: u64 = 150_000_000;\n'
    'let m = Bench::new().rounds(2)\n'
    '    .run("one thread", 1, || count(N))\n'
    '    .run("two threads", 2, || std::thread::scope(|s| { s.spawn(|| count(N)); s.spawn(|| count(N)); }))\n'
    '    .measure()?;\n'
    'let (speedup, ceiling) = (m.speedup("two threads")?, m.ceiling(2)?);\n'
    'Claims::new().timed_claim("two threads get at least 90% of what this machine delivers on two",\n'
    '    format!("{speedup:.2}× of {ceiling:.2}×"), speedup >= 0.9 * ceiling, &m).assert_all()')
# The smallest chart output: the safety check must accept it, and refuse it with a script added.
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
# A share that says another program used a whole core beside work that needed both.
BUSY = ('support::share::Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: 1.0, group: None,\n'
        '    machine: Some(support::share::MachineCpu { busy: 2.0, stolen: 0.0, cpus: 2 }) }')
QUIET = BUSY.replace("busy: 2.0, stolen", "busy: 1.0, stolen")
UNAVAILABLE = 'Claims::new().claim("wrk agrees", "–", Verdict::unavailable("wrk is not installed")).assert_all()'
BUSY_CLAIM = (f'let during = {BUSY};\n'
              'Claims::new().timed_claim("two threads run 1.6× faster", "1.9×", true, &during).assert_all()')


def once(tmp: str, name: str) -> str:
    """Rust that is true the first time it runs in this self-test and false after (a marker
    file in the self-test's own temporary folder)."""
    return f'let first = std::fs::File::create_new({json.dumps(str(pathlib.Path(tmp) / name))}).is_ok();\n'


def cases(tmp: str) -> dict:
    """name: (cells as (source, tags, metadata), whether the harness must pass it, text its
    output must contain). The `?` case only names the error text: evcxr may deliver it after
    the cell's reply, and the harness then reports it under the cell's request or, at the very
    end, the closing cell."""
    busy_once = (once(tmp, "busy-once") +
                 f'let during = if first {{ {BUSY} }} else {{ {QUIET} }};\n'
                 'Claims::new().timed_claim("two threads run 1.6× faster", "1.9×", true, &during).assert_all()')
    busy_then_unavailable = (
        once(tmp, "busy-then-unavailable") +
        f'let during = {BUSY};\n'
        'if first { Claims::new().timed_claim("wrk agrees", "–", true, &during) }\n'
        'else { Claims::new().claim("wrk agrees", "–", Verdict::unavailable("wrk is not installed")) }.assert_all()')
    return {
        "panic": ([("let x = 1;", [], {}), ('panic!("boom");', [], {})], False, "cell 2 (pass 1): panic"),
        "question-mark-error": ([('let n: i32 = "seven".parse()?;\nn', [], {})], False, "invalid digit"),
        "compile-error": ([('let x: u8 = "not a number";', [], {})], False, "cell 1 (pass 1): error"),
        # Passes once, then fails: the failure is reported in pass 2, which proves pass 2 ran.
        "works-only-once": ([(once(tmp, "works-once") + 'assert!(first, "ran twice");', [], {})],
                            False, "cell 1 (pass 2): panic"),
        "expected-error-missing": ([("1 + 1", ["raises-exception"], {})], False, "ran without error"),
        "another-error-than-expected": ([('let x: u8 = "not a number";', ["raises-exception"],
                                          {"expected_errors": ["E0521"]})], False, "expecting 'E0521'"),
        # A false speed-up on a quiet machine fails: nothing excuses it.
        "false-speed-up": ([(SUPPORT, [], {}), (FALSE_SPEEDUP, [], {})], False, "claims that did not hold: ✘"),
        "claims-never-checked": ([(SUPPORT, [], {}), ('{ let _c = Claims::new().claim("x", "1", true); }', [], {})],
                                 False, "never checked"),
        # Not judged (busy) fails a quiet run when it happens in both passes...
        "busy-in-both-passes-of-a-quiet-run": ([(SUPPORT, [], {}), (BUSY_CLAIM, [], {})], False,
                                               "in every pass of a run meant to be quiet"),
        # ...passes when the other pass judged it...
        "busy-in-one-pass-of-a-quiet-run": ([(SUPPORT, [], {}), (busy_once, [], {})], True,
                                            "were judged in the other"),
        # ...and a claim not judged in both passes fails, whatever the two reasons were.
        "busy-then-unavailable": ([(SUPPORT, [], {}), (busy_then_unavailable, [], {})], False,
                                  "not judged in every pass"),
        # Something unavailable here is a SKIPPED line, and under CI a failure.
        "unavailable-is-skipped": ([(SUPPORT, [], {}), (UNAVAILABLE, [], {})], True, "SKIPPED"),
        "unavailable-under-ci": ([(SUPPORT, [], {}), (UNAVAILABLE, [], {})], False,
                                 "under CI nothing may be skipped"),
        "busy-on-a-busy-run": ([(SUPPORT, [], {}), (BUSY_CLAIM, [], {})], True,
                               "claims not judged because other programs competed: 1"),
        "quiet-on-a-busy-run": ([(SUPPORT, [], {}), ('Claims::new().claim("1 < 2", "1 vs 2", 1 < 2).assert_all()', [], {})],
                                False, "no claim saw any competition"),
        "healthy": ([("let x = 40;", [], {}), ("x + 2", [], {}),
                     ('let y: u8 = "lesson";', ["raises-exception"], {"expected_errors": ["E0308"]})],
                    True, "cells: 6 passed, 0 failed"),
    }


def static_cases() -> tuple[int, int]:
    """The checks that need no kernel: outputs that must never be trusted (signed) are found."""
    svg = SVG
    bad = {
        "script in SVG": {"image/svg+xml": svg.replace("<rect", "<script>alert(1)</script><rect")},
        "event handler in HTML": {"text/html": '<img src="x" onerror="alert(1)">'},
        "javascript: URL": {"text/html": '<a href="javascript:alert(1)">x</a>'},
        "foreign content in SVG": {"image/svg+xml": svg.replace("<rect", "<foreignObject></foreignObject><rect")},
        "JavaScript output": {"application/javascript": "alert(1)"},
        "widget output": {"application/vnd.jupyter.widget-view+json": "{}"},
    }
    passed = failed = 0
    for name, data in bad.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
            "display_data", data=data)])]
        ok = bool(notebooks.unsafe_outputs(nb))
        passed += ok
        failed += not ok
        print(f"   unsafe output: {name:<24} {'refused' if ok else 'ACCEPTED: WRONG'}")
    good = nbformat.v4.new_notebook()
    good.cells = [nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/svg+xml": svg, "text/html": "<table><tr><td>1</td></tr></table>",
                              "text/plain": "1"})])]
    ok = not notebooks.unsafe_outputs(good)
    passed += ok
    failed += not ok
    print(f"   a chart and a table:               {'accepted' if ok else 'REFUSED: WRONG'}")
    # The kernel's build: the course's patched evcxr_jupyter passes, crates.io's own does not.
    class Kernel:
        def __init__(self, version):
            self.kc, self.version = self, version

        def kernel_info(self):
            return "request"

        def wait_for_reply(self, request):
            return {"content": {"implementation_version": self.version}}

    for version, wanted in ((notebooks.course_kernel_build(), True), ("0.22.0", False)):
        ok = (notebooks.kernel_build_problem(Kernel(version)) is None) == wanted
        passed += ok
        failed += not ok
        verdict = ("accepted" if wanted else "refused") if ok else "WRONG"
        print(f"   kernel build {version:<22} {verdict}")
    return passed, failed


def launcher_cases() -> tuple[int, int]:
    """scripts/kernel.py with a stand-in for evcxr: the slot lock stays with the launcher."""
    import fcntl

    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        slots = pathlib.Path(tmp) / "kernels"
        fake = pathlib.Path(tmp) / "fake-evcxr"
        # A kernel that starts a program in a session of its own (as a cell's `setsid` child
        # would) which outlives it, then exits.
        orphan = pathlib.Path(tmp) / "orphan.pid"
        fake.write_text(f"#!/bin/sh\nsetsid sleep 20 >/dev/null 2>&1 < /dev/null &\necho $! > {orphan}\nexit 0\n")
        fake.chmod(0o755)
        env = dict(os.environ, COURSE_KERNEL_SLOTS=str(slots), COURSE_PRELOAD="0")
        run = subprocess.run([sys.executable, str(HERE / "kernel.py"), "--evcxr", str(fake),
                              "/nonexistent-connection-file"], env=env, timeout=60)
        time.sleep(0.3)
        with open(slots / "slot-0.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                ok = True
            except OSError:
                ok = False
        try:  # only the orphan this case started (setsid execs `sleep` in the same process)
            os.kill(int(orphan.read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        ok = ok and run.returncode == 0
        passed += ok
        failed += not ok
        print(f"   launcher: an orphan of the kernel holds no slot:  {'ok' if ok else 'WRONG: slot-0 is still locked'}")
        # A lock path that is a directory: the launcher says so and takes the next slot.
        (slots / "slot-0.lock").unlink()
        (slots / "slot-0.lock").mkdir()
        fake.write_text('#!/bin/sh\necho "slot=$EVCXR_TMPDIR"\n')
        out = subprocess.run([sys.executable, str(HERE / "kernel.py"), "--evcxr", str(fake),
                              "/nonexistent-connection-file"], env=env, timeout=60,
                             capture_output=True, text=True)
        ok = out.stdout.strip().endswith("slot-1") and "remove" in out.stderr
        passed += ok
        failed += not ok
        print(f"   launcher: a broken slot lock is skipped, and named: {'ok' if ok else 'WRONG: ' + out.stdout + out.stderr}")
        # The kernel's cells find Rust's standard library through the loader's search path,
        # wherever the slots are (scripts/kernel.py, with_std_on_library_path; the Binder check
        # runs a real kernel in that layout).
        var = "DYLD_LIBRARY_PATH" if sys.platform == "darwin" else "LD_LIBRARY_PATH"
        fake.write_text(f'#!/bin/sh\necho "path=${var}"\n')
        libdir = subprocess.run(["rustc", "--print", "target-libdir"], capture_output=True,
                                text=True, timeout=60).stdout.strip()
        # Without the variable in the harness's own environment, so only the launcher can set it.
        bare = {k: v for k, v in env.items() if k != var}
        out = subprocess.run([sys.executable, str(HERE / "kernel.py"), "--evcxr", str(fake),
                              "/nonexistent-connection-file"], env=bare, timeout=60,
                             capture_output=True, text=True)
        ok = bool(libdir) and libdir in out.stdout.strip().removeprefix("path=").split(os.pathsep)
        passed += ok
        failed += not ok
        print(f"   launcher: the kernel's {var} names the toolchain's libstd folder: "
              f"{'ok' if ok else f'WRONG: {out.stdout.strip()!r}, not {libdir!r}'}")
    return passed, failed


def _write_configs(kernel, path: pathlib.Path, writer: int) -> None:
    for i in range(300):
        kernel.write_if_changed(path, f"# writer {writer}, version {i}\n" * 20)


def tally(results: list[tuple[str, bool, str]]) -> tuple[int, int]:
    """Prints each (name, ok, what went wrong) and returns (passed, failed)."""
    for name, ok, wrong in results:
        print(f"   {name:<58} {'ok' if ok else 'WRONG: ' + wrong}")
    return sum(ok for _, ok, _ in results), sum(not ok for _, ok, _ in results)


def bounded(argv: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Runs a script in a session of its own; past `timeout` the whole group is killed (a script
    killed alone would leave its children, a CPU hog or a browser, running) and the result says
    so (exit code -9)."""
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(killed after {timeout:.0f} s)"
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def script_cases() -> tuple[int, int]:
    """The scripts' own guards, each run the way the test command or a reader meets it (no kernel)."""
    import fcntl
    import importlib.util
    import multiprocessing
    import re

    results = []
    spec = importlib.util.spec_from_file_location("kernel_launcher", HERE / "kernel.py")
    kernel = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kernel)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        # Kernels starting together each write the slots' cargo config: no writer may fail, and
        # the file must be one writer's whole text (a shared partial file fails both ways).
        config = tmp / ".cargo" / "config.toml"
        writers = [multiprocessing.get_context("fork").Process(target=_write_configs, args=(kernel, config, n))
                   for n in range(4)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(120)
        text = config.read_text() if config.exists() else ""
        whole = re.fullmatch(r"(# writer \d+, version \d+\n)\1{19}", text) is not None
        codes = [w.exitcode for w in writers]
        results.append(("kernel.py: four launchers writing the cargo config at once",
                        codes == [0] * 4 and whole, f"exit codes {codes}, whole file: {whole}"))

        # make clean-kernels: refused, by name, while a kernel holds a slot; then removes them all.
        slots = tmp / "kernels"
        (slots / "slot-0").mkdir(parents=True)
        (slots / "slot-1.lock").mkdir()  # a broken lock path goes too
        env = dict(os.environ, COURSE_KERNEL_SLOTS=str(slots))
        with open(slots / "slot-0.lock", "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            busy = bounded(["make", "-s", "-C", str(HERE.parent), "clean-kernels"], 60, env=env)
        kept = (slots / "slot-0").exists()
        free = bounded(["make", "-s", "-C", str(HERE.parent), "clean-kernels"], 60, env=env)
        results.append(("make clean-kernels refuses while a kernel holds a slot",
                        busy.returncode != 0 and "slot-0" in busy.stderr and kept,
                        busy.stdout + busy.stderr))
        results.append(("make clean-kernels then removes every slot",
                        free.returncode == 0 and not slots.exists(), free.stdout + free.stderr))
        (slots / "slot-0").mkdir(parents=True)
        (slots / "notes.txt").write_text("not the launcher's")
        foreign = bounded(["make", "-s", "-C", str(HERE.parent), "clean-kernels"], 60, env=env)
        results.append(("make clean-kernels removes nothing from a folder it did not make",
                        foreign.returncode != 0 and (slots / "notes.txt").exists() and "notes.txt" in foreign.stderr,
                        foreign.stdout + foreign.stderr))

        # Set-up signs a notebook only if its outputs pass the safety check.
        svg = SVG
        paths = {}
        for name, chart in [("clean", svg), ("script", svg.replace("<rect", "<script>alert(1)</script><rect"))]:
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell("1", execution_count=1, outputs=[
                nbformat.v4.new_output("display_data", data={"image/svg+xml": chart})])]
            paths[name] = tmp / f"{name}.ipynb"
            nbformat.write(nb, paths[name])
        db, secret = tmp / "trust" / "nbsignatures.db", tmp / "trust" / "notebook_secret"
        run = bounded([str(HERE / "trust.sh"), str(db), str(secret), str(paths["clean"]),
                       str(paths["script"])], 120)
        from nbformat.sign import NotebookNotary
        notary = NotebookNotary(db_file=str(db), secret_file=str(secret))
        signed = {name: db.exists() and notary.check_signature(nbformat.read(path, as_version=4))
                  for name, path in paths.items()}
        notary.store.close()
        results.append(("trust.sh (set-up's signing) signs a safe notebook, not one with a <script>",
                        run.returncode == 3 and signed == {"clean": True, "script": False}
                        and "NOT trusting" in run.stdout + run.stderr,
                        f"exit {run.returncode}, signed {signed}: {run.stdout[-300:]}{run.stderr[-300:]}"))

        # The busy run on one CPU: SKIPPED, recorded for the test command's summary.
        skipped_file = tmp / "skipped.txt"
        skipped_file.write_text("")
        run = bounded(["taskset", "-c", str(min(os.sched_getaffinity(0))), str(HERE / "busy-run.sh"),
                       "busy", str(paths["clean"])], 60,
                      env=dict(os.environ, COURSE_SKIPPED_FILE=str(skipped_file)))
        results.append(("the busy run on one CPU is SKIPPED, and recorded",
                        run.returncode == 0 and "busy run" in skipped_file.read_text(),
                        f"exit {run.returncode}: {run.stdout[-300:]}{run.stderr[-300:]}"))

        # OPEN_ONLY=1 under CI fails at once (it would skip the browser run of chapter 01).
        # (No browser to start, and no shared SKIPPED file to write to, should the guard regress.)
        env = dict(os.environ, CI="true", OPEN_ONLY="1", CHROMIUM="/nonexistent/chromium")
        env.pop("COURSE_SKIPPED_FILE", None)
        run = bounded([str(HERE / "browser-test.sh")], 60, env=env)
        results.append(("OPEN_ONLY=1 under CI fails the browser test at once",
                        run.returncode != 0 and "nothing may be skipped" in run.stderr,
                        f"exit {run.returncode}: {run.stdout[-300:]}{run.stderr[-300:]}"))

        # A peak memory that could not be read is SKIPPED, not a pass. (This skip is the test's
        # own: it must not reach the test command's SKIPPED summary, which fails under CI.)
        before = len(notebooks.SKIPPED)
        shared = os.environ.pop("COURSE_SKIPPED_FILE", None)
        try:
            with notebooks.PeakMemory(None) as unread:
                pass
            over = notebooks.PeakMemory(None)
            over.peak = 2000 * 2**20
            unread_ok = notebooks.memory_budget("made-up.ipynb", unread, 1200) == []
            over_ok = notebooks.memory_budget("made-up.ipynb", over, 1200) != []
        finally:
            if shared is not None:
                os.environ["COURSE_SKIPPED_FILE"] = shared
        results.append(("a memory peak that could not be read is SKIPPED, not passed",
                        unread_ok and over_ok and len(notebooks.SKIPPED) == before + 1,
                        f"skipped {notebooks.SKIPPED[before:]}"))
        del notebooks.SKIPPED[before:]
    return tally(results)


def busy_hog_case() -> tuple[int, int]:
    """The busy run fails a run whose hog did not really run: a notebook stops the hog."""
    if len(os.sched_getaffinity(0)) < 2:
        notebooks.skipped("the busy run's hog check: this process may use one CPU (no busy run here)")
        return 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "rust", "display_name": "Rust", "language": "rust"}
        # The hog is stopped in the first cell, then the cell waits half the CPU time the hog had
        # used (it ran from before the kernel started): so however slowly the kernel started,
        # the hog ran for at most two thirds of the run, under the check's 0.8.
        stop = ('let hog = std::env::var("COURSE_HOG_PID")?;\n'
                'std::process::Command::new("kill").args(["-STOP", &hog]).status()?;\n'
                'let hog_cpu_seconds = {\n'
                '    let stat = std::fs::read_to_string(format!("/proc/{hog}/stat"))?;\n'
                '    let fields: Vec<&str> = stat.rsplit(\')\').next().unwrap_or("").split_whitespace().collect();\n'
                '    (fields[11].parse::<f64>()? + fields[12].parse::<f64>()?) / 100.0  // utime + stime, in ticks\n'
                '};\n'
                'std::thread::sleep(std::time::Duration::from_secs_f64((hog_cpu_seconds / 2.0).max(2.0)));')
        nb.cells = [nbformat.v4.new_code_cell(src) for src in (stop, SUPPORT, BUSY_CLAIM)]
        path = pathlib.Path(tmp) / "hog-stopped.ipynb"
        nbformat.write(nb, path)
        started = time.monotonic()
        env = dict(os.environ)
        env.pop("COURSE_SKIPPED_FILE", None)
        # The harness's own option goes after the notebook: busy-run.sh passes it on.
        run = bounded([str(HERE / "busy-run.sh"), "busy", str(path), "--from-notebooks"], 600, env=env)
        out = run.stdout + run.stderr
        ok = run.returncode != 0 and "the run was not busy" in out
        print(f"   {'the busy run fails when its CPU hog did not run':<58} {'ok' if ok else 'WRONG: ' + out[-800:]}"
              f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return int(ok), int(not ok)


def main() -> int:
    only = sys.argv[1:]
    passed, failed = static_cases() if not only else (0, 0)
    if not only:
        for p, f in (launcher_cases(), script_cases(), busy_hog_case()):
            passed, failed = passed + p, failed + f
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cells, should_pass, expect) in cases(tmp).items():
            if only and name not in only:
                continue
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"name": "rust", "display_name": "Rust", "language": "rust"}
            nb.cells = [nbformat.v4.new_code_cell(src, metadata={**({"tags": tags} if tags else {}), **meta})
                        for src, tags, meta in cells]
            path = pathlib.Path(tmp) / f"{name}.ipynb"
            nbformat.write(nb, path)
            busy = ["--busy"] if name.endswith("-busy-run") else []
            passes = ["--passes", "1"] if busy else []
            env = dict(os.environ)
            env.pop("COURSE_SKIPPED_FILE", None)
            if name == "unavailable-under-ci":
                env["CI"] = "true"
            elif name == "unavailable-is-skipped":
                env.pop("CI", None)
            case_started = time.monotonic()
            run = subprocess.run(
                [sys.executable, str(HERE / "notebooks.py"), "test", str(path),
                 "--report", str(pathlib.Path(tmp) / "report.json"),
                 # notebooks/evcxr.toml and its build cache: the cases that load `support` then
                 # start in seconds, not minutes.
                 "--from-notebooks"] + busy + passes,
                capture_output=True, text=True, timeout=600, env=env)
            output = run.stdout + run.stderr
            ok = (run.returncode == 0) == should_pass and expect in output
            passed += ok
            failed += not ok
            verdict = "ok" if ok else "WRONG"
            print(f"   {name:<34} harness {'passed' if run.returncode == 0 else 'failed'} it: {verdict}"
                  f"  ({time.monotonic() - case_started:.0f} s)", flush=True)
            if not ok:
                print(f"      expected it to {'pass' if should_pass else 'fail'} and say {expect!r}; it said:")
                print("      " + output[-1500:].replace("\n", "\n      "))
    print(f"harness self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
