#!/usr/bin/env python3
"""Runs chapters in a "Binder box": a control group with a CPU quota of one CPU and a 2 GB
memory limit, as mybinder.org gives a user pod (part of `make test`).

  binder_box.py NOTEBOOK ...

Binder's CPU limit is a CFS *quota* over all of the node's cores, not an affinity mask: a
process's threads may run side by side for part of each 100 ms period and are then throttled
until the next one, which `taskset -c 0` (the one-core run) does not show. So this creates a
cgroup under this process's own (cgroup v1 or v2, decided per controller, since a machine may
mount v1 controllers beside a v2 hierarchy that holds none of them), with a unique name, puts the
notebook harness in it (and so the kernel, its compilers and the programs they start), runs each
chapter once, reports how often the quota throttled it and the memory high-water mark (the
cgroup's, page cache included, and the kernel tree's resident peak from the harness apart), and
removes the cgroup afterwards. Claims must pass, or say honestly that they could not be judged.

Where neither version lets this process create such a cgroup (no permission, no controller), it
says SKIPPED (and the test command fails that under CI).
"""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = pathlib.Path(os.environ.get("COURSE_VENV") or ROOT / ".venv")
QUOTA_US, PERIOD_US = 100_000, 100_000          # one CPU
MEMORY_LIMIT = 2 * 10**9                          # Binder's 2 GB


def mounts() -> list[tuple[str, str, str, str]]:
    """(root, mount point, type, super options) of every cgroup mount."""
    found = []
    for line in pathlib.Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4], tail[0], tail[2]))
    return found


def own_group(controller: str) -> tuple[pathlib.Path, str] | None:
    """This process's cgroup directory for `controller`, and its version ("v1" or "v2")."""
    membership = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
    for line in membership:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            for root, point, kind, options in mounts():
                if kind == "cgroup" and controller in options.split(","):
                    rel = path if root == "/" else path.removeprefix(root)
                    return pathlib.Path(point) / rel.lstrip("/"), "v1"
    for line in membership:
        if line.startswith("0::"):
            path = line[3:]
            for root, point, kind, _ in mounts():
                if kind == "cgroup2":
                    rel = path if root == "/" else path.removeprefix(root)
                    group = pathlib.Path(point) / rel.lstrip("/")
                    enabled = (group / "cgroup.subtree_control").read_text().split() \
                        if (group / "cgroup.subtree_control").exists() else []
                    if controller in enabled:
                        return group, "v2"
    return None


def make_box() -> tuple[list[tuple[pathlib.Path, str, pathlib.Path]], str]:
    """Creates the box's cgroups: [(new dir, version, parent dir)] for cpu and memory, or raises
    OSError saying why not."""
    name = f"binder-box-{os.getpid()}"
    made = []
    try:
        # cpuacct as well where it is a v1 hierarchy of its own, so the box's CPU usage (what
        # support::share compares with this process's) counts the box's processes only.
        controllers = ["cpu", "memory"]
        acct = own_group("cpuacct")
        if acct is not None and acct[1] == "v1" and own_group("cpu") != acct:
            controllers.append("cpuacct")
        for controller in controllers:
            own = own_group(controller)
            if own is None:
                raise OSError(f"no {controller} controller this process may use (v1 or v2)")
            parent, version = own
            box = parent / name
            if not box.exists():
                box.mkdir()
            made.append((box, version, parent))
            if controller == "cpuacct":
                continue
            if controller == "cpu":
                if version == "v1":
                    (box / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n")
                    (box / "cpu.cfs_quota_us").write_text(f"{QUOTA_US}\n")
                else:
                    (box / "cpu.max").write_text(f"{QUOTA_US} {PERIOD_US}\n")
            else:
                if version == "v1":
                    (box / "memory.limit_in_bytes").write_text(f"{MEMORY_LIMIT}\n")
                else:
                    (box / "memory.max").write_text(f"{MEMORY_LIMIT}\n")
    except OSError:
        remove(made)
        raise
    return made, name


def remove(made) -> None:
    for box, _, parent in made:
        procs = box / "cgroup.procs"
        try:
            for pid in procs.read_text().split():
                try:
                    (parent / "cgroup.procs").write_text(pid)
                except OSError:
                    pass
            box.rmdir()
        except OSError:
            pass


def read_numbers(path: pathlib.Path) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in (line.split() for line in path.read_text().splitlines()
                                       if len(line.split()) == 2)}
    except (OSError, ValueError):
        return {}


def report(made) -> list[str]:
    lines = []
    for box, version, _ in made:
        if (box / "cpu.stat").exists():
            stat = read_numbers(box / "cpu.stat")
            held = stat.get("throttled_time", 0) / 1e9 if version == "v1" \
                else stat.get("throttled_usec", 0) / 1e6
            lines.append(f"CPU quota of 1 CPU ({version}): throttled in {stat.get('nr_throttled', 0)} of "
                         f"{stat.get('nr_periods', 0)} periods, {held:.1f} s in all")
        if version == "v1" and (box / "memory.max_usage_in_bytes").exists():
            peak = int((box / "memory.max_usage_in_bytes").read_text()) / 2**20
            stat = read_numbers(box / "memory.stat")
            lines.append(f"memory ({version}): high-water mark {peak:,.0f} MiB including page cache "
                         f"(at the end: resident {stat.get('total_rss', 0) / 2**20:,.0f} MiB, "
                         f"page cache {stat.get('total_cache', 0) / 2**20:,.0f} MiB); limit "
                         f"{MEMORY_LIMIT / 2**20:,.0f} MiB")
        elif version == "v2" and (box / "memory.peak").exists():
            peak = int((box / "memory.peak").read_text()) / 2**20
            stat = read_numbers(box / "memory.stat")
            lines.append(f"memory ({version}): high-water mark {peak:,.0f} MiB including page cache "
                         f"(at the end: anonymous {stat.get('anon', 0) / 2**20:,.0f} MiB, file "
                         f"{stat.get('file', 0) / 2**20:,.0f} MiB); limit {MEMORY_LIMIT / 2**20:,.0f} MiB")
    return lines


def skip(why: str) -> int:
    print(f"SKIPPED the Binder box: {why}")
    shared = os.environ.get("COURSE_SKIPPED_FILE")
    if shared:
        with open(shared, "a") as f:
            f.write(f"binder box: {why}\n")
        return 0
    return 1 if os.environ.get("CI") == "true" else 0


def main() -> int:
    notebooks = sys.argv[1:]
    if not notebooks:
        sys.exit("usage: binder_box.py NOTEBOOK ...")
    try:
        made, name = make_box()
    except OSError as why:
        return skip(f"cannot create a cgroup with a CPU quota and a memory limit here ({why})")
    procs = [box / "cgroup.procs" for box, _, _ in made]
    # Stopped from outside (the test command interrupted): still remove the cgroups.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def enter():
        for path in procs:
            path.write_text(str(os.getpid()))

    try:
        for box, version, _ in made:
            print(f"   {box} ({version})", flush=True)
        started = time.monotonic()
        code = subprocess.call(
            [str(VENV / "bin" / "python"), str(ROOT / "scripts" / "notebooks.py"), "test",
             "--passes", "1", "--quota", "--report", str(ROOT / "target" / "notebook-timings-binder-box.json"),
             *notebooks], preexec_fn=enter, cwd=ROOT)
        print(f"   the box ({name}): {time.monotonic() - started:.0f} s", flush=True)
        for line in report(made):
            print(f"   {line}", flush=True)
        return code
    finally:
        remove(made)


if __name__ == "__main__":
    sys.exit(main())
