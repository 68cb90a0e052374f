"""The peak of Python allocations while an action runs (tracemalloc), for the benchmarks."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any


def traced_peak(action: Callable[[], Any]) -> float:
    """MiB: the most ``action`` held at once, in a run of its own (tracing slows it down, so
    the traced run is never the timed one)."""
    gc.collect()
    tracemalloc.start()
    try:
        action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024
