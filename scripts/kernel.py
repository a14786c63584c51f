#!/usr/bin/env python3
"""Starts the evcxr Rust kernel in a build directory that outlives it, and loads the chapter's
set-up before the reader asks (the kernel spec that scripts/setup.sh registers runs this;
Jupyter passes the connection file).

Build directories. Left to itself, evcxr builds every kernel's code in a fresh temporary
directory. That costs a learner twice: the first `:dep support` cell of every kernel rebuilds
`support` from scratch (evcxr's artifact cache does not cache a local crate), and every later
cell makes cargo rebuild a dozen dependencies (the cached build of a crate whose build script
generates code remembers the temporary directory that first built it, which is gone). So each
kernel gets a *slot*, `target/kernels/slot-N/`, kept from one kernel to the next, and holds it
for its life with a lock (a second kernel open at the same time takes the next free slot). A
kernel that finds its slot already built only checks it: later cells compile nothing but
themselves. `target/kernels/.cargo/config.toml`, written here, makes dependencies (and
`support`) build optimised whatever `:opt` a cell sets, so `:opt 0` recompiles only the cell.

This process stays the kernel's parent: it holds the slot's lock itself (its descriptor is not
inherited by the kernel, nor by the compilers and programs the kernel starts, so an orphan that
outlives the kernel cannot keep the slot), passes termination signals on to the kernel, and
exits with the kernel's status. (Interrupts reach the kernel as messages: the kernel spec says
`"interrupt_mode": "message"`.)

Preloading. JupyterLab starts a notebook's kernel when the notebook is opened, with
`JPY_SESSION_NAME` set to the notebook's path, and the reader then reads the title and the
introduction before running the first cell. Once the kernel answers, this process sends it the
chapter's set-up `:dep` lines, a `?` and a typed `let` (so evcxr's type checker has loaded the
crates and enabled `?`) as a *silent* request: the reader's first cell then finds all of that
done. It is guarded: it runs only when the notebook's first code cell starts with `:dep` lines
and the slot's last preload of the same lines did not fail (a failure is logged in the slot and
changes nothing else; the reader's own first cell then does the work as before). COURSE_PRELOAD=0
turns it off.

Resetting. `kernel.py --clean` (`make clean-kernels`) removes every slot, so the next kernel
builds its slot again: for a slot that is broken (a build that keeps failing, a lock path that
is not a file). It refuses, naming the slot, while any slot's lock is held by an open kernel.

COURSE_KERNEL_SLOTS=DIR puts the slots somewhere else (the Binder check uses a throwaway one).
Where locking is not available (no fcntl: Windows), the kernel starts as evcxr would by itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLOTS = pathlib.Path(os.environ.get("COURSE_KERNEL_SLOTS") or ROOT / "target" / "kernels")
MAX_SLOTS = 16
CARGO_CONFIG = """\
# Written by scripts/kernel.py for the Rust kernels' build directories (slot-N/).
# Dependencies, `support` among them, build at opt level 2 whatever `:opt` a cell sets, and
# `support` is compiled once per slot, incrementally, when its sources change.
[profile.dev.package."*"]
opt-level = 2
"""
# How long the preload waits for the kernel to answer, and for its request to finish.
READY_TIMEOUT = 120
PRELOAD_TIMEOUT = 1800


def evcxr() -> str:
    import shutil

    found = shutil.which("evcxr_jupyter")
    if found:
        return found
    cargo_home = pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo"))
    return str(cargo_home / "bin" / "evcxr_jupyter")


def with_std_on_library_path(env: dict) -> None:
    """Lets the kernel load the libraries it compiles wherever the slots are.

    Each compiled cell is a shared library linked against the toolchain's `libstd-*.so`, which it
    finds through a search path (RUNPATH) that rustc writes relative to the folder it builds in
    (`$ORIGIN/../..`). evcxr loads the library it compiles at start-up (before the notebooks'
    settings turn on its cache) from the folder above that one, so the relative path misses by one
    level. Where the slots and the toolchain share only `/`, the extra `..` stops at `/` and nothing
    shows; where they share a deeper parent, as a clone in the home folder beside `~/.rustup` does
    (most readers', and Binder's), the kernel died as it started ("dlopen failed"). Naming the
    toolchain's library folder on the loader's search path (LD_LIBRARY_PATH; DYLD_LIBRARY_PATH on
    macOS, untested there) finds it anyway. The folder holds only the toolchain's own libraries,
    under hashed names, so nothing else the kernel starts can pick up a wrong one.
    """
    try:
        found = subprocess.run(["rustc", "--print", "target-libdir"], capture_output=True,
                               text=True, timeout=60, cwd=os.getcwd(), env=env)
    except (OSError, subprocess.SubprocessError) as why:
        log(f"rustc --print target-libdir failed ({why}): cells rely on rustc's search path")
        return
    libdir = found.stdout.strip()
    if found.returncode != 0 or not os.path.isdir(libdir):
        log(f"rustc --print target-libdir said {libdir!r}: cells rely on rustc's search path")
        return
    name = "DYLD_LIBRARY_PATH" if sys.platform == "darwin" else "LD_LIBRARY_PATH"
    existing = env.get(name, "")
    if libdir not in existing.split(os.pathsep):
        env[name] = f"{existing}{os.pathsep}{libdir}" if existing else libdir


def write_if_changed(path: pathlib.Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of our own: two kernels starting together must not write one partial file.
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    partial.replace(path)


def guard(mode: int) -> int | None:
    """Takes the lock beside the slots' folder (shared while a kernel picks its slot, exclusive
    while `clean` removes them), waiting at most 10 s; returns its descriptor, or None."""
    import fcntl

    SLOTS.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(SLOTS.parent / f".{SLOTS.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    for _ in range(100):
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return fd
        except OSError:
            time.sleep(0.1)
    os.close(fd)
    return None


def take_slot() -> tuple[pathlib.Path, int] | None:
    """Locks the first free slot and returns its directory and the lock's descriptor, which
    stays open (and not inheritable) in this process for the kernel's life."""
    try:
        import fcntl
    except ImportError:
        return None
    held = guard(fcntl.LOCK_SH)  # no `make clean-kernels` removes the folder meanwhile
    if held is None:
        log(f"{SLOTS} is being removed (make clean-kernels); taking a slot anyway")
    try:
        SLOTS.mkdir(parents=True, exist_ok=True)
        for n in range(MAX_SLOTS):
            lock = SLOTS / f"slot-{n}.lock"
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as why:
                # A lock path that is not a file (a directory left by accident): use another
                # slot, and say which one is broken and how to mend it.
                log(f"slot-{n} cannot be locked ({why}); remove {lock} (or run make clean-kernels) to use it again")
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            slot = SLOTS / f"slot-{n}"
            slot.mkdir(exist_ok=True)
            return slot, fd
        return None
    finally:
        if held is not None:
            os.close(held)


