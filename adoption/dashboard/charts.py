"""The dashboard's charts: for each, which statistics to load, and how to turn them into a
figure, a table (page and CSV) and a JSON document (API). Views pick a chart from ``CHARTS`` and
call these, so the page, the CSV and the API of a chart can never disagree.

What a chart is (``Chart``, ``Params``) is in ``adoption.dashboard.chart_base``; the breakdowns
of DNS measurements in ``adoption.dashboard.breakdown_charts``; here the adoption chart of the
overview, the mail-volume chart and the survey-style figure, and the registry of them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from adoption.dashboard import figures, published, survey_charts, volume_charts
from adoption.dashboard.breakdown_charts import (
    ByGroupChart,
    ByOrganisationChart,
    DmarcPolicyChart,
    SpfAllChart,
    SpfIncludesChart,
    SpfLookupsChart,
)
from adoption.dashboard.chart_base import (
    Chart,
    Params,
    denominator_note,
    figure_json,
    group_json,
    mechanism_names,
)
from adoption.dashboard.tables import Table, iso
from adoption.dashboard.tables import adoption_table as adoption_rows
from adoption.dashboard.wording import date_format
from adoption.stats import counts as stats
from adoption.stats import mechanisms
from adoption.stats import overview as stats_overview
from adoption.stats import references as stats_references
from adoption.stats.survey import Survey, survey

__all__ = ["BREAKDOWNS", "CHARTS", "Chart", "Params", "denominator_note"]


@dataclass(frozen=True)
class AdoptionData:
    overview: stats_overview.Overview
    references: list[stats_references.ReferenceLine]

    @property
    def series(self) -> list[stats.RunAdoption]:
        return self.overview.series


class AdoptionChart(Chart):
    key = "adoption"
    over_time = True

    def title(self) -> str:
        return _("Adoption over time")

    def load(self, params: Params) -> AdoptionData:
        return AdoptionData(
            stats_overview.overview(
                params.group, params.start, params.end, params.since
            ),
            stats_references.reference_lines(params.group),
        )

    def figure(self, data: AdoptionData, params: Params) -> figures.FigureDict:
        return figures.adoption_over_time(
            data.series,
            mechanism_names(),
            {m.key for m in mechanisms.MECHANISMS if m.historic},
            params.group_id,
            self.text(y_title=_("domains adopting (%)")),
            [published.trace(line) for line in data.references],
        )

    def table(self, data: AdoptionData, params: Params) -> Table:
        return adoption_rows(data.series, mechanism_names(), params.group_id)

    def references(self, data: AdoptionData) -> list[stats_references.ReferenceLine]:
        return data.references

    def api(self, data: AdoptionData, params: Params) -> dict[str, Any]:
        return {
            "group": group_json(params.group),
            "mechanisms": [
                {"key": m.key, "label": str(m.label), "historic": m.historic}
                for m in mechanisms.MECHANISMS
            ],
            "runs": [
                {
                    "run": p.run_id,
                    "finished_at": iso(p.finished_at),
                    "domains": p.domains,
                    "nxdomain": p.nxdomain,
                    "mechanisms": {k: figure_json(f) for k, f in p.figures.items()},
                }
                for p in data.series
            ],
        }


class MailVolumeChart(Chart):
    """Messages seen by receivers and the shares that passed, from DMARC aggregate reports
    (the registry, a group or one domain; adoption/dashboard/volume_charts.py)."""

    key = "mail-volume"
    over_time = True
    reports = True

    def title(self) -> str:
        return _("Mail by volume (DMARC aggregate reports)")

    def load(self, params: Params) -> volume_charts.VolumeData:
        return volume_charts.load(
            params.group, params.domain, params.start, params.end, params.period
        )

    def note(self, data: volume_charts.VolumeData) -> str:
        return volume_charts.note(data.series)

    def figure(self, data: volume_charts.VolumeData, params: Params) -> go.Figure:
        return volume_charts.figure(data.series, self.title(), date_format())

    def table(self, data: volume_charts.VolumeData, params: Params) -> Table:
        return volume_charts.table(data.series)

    def api(self, data: volume_charts.VolumeData, params: Params) -> dict[str, Any]:
        return {
            "group": group_json(params.group),
            **volume_charts.api(data, params.domain),
        }


class SurveyChart(Chart):
    """A bar per survey date with the change between dates, beside the published series of
    the scope and mechanism (adoption/dashboard/survey_charts.py): the briefing figure."""

    key = "survey"
    over_time = True
    uses_mechanism = True

    def title(self) -> str:
        return _("Survey-style figure")

    def load(self, params: Params) -> Survey:
        return survey(params.group, params.mechanism, params.picked, params.runs)

    def note(self, data: Survey) -> str:
        return survey_charts.note(data)

    def figure(self, data: Survey, params: Params) -> go.Figure:
        return survey_charts.figure(data)

    def table(self, data: Survey, params: Params) -> Table:
        return survey_charts.table(data)

    def api(self, data: Survey, params: Params) -> dict[str, Any]:
        return {"group": group_json(params.group), **survey_charts.api(data)}

    def references(self, data: Survey) -> list[stats_references.ReferenceLine]:
        return data.references


CHARTS: dict[str, Chart] = {
    chart.key: chart
    for chart in (
        AdoptionChart(),
        ByGroupChart(),
        ByOrganisationChart(),
        DmarcPolicyChart(),
        SpfAllChart(),
        SpfLookupsChart(),
        SpfIncludesChart(),
        MailVolumeChart(),
        SurveyChart(),
    )
}
# The survey figure has a page of its own (``/survey/``), not a breakdown tab.
BREAKDOWNS = [key for key in CHARTS if key not in {"adoption", "survey"}]
