"""The event-loop benchmark of chapter 02, in Python, timed beside tokio in the same run.

Two producers each put ACTIONS/2 items on an unbounded asyncio.Queue and one consumer takes
them all; every put and every get is followed by ``await asyncio.sleep(0)``, which hands control
back to the loop. So the run is almost nothing but task switches: it measures the event loop.

Usage: python loop_benchmark.py {asyncio,uvloop} [ACTIONS]

Prints one JSON object: {"loop", "actions", "seconds", "python", "uvloop"}. Exits with status 3
(and a message on stderr) when uvloop is asked for but not installed.
"""

import asyncio
import json
import platform
import sys
import time


async def produce(count: int, queue: asyncio.Queue) -> None:
    for n in range(count):
        await queue.put((n, time.perf_counter()))
        await asyncio.sleep(0)


async def consume(count: int, queue: asyncio.Queue) -> None:
    for _ in range(count):
        await queue.get()
        await asyncio.sleep(0)


async def workload(actions: int) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    half = actions // 2
    await asyncio.gather(produce(half, queue), produce(half, queue), consume(2 * half, queue))


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "asyncio"
    actions = int(sys.argv[2]) if len(sys.argv) > 2 else 500_000
    uvloop_version = None
    if which == "uvloop":
        try:
            import uvloop
        except ImportError:
            print(f"uvloop is not installed for {sys.executable}", file=sys.stderr)
            return 3
        uvloop_version = uvloop.__version__
        new_loop = uvloop.new_event_loop
    elif which == "asyncio":
        new_loop = asyncio.new_event_loop
    else:
        print(f"unknown loop {which!r}: use asyncio or uvloop", file=sys.stderr)
        return 2
    if actions < 2:
        print("ACTIONS must be at least 2", file=sys.stderr)
        return 2

    loop = new_loop()
    try:
        start = time.perf_counter()
        loop.run_until_complete(workload(actions))
        seconds = time.perf_counter() - start
    finally:
        loop.close()
    print(json.dumps({
        "loop": which,
        "actions": 2 * (actions // 2),
        "seconds": seconds,
        "python": platform.python_version(),
        "uvloop": uvloop_version,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
