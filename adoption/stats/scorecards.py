"""An organisation's scorecard: its domains in the latest run of the whole registry, its
figures over the runs, and its rank among the organisations of the registry and of each of its
groups.

Scope: the runs of the whole registry (:func:`adoption.stats.counts.runs_for` without a group),
the runs the overview reads by default: an organisation spans groups, and the run of one group
measures only part of it. A domain counts for the organisation it belongs to now (the registry
keeps no dated history of organisations, only of groups).

**The rank.** Organisations are ranked by a score of three shares of their measured domains,
compared in this order, each as an exact fraction:

1. DMARC enforcing (quarantine or reject, applied to all mail);
2. a DMARC policy applies (p=none counts: the first step of the path);
3. SPF valid.

The second and third only break ties of the first. Equal scores share a rank and the next
rank is skipped (1, 2, 2, 4). An organisation with no domain measured for DMARC in the run
(all unknown, or none in the scope) is not ranked; domains without an organisation are not
an organisation and are left out. In a group, the domains counted are those in the group when
its latest run started (``RunResult.objects.in_group_at_run_start``), as in every group figure.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from django.db.models import Count, Sum

from adoption.models import Domain, Group, Organisation, RunResult, ScanRun
from adoption.models.summary import SUMMARY_FIELDS
from adoption.stats.counts import (
    Figure,
    RunAdoption,
    adoption_of_results,
    counter,
    results_in_scope,
    runs_for,
)
from adoption.stats.mechanisms import ADOPTED, VERSION, mechanism

# A year of monthly runs: the history table stays on one A4 page.
HISTORY_RUNS = 12
# The score, most important first (see the module's docstring).
SCORE_KEYS = ("dmarc_enforcing", "dmarc_valid", "spf_valid")

K = TypeVar("K", bound=Hashable)
Score = tuple[Fraction, ...]


@dataclass(frozen=True)
class OrgDomain:
    name: str
    unicode_name: str
    columns: dict[str, Any] | None  # summary columns; None: not measured in the run


@dataclass(frozen=True)
class Standing:
    """The organisation's place in a scope (a group, or the whole registry: ``group`` None)."""

    group: Group | None
    run: ScanRun | None
    rank: int | None  # None: not ranked (nothing measured, or no run yet)
    ranked: int  # how many organisations were ranked
    figures: dict[str, Figure]  # the score's figures, by SCORE_KEYS


def history_runs() -> list[ScanRun]:
    """The last HISTORY_RUNS finished runs of the whole registry, oldest first."""
    latest = list(runs_for(None).order_by("-finished_at")[:HISTORY_RUNS])
    return latest[::-1]


def organisation_domains(org: Organisation, run: ScanRun | None) -> list[OrgDomain]:
    """The organisation's domains measured in ``run``, and those in the registry now that the
    run did not measure (added since), by name."""
    found: dict[str, OrgDomain] = {}
    if run is not None:
        rows = RunResult.objects.filter(run=run, domain__organisation=org).values(
            "domain__name",
            "domain__unicode_name",
            *(f"version__{c}" for c in SUMMARY_FIELDS),
        )
        for row in rows:
            states = {c: row[f"version__{c}"] for c in SUMMARY_FIELDS}
            name = row["domain__name"]
            found[name] = OrgDomain(name, row["domain__unicode_name"] or name, states)
    current = Domain.objects.filter(organisation=org, active=True)
    for name, unicode_name in current.values_list("name", "unicode_name"):
        found.setdefault(name, OrgDomain(name, unicode_name or name, None))
    return [found[name] for name in sorted(found)]


def history(org: Organisation, runs: list[ScanRun]) -> list[RunAdoption]:
    """Every mechanism's share of the organisation's domains, per run."""
    return adoption_of_results(RunResult.objects.filter(domain__organisation=org), runs)


def score(figures: Mapping[str, Figure]) -> Score | None:
    """The score of the module's docstring; None when nothing was measured for DMARC."""
    if figures[SCORE_KEYS[0]].denominator == 0:
        return None
    return tuple(
        Fraction(f.numerator, f.denominator) if f.denominator else Fraction(0)
        for f in (figures[key] for key in SCORE_KEYS)
    )


def competition_ranks(scores: Mapping[K, Score | None]) -> dict[K, int]:
    """Rank 1 for the highest score; equal scores share a rank, the next ones are skipped
    (1, 2, 2, 4). Keys whose score is None are left out. One sort: a registry has hundreds
    of organisations."""
    ranked = sorted(s for s in scores.values() if s is not None)
    return {
        key: 1 + len(ranked) - bisect_right(ranked, s)
        for key, s in scores.items()
        if s is not None
    }


def _score_columns() -> dict[str, Sum | Count]:
    columns: dict[str, Sum | Count] = {}
    for key in SCORE_KEYS:
        m = mechanism(key)
        columns[f"{key}__num"] = counter(VERSION, m.state(ADOPTED))
        columns[f"{key}__den"] = counter(VERSION, m.measured())
        columns[f"{key}__unk"] = counter(VERSION, m.unknown())
    return columns


def _figures(row: Mapping[str, int]) -> dict[str, Figure]:
    return {
        key: Figure(row[f"{key}__num"], row[f"{key}__den"], row[f"{key}__unk"])
        for key in SCORE_KEYS
    }


def standing(org: Organisation, group: Group | None) -> Standing:
    """The organisation's rank in the latest finished run of ``group`` (or of the whole
    registry): one aggregate query over the organisations of the scope."""
    run = runs_for(group).order_by("-finished_at").first()
    empty = {key: Figure(0, 0, 0) for key in SCORE_KEYS}
    if run is None:
        return Standing(group, None, None, 0, empty)
    rows = (
        results_in_scope(group)
        .filter(run=run, domain__organisation__isnull=False)
        .order_by()
        .values("domain__organisation_id")
        .annotate(**_score_columns())
    )
    by_org = {row["domain__organisation_id"]: _figures(row) for row in rows}
    ranks = competition_ranks({pk: score(f) for pk, f in by_org.items()})
    return Standing(
        group, run, ranks.get(org.pk), len(ranks), by_org.get(org.pk, empty)
    )


def standings(org: Organisation) -> list[Standing]:
    """The whole registry first, then each group the organisation has a domain in now."""
    groups = Group.objects.filter(
        memberships__domain__organisation=org, memberships__left_at__isnull=True
    ).distinct()
    return [standing(org, None), *(standing(org, g) for g in groups.order_by("name"))]
