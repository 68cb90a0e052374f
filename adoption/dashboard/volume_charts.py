"""The mail-volume chart's statistics, words, table and JSON, for its entry in
``adoption.dashboard.charts`` (which keeps its page, CSV and API in agreement with each other
and with the DNS charts).

The scope is the whole registry, a group, or one registry domain (the domain page). Without a
chosen period the chart shows the 90 days up to the last reported day, per day; a period of
three months or more is shown per week unless ``period`` says otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from adoption.dashboard.chart_style import ChartText
from adoption.dashboard.tables import Cell, CsvCell, Numbers, Table, day
from adoption.dashboard.volume_figures import volume_over_time
from adoption.models import Domain, Group
from adoption.stats import mail_volume as mv


@dataclass(frozen=True)
class VolumeData:
    series: mv.VolumeSeries
    latest: dt.date | None  # the last reported day of the scope; None: no report yet


def load(
    group: Group | None,
    domain: Domain | None,
    start: dt.date | None,
    end: dt.date | None,
    period: str,
) -> VolumeData:
    """Two queries: the scope's last reported day, then its rows of the period."""
    latest = mv.latest_domain_day(domain) if domain else mv.latest_day(group)
    first, last = mv.period_of(start, end, latest)
    period = period if period in mv.PERIODS else mv.automatic_period(first, last)
    if domain is not None:
        return VolumeData(mv.domain_series(domain, first, last, period), latest)
    return VolumeData(mv.scope_series(group, first, last, period), latest)


def figure_names() -> dict[str, str]:
    return {f.key: str(f.label) for f in mv.VOLUME_FIGURES}


def note(series: mv.VolumeSeries) -> str:
    """The denominator, as every chart states it."""
    numbers = Numbers()
    messages = ngettext(
        "%(messages)s message", "%(messages)s messages", series.messages
    ) % {"messages": numbers(series.messages)}
    receivers = ngettext(
        "%(receivers)s receiver", "%(receivers)s receivers", series.reporters
    ) % {"receivers": numbers(series.reporters)}
    return _(
        "Denominator: %(messages)s reported by %(receivers)s in DMARC aggregate reports, "
        "%(start)s – %(end)s. Shares count the receivers' own verdicts; reports without "
        "messages are left out."
    ) % {
        "messages": messages,
        "receivers": receivers,
        "start": day(series.start),
        "end": day(series.end),
    }


def hover_words() -> dict[str, str]:
    return {
        "messages": pgettext("unit after a count", "messages"),
        "messages_name": _("messages reported"),
        "messages_axis": _("messages"),
        "receivers": pgettext("unit after a count", "receivers"),
        "week_of": _("week of %(day)s"),
    }


def figure(series: mv.VolumeSeries, title: str, date_format: str) -> go.Figure:
    text = ChartText(
        title=title,
        note=note(series),
        y_title=_("share of messages (%)"),
        date_format=date_format,
        hover=hover_words(),
    )
    return volume_over_time(series, figure_names(), text)


def _period_cell(point: mv.VolumePoint, period: str) -> Cell:
    if period == mv.WEEK:
        return Cell(_("week of %(day)s") % {"day": day(point.start)})
    return Cell(day(point.start))


def _row(point: mv.VolumePoint, first: Cell, numbers: Numbers) -> list[Cell]:
    of = _("%(num)s of %(den)s")
    cells = [first, Cell(numbers(point.messages), numeric=True),
             Cell(numbers(point.reporters), numeric=True)]  # fmt: skip
    for key in mv.FIGURE_KEYS:
        share = point.share(key)
        detail = of % {
            "num": numbers(share.numerator),
            "den": numbers(share.denominator),
        }
        cells.append(Cell(numbers.percent(share.percent), detail=detail, numeric=True))
    return cells


def table(series: mv.VolumeSeries) -> Table:
    """Per day or week, and the whole period last; the CSV has the points only, raw."""
    numbers = Numbers()
    header = [_("Week") if series.period == mv.WEEK else _("Day"), _("Messages"),
              _("Receivers"), *figure_names().values()]  # fmt: skip
    rows = [_row(p, _period_cell(p, series.period), numbers) for p in series.points]
    rows.append(_row(series.total, Cell(_("Whole period")), numbers))
    csv_header = ["period_start", "period_end", "messages", "receivers"]
    for key in mv.FIGURE_KEYS:
        csv_header += [f"{key}_numerator", f"{key}_denominator", f"{key}_percent"]
    csv_rows: list[list[CsvCell]] = []
    for p in series.points:
        row: list[CsvCell] = [
            p.start.isoformat(),
            p.end.isoformat(),
            p.messages,
            p.reporters,
        ]
        for key in mv.FIGURE_KEYS:
            share = p.share(key)
            row += [share.numerator, share.denominator, share.percent]
        csv_rows.append(row)
    caption = _("Messages and their authentication, by receivers' reports")
    return Table(caption, header, rows, csv_header, csv_rows)


def _point_json(point: mv.VolumePoint) -> dict[str, Any]:
    return {
        "start": point.start.isoformat(),
        "end": point.end.isoformat(),
        "messages": point.messages,
        "receivers": point.reporters,
        "figures": {
            key: {"numerator": s.numerator, "denominator": s.denominator,
                  "percent": s.percent}
            for key in mv.FIGURE_KEYS
            for s in (point.share(key),)
        },
    }  # fmt: skip


def api(data: VolumeData, domain: Domain | None) -> dict[str, Any]:
    series = data.series
    return {
        "domain": domain.name if domain is not None else None,
        "period": series.period,
        "start": series.start.isoformat(),
        "end": series.end.isoformat(),
        "latest_day": data.latest.isoformat() if data.latest else None,
        "figures": [{"key": k, "label": n} for k, n in figure_names().items()],
        "total": _point_json(series.total),
        "points": [_point_json(p) for p in series.points],
    }
