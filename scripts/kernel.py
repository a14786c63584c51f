#!/usr/bin/env python3
"""Starts the evcxr Rust kernel in a build directory that outlives it (the kernel spec that
scripts/setup.sh registers runs this; Jupyter passes the connection file).

Left to itself, evcxr builds every kernel's code in a fresh temporary directory. That costs a
learner twice. The first `:dep support` cell of every kernel rebuilds `support` from scratch,
because evcxr's artifact cache does not cache a local crate; and every later cell makes cargo
rebuild a dozen dependencies, because the cached build of a crate whose build script generates
code (serde_core, web_atoms) remembers the temporary directory that first built it, which is gone,
so cargo never finds it fresh.

So each kernel gets a *slot*, `target/kernels/slot-N/`, kept from one kernel to the next, and
holds it for its life with a lock (a second kernel open at the same time takes the next free
slot). A kernel that finds its slot already built by an earlier one only checks it: the first
cell takes seconds, later cells compile nothing but themselves.

`target/kernels/.cargo/config.toml`, written here, is the cargo configuration of every slot:
dependencies (and `support`) always build optimised, whatever opt level the cells use, so `:opt 0`
in a cell recompiles only the cell, and values of support's types survive it.

COURSE_KERNEL_SLOTS=DIR puts the slots somewhere else (the Binder check uses a throwaway one).
Where locking is not available (no fcntl: Windows), the kernel starts as evcxr would by itself.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import sys

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


def evcxr() -> str:
    found = shutil.which("evcxr_jupyter")
    if found:
        return found
    cargo_home = pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo"))
    return str(cargo_home / "bin" / "evcxr_jupyter")


def write_if_changed(path: pathlib.Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(path)


def take_slot() -> pathlib.Path | None:
    """Locks the first free slot and returns its directory; the lock's file descriptor is left
    open and inheritable, so the kernel (exec'd in this process) holds it until it exits."""
    try:
        import fcntl
    except ImportError:
        return None
    SLOTS.mkdir(parents=True, exist_ok=True)
    for n in range(MAX_SLOTS):
        fd = os.open(SLOTS / f"slot-{n}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        os.set_inheritable(fd, True)
        slot = SLOTS / f"slot-{n}"
        slot.mkdir(exist_ok=True)
        return slot
    return None


def main() -> None:
    args = sys.argv[1:]
    program = None
    if len(args) == 3 and args[0] == "--evcxr":
        program, args = args[1], args[2:]
    if len(args) != 1:
        sys.exit("usage: kernel.py [--evcxr PATH] CONNECTION_FILE (the kernel spec runs this)")
    argv = [program or evcxr(), "--control_file", args[0]]
    try:
        slot = take_slot()
        if slot is not None:
            write_if_changed(SLOTS / ".cargo" / "config.toml", CARGO_CONFIG)
            os.environ["EVCXR_TMPDIR"] = str(slot)
    except OSError as why:
        print(f"kernel.py: no persistent build directory ({why}); using a temporary one",
              file=sys.stderr)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
