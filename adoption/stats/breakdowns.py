"""Breakdowns: a run by group and by organisation, the DMARC policy mix over time, and the SPF
details (``all`` qualifier, lookup counts, include providers) of one run.

Each breakdown's categories are *facets*: named conditions on the summary columns, so that the
domain list behind a bar (``?facet=spf_all&value=~all``) applies the very condition the bar
counted. As in ``stats``, unknown (temperror) and NXDOMAIN results are counted apart.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTransform
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from adoption.models import (
    Group,
    ResultVersion,
    RunResult,
    RunTally,
    ScanRun,
    SpfTarget,
)
from adoption.stats import tallies
from adoption.stats.counts import (
    ROWS,
    Figure,
    counter,
    per_run,
    results_in_scope,
)
from adoption.stats.mechanisms import (
    ADOPTED,
    TALLY,
    VERSION,
    Lookups,
    Mechanism,
    mechanism,
    nothing,
    where,
)


@dataclass(frozen=True)
class Category:
    key: str
    label: Promise
    lookups: Lookups = ()  # empty: the rest of the population


@dataclass(frozen=True)
class Facet:
    """Categories that partition a population (e.g. the domains with a valid SPF record)."""

    key: str
    label: Promise
    population: Mechanism  # its measured/unknown states are the facet's
    categories: tuple[Category, ...]

    def q(self, value: str, prefix: str = VERSION) -> Q | None:
        """The results in category ``value``; ``None`` for a value this facet has not."""
        named = [c for c in self.categories if c.lookups]
        for category in self.categories:
            if category.key != value:
                continue
            if category.lookups:
                return self.population.measured(prefix) & where(
                    category.lookups, prefix
                )
            others = Q()
            for other in named:
                others |= where(other.lookups, prefix)
            return self.population.measured(prefix) & ~others
        return None


DMARC_POLICY = Facet(
    "dmarc_policy",
    _("DMARC policy"),
    mechanism("dmarc_valid"),
    (
        Category("reject", _("p=reject"), (("dmarc_state", ("valid",)), ("dmarc_p", ("reject",)))),
        Category("quarantine", _("p=quarantine"), (("dmarc_state", ("valid",)), ("dmarc_p", ("quarantine",)))),
        Category("none", _("p=none (monitoring)"), (("dmarc_state", ("valid",)), ("dmarc_p", ("none",)))),
        Category("no_policy", _("no valid DMARC record")),
    ),
)  # fmt: skip
SPF_ALL = Facet(
    "spf_all",
    _("SPF all qualifier"),
    mechanism("spf_valid"),
    (
        Category("-all", _("-all (fail)"), (("spf_state", ("valid",)), ("spf_all", ("-all",)))),
        Category("~all", _("~all (softfail)"), (("spf_state", ("valid",)), ("spf_all", ("~all",)))),
        Category("?all", _("?all (neutral)"), (("spf_state", ("valid",)), ("spf_all", ("?all",)))),
        Category("+all", _("+all (pass: no protection)"), (("spf_state", ("valid",)), ("spf_all", ("+all",)))),
        Category("missing", _("no all (neutral by default)"), (("spf_state", ("valid",)), ("spf_all", ("",)))),
        Category("no_valid_spf", _("no valid SPF record")),
    ),
)  # fmt: skip

# RFC 7208 4.6.4: an evaluation may cause at most 10 DNS-querying terms; more is permerror.
SPF_LOOKUP_LIMIT = 10
# Direct include/redirect targets kept per record: within the limit a record has at most 10;
# a broken one may name more, and the first 30 are enough to show what it depends on.
MAX_DIRECT_TARGETS = 30
OVER_LIMIT = "over"
SPF_RECORD = mechanism("spf_published")  # domains with an SPF record, valid or not
SPF_RECORD_STATES = dict(SPF_RECORD.adopted_when)["spf_state"]


def lookups_q(value: str) -> Q | None:
    """Domains with an SPF record whose worst-case lookup count is ``value`` (or over 10)."""
    base = SPF_RECORD.state(ADOPTED)
    if value == OVER_LIMIT:
        return base & Q(version__spf_lookups__gt=SPF_LOOKUP_LIMIT)
    if value.isdigit() and int(value) <= SPF_LOOKUP_LIMIT:
        return base & Q(version__spf_lookups=int(value))
    return None


def include_q(value: str) -> Q | None:
    """Domains whose SPF record includes (or redirects to) ``value`` directly."""
    if not value or len(value) > 253:
        return None
    names = SpfTarget.objects.filter(version=OuterRef("version"), target=value)
    return SPF_RECORD.state(ADOPTED) & Q(Exists(names))


def _targets(children: Any) -> set[str]:
    if not isinstance(children, list):
        return set()
    found = (
        c.get("domain") for c in children[:MAX_DIRECT_TARGETS] if isinstance(c, dict)
    )
    return {d for d in found if isinstance(d, str) and 0 < len(d) <= 253}


def ensure_spf_targets(results: QuerySet[RunResult]) -> None:
    """Read the direct SPF targets of these results' versions not read before: one query
    that finds none in the steady state, and one that reads the JSON of new versions."""
    unread = (
        results.exclude(Exists(SpfTarget.objects.filter(version=OuterRef("version"))))
        .order_by()
        .values_list("version_id", flat=True)
        .distinct()
    )
    ids = list(unread)
    if not ids:
        return
    children = KeyTransform(
        "children", KeyTransform("include_tree", KeyTransform("spf", "result"))
    )
    versions = ResultVersion.objects.filter(pk__in=ids).values_list(
        "pk", "status", "spf_state", children
    )
    rows = [
        SpfTarget(version_id=pk, target=target)
        for pk, status, spf_state, tree in versions
        # Only SPF records are read (as SPF_RECORD counts them); others get the "" mark.
        for target in (
            _targets(tree)
            if status == "ok" and spf_state in SPF_RECORD_STATES
            else set()
        )
        or {""}
    ]
    # Two views reading the same new versions at once insert the same rows: keep one.
    SpfTarget.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


def facet_q(facet: str, value: str) -> Q | None:
    """The condition behind one bar of a breakdown, for the domain list."""
    if facet in FACETS:
        return FACETS[facet].q(value)
    if facet == "spf_lookups":
        return lookups_q(value)
    if facet == "spf_include":
        return include_q(value)
    return None


FACETS = {f.key: f for f in (DMARC_POLICY, SPF_ALL)}
FACET_KEYS = (*FACETS, "spf_lookups", "spf_include")


# --- By group and by organisation (one run) -------------------------------------------------


@dataclass(frozen=True)
class ScopeFigure:
    """One bar: a group or an organisation, with its figure for the chosen mechanism."""

    key: int | None  # group or organisation id (None: no organisation)
    name: str
    name_en: str
    domains: int
    nxdomain: int
    figure: Figure


def _figure_columns(m: Mechanism, prefix: str) -> dict[str, Sum | Count]:
    return {
        "domains": counter(prefix, Q()),
        "nxdomain": counter(prefix, Q(**{f"{prefix}status": "nxdomain"})),
        "num": counter(prefix, m.state(ADOPTED, prefix)),
        "den": counter(prefix, m.measured(prefix)),
        "unk": counter(prefix, m.unknown(prefix)),
    }


def by_group(run: ScanRun, m: Mechanism) -> list[ScopeFigure]:
    """Every group's figure in a finished run, from its tallies (one query)."""
    tallies.ensure_tallied([run])
    rows = (
        RunTally.objects.filter(run=run, group__isnull=False)
        .order_by()
        .values("group_id", "group__name", "group__name_en")
        .annotate(**_figure_columns(m, TALLY))
        .order_by("group__name")
    )
    return [
        ScopeFigure(
            r["group_id"], r["group__name"], r["group__name_en"], r["domains"],
            r["nxdomain"], Figure(r["num"], r["den"], r["unk"]),
        )
        for r in rows
    ]  # fmt: skip


