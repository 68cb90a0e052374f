"""A published survey series drawn on a chart of measured runs: dashed (dash-dot for a share
of received mail), open markers, every value labelled as published, and no domain list behind
it (``customdata`` has no ``run``, so a click opens nothing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from adoption.dashboard.chart_layout import Slot
from adoption.dashboard.chart_style import (
    MECHANISM_STYLE,
    OKABE_ITO,
    ChartText,
    ReferenceTrace,
    plain,
)


def reference_when(day: dt.date, month_only: bool, text: ChartText) -> str:
    return day.strftime(text.month_format if month_only else text.date_format)


# Two published series of one mechanism share its colour: they differ by dash and marker.
DASHES = ("dash", "longdash", "dot")
MARKERS = ("diamond-open", "circle-open", "triangle-up-open")
MAIL_MARKERS = ("square-open", "star-open", "hexagon-open")


def reference_line(
    trace: ReferenceTrace, text: ChartText, variant: int = 0
) -> dict[str, Any]:
    """Dashed (dash-dot for a share of received mail), open markers, every value labelled;
    no ``run`` in customdata: there is no domain list behind a published figure.
    ``variant``: how many series of the same mechanism are drawn before this one. A plotly.js
    trace as a plain dict, like the overview's lines (``adoption.dashboard.figures``)."""
    line = trace.line
    colour = MECHANISM_STYLE.get(line.mechanism, ("grey",))[0]
    mail = line.is_mail_share
    dash = "dashdot" if mail else DASHES[variant % len(DASHES)]
    symbol = (MAIL_MARKERS if mail else MARKERS)[variant % len(MARKERS)]
    return {
        "type": "scatter",
        "x": [p.day.isoformat() for p in line.points],
        "y": [p.percent for p in line.points],
        "name": plain(trace.name),
        "mode": "lines+markers+text",
        "text": [f"{p.published}%" for p in line.points],
        "textposition": "bottom center",
        "line": {"color": OKABE_ITO[colour], "dash": dash, "width": 2},
        "marker": {"symbol": symbol, "size": 10,
                   "line": {"width": 2, "color": OKABE_ITO[colour]}},
        "customdata": [
            {"reference": line.series_id, "detail": plain(trace.detail),
             "when": plain(reference_when(p.day, p.precision == "month", text))}
            for p in line.points
        ],
        "hovertemplate": (
            "%{fullData.name}<br>%{customdata.when}<br><b>%{text}</b><br>"
            "%{customdata.detail}<extra></extra>"
        ),
    }  # fmt: skip


def reference_slots(trace: ReferenceTrace) -> list[Slot]:
    """The x positions of a series' figures, for an axis with a slot per date."""
    return [
        Slot(p.day.isoformat(), day=p.day, month_only=p.precision == "month")
        for p in trace.line.points
    ]
