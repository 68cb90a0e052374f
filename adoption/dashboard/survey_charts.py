"""The survey-style chart's words, table and JSON, for its entry in ``adoption.dashboard.charts``
(which keeps its page, CSV and API in agreement); the figure is ``survey_figures``.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from adoption.dashboard import published
from adoption.dashboard.chart_style import ChartText
from adoption.dashboard.survey_figures import (
    Bar,
    SurveyText,
    change_lines,
    measured_bars,
    published_bars,
    survey_bars,
)
from adoption.dashboard.tables import Cell, CsvCell, Numbers, Table, day, iso
from adoption.dashboard.wording import (
    date_format,
    localised,
    month_format,
    tick_formats,
)
from adoption.models import Group
from adoption.stats.survey import Survey


def scope_name(group: Group | None) -> str:
    return localised(group.name, group.name_en) if group else _("the whole registry")


def title(survey: Survey) -> str:
    return _("%(mechanism)s by survey date: %(scope)s") % {
        "mechanism": survey.mechanism.label,
        "scope": scope_name(survey.group),
    }


def sources(survey: Survey) -> str:
    """Where each bar's figure comes from, printed in the figure."""
    runs = ", ".join(f"#{p.run_id}" for p in survey.points)
    lines = [
        _("Source: DNS measurement by this dashboard (runs %(runs)s).") % {"runs": runs}
    ]
    for line in survey.references:
        cited = ", ".join(x for x in (line.source, line.url) if x)
        lines.append(
            _("Published: %(publisher)s, %(source)s")
            % {
                "publisher": published.publisher(line)
                or localised(line.name, line.name_en),
                "source": cited,
            }
        )
    return "\n".join(lines)


def note(survey: Survey) -> str:
    denominator = _(
        "Denominator: the domains of %(scope)s measured in each run (n under each date). "
        "Domains DNS could not answer and domains that do not exist are counted apart."
    ) % {"scope": scope_name(survey.group)}
    return f"{denominator}\n{sources(survey)}"


def text(survey: Survey) -> SurveyText:
    chart = ChartText(
        title=title(survey),
        note=note(survey),
        y_title=_("adoption (%)"),
        date_format=date_format(),
        month_format=month_format(),
        tick_formats=tick_formats(),
    )
    return SurveyText(
        chart,
        measured=_("Measured by this dashboard"),
        from_to=_("%(before)s → %(after)s"),
        points=_("%(change)s points"),
        count=_("n=%(n)s"),
    )


def figure(survey: Survey) -> go.Figure:
    traces = [published.trace(line) for line in survey.references]
    group_id = survey.group.pk if survey.group else None
    return survey_bars(survey, traces, group_id, text(survey))


def change_text(before: Bar | None, after: Bar, words: SurveyText) -> str:
    """ "37.4% → 63.2%, +25.8 points"; empty for a series' first date."""
    lines = change_lines(before, after, words) if before else None
    return (
        _("%(from_to)s, %(points)s") % {"from_to": lines[0], "points": lines[1]}
        if lines
        else ""
    )


def _series(survey: Survey) -> list[tuple[str, list[Bar]]]:
    rows = [(published.legend_name(line), published_bars(published.trace(line)))
            for line in survey.references]  # fmt: skip
    return [*rows, (_("Measured by this dashboard"), measured_bars(survey))]


def table(survey: Survey) -> Table:
    words = text(survey)
    numbers = Numbers()
    figures = {f"run-{p.run_id}": p.figure for p in survey.points}
    header = [_("Series"), _("Date"), _("Adoption"), _("Adopted / measured"),
              _("Change since the previous date")]  # fmt: skip
    rows: list[list[Cell]] = []
    csv_rows: list[list[CsvCell]] = []
    for name, bars in _series(survey):
        for i, bar in enumerate(bars):
            figure = figures.get(bar.key)
            counts = (
                f"{numbers(figure.numerator)} / {numbers(figure.denominator)}"
                if figure
                else "–"
            )
            change = change_text(bars[i - 1] if i else None, bar, words)
            when = _bar_day(bar)
            rows.append([Cell(name), Cell(when), Cell(bar.label, numeric=True),
                         Cell(counts, numeric=True), Cell(change)])  # fmt: skip
            csv_rows.append([name, _bar_iso(bar), bar.percent,
                             figure.numerator if figure else None,
                             figure.denominator if figure else None, change])  # fmt: skip
    csv_header = ["series", "date", "percent", "numerator", "denominator", "change"]
    return Table(title(survey), header, rows, csv_header, csv_rows)


def _bar_day(bar: Bar) -> str:
    slot = bar.slot
    if slot.moment is not None:
        return f"{day(slot.moment)} {slot.moment.strftime('%H:%M')}"
    if slot.day is not None and slot.month_only:
        return slot.day.strftime(month_format())
    return day(slot.day)


def _bar_iso(bar: Bar) -> str:
    slot = bar.slot
    if slot.moment is not None:
        return slot.moment.isoformat()
    return slot.day.isoformat() if slot.day else ""


def api(survey: Survey) -> dict[str, Any]:
    return {
        "mechanism": survey.mechanism.key,
        "bars": [
            {"run": p.run_id, "finished_at": iso(p.finished_at), "percent": p.figure.percent,
             "numerator": p.figure.numerator, "denominator": p.figure.denominator,
             "unknown": p.figure.unknown}
            for p in survey.points
        ],
        "changes": [
            {"from_run": a.run_id, "to_run": b.run_id,
             "points": round(b.figure.percent - a.figure.percent, 1)}
            for a, b in zip(survey.points, survey.points[1:], strict=False)
            if a.figure.percent is not None and b.figure.percent is not None
        ],
        "left_out": survey.left_out,
    }  # fmt: skip
