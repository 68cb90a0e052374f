"""Change events between consecutive runs: a domain adopted, dropped, strengthened or
weakened a mechanism.

What counts as each is :func:`adoption.scans.run_report.compare`, the one definition shared
with a run's report and a domain's timeline; this module only finds the domains whose stored
result changed between two runs (:mod:`adoption.scans.changed_results`, the join the report
uses too) and asks it.

Which runs are consecutive depends on the scope, as for the figures
(:func:`adoption.stats.counts.runs_for`): the finished runs of the whole registry for the
registry and for an organisation (an organisation spans groups); those and the group's own
runs for a group; for one domain, the finished runs that measured it. Each pair of runs costs
two queries: the domains of the later run whose version differs from the earlier run's (the
(run, domain) primary key answers the lookup), and the old summary columns of those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from adoption.models import (
    Domain,
    Group,
    Organisation,
    ResultVersion,
    RunResult,
    ScanRun,
)
from adoption.scans.changed_results import changed_results
from adoption.scans.run_report import COLUMNS, Change, compare
from adoption.stats.counts import results_in_scope, runs_for

# The kinds a feed follows: changes of what a domain publishes (not "newly unknown", which
# says nothing about the domain, nor "new in the registry").
FEED_KINDS = ("adopted", "dropped", "strengthened", "weakened")
# Bounds of one read: the newest events of at most this many pairs of runs.
MAX_EVENTS = 100
MAX_RUN_PAIRS = 12
MAX_DOMAIN_RUNS = 500


@dataclass(frozen=True)
class Event:
    run_id: int
    previous_run_id: int
    finished_at: dt.datetime
    domain: str  # A-label
    unicode_name: str
    organisation_id: int | None
    change: Change


def _changed_rows(
    previous: ScanRun, run: ScanRun, results: QuerySet[RunResult]
) -> list[dict[str, Any]]:
    """The rows of ``results`` in ``run`` whose version differs from the same domain's in
    ``previous`` (:func:`adoption.scans.changed_results.changed_results`; new domains drop
    out), with the earlier version's id (``before__version``)."""
    return list(
        changed_results(previous, run, results)
        .order_by("domain__name")
        .values(
            "domain__name",
            "domain__unicode_name",
            "domain__organisation_id",
            "before__version",
            *(f"version__{c}" for c in COLUMNS),
        )
    )


def changes_in_pair(
    previous: ScanRun,
    run: ScanRun,
    results: QuerySet[RunResult],
    kinds: Sequence[str] = FEED_KINDS,
) -> list[Event]:
    """The events of ``kinds`` between two runs, for the domains of ``results`` measured in
    both (a domain new in ``run`` has nothing to compare), by domain."""
    rows = _changed_rows(previous, run, results)
    old_ids = {row["before__version"] for row in rows}
    old = {
        v["id"]: v
        for v in ResultVersion.objects.filter(pk__in=old_ids).values("id", *COLUMNS)
    }
    finished = run.finished_at or run.created_at
    events = []
    for row in rows:
        name = row["domain__name"]
        after = {c: row[f"version__{c}"] for c in COLUMNS}
        events += [
            Event(
                run.pk, previous.pk, finished, name,
                row["domain__unicode_name"] or name, row["domain__organisation_id"], change,
            )
            for change in compare(old[row["before__version"]], after, name)
            if change.kind in kinds
        ]  # fmt: skip
    return events


def _newest_events(
    runs: Sequence[ScanRun], results: QuerySet[RunResult], limit: int
) -> list[Event]:
    """Events of consecutive ``runs`` (newest first), newest pair first, at most ``limit``."""
    events: list[Event] = []
    for run, previous in zip(runs, runs[1:], strict=False):
        if len(events) >= limit:
            break
        events += changes_in_pair(previous, run, results)
    return events[:limit]


def scope_events(
    group: Group | None = None,
    organisation: Organisation | None = None,
    limit: int = MAX_EVENTS,
) -> list[Event]:
    """The newest events of the registry, a group, or an organisation (whole-registry runs)."""
    runs = list(runs_for(group).order_by("-finished_at")[: MAX_RUN_PAIRS + 1])
    results = results_in_scope(group)
    if organisation is not None:
        results = results.filter(domain__organisation=organisation)
    return _newest_events(runs, results, limit)


def domain_events(domain: Domain, limit: int = MAX_EVENTS) -> list[Event]:
    """The newest events of one domain, between the finished runs that measured it: one
    query over its last MAX_DOMAIN_RUNS results (a domain changes seldom, so its feed reaches
    further back than a scope's)."""
    rows = list(
        RunResult.objects.filter(domain=domain, run__state=ScanRun.State.DONE)
        .order_by("-run__finished_at")
        .values(
            "run_id",
            "run__finished_at",
            "run__created_at",
            "version_id",
            *(f"version__{c}" for c in COLUMNS),
        )[:MAX_DOMAIN_RUNS]
    )
    events: list[Event] = []
    for row, earlier in zip(rows, rows[1:], strict=False):
        if row["version_id"] == earlier["version_id"]:
            continue
        before = {c: earlier[f"version__{c}"] for c in COLUMNS}
        after = {c: row[f"version__{c}"] for c in COLUMNS}
        finished = row["run__finished_at"] or row["run__created_at"]
        events += [
            Event(
                row["run_id"],
                earlier["run_id"],
                finished,
                domain.name,
                domain.unicode_name or domain.name,
                domain.organisation_id,
                change,
            )
            for change in compare(before, after, domain.name)
            if change.kind in FEED_KINDS
        ]
    return events[:limit]
