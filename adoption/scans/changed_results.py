"""The results of a run whose stored version differs from the same domain's in an earlier run:
the one definition of "changed between two runs" that a run's report
(``adoption.scans.run_report``) and the change feeds (``adoption.scans.changes``) read.

The database finds them (a join of the two runs' ``RunResult`` rows on the domain), so the
cost grows with the domains that changed, not with the registry: loading both runs whole into
Python took 10–14 s and ~360 MiB at 100,000 domains (docs/benchmarks.md).
"""

from __future__ import annotations

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.db.models.lookups import Exact, IsNull

from adoption.models import RunResult, ScanRun


def changed_results(
    previous: ScanRun,
    run: ScanRun,
    results: QuerySet[RunResult],
    *,
    new_domains: bool = False,
) -> QuerySet[RunResult]:
    """The rows of ``results`` in ``run`` whose version differs from the same domain's in
    ``previous``, with the earlier row joined as ``before`` (``before__version`` is the
    earlier version's id, null for a domain ``previous`` did not measure).

    The earlier row is joined, not looked up per row: for 10,000 domains the per-row subquery
    took 1.7 s, the join 16 ms (docs/benchmarks.md). NOT (before = now) is never true for a
    domain the earlier run did not measure (NULL), so new domains drop out unless
    ``new_domains`` asks for them too. Domains ``previous`` measured and ``run`` did not are
    not rows of ``run``: nothing is said about them.
    """
    earlier = Q(domain__run_results__run=previous)
    joined = (
        results.filter(run=run)
        .annotate(before=FilteredRelation("domain__run_results", condition=earlier))
        # Both as aliases of the one join: filtering on ``before__version__isnull`` joins
        # the earlier run a second time (a multi-valued relation in another filter term).
        .alias(
            unchanged=Exact(F("before__version"), F("version")),
            new=IsNull(F("before__version"), True),
        )
    )
    if new_domains:
        return joined.filter(Q(unchanged=False) | Q(new=True))
    return joined.filter(unchanged=False)
