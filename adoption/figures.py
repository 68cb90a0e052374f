"""Plotly figures from the plain dataclasses of ``stats`` and ``stats_breakdowns``; no ORM here.

Every text is passed in already translated. Every point and bar carries, in ``customdata``, the
query of the domain list behind it (``run``, ``group``, ``mechanism`` and ``state``, or
``facet`` and ``value``); ``static/js/charts.js`` turns a click into that list. Text that comes
from data (group and organisation names, SPF include targets, survey names) is HTML-escaped:
plotly reads ``<a href>`` and friends in labels, and DNS text is hostile.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies; lines also
differ by marker symbol and dash, so the chart still reads in grey print.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from django.utils import timezone

from .stats import ADOPTED, RunAdoption
from .stats_breakdowns import Bucket, Distribution, Providers, ScopeFigure
from .stats_overview import ReferenceLine

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#7F7F7F",
}
MECHANISM_STYLE = {
    "spf_published": ("sky", "circle", "solid"),
    "spf_valid": ("blue", "square", "solid"),
    "spf_strict": ("green", "diamond", "solid"),
    "dkim": ("orange", "triangle-up", "solid"),
    "dmarc_published": ("purple", "cross", "solid"),
    "dmarc_valid": ("vermillion", "x", "solid"),
    "dmarc_enforcing": ("black", "star", "solid"),
    "null_mx": ("yellow", "triangle-down", "solid"),
    "adsp": ("grey", "pentagon", "dash"),
    "sender_id": ("grey", "hexagon", "dot"),
}
CATEGORY_COLOURS = {
    "reject": "green", "quarantine": "sky", "none": "orange", "no_policy": "grey",
    "-all": "green", "~all": "sky", "?all": "orange", "+all": "vermillion",
    "missing": "purple", "no_valid_spf": "grey",
}  # fmt: skip
FONT = 'system-ui, "Hiragino Sans", "Noto Sans JP", "Yu Gothic", sans-serif'
LABELLED_POINTS = 12  # up to this many runs, every point shows its value (survey style)


@dataclass(frozen=True)
class ChartText:
    """The translated words of one chart."""

    title: str
    note: str = ""  # under the plot, kept in the PNG download: the denominator
    x_title: str = ""
    y_title: str = ""
    date_format: str = "%Y-%m-%d"  # d3 time format for the date axis
    hover: dict[str, str] = field(default_factory=dict)  # words used in hover labels


def plain(text: str) -> str:
    """Data text for a plotly label: escaped, so it shows as written and never as markup."""
    return html.escape(text, quote=True)


def _when(moment: dt.datetime | None) -> str | None:
    """A run's time on the chart: local time, as plotly reads dates (no offset)."""
    if moment is None:
        return None
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _layout(text: ChartText, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "title": {"text": plain(text.title), "x": 0, "xanchor": "left"},
        "font": {"family": FONT, "size": 13},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 110},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "closest",
        "xaxis": {"title": {"text": plain(text.x_title)}},
        "yaxis": {"title": {"text": plain(text.y_title)}, "gridcolor": "#e5e5e5"},
    }
    if text.note:
        layout["annotations"] = [
            {"text": plain(text.note), "xref": "paper", "yref": "paper", "x": 0,
             "y": -0.42, "showarrow": False, "xanchor": "left", "align": "left",
             "font": {"size": 11, "color": "#5a5a5a"}}
        ]  # fmt: skip
    layout.update(extra)
    return layout


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _percent_axis(title: str) -> dict[str, Any]:
    return {"title": {"text": plain(title)}, "range": [0, 100], "ticksuffix": "%",
            "gridcolor": "#e5e5e5"}  # fmt: skip


def _date_axis(text: ChartText) -> dict[str, Any]:
    return {"title": {"text": plain(text.x_title)}, "type": "date",
            "tickformat": text.date_format, "hoverformat": text.date_format}  # fmt: skip


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
) -> go.Scatter:
    colour, symbol, dash = MECHANISM_STYLE.get(key, ("grey", "circle", "solid"))
    figures = [p.figures[key] for p in series]
    labelled = len(series) <= LABELLED_POINTS
    return go.Scatter(
        x=[_when(p.finished_at) for p in series],
        y=[f.percent for f in figures],
        name=plain(name),
        mode="lines+markers+text" if labelled else "lines+markers",
        text=[_percent_text(f.percent) for f in figures] if labelled else None,
        textposition="top center",
        line={"color": OKABE_ITO[colour], "dash": dash, "width": 2},
        marker={"symbol": symbol, "size": 8, "line": {"width": 1, "color": "#333"}},
        visible="legendonly" if hidden else True,
        customdata=[
            {
                "run": p.run_id,
                "mechanism": key,
                "state": ADOPTED,
                "group": group_id or "",
                "numerator": f.numerator,
                "denominator": f.denominator,
                "unknown": f.unknown,
            }
            for p, f in zip(series, figures, strict=True)
        ],  # fmt: skip
        hovertemplate=_figure_hover(text, "%{fullData.name}<br>%{x}", "%{y:.1f}%"),
    )


