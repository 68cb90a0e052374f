"""Published survey figures (``ReferenceSeries``) as plain data for the charts, their tables
and the API: the series drawn on a scope's chart, and those drawn on other scopes' charts
(the overview points to them).

They are kept as published, beside our counts and never mixed into them; a line carries what a
reader needs to judge the comparison: publisher, source, the population counted and how, and
where a figure is second-hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from adoption.models import Group, ReferenceSeries
from adoption.models.reference import DatePrecision, PopulationKind


@dataclass(frozen=True)
class ReferencePointData:
    day: dt.date
    percent: float
    note: str = ""
    note_en: str = ""
    precision: str = DatePrecision.DAY  # "month": the survey names only the month
    text: str = ""  # the percentage as published ("93.41"); empty: from ``percent``

    @property
    def published(self) -> str:
        return self.text or f"{self.percent:g}"


@dataclass(frozen=True)
class ReferenceLine:
    series_id: int
    name: str
    name_en: str
    mechanism: str
    source: str
    url: str
    points: tuple[ReferencePointData, ...]
    publisher: str = ""
    publisher_en: str = ""
    population_kind: str = PopulationKind.DOMAINS
    population: str = ""
    population_en: str = ""
    provenance: str = ""
    provenance_en: str = ""
    published: dt.date | None = None
    group_id: int | None = None
    group_name: str = ""
    group_name_en: str = ""

    @property
    def is_mail_share(self) -> bool:
        """A share of received mail: compared with DNS counts only with care."""
        return self.population_kind == PopulationKind.MAIL


def published_text(percent: Decimal) -> str:
    """37.40 -> "37.4", 92.00 -> "92": the figure with the decimals it was published with."""
    return format(percent.normalize(), "f")


def _line(s: ReferenceSeries) -> ReferenceLine:
    points = tuple(
        ReferencePointData(
            p.date,
            float(p.percent),
            p.note,
            p.note_en,
            p.precision,
            published_text(p.percent),
        )
        for p in s.points.all()
    )
    group = s.group
    return ReferenceLine(
        s.pk, s.name, s.name_en, s.mechanism, s.source, s.url, points,
        publisher=s.publisher, publisher_en=s.publisher_en,
        population_kind=s.population_kind, population=s.population,
        population_en=s.population_en, provenance=s.provenance,
        provenance_en=s.provenance_en, published=s.published,
        group_id=group.pk if group else None,
        group_name=group.name if group else "",
        group_name_en=group.name_en if group else "",
    )  # fmt: skip


def _shown() -> QuerySet[ReferenceSeries]:
    return (
        ReferenceSeries.objects.filter(shown=True)
        .select_related("group")
        .prefetch_related("points")
        .order_by("name", "pk")
    )


def reference_lines(group: Group | None, mechanism: str = "") -> list[ReferenceLine]:
    """The published series drawn on this scope's chart (of one mechanism if given); two
    queries."""
    scope = Q(group__isnull=True) if group is None else Q(group=group)
    series = _shown().filter(scope)
    if mechanism:
        series = series.filter(mechanism=mechanism)
    return [_line(s) for s in series]


def lines_elsewhere(group: Group | None) -> list[ReferenceLine]:
    """The published series drawn on other groups' charts, so a page can point to them."""
    other = Q(group__isnull=False)
    if group is not None:
        other &= ~Q(group=group)
    return [_line(s) for s in _shown().filter(other)]
