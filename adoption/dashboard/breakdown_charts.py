"""The breakdown charts of one run or of a series of runs, drawn from DNS measurements: by
group, by organisation, the DMARC policy and SPF ``all`` distributions, SPF lookups and SPF
include providers (each a tab of ``/breakdowns/``, registered in
``adoption.dashboard.charts``)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.urls import reverse
from django.utils.translation import gettext as _

from adoption.dashboard import figures
from adoption.dashboard.chart_base import Chart, Params, figure_json, group_json
from adoption.dashboard.tables import (
    Table,
    distribution_table,
    histogram_table,
    iso,
    providers_table,
    scope_table,
)
from adoption.dashboard.wording import localised
from adoption.stats import breakdowns as sb

PROVIDER_LIMIT = 30
ORGANISATION_LIMIT = 60


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

    def row_urls(self, rows: list[sb.ScopeFigure]) -> list[str]:
        """A page for each row's name in the table (none by default)."""
        return [""] * len(rows)

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
            self.row_urls(data),
        )

    def api(self, data: list[sb.ScopeFigure], params: Params) -> dict[str, Any]:
        return {
            "group": group_json(params.group),
            "run": params.run.pk if params.run else None,
            "mechanism": params.mechanism.key,
            "rows": [
                {"id": r.key, "name": r.name, "name_en": r.name_en, "domains": r.domains,
                 "nxdomain": r.nxdomain, **figure_json(r.figure)}
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

    def row_urls(self, rows: list[sb.ScopeFigure]) -> list[str]:
        """Each organisation's scorecard."""
        return [
            reverse("organisations:detail", args=[r.key]) if r.key is not None else ""
            for r in rows
        ]


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
            "group": group_json(params.group),
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
            "group": group_json(params.group),
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
            "group": group_json(params.group),
            "run": data.run_id,
            "targets": [
                {"target": p.domain, "domains": p.count} for p in data.providers
            ],
            "targets_total": data.total_providers,
            "with_spf_record": data.population,
            "unknown": data.unknown,
            "nxdomain": data.nxdomain,
        }