def by_organisation(
    run: ScanRun, group: Group | None, m: Mechanism
) -> list[ScopeFigure]:
    """Every organisation's figure in one run (one query), lowest adoption first."""
    rows = (
        results_in_scope(group)
        .filter(run=run)
        .order_by()
        .values(
            "domain__organisation_id",
            "domain__organisation__name_ja",
            "domain__organisation__name_en",
        )
        .annotate(**_figure_columns(m, VERSION))
    )
    figures = [
        ScopeFigure(
            r["domain__organisation_id"], r["domain__organisation__name_ja"] or "",
            r["domain__organisation__name_en"] or "", r["domains"], r["nxdomain"],
            Figure(r["num"], r["den"], r["unk"]),
        )
        for r in rows
    ]  # fmt: skip
    return sorted(
        figures,
        key=lambda f: (
            f.figure.percent is None,
            f.figure.percent or 0.0,
            -f.figure.denominator,
            f.name,
        ),
    )


# --- Distributions: DMARC policy over time, SPF all qualifier --------------------------------


@dataclass(frozen=True)
class Distribution:
    """A population split into a facet's categories, in one run."""

    run_id: int
    finished_at: dt.datetime | None
    counts: dict[str, int]
    population: int  # measured: the categories add up to it
    unknown: int
    nxdomain: int

    def percent(self, key: str) -> float | None:
        count = self.counts.get(key, 0)
        return round(100.0 * count / self.population, 1) if self.population else None


