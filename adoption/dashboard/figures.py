"""Plotly figures from the plain dataclasses of ``adoption.stats``; no ORM here.

Every text is passed in already translated. Every point and bar carries, in ``customdata``, the
query of the domain list behind it (``run``, ``group``, ``mechanism`` and ``state``, or
``facet`` and ``value``); ``static/js/charts.js`` turns a click into that list. Text that comes
from data (group and organisation names, SPF include targets, survey names) is HTML-escaped:
plotly reads ``<a href>`` and friends in labels, and DNS text is hostile.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies; lines also
differ by marker symbol and dash, so the chart still reads in grey print. Published survey
figures are dashed, with open markers and their publisher in the legend. Heights, margins and
the places of the legend and the denominator note come from ``chart_layout``, so none of them
is drawn over another.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import plotly.graph_objects as go

from adoption.dashboard.chart_layout import (
    PLOT_HEIGHT,
    TITLE_STANDOFF,
    Bottom,
    Slot,
    legend_per_row,
    legend_rows,
    note_markup,
    place,
    tick_lines,
    wrap,
)

# The look and the words of a chart are re-exported: chart modules build on this one.
from adoption.dashboard.chart_style import (
    CATEGORY_COLOURS,
    FONT,
    MECHANISM_STYLE,
)
from adoption.dashboard.chart_style import OKABE_ITO as OKABE_ITO
from adoption.dashboard.chart_style import ChartText as ChartText
from adoption.dashboard.chart_style import ReferenceTrace as ReferenceTrace
from adoption.dashboard.chart_style import plain as plain
from adoption.dashboard.reference_figures import reference_line, reference_slots
from adoption.dashboard.run_axis import run_axis, when_label
from adoption.stats.breakdowns import (
    Bucket,
    Distribution,
    Providers,
    ScopeFigure,
)
from adoption.stats.counts import RunAdoption
from adoption.stats.mechanisms import ADOPTED

LABELLED_POINTS = 12  # up to this many runs, every point shows its value (survey style)

# The overview's chart is written as the plain dict plotly.js reads, not through
# ``plotly.graph_objects``, where every property is validated as it is set and ``to_dict``
# deep-copies the figure: for 10 lines × 52 runs that took 87-91 ms (0.3-0.4 s under heavier
# load), half of the page's time; by hand it takes 4 ms (docs/benchmarks.md, "100,000 domains
# × 52 runs"). tests/adoption/dashboard/test_overview_figure.py has plotly validate the dict
# and checks that plotly writes it back unchanged, so the two cannot drift. The other charts
# have fewer points and stay plotly figures.
FigureDict = dict[str, Any]
# What plotly writes for ``template="none"`` (the test checks it). Written out, not read from
# ``plotly.io.templates``: loading that builds plotly objects, 0.2 s when a process starts.
_NO_TEMPLATE: dict[str, Any] = {"data": {"scatter": [{"type": "scatter"}]}}


def base_layout(
    text: ChartText,
    bottom: Bottom | None = None,
    plot_height: int = PLOT_HEIGHT,
    per_row: int = 3,
    **extra: Any,
) -> dict[str, Any]:
    """The common layout. ``bottom`` counts the band under the plot without the note (by
    default: one line of ticks, the axis title if there is one, two legend rows); a ``margin``
    in ``extra`` may set the left and right margins only."""
    lines = wrap(text.note) if text.note else []
    default = Bottom(axis_title=bool(text.x_title), legend_rows=2)
    bottom = replace(bottom or default, note_lines=len(lines))
    placed = place(bottom, plot_height, per_row)
    layout: dict[str, Any] = {
        "template": "none",
        "title": {"text": plain(text.title), "x": 0, "xanchor": "left"},
        "font": {"family": FONT, "size": 13},
        "hovermode": "closest",
        "xaxis": {"title": {"text": plain(text.x_title)}, "automargin": False},
        "yaxis": {"title": {"text": plain(text.y_title)}, "gridcolor": "#e5e5e5"},
        **placed.layout,
        # Plotly hides the legend of a lone trace: the band counted for it would stay empty.
        "showlegend": bottom.legend_rows > 0,
    }
    if lines:
        layout["annotations"] = [
            {"text": note_markup(lines), "xref": "paper", "yref": "paper", "x": 0,
             "y": placed.note_y, "yanchor": "top", "showarrow": False, "xanchor": "left",
             "align": "left", "font": {"size": 11, "color": "#5a5a5a"}, "name": "note"}
        ]  # fmt: skip
    sides = extra.pop("margin", {})
    layout["margin"].update({k: v for k, v in sides.items() if k in ("l", "r")})
    layout.update(extra)
    title = layout["xaxis"].setdefault("title", {})
    title["standoff"] = TITLE_STANDOFF  # the band's count assumes it
    return layout


def _legend(fig: go.Figure) -> tuple[int, int]:
    """Legend rows and entries per row for the figure's traces."""
    return _legend_of([t.name or "" for t in fig.data if t.showlegend is not False])


