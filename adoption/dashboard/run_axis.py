"""The x axis of a chart over runs: up to ``CATEGORY_RUNS`` runs each get a slot and a tick of
their own (on a date axis, three runs of one day stack on one position under the same date);
more runs sit on a date axis, where their spacing shows the time between them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from adoption.dashboard.chart_layout import CATEGORY_RUNS, Slot, slot_axis
from adoption.dashboard.chart_style import ChartText, plain


def when(moment: dt.datetime | None) -> str | None:
    """A run's time on the chart: local time, as plotly reads dates (no offset)."""
    if moment is None:
        return None
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class RunAxis:
    """The x values of the runs and the axis they sit on: up to ``CATEGORY_RUNS`` runs each
    have a slot of their own (three runs of one day get three ticks), more a date axis."""

    x: list[str | None]
    slots: list[Slot]

    @property
    def categories(self) -> bool:
        return bool(self.slots)

    def axis(self, text: ChartText, extra: Sequence[Slot] = ()) -> dict[str, Any]:
        if not self.categories:
            return date_axis(text)
        unique = {s.key: s for s in [*extra, *self.slots]}
        return slot_axis(list(unique.values()), text.tick_formats, text.x_title)


def run_axis(moments: Sequence[tuple[int, dt.datetime | None]]) -> RunAxis:
    """``moments``: (run id, finished at) per point, oldest first."""
    x = [when(moment) for _, moment in moments]
    if len(moments) > CATEGORY_RUNS or None in x:
        return RunAxis(x, [])
    seen = {key: x.count(key) for key in x}
    keys = [
        f"{k} #{run}" if seen[k] > 1 else k
        for (run, _), k in zip(moments, x, strict=True)
    ]
    slots = [
        Slot(str(key), timezone.localtime(moment), run_id=run)
        for (run, moment), key in zip(moments, keys, strict=True)
        if moment is not None
    ]
    return RunAxis(list(keys), slots)


def when_label(moment: dt.datetime | None, text: ChartText) -> str:
    """A run's date and time as the hover names it."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return (
        f"{local.strftime(text.date_format)} {local.strftime(text.tick_formats.time)}"
    )


def date_axis(text: ChartText) -> dict[str, Any]:
    return {"title": {"text": plain(text.x_title)}, "type": "date", "automargin": False,
            "tickformat": text.date_format, "hoverformat": text.date_format}  # fmt: skip
