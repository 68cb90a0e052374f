"""The look every chart shares: the colour palette, each mechanism's line style, the font,
and the translated words of a chart (``ChartText``); no plotly objects here.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies; lines also
differ by marker symbol and dash, so a chart still reads in grey print.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from adoption.dashboard.chart_layout import TickFormats
from adoption.stats.references import ReferenceLine

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


@dataclass(frozen=True)
class ChartText:
    """The translated words of one chart."""

    title: str
    note: str = ""  # under the plot, kept in the PNG download: the denominator
    x_title: str = ""
    y_title: str = ""
    date_format: str = "%Y-%m-%d"  # d3 time format for the date axis (and strftime's)
    month_format: str = "%b %Y"  # a survey that names only its month
    tick_formats: TickFormats = field(default_factory=TickFormats)
    hover: dict[str, str] = field(default_factory=dict)  # words used in hover labels


@dataclass(frozen=True)
class ReferenceTrace:
    """A published series as drawn; its words already translated."""

    line: ReferenceLine
    name: str  # the legend's: publisher and series name
    detail: str  # the hover's: the population counted, and how


def plain(text: str) -> str:
    """Data text for a plotly label: escaped, so it shows as written and never as markup."""
    return html.escape(text, quote=True)
