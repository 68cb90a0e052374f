"""Where things go in a chart, in pixels, so that nothing is drawn on top of anything else.

Plotly places the legend and annotations in fractions of the plot area, so a note placed at
"-0.42" lands on the axis title or the legend depending on the chart's height, and a fixed
bottom margin leaves a tall empty band under a short chart. Here every chart is given an exact
height, and the band under the plot is stacked from measured parts, top to bottom: the tick
labels, the axis title, the legend (a fixed number of entries per row, so its height is known
before the browser draws it) and the denominator note (wrapped to a known number of lines).
The note's and the legend's positions are then computed from those heights.

Runs also get their own ticks: a date axis prints the same date under three runs of one day,
so up to ``CATEGORY_RUNS`` runs each get a slot of their own, labelled with the date, the time
when the date repeats, and the run number when even that repeats.
"""

from __future__ import annotations

import datetime as dt
import html
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

TOP = 50  # the title
PLOT_HEIGHT = 340  # the plot area of a chart over time
TICK_LINE = 17  # one line of tick labels (font 13, or 11 on a slot axis)
TICK_GAP = 14  # between the plot and its tick labels, and under them
TITLE_STANDOFF = 6  # px from the tick labels to the axis title (set on every x axis)
AXIS_TITLE = 26
LEGEND_ROW = 22
NOTE_LINE = 15  # one line of the note (font 11)
GAP = 10
BOTTOM_PAD = 8
# The note is wrapped to this width, counted in full-width characters (a Latin letter counts
# half): about 700 px at font 11, within the plot of a 1024 px wide page.
NOTE_WIDTH = 64
LEGEND_FONT = 13  # px per full-width character
LEGEND_SYMBOL = 45  # px: the line sample and the space before the text
LEGEND_ROW_WIDTH = 900  # px: the plot's width on a 1024 px page
NO_LINE_START = set("、。，．）」』】〕！？：；,.)!?:;")
# Up to this many runs, each run has its own slot and tick on the x axis.
CATEGORY_RUNS = 12


@dataclass(frozen=True)
class TickFormats:
    """strftime formats of the tick labels, in the page's language."""

    day: str = "%-d %b"
    month: str = "%b"
    year: str = "%Y"
    time: str = "%H:%M"


@dataclass(frozen=True)
class Bottom:
    """The band under the plot, in lines and rows."""

    tick_lines: int = 1
    axis_title: bool = False
    legend_rows: int = 0
    note_lines: int = 0

    @property
    def ticks(self) -> int:
        return self.tick_lines * TICK_LINE + TICK_GAP

    @property
    def title(self) -> int:
        return AXIS_TITLE if self.axis_title else 0

    @property
    def legend(self) -> int:
        return self.legend_rows * LEGEND_ROW + GAP if self.legend_rows else 0

    @property
    def note(self) -> int:
        return self.note_lines * NOTE_LINE + GAP if self.note_lines else 0

    @property
    def height(self) -> int:
        return self.ticks + self.title + self.legend + self.note + BOTTOM_PAD