# What the slots' folder holds: the slots, their locks, the cargo config and `warm`'s markers.
SLOT_ENTRY = r"slot-\d+|slot-\d+\.lock|\.cargo|warm-[0-9a-f]+"


def clean() -> int:
    """Removes every slot when no kernel holds one; refuses, naming the slots in use, if any, and
    touches nothing but what the launcher and `warm` put there."""
    import fcntl
    import re
    import shutil

    if SLOTS.is_symlink():
        print(f"{SLOTS} is a symbolic link: remove what it points to yourself", file=sys.stderr)
        return 1
    if not SLOTS.exists():
        print(f"no kernel build directories at {SLOTS.resolve()}: nothing to remove")
        return 0
    strangers = sorted(e.name for e in SLOTS.iterdir() if not re.fullmatch(SLOT_ENTRY, e.name))
    if strangers:
        print(f"{SLOTS.resolve()} holds more than kernel build directories ({', '.join(strangers)}): "
              "nothing removed", file=sys.stderr)
        return 1
    held = [guard(fcntl.LOCK_EX)]  # no kernel is picking a slot while this looks and moves
    if held[0] is None:
        print("a Rust kernel kept starting for 10 s: try again", file=sys.stderr)
        return 1
    aside = SLOTS.with_name(f".{SLOTS.name}.removing-{os.getpid()}")
    try:
        in_use = []
        for lock in sorted(SLOTS.glob("slot-*.lock")):
            if not lock.is_file():
                continue  # a broken lock path: removed with the rest
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
            held.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                in_use.append(lock.stem)
        if in_use:
            print(f"a Rust kernel is using {', '.join(in_use)} in {SLOTS.resolve()}: close every "
                  "notebook's kernel (or stop JupyterLab) first, then run this again", file=sys.stderr)
            return 1
        # Moved aside at once, under the locks: a kernel starting after this builds a new slot.
        SLOTS.rename(aside)
    finally:
        for fd in held:
            os.close(fd)
    try:
        shutil.rmtree(aside)
    except OSError as why:
        print(f"could not remove all of {aside} ({why}): remove it by hand", file=sys.stderr)
        return 1
    print(f"removed {SLOTS.resolve()}: the next kernel (or make warm) builds its slot again")
    return 0


