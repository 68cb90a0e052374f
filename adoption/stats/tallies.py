"""Counting finished runs once (``RunTally``), so charts over time read hundreds of rows per run
instead of one row per domain. See ``adoption/models/tallies.py`` for why.

Only finished (``done``) runs are tallied: their results never change. ``adoption.stats.counts``
counts a run still going, or a partial one, live from its results, with the same predicates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from adoption.models import RunResult, RunTally, ScanRun, TalliedRun
from adoption.models.summary import TALLY_FIELDS

# Rows written per INSERT while tallying (a run of 10,000 domains gives about 1,000).
INSERT_BATCH = 2000
# Runs counted per query when many are missing (after an upgrade, or a membership edited far
# back): 100 runs of 10,000 domains in one query sort on disk; ten at a time the sorts stay
# in memory (about 20 s for 99 runs either way, bench/dashboard_queries.py).
RUNS_PER_QUERY = 10


def _version_fields() -> list[str]:
    return [f"version__{name}" for name in TALLY_FIELDS]


def _counted(results: QuerySet[RunResult], *group_by: str) -> list[dict[str, Any]]:
    return list(
        results.order_by()
        .values("run_id", *group_by, *_version_fields())
        .annotate(n=Count("version"))  # every result has one (the key is composite)
    )


def _group_rows(run_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Results of these runs per group the domain was in when its run started."""
    in_group = RunResult.objects.per_group_at_run_start().filter(run_id__in=run_ids)
    return _counted(in_group, "domain__memberships__group_id")


def _tallies(run_ids: Sequence[int]) -> Iterable[RunTally]:
    for start in range(0, len(run_ids), RUNS_PER_QUERY):
        part = run_ids[start : start + RUNS_PER_QUERY]
        for row in _counted(RunResult.objects.filter(run_id__in=part)):
            yield _tally(row, None)
        for row in _group_rows(part):
            yield _tally(row, row["domain__memberships__group_id"])


def _tally(row: dict[str, Any], group_id: int | None) -> RunTally:
    states = {name: row[f"version__{name}"] for name in TALLY_FIELDS}
    return RunTally(run_id=row["run_id"], group_id=group_id, count=row["n"], **states)


def ensure_tallied(runs: Sequence[ScanRun]) -> dict[int, dt.datetime]:
    """Tally the finished runs among ``runs`` that are not tallied yet (one query when none);
    return when each finished run was tallied (a run tallied again gets a new time)."""
    done = [r.pk for r in runs if r.state == ScanRun.State.DONE]
    if not done:
        return {}
    tallied = TalliedRun.objects.filter(run_id__in=done).order_by()
    stamps = dict(tallied.values_list("run_id", "created_at"))
    missing = [pk for pk in done if pk not in stamps]
    if not missing:
        return stamps
    try:
        with transaction.atomic():
            # The primary key of TalliedRun is the lock: when two requests tally the same run
            # at once, the second insert fails (or waits, then fails) and its rows roll back.
            marks = TalliedRun.objects.bulk_create(
                TalliedRun(run_id=pk) for pk in missing
            )
            RunTally.objects.bulk_create(_tallies(missing), batch_size=INSERT_BATCH)
    except IntegrityError:
        # Another request tallied these runs first.
        return dict(tallied.values_list("run_id", "created_at"))
    return {**stamps, **{mark.run_id: mark.created_at for mark in marks}}


def tally_run(run: ScanRun) -> None:
    """Count a run that just finished (optional: the first view would do it)."""
    ensure_tallied([run])


def tallies_of(run_ids: Sequence[int], group_id: int | None) -> QuerySet[RunTally]:
    """The stored tallies of these runs for one scope (``None``: the whole run)."""
    scope = Q(group__isnull=True) if group_id is None else Q(group_id=group_id)
    return RunTally.objects.filter(scope, run_id__in=run_ids).order_by()
