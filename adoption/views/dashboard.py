"""The overview (the page at ``/``), the breakdown pages, and each chart's CSV.

Each view reads its query string with a form, loads one chart's statistics through
``adoption.charts`` and renders the figure (as JSON for plotly.js, escaped by ``json_script``)
with its table.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import charts, registry, stats
from ..access import is_staff, viewer_required
from ..csv_export import CsvEncoder
from ..dashboard_tables import headline_cards, reference_table, table_html
from ..forms_dashboard import BreakdownForm, OverviewForm
from ..models import Group, ScanRun


def _runs_in_period(group: Group | None, data: dict[str, Any]) -> list[ScanRun]:
    runs = stats.runs_for(group)
    if data.get("start"):
        runs = runs.filter(finished_at__date__gte=data["start"])
    if data.get("end"):
        runs = runs.filter(finished_at__date__lte=data["end"])
    return list(runs)


def _run(group: Group | None, run_id: int | None) -> ScanRun | None:
    runs = stats.runs_for(group)
    if run_id:
        run = runs.filter(pk=run_id).first()
        if run is None:
            raise Http404("no finished run of this scope with that number")
        return run
    return runs.order_by("-finished_at").first()


def chart_params(chart: charts.Chart, data: dict[str, Any]) -> charts.Params:
    """The parameters a chart needs, from a form's cleaned data (queries only what it uses)."""
    group = data.get("group")
    return charts.Params(
        group=group,
        run=None if chart.over_time else _run(group, data.get("run")),
        runs=_runs_in_period(group, data)
        if chart.over_time and chart.key != "adoption"
        else [],
        mechanism=stats.mechanism(data.get("mechanism") or "spf_valid"),
        start=data.get("start"),
        end=data.get("end"),
        since=data.get("since"),
    )


def figure_json(figure: Any) -> dict[str, Any]:
    """The figure as plain data; the template writes it with ``json_script``, which escapes
    ``<``, ``>`` and ``&`` so no text in it can close the script element. (The figures hold
    only lists, strings, numbers and None: no NaN or numpy arrays needing plotly's encoder.)"""
    data: dict[str, Any] = figure.to_dict()
    return data


def chart_context(
    request: HttpRequest, chart: charts.Chart, data: Any, params: charts.Params
) -> dict[str, Any]:
    query = request.GET.urlencode()
    return {
        "key": chart.key,
        "title": chart.title(),
        "figure": figure_json(chart.figure(data, params)),
        "table_html": table_html(chart.table(data, params), chart.key),
        "csv_url": reverse("dashboard:csv", args=[chart.key])
        + (f"?{query}" if query else ""),
        "api_url": reverse("api:chart", args=[chart.key])
        + (f"?{query}" if query else ""),
        "note": charts.denominator_note(),
        "script_id": f"figure-{chart.key}",
    }


def _cleaned(form: OverviewForm | BreakdownForm) -> dict[str, Any]:
    return form.cleaned_data if form.is_valid() else {}


@require_GET
@viewer_required
def overview(request: HttpRequest) -> HttpResponse:
    form = OverviewForm(request.GET or None)
    chart = charts.CHARTS["adoption"]
    params = chart_params(chart, _cleaned(form))
    data = chart.load(params)
    overview = data.overview
    context = {
        "form": form,
        "params": params,
        "overview": overview,
        "cards": headline_cards(
            overview.headlines, overview.latest.run_id, params.group_id
        )
        if overview.latest
        else [],
        "chart": chart_context(request, chart, data, params),
        "references": table_html(
            reference_table(data.references, data.reference_names()), "references"
        )
        if data.references
        else None,
        "summary": registry.summary(),
        "can_edit": is_staff(request),
    }
    return render(request, "adoption/dashboard/overview.html", context)


@require_GET
@viewer_required
def breakdown(request: HttpRequest, chart: str) -> HttpResponse:
    if chart not in charts.BREAKDOWNS:
        raise Http404("no such breakdown")
    spec = charts.CHARTS[chart]
    form = BreakdownForm(request.GET or None)
    params = chart_params(spec, _cleaned(form))
    data = spec.load(params)
    context = {
        "form": form,
        "params": params,
        "spec": spec,
        "tabs": [(key, charts.CHARTS[key].title()) for key in charts.BREAKDOWNS],
        "chart": chart_context(request, spec, data, params) if data else None,
    }
    return render(request, "adoption/dashboard/breakdown.html", context)


@require_GET
@viewer_required
def chart_csv(request: HttpRequest, chart: str) -> StreamingHttpResponse:
    spec = charts.CHARTS.get(chart)
    if spec is None:
        raise Http404("no such chart")
    form: OverviewForm | BreakdownForm = (
        OverviewForm(request.GET) if chart == "adoption" else BreakdownForm(request.GET)
    )
    params = chart_params(spec, _cleaned(form))
    data = spec.load(params)
    table = spec.table(data, params) if data else None
    rows: list[list[Any]] = [table.csv_header, *table.csv_rows] if table else [[]]
    encoder = CsvEncoder("utf-8")
    response = StreamingHttpResponse(
        encoder.rows([[_cell(c) for c in row] for row in rows]),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{chart}-{stamp}.csv"'
    return response


def _cell(value: object) -> str | int | None:
    if value is None or isinstance(value, int):
        return value
    return str(value)
