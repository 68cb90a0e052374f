"""Garbage collected less often during batch work (scanner.collector), frozen or not."""

from __future__ import annotations

import gc

from scanner.collector import BATCH_GC_THRESHOLD, fewer_collections


def test_an_unfrozen_batch_raises_the_threshold_and_freezes_nothing() -> None:
    before = gc.get_threshold()
    with fewer_collections(freeze=False):
        assert gc.get_threshold() == (BATCH_GC_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_a_batch_inside_another_keeps_the_first_ones_settings() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with fewer_collections(freeze=False):
            assert gc.get_freeze_count() == frozen
        assert gc.get_threshold()[0] == BATCH_GC_THRESHOLD  # the outer one still runs
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    with fewer_collections(freeze=False), fewer_collections():
        assert gc.get_freeze_count() == 0  # the first one's choice holds
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
