"""The dashboard's charts: for each, which statistics to load, and how to turn them into a
figure, a table (page and CSV) and a JSON document (API). Views pick a chart and call these, so
the page, the CSV and the API of a chart can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import figures, stats, stats_overview
from . import stats_breakdowns as sb
from .dashboard_tables import (
    Table,
    distribution_table,
    histogram_table,
    iso,
    providers_table,
    scope_table,
)
from .dashboard_tables import adoption_table as adoption_rows
from .models import Group, ScanRun

DATE_FORMATS = {"ja": "%Y年%-m月%-d日", "en": "%-d %b %Y"}
PROVIDER_LIMIT = 30
ORGANISATION_LIMIT = 60


@dataclass(frozen=True)
class Params:
    group: Group | None
    run: ScanRun | None  # for one-run charts: the chosen run, else the scope's latest
    runs: list[ScanRun]  # for charts over time: the scope's runs in the period
    mechanism: stats.Mechanism
    start: dt.date | None = None
    end: dt.date | None = None
    since: dt.date | None = None

    @property
    def group_id(self) -> int | None:
        return self.group.pk if self.group else None


def localised(name: str, name_en: str) -> str:
    """A registry name in the page's language (English only where one was given)."""
    return name_en if get_language() == "en" and name_en else name


def date_format() -> str:
    return DATE_FORMATS.get(get_language() or "ja", DATE_FORMATS["ja"])


def mechanism_names() -> dict[str, str]:
    return {m.key: str(m.label) for m in stats.MECHANISMS}


def denominator_note() -> str:
    return _(
        "Denominator: domains in the registry on that date that were measured. Domains that "
        "could not be measured (DNS temperror) and registry domains that do not exist "
        "(NXDOMAIN) are counted apart, never as not adopted."
    )


def _group_json(group: Group | None) -> dict[str, Any] | None:
    if group is None:
        return None
    return {"id": group.pk, "name": group.name, "name_en": group.name_en}


def _figure_json(f: stats.Figure) -> dict[str, Any]:
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

    def title(self) -> str:
        raise NotImplementedError

    def load(self, params: Params) -> Any:
        raise NotImplementedError

    def figure(self, data: Any, params: Params) -> go.Figure:
        raise NotImplementedError

    def table(self, data: Any, params: Params) -> Table:
        raise NotImplementedError

    def api(self, data: Any, params: Params) -> dict[str, Any]:
        raise NotImplementedError

    def text(self, **extra: Any) -> figures.ChartText:
        return figures.ChartText(
            title=self.title(),
            note=denominator_note(),
            date_format=date_format(),
            hover={"unknown": _("unknown"), "limit": _("limit: 10 lookups")},
            **extra,
        )


@dataclass(frozen=True)
class AdoptionData:
    overview: stats_overview.Overview
    references: list[stats_overview.ReferenceLine]

    @property
    def series(self) -> list[stats.RunAdoption]:
        return self.overview.series

    def reference_names(self) -> dict[int, str]:
        return {
            r.series_id: _("%(name)s (published survey)")
            % {"name": localised(r.name, r.name_en)}
            for r in self.references
        }


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
            stats_overview.reference_lines(params.group),
        )

    def figure(self, data: AdoptionData, params: Params) -> go.Figure:
        return figures.adoption_over_time(
            data.series,
            mechanism_names(),
            {m.key for m in stats.MECHANISMS if m.historic},
            params.group_id,
            self.text(y_title=_("domains adopting (%)")),
            data.references,
            data.reference_names(),
        )

    def table(self, data: AdoptionData, params: Params) -> Table:
        return adoption_rows(data.series, mechanism_names(), params.group_id)

    def api(self, data: AdoptionData, params: Params) -> dict[str, Any]:
        return {
            "group": _group_json(params.group),
            "mechanisms": [
                {"key": m.key, "label": str(m.label), "historic": m.historic}
                for m in stats.MECHANISMS
            ],
            "runs": [
                {
                    "run": p.run_id,
                    "finished_at": iso(p.finished_at),
                    "domains": p.domains,
                    "nxdomain": p.nxdomain,
                    "mechanisms": {k: _figure_json(f) for k, f in p.figures.items()},
                }
                for p in data.series
            ],
        }


class ScopeChart(Chart):
    """Bars of one run: by group or by organisation."""

    uses_mechanism = True

    def column(self) -> str:
        raise NotImplementedError

    def labels(self, rows: list[sb.ScopeFigure]) -> list[str]:
        return [localised(r.name, r.name_en) or _("(no organisation)") for r in rows]

    def queries(
        self, rows: list[sb.ScopeFigure], params: Params
    ) -> list[dict[str, Any]]:
        raise NotImplementedError

    def figure(self, data: list[sb.ScopeFigure], params: Params) -> go.Figure:
        text = self.text(x_title=_("domains adopting (%)"))
        return figures.scope_bars(
            data, self.labels(data), self.queries(data, params), text
        )

    def table(self, data: list[sb.ScopeFigure], params: Params) -> Table:
        return scope_table(
            data,
            self.labels(data),
            self.queries(data, params),
            self.title(),
            self.column(),
        )

    def api(self, data: list[sb.ScopeFigure], params: Params) -> dict[str, Any]:
        return {
            "group": _group_json(params.group),
            "run": params.run.pk if params.run else None,
            "mechanism": params.mechanism.key,
            "rows": [
                {"id": r.key, "name": r.name, "name_en": r.name_en, "domains": r.domains,
                 "nxdomain": r.nxdomain, **_figure_json(r.figure)}
                for r in data
            ],
        }  # fmt: skip


