#!/usr/bin/env python3
"""The reference for `aiots-queue-demo --virtual-time`: Real Python's asyncq.py, unchanged in
what it prints and in the order it draws random numbers, run by CPython's own asyncio event
loop with two changes that make a run reproducible:

1. Virtual time. `VirtualTimeLoop` is asyncio's `BaseEventLoop` (the real `_run_once`, the
   real ready queue, the real tasks and futures) whose clock only moves when nothing is
   ready: it then jumps straight to the next timer. Timers with equal deadlines run in the
   order they were scheduled (asyncio's heap leaves that order unspecified, and on a real
   clock microsecond drift decides it, so two real runs of asyncq.py differ wherever two
   sleeps end in the same second).
2. A FIFO-fair queue. asyncio's `Queue.put` only wakes the first waiting getter, which then
   races every other `get()` for the item: a consumer whose sleep ends before the woken
   getter resumes takes the item, and the woken getter goes back to the end of the line.
   `FairQueue` hands the item to the first waiting getter instead, as `@aiots/sync`'s
   `Queue` does, so waiting consumers are served strictly in arrival order.

Latencies are measured on the virtual clock (so they are whole seconds), and "Program
completed in X seconds." reports virtual seconds.

Usage:
    asyncq_virtual.py [-p NPROD] [-c NCON] [--seed N]    # prints one run
    asyncq_virtual.py --fixtures DIR                      # writes the test fixtures

Run with CPython 3.13 (pyenv's ~/.pyenv/versions/3.13.0/bin/python3 made the fixtures).
"""

import argparse
import asyncio
import heapq
import itertools as it
import os
import random
import sys

# ---- a virtual-time asyncio loop ----------------------------------------------------------


class _SeqTimerHandle(asyncio.TimerHandle):
    """A TimerHandle that breaks deadline ties by scheduling order."""

    __slots__ = ("_seq",)
    _counter = it.count()

    def __init__(self, when, callback, args, loop, context=None):
        super().__init__(when, callback, args, loop, context)
        self._seq = next(self._counter)

    def __lt__(self, other):
        return (self._when, self._seq) < (other._when, other._seq)

    def __le__(self, other):
        return (self._when, self._seq) <= (other._when, other._seq)

    def __gt__(self, other):
        return (self._when, self._seq) > (other._when, other._seq)

    def __ge__(self, other):
        return (self._when, self._seq) >= (other._when, other._seq)


class _JumpSelector:
    """Stands in for the I/O selector: there is no I/O, and waiting means jumping the clock."""

    def __init__(self, loop):
        self._loop = loop

    def select(self, timeout):
        loop = self._loop
        if timeout is None:
            raise RuntimeError("deadlock: no callback is ready and no timer is scheduled")
        if timeout > 0:
            # Exactly to the next deadline (no float drift from now + timeout).
            loop._vtime = max(loop._vtime, loop._scheduled[0]._when)
        return []

    def close(self):
        pass


class VirtualTimeLoop(asyncio.BaseEventLoop):
    """asyncio's own loop on a clock that only jumps to the next timer."""

    def __init__(self):
        super().__init__()
        self._vtime = 0.0
        self._selector = _JumpSelector(self)

    def time(self):
        return self._vtime

    def call_at(self, when, callback, *args, context=None):
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        timer = _SeqTimerHandle(when, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass


# ---- a FIFO-fair queue ---------------------------------------------------------------------


class FairQueue(asyncio.Queue):
    """An unbounded asyncio.Queue that hands an item straight to the first waiting getter."""

    def put_nowait(self, item):
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                self._unfinished_tasks += 1
                self._finished.clear()
                getter.set_result(item)
                return
        super().put_nowait(item)

    async def get(self):
        # Items waiting in the queue imply that no getter waits: take one without yielding.
        if not self.empty():
            return self.get_nowait()
        getter = self._get_loop().create_future()
        self._getters.append(getter)
        try:
            return await getter
        except asyncio.CancelledError:
            if getter.done() and not getter.cancelled():
                # Handed an item, then cancelled before resuming: to the next getter, or
                # back to the front of the queue. Nothing is lost.
                item = getter.result()
                while self._getters:
                    nxt = self._getters.popleft()
                    if not nxt.done():
                        nxt.set_result(item)
                        break
                else:
                    self._queue.appendleft(item)
            else:
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
            raise


# ---- asyncq.py (Real Python), on the loop's clock -------------------------------------------

out = print


async def makeitem(size: int = 5) -> str:
    return os.urandom(size).hex()


async def randsleep(caller=None) -> None:
    i = random.randint(0, 10)
    if caller:
        out(f"{caller} sleeping for {i} seconds.")
    await asyncio.sleep(i)


async def produce(name: int, q: asyncio.Queue) -> None:
    n = random.randint(0, 10)
    for _ in it.repeat(None, n):  # Synchronous loop for each single producer
        await randsleep(caller=f"Producer {name}")
        i = await makeitem()
        t = asyncio.get_running_loop().time()
        await q.put((i, t))
        out(f"Producer {name} added <{i}> to queue.")


async def consume(name: int, q: asyncio.Queue) -> None:
    while True:
        await randsleep(caller=f"Consumer {name}")
        i, t = await q.get()
        now = asyncio.get_running_loop().time()
        out(f"Consumer {name} got element <{i}> in {now - t:0.5f} seconds.")
        q.task_done()


async def main(nprod: int, ncon: int) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    q = FairQueue()
    producers = [asyncio.create_task(produce(n, q)) for n in range(nprod)]
    consumers = [asyncio.create_task(consume(n, q)) for n in range(ncon)]
    await asyncio.gather(*producers)
    await q.join()  # Implicitly awaits consumers, too
    for c in consumers:
        c.cancel()
    return loop.time() - start


def run(nprod: int, ncon: int, seed: int) -> list[str]:
    global out
    lines: list[str] = []
    out = lines.append
    random.seed(seed)
    elapsed = asyncio.run(main(nprod, ncon), loop_factory=VirtualTimeLoop)
    lines.append(f"Program completed in {elapsed:0.5f} seconds.")
    return lines


# The runs the tests compare against: (seed, nprod, ncon).
FIXTURES = [
    (444, 5, 10),  # the seed's defaults
    (444, 2, 3),  # the README's example
    (444, 1, 1),
    (0, 5, 10),
    (1, 3, 2),
    (7, 10, 4),
    (99, 6, 1),
    (2024, 4, 4),
    (12345, 1, 6),
    (31337, 8, 16),
    (5, 0, 3),  # no producer: the consumers are cancelled before they start
    (-444, 3, 3),  # a negative seed is its absolute value
    (123456789012345678901234567890, 3, 5),  # a seed wider than 64 bits
    (1000, 20, 30),
    (2808, 1, 2),  # one second of sleeping: the real-time test runs it too
]


def write_fixtures(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    for seed, nprod, ncon in FIXTURES:
        path = os.path.join(directory, f"asyncq-seed{seed}-p{nprod}-c{ncon}.txt")
        with open(path, "w") as f:
            f.write("\n".join(run(nprod, ncon, seed)) + "\n")
        print(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-p", "--nprod", type=int, default=5)
    parser.add_argument("-c", "--ncon", type=int, default=10)
    parser.add_argument("--seed", type=int, default=444)
    parser.add_argument("--fixtures", metavar="DIR")
    ns = parser.parse_args()
    if ns.fixtures:
        write_fixtures(ns.fixtures)
    else:
        sys.stdout.write("\n".join(run(ns.nprod, ns.ncon, ns.seed)) + "\n")
