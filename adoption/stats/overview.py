"""The overview page's figures: headlines of the latest run with their changes (since the
previous run and since a chosen date) and the series of a period. The published survey figures
drawn beside them are in ``adoption.stats.references``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from adoption.models import Group
from adoption.stats.counts import Figure, RunAdoption, adoption_by_run
from adoption.stats.mechanisms import MECHANISMS, Mechanism


@dataclass(frozen=True)
class Headline:
    mechanism: Mechanism
    figure: Figure
    previous: Figure | None
    since: Figure | None

    @staticmethod
    def _change(now: Figure, then: Figure | None) -> float | None:
        if then is None or now.percent is None or then.percent is None:
            return None
        return round(now.percent - then.percent, 1)

    @property
    def change_previous(self) -> float | None:
        return self._change(self.figure, self.previous)

    @property
    def change_since(self) -> float | None:
        return self._change(self.figure, self.since)


@dataclass(frozen=True)
class Overview:
    series: list[RunAdoption]  # the runs of the chosen period, oldest first
    latest: RunAdoption | None
    previous: RunAdoption | None
    since: RunAdoption | None
    headlines: list[Headline]


def _in_period(point: RunAdoption, start: dt.date | None, end: dt.date | None) -> bool:
    day = point.day
    return (
        day is not None
        and (start is None or day >= start)
        and (end is None or day <= end)
    )


def _since(series: list[RunAdoption], day: dt.date | None) -> RunAdoption | None:
    if not series:
        return None
    if day is None:
        return series[0]
    earlier = [p for p in series if p.day is not None and p.day <= day]
    return earlier[-1] if earlier else series[0]


def overview(
    group: Group | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    since: dt.date | None = None,
) -> Overview:
    """Headlines of the latest run (with the change since the previous run and since a date)
    and the series of the period; all from one aggregate over the scope's runs."""
    everything = adoption_by_run(group)
    series = [p for p in everything if _in_period(p, start, end)]
    latest = everything[-1] if everything else None
    previous = everything[-2] if len(everything) > 1 else None
    then = _since(everything, since or start or (series[0].day if series else None))
    headlines = [
        Headline(
            m,
            latest.figures[m.key],
            previous.figures[m.key] if previous else None,
            then.figures[m.key] if then and then is not latest else None,
        )
        for m in MECHANISMS
        if latest is not None
    ]
    return Overview(series, latest, previous, then, headlines)
