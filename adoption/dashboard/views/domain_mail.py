"""The domain page's section from DMARC aggregate reports: its mail-volume chart (whoever may see
the volume figures), and for staff its top sending sources, the sources failing
authentication, its reporters and its DKIM selectors with where each came from.

Built here and included by ``templates/adoption/domains/_mail_reports.html`` so the domain
view only adds one entry to its context; the CSV downloads of its tables are here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from adoption.access import can_view_volume, is_staff, staff_required
from adoption.dashboard import charts
from adoption.dashboard import mail_tables as tables
from adoption.dashboard.domain_states import find_domain
from adoption.dashboard.forms import VolumeForm
from adoption.dashboard.mail_tables import CsvRow
from adoption.dashboard.views.overview import chart_context, chart_params
from adoption.models import Domain
from adoption.registry.export import CsvEncoder
from adoption.stats import mail_sources, mail_volume
from scanner.selectors import DEFAULT_SELECTORS


def _found_selectors(dkim: Any) -> set[str]:
    """The selectors whose key the latest scan found (the stored result's DKIM part)."""
    if not isinstance(dkim, dict):
        return set()
    found = dkim.get("selectors")
    if not isinstance(found, list):
        return set()
    return {
        str(s["selector"]) for s in found if isinstance(s, dict) and s.get("selector")
    }


def mail_context(request: HttpRequest, domain: Domain, dkim: Any) -> dict[str, Any]:
    """Empty when the visitor may see nothing of the reports."""
    staff = is_staff(request)
    context: dict[str, Any] = {"staff": staff}
    if can_view_volume(request):
        chart = charts.CHARTS["mail-volume"]
        params = chart_params(chart, {"domain": domain})
        data = chart.load(params)
        if data.latest is not None:
            query = f"domain={domain.name}"
            context["chart"] = chart_context(request, chart, data, params, query)
            context["page_url"] = (
                reverse("dashboard:breakdown", args=[chart.key]) + "?" + query
            )
            context["series"] = data.series
    if staff:
        context.update(_staff_tables(domain, context.get("series"), dkim))
    return context if len(context) > 1 else {}


def _staff_tables(domain: Domain, series: Any, dkim: Any) -> dict[str, Any]:
    """Sources and reporters of the chart's period; selectors always (typed ones exist before
    any report)."""
    tables_html: dict[str, Any] = {}
    if series is not None:
        start, end = series.start, series.end
        tables_html["sources"] = tables.sources_html(
            mail_sources.top_sources(domain, start, end), "mail-sources", failing=False
        )
        tables_html["failing"] = tables.sources_html(
            mail_sources.failing_sources(domain, start, end),
            "mail-failing",
            failing=True,
        )
        tables_html["reporters"] = tables.reporters_html(
            mail_sources.reporters(domain, start, end)
        )
        period = f"?start={start.isoformat()}&end={end.isoformat()}"
        tables_html["csv"] = {
            key: reverse(f"dmarc_reports:{key}_csv", args=[domain.name]) + period
            for key in ("sources", "reporters")
        }
    selectors = mail_sources.selectors(domain, _found_selectors(dkim))
    tables_html["selectors"] = tables.selectors_html(selectors)
    tables_html["common_count"] = len(DEFAULT_SELECTORS)
    tables_html["max_age"] = settings.DMARC_SELECTOR_MAX_AGE_DAYS
    return tables_html


def _csv_period(request: HttpRequest, domain: Domain) -> tuple[dt.date, dt.date]:
    form = VolumeForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    latest = mail_volume.latest_domain_day(domain)
    return mail_volume.period_of(data.get("start"), data.get("end"), latest)


def _csv_response(rows: Iterable[CsvRow], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        CsvEncoder("utf-8").rows(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _domain_or_404(name: str) -> Domain:
    domain = find_domain(name)
    if domain is None:
        raise Http404("not a registry domain")
    return domain


@require_GET
@staff_required
def sources_csv(request: HttpRequest, name: str) -> StreamingHttpResponse:
    """Every source of the domain's mail in the period (``start``, ``end``), most first."""
    domain = _domain_or_404(name)
    start, end = _csv_period(request, domain)
    rows = tables.sources_csv(mail_sources.all_sources(domain, start, end))
    return _csv_response(rows, f"{domain.name}-sources-{start}-{end}.csv")


@require_GET
@staff_required
def reporters_csv(request: HttpRequest, name: str) -> StreamingHttpResponse:
    domain = _domain_or_404(name)
    start, end = _csv_period(request, domain)
    rows = tables.reporters_csv(mail_sources.reporters(domain, start, end))
    return _csv_response(rows, f"{domain.name}-reporters-{start}-{end}.csv")