class ByGroupChart(ScopeChart):
    key = "by-group"

    def title(self) -> str:
        return _("Adoption by group")

    def column(self) -> str:
        return _("Group")

    def load(self, params: Params) -> list[sb.ScopeFigure]:
        return sb.by_group(params.run, params.mechanism) if params.run else []

    def queries(
        self, rows: list[sb.ScopeFigure], params: Params
    ) -> list[dict[str, Any]]:
        run = params.run.pk if params.run else None
        m = params.mechanism.key
        return [{"run": run, "group": r.key, "mechanism": m} for r in rows]


class ByOrganisationChart(ScopeChart):
    key = "by-organisation"

    def title(self) -> str:
        return _("Adoption by organisation (lowest first)")

    def column(self) -> str:
        return _("Organisation")

    def load(self, params: Params) -> list[sb.ScopeFigure]:
        if params.run is None:
            return []
        rows = sb.by_organisation(params.run, params.group, params.mechanism)
        return rows[:ORGANISATION_LIMIT]

    def queries(
        self, rows: list[sb.ScopeFigure], params: Params
    ) -> list[dict[str, Any]]:
        base = {
            "run": params.run.pk if params.run else None,
            "group": params.group_id,
            "mechanism": params.mechanism.key,
        }
        return [{**base, "org": r.key if r.key is not None else "none"} for r in rows]


class DistributionChart(Chart):
    over_time = True
    facet = sb.DMARC_POLICY

    def categories(self) -> list[tuple[str, str]]:
        return [(c.key, str(c.label)) for c in self.facet.categories]

    def load(self, params: Params) -> list[sb.Distribution]:
        return sb.distribution_by_run(self.facet, params.group, params.runs)

    def figure(self, data: list[sb.Distribution], params: Params) -> go.Figure:
        return figures.distribution_over_time(
            data, self.categories(), self.facet.key, params.group_id,
            self.text(y_title=_("share of measured domains (%)")),
        )  # fmt: skip

    def table(self, data: list[sb.Distribution], params: Params) -> Table:
        return distribution_table(
            data,
            self.categories(),
            self.facet.key,
            params.group_id,
            self.title(),
            self.facet.population.key,
        )

    def api(self, data: list[sb.Distribution], params: Params) -> dict[str, Any]:
        return {
            "group": _group_json(params.group),
            "categories": [{"key": k, "label": n} for k, n in self.categories()],
            "runs": [
                {"run": p.run_id, "finished_at": iso(p.finished_at), "counts": p.counts,
                 "measured": p.population, "unknown": p.unknown, "nxdomain": p.nxdomain}
                for p in data
            ],
        }  # fmt: skip


class DmarcPolicyChart(DistributionChart):
    key = "dmarc-policy"
    facet = sb.DMARC_POLICY

    def title(self) -> str:
        return _("DMARC policy over time")


class SpfAllChart(DistributionChart):
    key = "spf-all"
    facet = sb.SPF_ALL

    def title(self) -> str:
        return _("SPF all qualifier over time")


class SpfLookupsChart(Chart):
    key = "spf-lookups"

    def title(self) -> str:
        return _("SPF DNS lookups per record (worst case)")

    def labels(self, data: sb.Histogram) -> list[str]:
        return [
            _("over 10 (permerror)") if b.key == sb.OVER_LIMIT else b.key
            for b in data.buckets
        ]

    def load(self, params: Params) -> sb.Histogram | None:
        return sb.spf_lookup_histogram(params.run, params.group) if params.run else None

    def figure(self, data: sb.Histogram, params: Params) -> go.Figure:
        return figures.lookup_histogram(
            data.buckets, self.labels(data), data.run_id, params.group_id,
            sb.SPF_LOOKUP_LIMIT,
            self.text(x_title=_("DNS lookups (worst case)"), y_title=_("domains")),
        )  # fmt: skip

    def table(self, data: sb.Histogram, params: Params) -> Table:
        return histogram_table(data, self.labels(data), params.group_id)

    def api(self, data: sb.Histogram, params: Params) -> dict[str, Any]:
        return {
            "group": _group_json(params.group),
            "run": data.run_id,
            "limit": sb.SPF_LOOKUP_LIMIT,
            "buckets": [{"lookups": b.key, "domains": b.count} for b in data.buckets],
            "with_spf_record": data.population,
            "unknown": data.unknown,
            "nxdomain": data.nxdomain,
        }


class SpfIncludesChart(Chart):
    key = "spf-includes"

    def title(self) -> str:
        return _("SPF include providers the registry depends on")

    def load(self, params: Params) -> sb.Providers | None:
        if params.run is None:
            return None
        return sb.spf_include_providers(params.run, params.group, PROVIDER_LIMIT)

    def figure(self, data: sb.Providers, params: Params) -> go.Figure:
        return figures.provider_bars(
            data, data.run_id, params.group_id, self.text(x_title=_("domains"))
        )

    def table(self, data: sb.Providers, params: Params) -> Table:
        return providers_table(data, params.group_id)

    def api(self, data: sb.Providers, params: Params) -> dict[str, Any]:
        return {
            "group": _group_json(params.group),
            "run": data.run_id,
            "targets": [
                {"target": p.domain, "domains": p.count} for p in data.providers
            ],
            "targets_total": data.total_providers,
            "with_spf_record": data.population,
            "unknown": data.unknown,
            "nxdomain": data.nxdomain,
        }


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
    )
}
BREAKDOWNS = [key for key in CHARTS if key != "adoption"]
