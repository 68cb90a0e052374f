"""Published survey series as the dashboard shows them: their name in a chart's legend (with
the publisher), the hover's detail, the table under the chart and the API's ``reference``.

Every text comes from ``adoption.stats.references.ReferenceLine`` in the page's language; the
population says what the percentage counts, so a share of received mail is never read as a
count of domains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from adoption.dashboard.chart_style import ReferenceTrace
from adoption.dashboard.tables import Cell, Table, day
from adoption.dashboard.wording import localised, month_format
from adoption.models import Group
from adoption.models.reference import DatePrecision, PopulationKind
from adoption.stats.references import ReferenceLine, ReferencePointData


def publisher(line: ReferenceLine) -> str:
    return localised(line.publisher, line.publisher_en)


def legend_name(line: ReferenceLine) -> str:
    """The legend name, publisher first ("NISC: SPF on go.jp domains"): the line reads as
    theirs."""
    name = localised(line.name, line.name_en)
    if not line.publisher:
        return name
    return _("%(publisher)s: %(name)s") % {"publisher": publisher(line), "name": name}


def population(line: ReferenceLine) -> str:
    """Who was counted, and how: "go.jp domains — domains (DNS records counted)"."""
    kind = str(PopulationKind(line.population_kind).label)
    who = localised(line.population, line.population_en)
    return (
        _("%(population)s — %(kind)s") % {"population": who, "kind": kind}
        if who
        else kind
    )


def trace(line: ReferenceLine) -> ReferenceTrace:
    return ReferenceTrace(line, legend_name(line), population(line))


def when(point: ReferencePointData) -> str:
    """The date as the survey gives it: a month stays a month."""
    if point.precision == DatePrecision.MONTH:
        return point.day.strftime(month_format())
    return day(point.day)


def as_json(line: ReferenceLine) -> dict[str, Any]:
    """The API's ``reference`` entry: what a script needs to draw and cite the series."""
    return {
        "id": line.series_id,
        "name": localised(line.name, line.name_en),
        "publisher": publisher(line),
        "mechanism": line.mechanism,
        "source": line.source,
        "source_url": line.url or None,
        "published": line.published.isoformat() if line.published else None,
        "population": {
            "kind": line.population_kind,
            "label": str(PopulationKind(line.population_kind).label),
            "description": localised(line.population, line.population_en),
        },
        "provenance": localised(line.provenance, line.provenance_en),
        "points": [
            {"date": p.day.isoformat(), "precision": p.precision, "percent": p.percent,
             "published": p.published, "note": localised(p.note, p.note_en)}
            for p in line.points
        ],
    }  # fmt: skip


def _source_href(line: ReferenceLine) -> str:
    return line.url if line.url.startswith(("https://", "http://")) else ""


def table(lines: Sequence[ReferenceLine]) -> Table:
    """One row per published figure, with its source; the population is given once per
    series, on its first row (the provenance, longer, goes under the table: ``provenance``)."""
    header = [_("Published survey"), _("Date"), _("Adoption"), _("Note"), _("Source")]
    rows = [
        [
            Cell(legend_name(line), detail=population(line) if i == 0 else ""),
            Cell(when(p)),
            Cell(f"{p.published}%", numeric=True),
            Cell(localised(p.note, p.note_en)),
            Cell(line.source or line.url, _source_href(line)),
        ]
        for line in lines
        for i, p in enumerate(line.points)
    ]  # fmt: skip
    csv_header = ["series", "publisher", "date", "precision", "percent", "population_kind",
                  "population", "note", "source", "source_url", "provenance"]  # fmt: skip
    csv_rows: list[list[str | int | float | None]] = [
        [localised(line.name, line.name_en), publisher(line), p.day.isoformat(),
         p.precision, p.percent, line.population_kind, population(line),
         localised(p.note, p.note_en), line.source, line.url,
         localised(line.provenance, line.provenance_en)]
        for line in lines
        for p in line.points
    ]  # fmt: skip
    caption = _("Published survey figures, drawn dashed on the chart")
    return Table(caption, header, rows, csv_header, csv_rows)


def provenance(lines: Sequence[ReferenceLine]) -> list[tuple[str, str]]:
    """Each series' note on where its figures come from, for under its table."""
    notes = [(legend_name(line), localised(line.provenance, line.provenance_en))
             for line in lines]  # fmt: skip
    return [(name, note) for name, note in notes if note]


def survey_links(
    here: Sequence[ReferenceLine],
    elsewhere: Sequence[ReferenceLine],
    group: Group | None,
) -> list[dict[str, str]]:
    """For the overview: the survey-style figure of each published series on this chart,
    and the charts of other groups that have published series beside them."""
    links = []
    for line in [*here, *elsewhere]:
        scope = line.group_id if line in elsewhere else (group.pk if group else None)
        query = {
            "mechanism": line.mechanism,
            **({"group": str(scope)} if scope else {}),
        }
        links.append({
            "name": legend_name(line),
            "scope": localised(line.group_name, line.group_name_en) if scope else "",
            "chart": reverse("home") + (f"?group={scope}" if scope else ""),
            "survey": f"{reverse('dashboard:survey')}?{urlencode(query)}",
            "elsewhere": "yes" if line in elsewhere else "",
        })  # fmt: skip
    return links
