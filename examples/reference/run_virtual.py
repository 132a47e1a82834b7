#!/usr/bin/env python3
"""Runs a seed program, unchanged, on CPython's asyncio with virtual time: `asyncio.run` gets
the virtual-time loop of apps/queue-demo/reference/asyncq_virtual.py (asyncio's own
BaseEventLoop, whose clock jumps to the next timer, equal deadlines in scheduling order),
and `time.perf_counter` reads that clock. What it prints is what the TypeScript port prints
with --virtual-time; the examples' expected outputs were made with it:

    ~/.pyenv/versions/3.13.0/bin/python3 reference/run_virtual.py reference/rand.py
"""

import asyncio
import os
import runpy
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "apps", "queue-demo", "reference"))
from asyncq_virtual import VirtualTimeLoop  # noqa: E402

_clock = [0.0]
_loops = []
_real_run = asyncio.run


def _perf_counter():
    return _loops[-1].time() if _loops else _clock[0]


def _factory():
    loop = VirtualTimeLoop()
    loop._vtime = _clock[0]
    _loops.append(loop)
    return loop


def _run(main, *, debug=None, loop_factory=None):
    try:
        return _real_run(main, debug=debug, loop_factory=_factory)
    finally:
        _clock[0] = _loops.pop().time()


asyncio.run = _run
time.perf_counter = _perf_counter
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
