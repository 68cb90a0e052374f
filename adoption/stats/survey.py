"""The figures of a survey-style chart: for one scope and mechanism, the adoption on each survey
date, and the published series to set beside it.

A survey reports one figure per date, so by default the last run of each day stands for that
day, and only the latest ``SURVEY_DATES`` days are shown (a briefing compares a few dates, not
a year of weekly runs); staff may choose the runs instead. The figures are the same as the
charts' (``adoption_by_run``): the domains of the scope when each run started, measured ones
only in the denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from adoption.models import Group, ScanRun
from adoption.stats.counts import Figure, RunAdoption, adoption_by_run
from adoption.stats.mechanisms import Mechanism
from adoption.stats.references import ReferenceLine, reference_lines

SURVEY_DATES = 6


@dataclass(frozen=True)
class SurveyPoint:
    run_id: int
    finished_at: dt.datetime | None
    figure: Figure


@dataclass(frozen=True)
class Survey:
    group: Group | None  # the scope: a group, or the whole registry
    mechanism: Mechanism
    points: list[SurveyPoint]  # the chosen runs, oldest first
    available: list[RunAdoption]  # every finished run of the scope, for choosing
    left_out: int  # survey dates not shown by default (older than the latest shown)
    references: list[ReferenceLine]  # the published series of this scope and mechanism


def _one_per_day(series: Sequence[RunAdoption]) -> list[RunAdoption]:
    """The last run of each day, oldest first."""
    by_day: dict[dt.date | None, RunAdoption] = {}
    for point in series:
        by_day[point.day] = point
    return list(by_day.values())


def survey(
    group: Group | None,
    mechanism: Mechanism,
    picked: Sequence[int] = (),
    runs: Sequence[ScanRun] | None = None,
) -> Survey:
    """``picked``: run ids chosen by staff (others of the scope are ignored); ``runs``: the
    scope's runs of a chosen period (default: all). Three queries."""
    series = adoption_by_run(group, runs)
    if picked:
        chosen = [p for p in series if p.run_id in set(picked)]
        left_out = 0
    else:
        days = _one_per_day(series)
        chosen, left_out = days[-SURVEY_DATES:], max(0, len(days) - SURVEY_DATES)
    points = [
        SurveyPoint(p.run_id, p.finished_at, p.figures[mechanism.key]) for p in chosen
    ]
    return Survey(
        group,
        mechanism,
        points,
        series,
        left_out,
        reference_lines(group, mechanism.key),
    )