def _legend_of(names: Sequence[str]) -> tuple[int, int]:
    """Legend rows and entries per row for traces of these legend names."""
    per_row = legend_per_row(names)
    return legend_rows(len(names), per_row), per_row


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _percent_axis(title: str) -> dict[str, Any]:
    return {"title": {"text": plain(title)}, "range": [0, 100], "ticksuffix": "%",
            "gridcolor": "#e5e5e5"}  # fmt: skip


def _figure_hover(text: ChartText, name: str, value: str) -> str:
    """Hover text of a percentage with its numerator, denominator and unknown count."""
    unknown = plain(text.hover.get("unknown", "unknown"))
    return (
        f"{name}<br><b>{value}</b> (%{{customdata.numerator}} / "
        f"%{{customdata.denominator}}, {unknown} %{{customdata.unknown}})<extra></extra>"
    )


def _mechanism_line(
    key: str,
    name: str,
    series: Sequence[RunAdoption],
    group_id: int | None,
    hidden: bool,
    text: ChartText,
    x: Sequence[str | None],
    whens: Sequence[str],
) -> dict[str, Any]:
    """One mechanism's line as a plotly.js trace (``FigureDict``); ``whens``: each run's
    date and time as the hover names it (``when_label``, the same for every line)."""
    colour, symbol, dash = MECHANISM_STYLE.get(key, ("grey", "circle", "solid"))
    figures = [p.figures[key] for p in series]
    labelled = len(series) <= LABELLED_POINTS
    line: dict[str, Any] = {
        "type": "scatter",
        "x": list(x),
        "y": [f.percent for f in figures],
        "name": plain(name),
        "mode": "lines+markers+text" if labelled else "lines+markers",
        "textposition": "top center",
        "line": {"color": OKABE_ITO[colour], "dash": dash, "width": 2},
        "marker": {"symbol": symbol, "size": 8, "line": {"width": 1, "color": "#333"}},
        "visible": "legendonly" if hidden else True,
        "customdata": [
            {
                "run": p.run_id,
                "mechanism": key,
                "state": ADOPTED,
                "group": group_id or "",
                "numerator": f.numerator,
                "denominator": f.denominator,
                "unknown": f.unknown,
                "when": when,
            }
            for p, f, when in zip(series, figures, whens, strict=True)
        ],  # fmt: skip
        "hovertemplate": _figure_hover(
            text, "%{fullData.name}<br>%{customdata.when}", "%{y:.1f}%"
        ),
    }
    if labelled:  # plotly leaves out a property that is not set
        line["text"] = [_percent_text(f.percent) for f in figures]
    return line


