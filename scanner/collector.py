"""The garbage collector during batch work: a scan run, a large report's import.

Both allocate container objects by the million that die young (a scan's futures, handles and
answers; a report's elements and records), and both keep a large, long-lived set of objects
alive meanwhile (the run's memo, Django's and the interpreter's own). At CPython's default
threshold (700 allocations) the young generation is collected every few queries or records,
and the older generations' passes walk everything alive. Measured: about 15% of a scan's CPU
(docs/benchmarks.md, "The garbage collector") and 12% of a 400,000-record report's import
(docs/benchmarks.md, "DMARC aggregate reports: import").
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Allocations between two young-generation collections during batch work (CPython's default
# is 700).
BATCH_GC_THRESHOLD = 20_000
_gc_lock = threading.Lock()
_gc_depth = 0  # batches running in this process (threads), so the last one restores
_gc_saved: tuple[int, int, int] = (0, 0, 0)
_gc_frozen = False


@contextlib.contextmanager
def fewer_collections(*, freeze: bool = True) -> Iterator[None]:
    """Collect garbage less often while a batch runs; the process's settings come back after.

    ``freeze``: ``gc.freeze()`` also moves everything alive before the batch (Django, the
    PSL, the interpreter's own objects) out of the collector's passes for its duration; it
    suits one long batch (a scan run). Cycles are still collected, only in larger batches:
    memory stays flat (docs/benchmarks.md). Not for many short batches in a row (one import
    of thousands of small reports): each would freeze the previous one's uncollected
    garbage, which ``gc.unfreeze()`` then hands to the oldest generation, rarely collected
    (measured: peak RSS 192 MiB instead of 104 MiB over 10,000 reports).

    Settings are the first running batch's; the last one to end restores the process's.
    """
    global _gc_depth, _gc_saved, _gc_frozen
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            _gc_frozen = freeze
            if freeze:
                gc.freeze()
            gc.set_threshold(BATCH_GC_THRESHOLD, *_gc_saved[1:])
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)
                if _gc_frozen:
                    gc.unfreeze()


__all__ = ["BATCH_GC_THRESHOLD", "fewer_collections"]
