"""Names and dates in the page's language, for charts, tables and the API.

The formats are strftime's and also d3's (plotly formats its date axis with them): both read
``%Y``, ``%-m``, ``%-d``, ``%b`` and ``%H:%M`` the same way.
"""

from __future__ import annotations

from django.utils.translation import get_language, pgettext_lazy

from adoption.dashboard.chart_layout import TickFormats

DATE_FORMATS = {"ja": "%Y年%-m月%-d日", "en": "%-d %b %Y"}
MONTH_FORMATS = {"ja": "%Y年%-m月", "en": "%b %Y"}
TICK_FORMATS = {
    "ja": TickFormats(day="%-m月%-d日", month="%-m月", year="%Y年", time="%H:%M"),
    "en": TickFormats(day="%-d %b", month="%b", year="%Y", time="%H:%M"),
}


def _language() -> str:
    language = get_language() or "ja"
    return language if language in DATE_FORMATS else "ja"


def localised(name: str, name_en: str) -> str:
    """A name in the page's language (English only where one was given)."""
    return name_en if get_language() == "en" and name_en else name


def date_format() -> str:
    return DATE_FORMATS[_language()]


def month_format() -> str:
    return MONTH_FORMATS[_language()]


def tick_formats() -> TickFormats:
    return TICK_FORMATS[_language()]


# plotly.js's own words on our charts (the toolbar's tooltips, the double-click hint), by its
# English text, which is the key of a plotly.js locale dictionary.
PLOTLY_WORDS = {
    "Download plot as a PNG": pgettext_lazy("chart toolbar", "Download plot as a PNG"),
    "Zoom": pgettext_lazy("chart toolbar", "Zoom"),
    "Pan": pgettext_lazy("chart toolbar", "Pan"),
    "Box Select": pgettext_lazy("chart toolbar", "Box Select"),
    "Zoom in": pgettext_lazy("chart toolbar", "Zoom in"),
    "Zoom out": pgettext_lazy("chart toolbar", "Zoom out"),
    "Autoscale": pgettext_lazy("chart toolbar", "Autoscale"),
    "Reset axes": pgettext_lazy("chart toolbar", "Reset axes"),
    "Toggle Spike Lines": pgettext_lazy("chart toolbar", "Toggle Spike Lines"),
    "Show closest data on hover": pgettext_lazy(
        "chart toolbar", "Show closest data on hover"
    ),
    "Compare data on hover": pgettext_lazy("chart toolbar", "Compare data on hover"),
    "Double-click to zoom back out": pgettext_lazy(
        "chart toolbar", "Double-click to zoom back out"
    ),
}


def plotly_dictionary() -> dict[str, str]:
    """plotly.js's words in the page's language (``static/js/charts.js`` registers them as a
    locale); empty in English, plotly.js's own."""
    if get_language() == "en":
        return {}
    return {text: str(words) for text, words in PLOTLY_WORDS.items()}