def adoption_over_time(
    series: Sequence[RunAdoption],
    names: dict[str, str],
    historic: set[str],
    group_id: int | None,
    text: ChartText,
    references: Sequence[ReferenceTrace] = (),
) -> FigureDict:
    """One line per mechanism (``names``: key -> translated label, in legend order), adoption
    % per run; historic mechanisms start hidden; published series as dashed labelled lines.
    The figure is the dict plotly.js reads, written by hand (``FigureDict``)."""
    runs = run_axis([(p.run_id, p.finished_at) for p in series])
    whens = [when_label(p.finished_at, text) for p in series]
    traces = [
        _mechanism_line(
            key, name, series, group_id, key in historic, text, runs.x, whens
        )
        for key, name in (names.items() if series else ())  # no run yet: published only
    ]
    slots: list[Slot] = []
    drawn: list[str] = []  # the mechanisms of the published series drawn so far
    for trace in references:
        variant = drawn.count(trace.line.mechanism)
        traces.append(reference_line(trace, text, variant))
        drawn.append(trace.line.mechanism)
        slots += reference_slots(trace)
    xaxis = runs.axis(text, slots)
    rows, per_row = _legend_of(
        [t.get("name") or "" for t in traces if t.get("showlegend") is not False]
    )
    bottom = Bottom(tick_lines(xaxis), bool(text.x_title), rows)
    layout = base_layout(text, bottom, per_row=per_row, yaxis=_percent_axis(text.y_title),
                         xaxis=xaxis)  # fmt: skip
    layout["template"] = copy.deepcopy(_NO_TEMPLATE)
    return {"data": traces, "layout": layout}


