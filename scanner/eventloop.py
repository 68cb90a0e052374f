"""The event loop a scan runs on: uvloop where it is installed, else asyncio's own.

A scan is thousands of small UDP exchanges, and most of its CPU is the event loop's own
machinery (handles, futures, task steps: docs/benchmarks.md, "CPU per domain"). uvloop runs that
machinery in C on libuv: measured on resolver-shaped answers, it cut the scanner's CPU per domain
by 6-11% (docs/benchmarks.md, "uvloop, adopted"). It changes no result: only how fast the loop turns
(tests/scanner/test_determinism.py scans the same jittered zone on both loops). Where it is not
available (Windows, an unusual platform) asyncio's loop runs the same code.

uvloop's ``loop.time()`` has millisecond resolution; answer times for the adaptive bound are
therefore read from :func:`time.perf_counter` (``scanner.stub``), never from the loop.

While the loop runs a scan, the garbage collector runs less often (:func:`fewer_collections`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import Coroutine, Iterator
from types import ModuleType
from typing import Any, TypeVar

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:  # no wheel for this platform (Windows)
    uvloop = None

T = TypeVar("T")

# Allocations between two young-generation collections during a scan (CPython's default is
# 700). Every query allocates a few dozen container objects (futures, handles, tuples, the
# answer) that die young, so at the default the collector ran every few queries and the
# older generations' passes walked the run's whole memo: a quarter of the CPU of the DKIM
# probe path and about 15% of a whole scan's (docs/benchmarks.md, "The garbage collector").
SCAN_GC_THRESHOLD = 20_000
_gc_lock = threading.Lock()
_gc_depth = 0  # scans running in this process (threads), so the last one restores
_gc_saved: tuple[int, int, int] = (0, 0, 0)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often while a scan runs; the process's settings come back after.

    ``gc.freeze()`` also moves everything alive before the scan (Django, the PSL, the
    interpreter's own objects) out of the collector's passes for its duration. Cycles are
    still collected, only in larger batches: memory stays flat (docs/benchmarks.md).
    """
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(SCAN_GC_THRESHOLD, *_gc_saved[1:])
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)
                gc.unfreeze()


def available() -> bool:
    return uvloop is not None


def run_loop(main: Coroutine[Any, Any, T], *, fast: bool = True) -> T:
    """``asyncio.run(main)`` on uvloop when ``fast`` and uvloop is installed, collecting
    garbage less often meanwhile (:func:`fewer_collections`)."""
    with fewer_collections():
        if fast and uvloop is not None:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(main)
        return asyncio.run(main)


__all__ = ["available", "fewer_collections", "run_loop"]