def width(text: str) -> float:
    """Display width in full-width characters: a Japanese character 1, a Latin one 0.5."""
    return sum(1 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def _tokens(text: str) -> list[str]:
    """Words of Latin text (kept whole) and single full-width characters."""
    tokens: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in "WF"
        joins = tokens and tokens[-1] != " " and tokens[-1][-1:].isascii()
        if joins and not wide and char != " ":
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def wrap(text: str, limit: float = NOTE_WIDTH) -> list[str]:
    """Lines of at most ``limit`` full-width characters (plotly never wraps text itself);
    a line break in ``text`` starts a new line."""
    return [line for part in text.splitlines() for line in _wrap_line(part, limit)]


# Every chart wraps its note, which is one of a few translated texts; measuring the line
# again for each character added made this 2-3 ms a chart, so each text is wrapped once per
# process (docs/benchmarks.md, "100,000 domains × 52 runs").
@lru_cache(maxsize=256)
def _wrap_line(text: str, limit: float) -> tuple[str, ...]:
    lines: list[str] = []
    line = ""
    for piece in _tokens(text):
        # A closing mark never starts a line (Japanese line breaking rules, JIS X 4051).
        if line and width(line + piece) > limit and piece not in NO_LINE_START:
            lines.append(line.rstrip())
            line = "" if piece == " " else piece
        else:
            line += piece
    if line.strip():
        lines.append(line.rstrip())
    return tuple(lines)


def note_markup(lines: Sequence[str]) -> str:
    """The note's lines as plotly text: each escaped, joined by line breaks."""
    return "<br>".join(html.escape(line, quote=True) for line in lines)


def legend_rows(entries: int, per_row: int) -> int:
    return -(-entries // per_row) if entries else 0


def legend_per_row(labels: Sequence[str]) -> int:
    """Entries per legend row: as many as fit the longest label in the plot of a 1024 px wide
    page, at most three. A fixed count makes the legend's height known in advance."""
    longest = (
        max((width(label) for label in labels), default=0) * LEGEND_FONT + LEGEND_SYMBOL
    )
    return max(1, min(3, int(LEGEND_ROW_WIDTH // longest)))


@dataclass(frozen=True)
class Placement:
    layout: dict[str, Any]  # height, margins and legend
    note_y: float  # the note's top, in fractions of the plot area's height (negative: below)


def place(bottom: Bottom, plot_height: int, per_row: int) -> Placement:
    """The layout keys that put the band's parts where ``bottom`` counted them."""
    height = TOP + plot_height + bottom.height
    layout: dict[str, Any] = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": TOP, "b": bottom.height, "autoexpand": False},
    }
    if bottom.legend_rows:
        above_legend = bottom.ticks + bottom.title
        layout["legend"] = {
            "orientation": "h", "x": 0, "xanchor": "left", "yref": "container",
            "y": (height - TOP - plot_height - above_legend) / height, "yanchor": "top",
            "entrywidth": 1 / per_row, "entrywidthmode": "fraction",
            "traceorder": "normal", "valign": "middle",
        }  # fmt: skip
    above_note = bottom.ticks + bottom.title + bottom.legend
    return Placement(layout, -above_note / plot_height)


@dataclass(frozen=True)
class Slot:
    """One x position: a run (``moment``) or a published figure's date (``day``)."""

    key: str  # the x value of the points in this slot
    moment: dt.datetime | None = None
    day: dt.date | None = None
    month_only: bool = False
    run_id: int | None = None


def slot_labels(slots: Sequence[Slot], formats: TickFormats) -> list[str]:
    """Tick labels, one per slot, all different: date and year; the time when two runs share
    a date; the run number when they also share the minute."""
    days = Counter(s.moment.date() for s in slots if s.moment is not None)
    labels: list[list[str]] = []
    for s in slots:
        if s.moment is not None:
            lines = [s.moment.strftime(formats.day), s.moment.strftime(formats.year)]
            if days[s.moment.date()] > 1:
                lines.insert(1, s.moment.strftime(formats.time))
        else:
            day = s.day or dt.date.min
            head = formats.month if s.month_only else formats.day
            lines = [day.strftime(head), day.strftime(formats.year)]
        labels.append(lines)
    texts = ["<br>".join(lines) for lines in labels]
    repeated = {t for t, n in Counter(texts).items() if n > 1}
    return [
        f"{t}<br>#{s.run_id}" if t in repeated and s.run_id is not None else t
        for t, s in zip(texts, slots, strict=True)
    ]


def slot_axis(
    slots: Sequence[Slot], formats: TickFormats, title: str
) -> dict[str, Any]:
    """A category axis with one tick per slot, in time order."""
    ordered = sorted(slots, key=lambda s: s.key)
    return {
        "type": "category",
        "title": {"text": html.escape(title, quote=True)},
        "categoryorder": "array",
        "categoryarray": [s.key for s in ordered],
        "tickmode": "array",
        "tickvals": [s.key for s in ordered],
        "ticktext": slot_labels(ordered, formats),
        "tickfont": {"size": 11},
        "tickangle": 0,
        "automargin": False,
    }


def tick_lines(axis: dict[str, Any]) -> int:
    texts = axis.get("ticktext") or [""]
    return max(str(t).count("<br>") + 1 for t in texts)
