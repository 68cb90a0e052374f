"""Plotly figures of the mail-volume figures (``adoption.stats.mail_volume``); no ORM here.

One chart per scope: the messages reported per day or week as pale bars on a right-hand axis,
and the five shares as lines on a 0-100 % axis, so a share always reads against how much mail
stands behind it. Every point carries its numerator, denominator and receivers in
``customdata`` for the hover; there is no domain list behind a share of messages, so a click
opens nothing (``static/js/charts.js`` follows only points with a ``run``).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from adoption.dashboard.chart_layout import Bottom, legend_per_row, legend_rows
from adoption.dashboard.chart_style import OKABE_ITO, ChartText, plain
from adoption.dashboard.figures import base_layout
from adoption.stats.mail_volume import WEEK, VolumeSeries

FIGURE_STYLE = {
    "dmarc_pass": ("blue", "circle", "solid"),
    "spf_aligned_pass": ("sky", "square", "dash"),
    "dkim_aligned_pass": ("orange", "triangle-up", "dash"),
    "quarantined_or_rejected": ("vermillion", "x", "dot"),
    "fail_both": ("purple", "diamond", "dot"),
}
BAR_COLOUR = "#e3e3e3"
DAY_MS = 86_400_000
EVERY_TICK_UP_TO = 14  # points; beyond this plotly's own spacing reads better


def _x(series: VolumeSeries) -> list[str]:
    return [p.start.isoformat() for p in series.points]


def _share_hover(text: ChartText) -> str:
    messages = plain(text.hover.get("messages", "messages"))
    receivers = plain(text.hover.get("receivers", "receivers"))
    return (
        "%{fullData.name}<br>%{customdata.label}<br><b>%{y:.1f}%</b> "
        f"(%{{customdata.numerator}} / %{{customdata.denominator}} {messages}, "
        f"%{{customdata.reporters}} {receivers})<extra></extra>"
    )


def _period_label(series: VolumeSeries, text: ChartText) -> list[str]:
    """What the hover names a point by: the day, or "week of <Monday>"."""
    if series.period != WEEK:
        return [p.start.isoformat() for p in series.points]
    week_of = text.hover.get("week_of", "week of %(day)s")
    return [plain(week_of % {"day": p.start.isoformat()}) for p in series.points]


def _bars(series: VolumeSeries, text: ChartText, labels: list[str]) -> go.Bar:
    receivers = plain(text.hover.get("receivers", "receivers"))
    return go.Bar(
        x=_x(series),
        y=[p.messages for p in series.points],
        name=plain(text.hover.get("messages_name", "messages")),
        marker={"color": BAR_COLOUR},
        customdata=[
            {"label": label, "messages": p.messages, "reporters": p.reporters}
            for p, label in zip(series.points, labels, strict=True)
        ],
        hovertemplate=(
            "%{customdata.label}<br><b>%{y:,}</b> %{fullData.name}, "
            f"%{{customdata.reporters}} {receivers}<extra></extra>"
        ),
    )


def _line(
    key: str, name: str, series: VolumeSeries, text: ChartText, labels: list[str]
) -> go.Scatter:
    colour, symbol, dash = FIGURE_STYLE.get(key, ("grey", "circle", "solid"))
    shares = [p.share(key) for p in series.points]
    return go.Scatter(
        x=_x(series),
        y=[s.percent for s in shares],
        name=plain(name),
        mode="lines+markers",
        yaxis="y2",
        line={"color": OKABE_ITO[colour], "dash": dash, "width": 2},
        marker={"symbol": symbol, "size": 7, "line": {"width": 1, "color": "#333"}},
        customdata=[
            {
                "label": label,
                "figure": key,
                "numerator": s.numerator,
                "denominator": s.denominator,
                "reporters": p.reporters,
            }
            for p, s, label in zip(series.points, shares, labels, strict=True)
        ],  # fmt: skip
        hovertemplate=_share_hover(text),
    )


def volume_over_time(
    series: VolumeSeries, names: dict[str, str], text: ChartText
) -> go.Figure:
    """Messages per day or week (bars, right axis) and each share of them (lines, left
    axis); ``names``: figure key -> translated label, in legend order."""
    labels = _period_label(series, text)
    traces = [_bars(series, text, labels)]
    traces += [_line(key, name, series, text, labels) for key, name in names.items()]
    per_row = legend_per_row([str(t.name) for t in traces])
    bottom = Bottom(
        axis_title=bool(text.x_title), legend_rows=legend_rows(len(traces), per_row)
    )
    layout = base_layout(text, bottom, per_row=per_row, **_axes(series, text))
    # One constructor call: add_trace and update_layout copy the whole figure each time
    # (half of this chart's 100 ms over 90 days, bench/volume_queries.py).
    return go.Figure(data=traces, layout=layout)


def _x_axis(series: VolumeSeries, text: ChartText) -> dict[str, Any]:
    """Dates; one tick per day or week while there are few points (plotly would otherwise
    tick every few hours and repeat each date)."""
    axis: dict[str, Any] = {"title": {"text": plain(text.x_title)}, "type": "date",
                            "tickformat": text.date_format, "hoverformat": text.date_format}  # fmt: skip
    if len(series.points) <= EVERY_TICK_UP_TO:
        axis["dtick"] = (7 if series.period == WEEK else 1) * DAY_MS
    return axis


def _axes(series: VolumeSeries, text: ChartText) -> dict[str, Any]:
    """The messages axis is the first one (right) and the shares' axis overlays it (left), so
    the lines are drawn over the bars."""
    return {
        "xaxis": _x_axis(series, text),
        "yaxis": {"title": {"text": plain(text.hover.get("messages_axis", ""))},
                  "side": "right", "rangemode": "tozero", "showgrid": False},
        # Own ticks (an overlaying axis would otherwise copy the messages axis' ones).
        "yaxis2": {"title": {"text": plain(text.y_title)}, "range": [0, 100],
                   "tickmode": "linear", "tick0": 0, "dtick": 20, "ticksuffix": "%",
                   "gridcolor": "#e5e5e5", "overlaying": "y", "side": "left"},
        "margin": {"l": 60, "r": 70},  # the messages axis' labels on the right
    }  # fmt: skip
