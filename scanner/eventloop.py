"""The event loop a scan runs on: uvloop where it is installed, else asyncio's own.

A scan is thousands of small UDP exchanges, and most of its CPU is the event loop's own
machinery (handles, futures, task steps: docs/benchmarks.md, "CPU per domain"). uvloop runs that
machinery in C on libuv: measured on resolver-shaped answers, it cut the scanner's CPU per domain
by 6-11% (docs/benchmarks.md, "uvloop, adopted"). It changes no result: only how fast the loop turns
(tests/scanner/test_determinism.py scans the same jittered zone on both loops). Where it is not
available (Windows, an unusual platform) asyncio's loop runs the same code.

uvloop's ``loop.time()`` has millisecond resolution; answer times for the adaptive bound are
therefore read from :func:`time.perf_counter` (``scanner.stub``), never from the loop.

While the loop runs a scan, the garbage collector runs less often
(``scanner.collector.fewer_collections``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import ModuleType
from typing import Any, TypeVar

from .collector import fewer_collections

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:  # no wheel for this platform (Windows)
    uvloop = None

T = TypeVar("T")


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


__all__ = ["available", "run_loop"]
