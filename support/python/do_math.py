"""The CPU-bound workload of chapter 03, in Python, timed beside Rust threads in the same run.

``do_math`` counts ``pos`` up from ``start`` to ``num`` and takes a square root at every step,
throwing the result away: pure interpreter work with no I/O.

Usage: python do_math.py NUM serial    the course's serial program: integer bounds, main thread
       python do_math.py NUM THREADS   the course's threaded program: the range cut into THREADS
                                       equal *float* ranges, one thread each (THREADS may be 1)

CPython runs the float loop faster than the integer one, so compare threaded runs with each other.

Prints one JSON object: {"num", "threads", "seconds", "python", "gil"}. "gil" is false only on a
free-threaded build with the GIL switched off.
"""

import json
import math
import platform
import sys
import threading
import time


def do_math(start: float = 0, num: float = 10) -> None:
    pos = start
    k_sq = 1000 * 1000
    while pos < num:
        pos += 1
        math.sqrt((pos - k_sq) * (pos - k_sq))


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: python do_math.py NUM {serial|THREADS}", file=sys.stderr)
        return 2
    serial = sys.argv[2] == "serial"
    num, threads = int(sys.argv[1]), 1 if serial else int(sys.argv[2])
    if num < 1 or threads < 1:
        print("NUM and THREADS must be at least 1", file=sys.stderr)
        return 2

    do_math(num=1)  # warm up, as the course does
    start = time.perf_counter()
    if serial:
        do_math(num=num)
    else:
        workers = [
            threading.Thread(target=do_math, args=(num * (n - 1) / threads, num * n / threads))
            for n in range(1, threads + 1)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    seconds = time.perf_counter() - start

    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps({
        "num": num,
        "threads": 0 if serial else threads,
        "seconds": seconds,
        "python": platform.python_version(),
        "gil": gil,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
