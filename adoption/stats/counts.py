"""Adoption figures as SQL aggregates, returned as plain dataclasses (no ORM objects leak out).

Denominators are honest: a domain counts for a mechanism only when it was measured for it.
``temperror`` (DNS did not answer) is "unknown", kept out of the denominator and counted
apart; a registry domain that does not exist (NXDOMAIN) is counted apart too.

Every figure is defined once (``adoption.stats.mechanisms``), as lookups on the summary columns,
and turned into SQL for three readers: the stored per-run tallies (``RunTally``, charts over time), a
run's results (live counts, breakdowns), and the domain list behind a figure (click-through),
so the list always holds exactly the domains counted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from adoption.models import Group, RunResult, ScanRun
from adoption.stats import tallies
from adoption.stats.mechanisms import (
    ADOPTED,
    MECHANISMS,
    TALLY,
    VERSION,
    nxdomain_q,
)

# How long a chart's per-run figures stay in the cache (they are exact until re-tallied).
CACHE_SECONDS = 24 * 3600
# What Count() counts to count run results: the non-null version of each (RunResult's primary
# key is composite, which Count cannot take).
ROWS = "version"


@dataclass(frozen=True)
class Figure:
    numerator: int
    denominator: int
    unknown: int

    @property
    def percent(self) -> float | None:
        return (
            round(100.0 * self.numerator / self.denominator, 1)
            if self.denominator
            else None
        )


@dataclass(frozen=True)
class RunAdoption:
    run_id: int
    finished_at: dt.datetime | None
    domains: int
    nxdomain: int
    figures: dict[str, Figure]

    @property
    def day(self) -> dt.date | None:
        return timezone.localdate(self.finished_at) if self.finished_at else None


def counter(prefix: str, condition: Q) -> Sum | Count:
    """Sum the tallies' counts, or count the results, that meet ``condition``."""
    if prefix == TALLY:
        return Sum("count", filter=condition, default=0)
    return Count(ROWS, filter=condition)


def _aggregates(prefix: str) -> dict[str, Sum | Count]:
    columns = {
        "domains": counter(prefix, Q()),
        "nxdomain": counter(prefix, nxdomain_q(prefix)),
    }
    for m in MECHANISMS:
        columns[f"{m.key}__num"] = counter(prefix, m.state(ADOPTED, prefix))
        # Mechanisms read from the same column share their denominator and unknown count:
        # one aggregate each (a quarter fewer for the overview's query).
        columns[f"{m.scope_key}__den"] = counter(prefix, m.measured(prefix))
        columns[f"{m.scope_key}__unk"] = counter(prefix, m.unknown(prefix))
    return columns


def results_in_scope(group: Group | None) -> QuerySet[RunResult]:
    """Run results of domains that were in ``group`` when their run started."""
    if group is None:
        return RunResult.objects.all()
    return RunResult.objects.in_group_at_run_start(group)


def runs_for(group: Group | None) -> QuerySet[ScanRun]:
    """Finished runs that measured the whole registry, or this group."""
    done = ScanRun.objects.filter(state=ScanRun.State.DONE)
    scope = (
        Q(group__isnull=True) | Q(group=group)
        if group is not None
        else Q(group__isnull=True)
    )
    return done.filter(scope).order_by("finished_at")


Aggregates = Callable[[str], dict[str, Sum | Count]]


def per_run(
    runs: Sequence[ScanRun], group: Group | None, aggregates: Aggregates
) -> dict[int, dict[str, int]]:
    """``aggregates(prefix)`` per run: from the tallies of the finished runs (``prefix``
    TALLY) and from the results of any other run (``prefix`` VERSION).

    A finished run's figures never change until it is tallied again, so they are kept in the
    cache (``CACHES``; per process by default) under the aggregates' own text, the scope and
    the tally time: the query runs for the runs not seen before (about 60 ms for 100 runs of
    10,000 domains, bench/dashboard_queries.py), and a changed definition or a re-tallied run
    never reads an old figure.
    """
    stamps = tallies.ensure_tallied(runs)
    rows: dict[int, dict[str, int]] = {}
    if stamps:
        rows.update(_tallied_rows(stamps, group, aggregates))
    live = [r.pk for r in runs if r.pk not in stamps]
    if live:
        results = results_in_scope(group).filter(run__in=live).values("run_id")
        for row in results.annotate(**aggregates(VERSION)):
            rows[row["run_id"]] = row
    return rows


def _tallied_rows(
    stamps: dict[int, dt.datetime], group: Group | None, aggregates: Aggregates
) -> dict[int, dict[str, int]]:
    columns = aggregates(TALLY)
    text = repr(sorted(columns.items())).encode()
    key = f"adoption:per-run:{hashlib.sha256(text).hexdigest()[:32]}:{group.pk if group else 0}"
    known: dict[tuple[int, dt.datetime], dict[str, int]] = cache.get(key) or {}
    rows = {pk: known[(pk, at)] for pk, at in stamps.items() if (pk, at) in known}
    todo = [pk for pk in stamps if pk not in rows]
    if todo:
        stored = tallies.tallies_of(todo, group.pk if group else None)
        found = {r["run_id"]: r for r in stored.values("run_id").annotate(**columns)}
        fresh = {pk: found.get(pk, {}) for pk in todo}
        rows.update(fresh)
        # Keep only the runs asked for now: the entry stays the size of one chart.
        cache.set(
            key, {(pk, stamps[pk]): row for pk, row in rows.items()}, CACHE_SECONDS
        )
    return rows


def adoption_by_run(
    group: Group | None = None, runs: Sequence[ScanRun] | None = None
) -> list[RunAdoption]:
    """Every mechanism's figure per run, oldest first: one aggregate query."""
    runs = list(runs if runs is not None else runs_for(group))
    if not runs:
        return []
    rows = per_run(runs, group, _aggregates)
    return [_point(run, rows.get(run.pk, {})) for run in runs]


def _point(run: ScanRun, row: dict[str, int]) -> RunAdoption:
    figures = {
        m.key: Figure(
            row.get(f"{m.key}__num", 0) or 0,
            row.get(f"{m.scope_key}__den", 0) or 0,
            row.get(f"{m.scope_key}__unk", 0) or 0,
        )
        for m in MECHANISMS
    }
    return RunAdoption(
        run.pk,
        run.finished_at,
        row.get("domains", 0) or 0,
        row.get("nxdomain", 0) or 0,
        figures,
    )


def adoption_of_results(
    results: QuerySet[RunResult], runs: Sequence[ScanRun]
) -> list[RunAdoption]:
    """Every mechanism's figure per run over ``results`` (one organisation's domains, say),
    oldest first: one aggregate query over the results themselves, since tallies are kept
    per group only."""
    rows = {
        row["run_id"]: row
        for row in results.filter(run__in=[r.pk for r in runs])
        .order_by()
        .values("run_id")
        .annotate(**_aggregates(VERSION))
    }
    return [_point(run, rows.get(run.pk, {})) for run in runs]


def adoption_for_run(run: ScanRun, group: Group | None = None) -> RunAdoption:
    return adoption_by_run(group if group is not None else run.group, [run])[0]