def log(text: str) -> None:
    print(f"kernel.py: {text}", file=sys.stderr, flush=True)


def setup_lines(notebook: pathlib.Path) -> list[str]:
    """The `:dep` lines at the top of the notebook's first code cell (empty when there are
    none, or the notebook cannot be read)."""
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = []
        for line in source.splitlines():
            if line.startswith(":dep "):
                lines.append(line)
            elif line.strip() and not line.lstrip().startswith("//"):
                break
        return lines
    return []


def should_preload() -> bool:
    session = os.environ.get("JPY_SESSION_NAME", "")
    return os.environ.get("COURSE_PRELOAD", "1") != "0" and session.endswith(".ipynb")


def preload(connection_file: str, slot: pathlib.Path, kernel_pid: int) -> None:
    """Sends the chapter's set-up to the kernel as a silent request (see the module doc). Runs
    in a short-lived process of its own, so the kernel's parent stays small."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    notebook = pathlib.Path(session)
    if not notebook.is_absolute():
        notebook = pathlib.Path.cwd() / notebook
    deps = setup_lines(notebook)
    if not deps:
        return
    code = "\n".join(deps + ['let _preloaded: u32 = "1".parse::<u32>()?;'])
    key = hashlib.sha256(code.encode()).hexdigest()[:16]
    failed = slot / f"preload-{key}.failed"
    if failed.exists():
        log(f"not preloading {notebook.name}: the last preload of its set-up failed "
            f"(see {failed}; delete it to try again)")
        return
    try:
        from jupyter_client import BlockingKernelClient
    except ImportError:
        return
    started = time.monotonic()
    client = BlockingKernelClient(connection_file=connection_file)
    try:
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=READY_TIMEOUT)
        request = client.execute(code, silent=True, store_history=False)
        while True:
            reply = client.get_shell_msg(timeout=PRELOAD_TIMEOUT)
            if reply["parent_header"].get("msg_id") == request:
                break
        status = reply["content"].get("status")
        if status == "ok":
            log(f"preloaded {notebook.name}'s set-up in {time.monotonic() - started:.1f} s")
        else:
            why = reply["content"].get("evalue") or status
            failed.write_text(f"{code}\n\n{why}\n")
            log(f"preloading {notebook.name} failed ({why}); its first cell will do the work")
    except Exception as why:  # noqa: BLE001 - a failed preload must change nothing else
        if alive(kernel_pid):
            log(f"no preload ({why!r})")
    finally:
        try:
            client.stop_channels()
        except Exception:  # noqa: BLE001
            pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def main() -> int:
    args = sys.argv[1:]
    if args == ["--clean"]:
        return clean()
    if len(args) == 4 and args[0] == "--preload":
        preload(args[1], pathlib.Path(args[2]), int(args[3]))
        return 0
    program = None
    if len(args) == 3 and args[0] == "--evcxr":
        program, args = args[1], args[2:]
    if len(args) != 1:
        sys.exit("usage: kernel.py [--evcxr PATH] CONNECTION_FILE (the kernel spec runs this)\n"
                 "       kernel.py --clean (remove every kernel build directory: make clean-kernels)")
    connection_file = args[0]
    argv = [program or evcxr(), "--control_file", connection_file]
    env = dict(os.environ)
    with_std_on_library_path(env)
    slot = None
    try:
        taken = take_slot()
        if taken is not None:
            slot, _lock = taken
            write_if_changed(SLOTS / ".cargo" / "config.toml", CARGO_CONFIG)
            env["EVCXR_TMPDIR"] = str(slot)
    except OSError as why:
        log(f"no persistent build directory ({why}); using a temporary one")
    kernel = subprocess.Popen(argv, env=env)

    def forward(signum, _frame):
        if kernel.poll() is None:
            kernel.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    loader = None
    if slot is not None and should_preload():
        loader = subprocess.Popen([sys.executable, __file__, "--preload", connection_file,
                                   str(slot), str(kernel.pid)], stdin=subprocess.DEVNULL)
    while True:
        try:
            status = kernel.wait()
            break
        except KeyboardInterrupt:
            continue
    if loader is not None and loader.poll() is None:
        loader.kill()
        loader.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
