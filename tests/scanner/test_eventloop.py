"""The scan's event loop: garbage collected less often while a scan runs, and only then."""

from __future__ import annotations

import asyncio
import gc
import threading

from scanner.collector import BATCH_GC_THRESHOLD
from scanner.eventloop import run_loop


async def _settings() -> tuple[tuple[int, int, int], int]:
    await asyncio.sleep(0)
    return gc.get_threshold(), gc.get_freeze_count()


def test_a_scan_collects_less_often_and_the_process_settings_come_back() -> None:
    before = gc.get_threshold()
    assert before[0] != BATCH_GC_THRESHOLD
    for fast in (True, False):  # uvloop and asyncio's own loop
        during, frozen = run_loop(_settings(), fast=fast)
        assert during == (BATCH_GC_THRESHOLD, *before[1:])
        assert frozen > 0  # what lived before the scan is out of the collector's passes
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0


def test_scans_in_two_threads_restore_the_settings_only_when_both_end() -> None:
    before = gc.get_threshold()
    first_running, release_first = threading.Event(), threading.Event()
    seen: dict[str, tuple[int, int, int]] = {}

    async def first() -> None:
        first_running.set()
        while not release_first.is_set():
            await asyncio.sleep(0.01)
        seen["first, after the second ended"] = gc.get_threshold()

    thread = threading.Thread(target=run_loop, args=(first(),))
    thread.start()
    assert first_running.wait(10)
    run_loop(_settings())  # a second scan starts and ends while the first runs
    seen["between"] = gc.get_threshold()
    release_first.set()
    thread.join(10)
    assert seen["between"][0] == BATCH_GC_THRESHOLD
    assert seen["first, after the second ended"][0] == BATCH_GC_THRESHOLD
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
