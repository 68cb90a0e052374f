"""The survey-style figure: one bar per survey date, its percentage printed on it, and the change
between consecutive dates of a series ("37.4% → 63.2%, +25.8 points"), the way a ministry's
briefing shows a survey. Published series stand beside the measured one, hatched and named
in the legend; their bars have no domain list behind them. No ORM here.

The title, the denominator note and the data sources are part of the figure, so the PNG and SVG
downloads carry them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils import timezone

from adoption.dashboard.chart_layout import (
    Bottom,
    Slot,
    legend_per_row,
    legend_rows,
    slot_labels,
)
from adoption.dashboard.chart_style import (
    OKABE_ITO,
    ChartText,
    ReferenceTrace,
    plain,
)
from adoption.dashboard.figures import base_layout
from adoption.dashboard.run_axis import when_label
from adoption.stats.mechanisms import ADOPTED
from adoption.stats.survey import Survey

SURVEY_PLOT_HEIGHT = 380
# The percent axis goes past 100 to leave room for the labels and changes above the bars.
Y_TOP = 122
CHANGE_ABOVE = 11  # the change label's height above the taller bar, in percent units
PATTERNS = ("/", "\\", "x", ".")
PERCENT_TICKS = [0, 20, 40, 60, 80, 100]
PUBLISHED_COLOUR = "#e3e3e3"


@dataclass(frozen=True)
class SurveyText:
    chart: ChartText  # title, note (denominator and sources), formats, hover words
    measured: str  # the measured bars' legend name
    from_to: str  # "%(before)s → %(after)s"
    points: str  # "%(change)s points"
    count: str  # "n=%(n)s": the denominator under a measured date


@dataclass(frozen=True)
class Bar:
    key: str  # the x category
    percent: float | None
    label: str  # as printed on the bar
    slot: Slot


def signed(value: float) -> str:
    rounded = round(value, 1)
    sign = "+" if rounded > 0 else "−" if rounded < 0 else "±"
    return f"{sign}{abs(rounded):.1f}"


def change_lines(before: Bar, after: Bar, text: SurveyText) -> tuple[str, str] | None:
    """ "37.4% → 63.2%" and "+25.8 points"; None when a figure is missing."""
    if before.percent is None or after.percent is None:
        return None
    return (
        text.from_to % {"before": before.label, "after": after.label},
        text.points % {"change": signed(after.percent - before.percent)},
    )


def measured_bars(survey: Survey) -> list[Bar]:
    bars = []
    for p in survey.points:
        moment = timezone.localtime(p.finished_at) if p.finished_at else None
        percent = p.figure.percent
        label = "–" if percent is None else f"{percent:.1f}%"
        bars.append(
            Bar(f"run-{p.run_id}", percent, label, Slot("", moment, run_id=p.run_id))
        )
    return bars


def published_bars(trace: ReferenceTrace) -> list[Bar]:
    line = trace.line
    return [
        Bar(f"ref-{line.series_id}-{p.day.isoformat()}", p.percent, f"{p.published}%",
            Slot("", day=p.day, month_only=p.precision == "month"))
        for p in line.points
    ]  # fmt: skip


def _order(groups: Sequence[list[Bar]]) -> list[Bar]:
    """All bars in time order (a published figure before a run of the same day)."""

    def when(bar: Bar) -> tuple[str, int]:
        slot = bar.slot
        if slot.moment is not None:
            return slot.moment.date().isoformat() + slot.moment.strftime("T%H:%M"), 1
        return (slot.day.isoformat() if slot.day else ""), 0

    return sorted((b for group in groups for b in group), key=when)


def _ticks(ordered: list[Bar], survey: Survey, text: SurveyText) -> list[str]:
    labels = slot_labels([b.slot for b in ordered], text.chart.tick_formats)
    counts = {f"run-{p.run_id}": p.figure.denominator for p in survey.points}
    return [
        f"{label}<br>{plain(text.count % {'n': counts[b.key]})}"
        if b.key in counts
        else label
        for label, b in zip(labels, ordered, strict=True)
    ]


def _bar_trace(bars: list[Bar], name: str, marker: dict[str, Any],
               customdata: list[dict[str, Any]]) -> go.Bar:  # fmt: skip
    return go.Bar(
        x=[b.key for b in bars],
        y=[b.percent for b in bars],
        name=plain(name),
        text=[b.label for b in bars],
        textposition="outside",
        cliponaxis=False,
        textfont={"size": 14},
        marker=marker,
        customdata=customdata,
        hovertemplate="%{fullData.name}<br>%{customdata.when}<br><b>%{text}</b><extra></extra>",
    )


def _changes(
    series: list[Bar], index: dict[str, int], text: SurveyText
) -> list[dict[str, Any]]:
    """An annotation between each two consecutive bars of a series."""
    notes = []
    for before, after in zip(series, series[1:], strict=False):
        lines = change_lines(before, after, text)
        if lines is None:
            continue
        top = max(before.percent or 0, after.percent or 0)
        notes.append(
            {"x": (index[before.key] + index[after.key]) / 2, "y": top + CHANGE_ABOVE,
             "xref": "x", "yref": "y", "text": "<br>".join(plain(line) for line in lines),
             "showarrow": False, "font": {"size": 12, "color": "#1a1a1a"},
             "bgcolor": "rgba(255,255,255,0.85)", "name": "change"}
        )  # fmt: skip
    return notes


def survey_bars(
    survey: Survey,
    traces: Sequence[ReferenceTrace],
    group_id: int | None,
    text: SurveyText,
) -> go.Figure:
    """Bars of the measured runs and of each published series, on one time-ordered axis."""
    measured = measured_bars(survey)
    published = [published_bars(t) for t in traces]
    ordered = _order([measured, *published])
    index = {b.key: i for i, b in enumerate(ordered)}
    fig = go.Figure()
    for n, (trace, bars) in enumerate(zip(traces, published, strict=True)):
        marker = {"color": PUBLISHED_COLOUR, "line": {"color": "#5a5a5a", "width": 1},
                  "pattern": {"shape": PATTERNS[n % len(PATTERNS)], "fgcolor": "#7f7f7f"}}  # fmt: skip
        custom = [{"reference": trace.line.series_id, "when": plain(label)}
                  for label in _published_whens(trace, text)]  # fmt: skip
        fig.add_trace(_bar_trace(bars, trace.name, marker, custom))
    custom = [
        {"run": p.run_id, "group": group_id or "", "mechanism": survey.mechanism.key,
         "state": ADOPTED, "when": when_label(p.finished_at, text.chart)}
        for p in survey.points
    ]  # fmt: skip
    fig.add_trace(
        _bar_trace(measured, text.measured, {"color": OKABE_ITO["blue"]}, custom)
    )
    annotations = [
        a for bars in [*published, measured] for a in _changes(bars, index, text)
    ]
    fig.update_layout(_survey_layout(fig, ordered, survey, text, annotations))
    return fig


def _published_whens(trace: ReferenceTrace, text: SurveyText) -> list[str]:
    chart = text.chart
    return [
        p.day.strftime(
            chart.month_format if p.precision == "month" else chart.date_format
        )
        for p in trace.line.points
    ]


def _survey_layout(
    fig: go.Figure,
    ordered: list[Bar],
    survey: Survey,
    text: SurveyText,
    annotations: list[dict[str, Any]],
) -> dict[str, Any]:
    ticks = _ticks(ordered, survey, text)
    names = [t.name or "" for t in fig.data]
    per_row = legend_per_row(names)
    tick_lines = max((t.count("<br>") + 1 for t in ticks), default=1)
    bottom = Bottom(tick_lines, False, legend_rows(len(names), per_row))
    layout = base_layout(
        text.chart, bottom, plot_height=SURVEY_PLOT_HEIGHT, per_row=per_row,
        barmode="overlay", bargap=0.35,
        xaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [b.key for b in ordered], "tickmode": "array",
               "tickvals": [b.key for b in ordered], "ticktext": ticks, "tickangle": 0,
               "tickfont": {"size": 12}, "automargin": False},
        yaxis={"title": {"text": plain(text.chart.y_title)}, "range": [0, Y_TOP],
               "tickmode": "array", "tickvals": PERCENT_TICKS,
               "ticktext": [f"{t}%" for t in PERCENT_TICKS],
               "gridcolor": "#e5e5e5"},
    )  # fmt: skip
    layout["annotations"] = [*layout.get("annotations", []), *annotations]
    return layout