def _distribution_columns(facet: Facet, prefix: str) -> dict[str, Sum | Count]:
    columns = {
        f"c__{c.key}": counter(prefix, facet.q(c.key, prefix) or nothing(prefix))
        for c in facet.categories
    }
    columns["population"] = counter(prefix, facet.population.measured(prefix))
    columns["unknown"] = counter(prefix, facet.population.unknown(prefix))
    columns["nxdomain"] = counter(prefix, Q(**{f"{prefix}status": "nxdomain"}))
    return columns


def distribution_by_run(
    facet: Facet, group: Group | None, runs: Sequence[ScanRun]
) -> list[Distribution]:
    """The facet's split per run, oldest first: one aggregate query over the tallies."""
    rows = per_run(runs, group, lambda prefix: _distribution_columns(facet, prefix))
    points = []
    for run in runs:
        row = rows.get(run.pk, {})
        counts = {c.key: row.get(f"c__{c.key}", 0) or 0 for c in facet.categories}
        points.append(
            Distribution(
                run.pk, run.finished_at, counts, row.get("population", 0) or 0,
                row.get("unknown", 0) or 0, row.get("nxdomain", 0) or 0,
            )
        )  # fmt: skip
    return points


# --- SPF lookups and include providers (one run, from the results) ---------------------------


@dataclass(frozen=True)
class Bucket:
    key: str  # "0".."10" or "over"
    count: int
    over_limit: bool


@dataclass(frozen=True)
class Histogram:
    run_id: int
    buckets: list[Bucket]
    population: int  # domains with an SPF record and a lookup count
    unknown: int
    nxdomain: int


def spf_lookup_histogram(run: ScanRun, group: Group | None) -> Histogram:
    """Worst-case SPF lookup counts of one run's SPF records; one query."""
    with_record = SPF_RECORD.state(ADOPTED) & Q(version__spf_lookups__isnull=False)
    rows = (
        results_in_scope(group)
        .filter(run=run)
        .order_by()
        .values("version__spf_lookups")
        .annotate(
            n=Count(ROWS, filter=with_record),
            unknown=Count(ROWS, filter=SPF_RECORD.unknown()),
            nxdomain=Count(ROWS, filter=Q(version__status="nxdomain")),
        )
    )
    counts: Counter[str] = Counter()
    unknown = nxdomain = 0
    for row in rows:
        lookups = row["version__spf_lookups"]
        if lookups is not None and row["n"]:
            counts[OVER_LIMIT if lookups > SPF_LOOKUP_LIMIT else str(lookups)] += row[
                "n"
            ]
        unknown += row["unknown"]
        nxdomain += row["nxdomain"]
    keys = [str(i) for i in range(SPF_LOOKUP_LIMIT + 1)] + [OVER_LIMIT]
    buckets = [Bucket(k, counts.get(k, 0), k == OVER_LIMIT) for k in keys]
    return Histogram(run.pk, buckets, sum(counts.values()), unknown, nxdomain)


@dataclass(frozen=True)
class Provider:
    domain: str
    count: int


@dataclass(frozen=True)
class Providers:
    run_id: int
    providers: list[Provider]  # most used first
    population: int  # domains with an SPF record
    unknown: int
    nxdomain: int
    total_providers: int


def spf_include_providers(
    run: ScanRun, group: Group | None, limit: int = 30
) -> Providers:
    """Which include/redirect targets the run's SPF records name directly: targets from
    ``SpfTarget``, totals from the run's tallies (three queries in the steady state)."""
    scope = results_in_scope(group).filter(run=run).order_by()
    ensure_spf_targets(scope)
    counted = (
        SpfTarget.objects.filter(version__in=scope.values("version_id"), target__gt="")
        .order_by()
        .values("target")
        .annotate(n=Count("version"))
    )
    totals = per_run(
        [run],
        group,
        lambda prefix: {
            "population": counter(prefix, SPF_RECORD.state(ADOPTED, prefix)),
            "unknown": counter(prefix, SPF_RECORD.unknown(prefix)),
            "nxdomain": counter(prefix, Q(**{f"{prefix}status": "nxdomain"})),
        },
    ).get(run.pk, {})
    ranked = sorted(
        ((r["target"], r["n"]) for r in counted), key=lambda i: (-i[1], i[0])
    )
    return Providers(
        run.pk,
        [Provider(domain, count) for domain, count in ranked[:limit]],
        totals.get("population") or 0,
        totals.get("unknown") or 0,
        totals.get("nxdomain") or 0,
        len(ranked),
    )
