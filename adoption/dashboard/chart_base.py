"""What every dashboard chart is: the parameters a view gives it, and the five things it
makes from its statistics (a figure, a table for the page and the CSV, a JSON document for the
API, the denominator note and the published series drawn on it). The charts themselves are in
``adoption.dashboard.charts`` (the registry) and ``adoption.dashboard.breakdown_charts``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from adoption.dashboard import figures
from adoption.dashboard.tables import Table
from adoption.dashboard.wording import date_format, month_format, tick_formats
from adoption.models import Domain, Group, ScanRun
from adoption.stats import counts as stats
from adoption.stats import mechanisms
from adoption.stats import references as stats_references


@dataclass(frozen=True)
class Params:
    group: Group | None
    run: ScanRun | None  # for one-run charts: the chosen run, else the scope's latest
    runs: list[ScanRun]  # for charts over time: the scope's runs in the period
    mechanism: mechanisms.Mechanism
    start: dt.date | None = None
    end: dt.date | None = None
    since: dt.date | None = None
    # Volume charts: "day", "week", or "" to choose by the period's length; and one registry
    # domain instead of the registry or a group.
    period: str = ""
    domain: Domain | None = None
    # The survey chart: the runs chosen by staff (else the last run of each day).
    picked: tuple[int, ...] = ()

    @property
    def group_id(self) -> int | None:
        return self.group.pk if self.group else None


def mechanism_names() -> dict[str, str]:
    return {m.key: str(m.label) for m in mechanisms.MECHANISMS}


def denominator_note() -> str:
    return _(
        "Denominator: domains in the registry on that date that were measured. Domains that "
        "could not be measured (DNS temperror) and registry domains that do not exist "
        "(NXDOMAIN) are counted apart, never as not adopted."
    )


def group_json(group: Group | None) -> dict[str, Any] | None:
    if group is None:
        return None
    return {"id": group.pk, "name": group.name, "name_en": group.name_en}


def figure_json(f: stats.Figure) -> dict[str, Any]:
    return {
        "numerator": f.numerator,
        "denominator": f.denominator,
        "unknown": f.unknown,
        "percent": f.percent,
    }


class Chart:
    key = ""
    over_time = False  # a series of runs (else one run)
    uses_mechanism = False
    # Figures from DMARC aggregate reports instead of DNS: no runs, and their own access rule
    # (adoption.access.can_view_volume).
    reports = False

    def title(self) -> str:
        raise NotImplementedError

    def load(self, params: Params) -> Any:
        raise NotImplementedError

    def figure(self, data: Any, params: Params) -> go.Figure | figures.FigureDict:
        """A plotly figure, or (the overview's chart) the dict plotly.js reads."""
        raise NotImplementedError

    def table(self, data: Any, params: Params) -> Table:
        raise NotImplementedError

    def api(self, data: Any, params: Params) -> dict[str, Any]:
        raise NotImplementedError

    def note(self, data: Any) -> str:
        """The denominator, under the chart and in its PNG."""
        return denominator_note()

    def references(self, data: Any) -> list[stats_references.ReferenceLine]:
        """The published series drawn on the chart (the API returns them with it)."""
        return []

    def text(self, **extra: Any) -> figures.ChartText:
        return figures.ChartText(
            title=self.title(),
            note=denominator_note(),
            date_format=date_format(),
            month_format=month_format(),
            tick_formats=tick_formats(),
            hover={"unknown": _("unknown"), "limit": _("limit: 10 lookups")},
            **extra,
        )