def scope_bars(
    rows: Sequence[ScopeFigure],
    labels: Sequence[str],
    query: Sequence[dict[str, Any]],
    text: ChartText,
) -> go.Figure:
    """Horizontal bars of adoption % (groups or organisations); ``labels`` are the bars'
    names in the page's language and ``query`` each bar's domain-list query."""
    percents = [r.figure.percent for r in rows]
    fig = go.Figure(
        go.Bar(
            x=[p if p is not None else 0 for p in percents],
            y=[plain(label) for label in labels],
            orientation="h",
            marker={"color": OKABE_ITO["blue"]},
            text=[_percent_text(p) for p in percents],
            textposition="outside",
            cliponaxis=False,
            customdata=[
                {
                    **q,
                    "numerator": r.figure.numerator,
                    "denominator": r.figure.denominator,
                    "unknown": r.figure.unknown,
                }
                for r, q in zip(rows, query, strict=True)
            ],  # fmt: skip
            hovertemplate=_figure_hover(text, "%{y}", "%{x:.1f}%"),
        )
    )
    fig.update_layout(
        base_layout(
            text,
            _NO_LEGEND,
            plot_height=_bars_height(len(rows)),
            showlegend=False,
            xaxis={
                **_percent_axis(text.x_title),
                "range": [0, 105],
                "automargin": False,
            },
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return fig


# Horizontal bars: one ticks line and the axis title under the plot, no legend.
_NO_LEGEND = Bottom(tick_lines=1, axis_title=True)
BAR_HEIGHT = 28  # px per horizontal bar


def _bars_height(bars: int) -> int:
    return max(3, bars) * BAR_HEIGHT + 20


def distribution_over_time(
    points: Sequence[Distribution],
    categories: Sequence[tuple[str, str]],
    facet: str,
    group_id: int | None,
    text: ChartText,
) -> go.Figure:
    """Stacked bars per run: each category's share of the measured domains."""
    runs = run_axis([(p.run_id, p.finished_at) for p in points])
    fig = go.Figure(
        [_category_bars(key, name, points, runs.x, facet, group_id, text)
         for key, name in categories]
    )  # fmt: skip
    xaxis = runs.axis(text)
    rows, per_row = _legend(fig)
    fig.update_layout(
        base_layout(
            text,
            Bottom(tick_lines(xaxis), bool(text.x_title), rows),
            per_row=per_row,
            barmode="stack",
            yaxis=_percent_axis(text.y_title),
            xaxis=xaxis,
        )
    )
    return fig


def _category_bars(
    key: str,
    name: str,
    points: Sequence[Distribution],
    x: list[str | None],
    facet: str,
    group_id: int | None,
    text: ChartText,
) -> go.Bar:
    """One category's bars, a click on one listing its domains in that run."""
    return go.Bar(
        x=x,
        y=[p.percent(key) for p in points],
        name=plain(name),
        marker={"color": OKABE_ITO[CATEGORY_COLOURS.get(key, "grey")]},
        customdata=[
            {
                "run": p.run_id,
                "group": group_id or "",
                "facet": facet,
                "value": key,
                "count": p.counts.get(key, 0),
                "population": p.population,
                "when": when_label(p.finished_at, text),
            }
            for p in points
        ],
        hovertemplate=(
            "%{fullData.name}<br>%{customdata.when}<br><b>%{y:.1f}%</b> "
            "(%{customdata.count} / %{customdata.population})<extra></extra>"
        ),
    )


def _facet_points(
    run_id: int, group_id: int | None, facet: str, values: Sequence[str]
) -> list[dict[str, Any]]:
    """What a click on a bar of one run lists (``static/js/charts.js``): the domains of the
    run and scope with that facet value."""
    return [
        {"run": run_id, "group": group_id or "", "facet": facet, "value": value}
        for value in values
    ]


def lookup_histogram(
    buckets: Sequence[Bucket],
    labels: Sequence[str],
    run_id: int,
    group_id: int | None,
    limit: int,
    text: ChartText,
) -> go.Figure:
    """Domains per worst-case SPF lookup count; the bar over the limit stands out."""
    colours = [
        OKABE_ITO["vermillion"] if b.over_limit else OKABE_ITO["blue"] for b in buckets
    ]
    fig = go.Figure(
        go.Bar(
            x=[plain(label) for label in labels],
            y=[b.count for b in buckets],
            marker={"color": colours},
            text=[str(b.count) for b in buckets],
            textposition="outside",
            cliponaxis=False,
            customdata=_facet_points(
                run_id, group_id, "spf_lookups", [b.key for b in buckets]
            ),
            hovertemplate="%{x}: <b>%{y}</b><extra></extra>",
        )
    )
    layout = base_layout(
        text,
        _NO_LEGEND,
        showlegend=False,
        xaxis={"title": {"text": plain(text.x_title)}, "type": "category",
               "automargin": False},
    )  # fmt: skip
    _limit_marker(layout, limit, text)
    fig.update_layout(layout)
    return fig


def _limit_marker(layout: dict[str, Any], limit: int, text: ChartText) -> None:
    """A dashed line between the last bar within the limit and the first over it."""
    x = limit + 0.5
    colour = OKABE_ITO["vermillion"]
    label = {"text": plain(text.hover.get("limit", "limit")), "xref": "x", "yref": "paper",
             "x": x, "y": 1, "showarrow": False, "xanchor": "right", "font": {"color": colour}}  # fmt: skip
    layout["shapes"] = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x,
                         "y0": 0, "y1": 1, "line": {"color": colour, "dash": "dash"}}]  # fmt: skip
    layout["annotations"] = [*layout.get("annotations", []), label]


def provider_bars(
    providers: Providers, run_id: int, group_id: int | None, text: ChartText
) -> go.Figure:
    """Domains per SPF include/redirect target, most used first."""
    rows = providers.providers
    fig = go.Figure(
        go.Bar(
            x=[p.count for p in rows],
            y=[plain(p.domain) for p in rows],
            orientation="h",
            marker={"color": OKABE_ITO["green"]},
            text=[str(p.count) for p in rows],
            textposition="outside",
            cliponaxis=False,
            customdata=_facet_points(
                run_id, group_id, "spf_include", [p.domain for p in rows]
            ),
            hovertemplate="%{y}: <b>%{x}</b><extra></extra>",
        )
    )
    fig.update_layout(
        base_layout(
            text,
            _NO_LEGEND,
            plot_height=_bars_height(len(rows)),
            showlegend=False,
            xaxis={"title": {"text": plain(text.x_title)}, "gridcolor": "#e5e5e5",
                   "automargin": False},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )  # fmt: skip
    return fig