def adoption_over_time(
    series: Sequence[RunAdoption],
    names: dict[str, str],
    historic: set[str],
    group_id: int | None,
    text: ChartText,
    references: Sequence[ReferenceLine] = (),
    reference_names: dict[int, str] | None = None,
) -> go.Figure:
    """One line per mechanism (``names``: key -> translated label, in legend order), adoption
    % per run; historic mechanisms start hidden; survey figures as dotted labelled lines."""
    fig = go.Figure()
    for key, name in names.items():
        fig.add_trace(
            _mechanism_line(key, name, series, group_id, key in historic, text)
        )
    for line in references:
        name = (reference_names or {}).get(line.series_id, line.name)
        _add_reference(fig, line, name)
    fig.update_layout(
        _layout(text, yaxis=_percent_axis(text.y_title), xaxis=_date_axis(text))
    )
    return fig


def _add_reference(fig: go.Figure, line: ReferenceLine, name: str) -> None:
    colour = MECHANISM_STYLE.get(line.mechanism, ("grey",))[0]
    fig.add_trace(
        go.Scatter(
            x=[p.day.isoformat() for p in line.points],
            y=[p.percent for p in line.points],
            name=plain(name),
            mode="lines+markers+text",
            text=[_percent_text(p.percent) for p in line.points],
            textposition="bottom center",
            line={"color": OKABE_ITO[colour], "dash": "dot", "width": 2},
            marker={"symbol": "diamond-open", "size": 10},
            customdata=[{"reference": line.series_id} for _ in line.points],
            hovertemplate="%{fullData.name}<br>%{x}<br><b>%{y:.1f}%</b><extra></extra>",
        )
    )


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
        _layout(
            text,
            height=max(300, 60 + 28 * len(rows)),
            showlegend=False,
            xaxis={**_percent_axis(text.x_title), "range": [0, 105]},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return fig


def distribution_over_time(
    points: Sequence[Distribution],
    categories: Sequence[tuple[str, str]],
    facet: str,
    group_id: int | None,
    text: ChartText,
) -> go.Figure:
    """Stacked bars per run: each category's share of the measured domains."""
    fig = go.Figure()
    x = [_when(p.finished_at) for p in points]
    for key, name in categories:
        fig.add_trace(
            go.Bar(
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
                    }
                    for p in points
                ],  # fmt: skip
                hovertemplate=(
                    "%{fullData.name}<br>%{x}<br><b>%{y:.1f}%</b> "
                    "(%{customdata.count} / %{customdata.population})<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        _layout(
            text,
            barmode="stack",
            yaxis=_percent_axis(text.y_title),
            xaxis=_date_axis(text),
        )
    )
    return fig


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
            customdata=[
                {
                    "run": run_id,
                    "group": group_id or "",
                    "facet": "spf_lookups",
                    "value": b.key,
                }
                for b in buckets
            ],  # fmt: skip
            hovertemplate="%{x}: <b>%{y}</b><extra></extra>",
        )
    )
    fig.update_layout(
        _layout(
            text,
            showlegend=False,
            xaxis={"title": {"text": plain(text.x_title)}, "type": "category"},
            **_limit_marker(limit, text),
        )
    )
    return fig


def _limit_marker(limit: int, text: ChartText) -> dict[str, Any]:
    """A dashed line between the last bar within the limit and the first over it."""
    x = limit + 0.5
    colour = OKABE_ITO["vermillion"]
    label = {"text": plain(text.hover.get("limit", "limit")), "xref": "x", "yref": "paper",
             "x": x, "y": 1, "showarrow": False, "xanchor": "right", "font": {"color": colour}}  # fmt: skip
    return {
        "shapes": [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x,
                    "y0": 0, "y1": 1, "line": {"color": colour, "dash": "dash"}}],
        "annotations": [*_layout(text).get("annotations", []), label],
    }  # fmt: skip


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
            customdata=[
                {
                    "run": run_id,
                    "group": group_id or "",
                    "facet": "spf_include",
                    "value": p.domain,
                }
                for p in rows
            ],  # fmt: skip
            hovertemplate="%{y}: <b>%{x}</b><extra></extra>",
        )
    )
    fig.update_layout(
        _layout(
            text,
            height=max(300, 60 + 28 * len(rows)),
            showlegend=False,
            xaxis={"title": {"text": plain(text.x_title)}, "gridcolor": "#e5e5e5"},
            yaxis={"autorange": "reversed", "automargin": True},
        )
    )
    return fig
