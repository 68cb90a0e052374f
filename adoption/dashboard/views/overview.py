"""The overview (the page at ``/``), the breakdown pages, and each chart's CSV.

Each view reads its query string with a form, loads one chart's statistics through
``adoption.dashboard.charts`` and renders the figure (as JSON for plotly.js, escaped as Django's
``json_script`` does: ``adoption.dashboard.figure_script``) with its table.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from adoption.access import can_view_volume, is_staff, viewer_required
from adoption.dashboard import charts, published
from adoption.dashboard.figure_script import json_script
from adoption.dashboard.figures import FigureDict
from adoption.dashboard.forms import (
    DEFAULT_MECHANISM,
    BreakdownForm,
    OverviewForm,
    SurveyForm,
    VolumeForm,
)
from adoption.dashboard.tables import headline_cards, table_html
from adoption.models import Group, ScanRun
from adoption.registry import queries as registry
from adoption.registry.export import CsvEncoder
from adoption.stats import counts as stats
from adoption.stats import mechanisms, references


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
        if chart.over_time and chart.key != "adoption" and not chart.reports
        else [],
        mechanism=mechanisms.mechanism(data.get("mechanism") or DEFAULT_MECHANISM),
        start=data.get("start"),
        end=data.get("end"),
        since=data.get("since"),
        period=data.get("period") or "",
        domain=data.get("domain"),
        picked=tuple(data.get("runs") or ()),
    )


def chart_form(chart: charts.Chart, query: QueryDict | None) -> Form:
    """The query-string form of a chart's page, CSV and API."""
    if chart.key == "adoption":
        return OverviewForm(query)
    if chart.key == "survey":
        return SurveyForm(query)
    return VolumeForm(query) if chart.reports else BreakdownForm(query)


def volume_refused(request: HttpRequest) -> HttpResponseBase | None:
    """None when the request may see the figures from DMARC reports; else what to answer
    (the login page for an anonymous visitor, 403 for a logged-in one)."""
    if can_view_volume(request):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


def figure_json(figure: go.Figure | FigureDict) -> FigureDict:
    """The figure as plain data; the page holds it as ``figure_script.json_script`` writes it,
    which escapes ``<``, ``>`` and ``&`` so no text in it can close the script element. (The
    figures hold only lists, strings, numbers and None: no NaN or numpy arrays needing
    plotly's encoder.) The overview's chart is built as this plain data already
    (``figures.FigureDict``)."""
    if isinstance(figure, dict):
        return figure
    data: FigureDict = figure.to_dict()
    return data


def chart_context(
    request: HttpRequest,
    chart: charts.Chart,
    data: Any,
    params: charts.Params,
    query: str | None = None,
) -> dict[str, Any]:
    """``query``: the CSV's and the API's query string when it is not the page's own."""
    query = request.GET.urlencode() if query is None else query
    script_id = f"figure-{chart.key}"
    return {
        "key": chart.key,
        "title": chart.title(),
        "figure_script": json_script(
            figure_json(chart.figure(data, params)), script_id
        ),
        "table_html": table_html(chart.table(data, params), chart.key),
        "csv_url": reverse("dashboard:csv", args=[chart.key])
        + (f"?{query}" if query else ""),
        "api_url": reverse("api:chart", args=[chart.key])
        + (f"?{query}" if query else ""),
        "note": chart.note(data),
        "script_id": script_id,
        "clickable": not chart.reports,  # a share of messages has no domain list behind it
    }


def _cleaned(form: Form) -> dict[str, Any]:
    return form.cleaned_data if form.is_valid() else {}


def _volume_chart(request: HttpRequest, params: charts.Params) -> dict[str, Any] | None:
    """The overview's mail-volume chart for its scope and period, when the visitor may see
    it and the scope has report data."""
    if not can_view_volume(request):
        return None
    chart = charts.CHARTS["mail-volume"]
    data = chart.load(params)
    if data.latest is None:
        return None
    query = QueryDict(mutable=True)
    for name in ("group", "start", "end"):
        if request.GET.get(name):
            query[name] = request.GET[name]
    return chart_context(request, chart, data, params, query.urlencode())


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
        "references": table_html(published.table(data.references), "references")
        if data.references
        else None,
        "provenance": published.provenance(data.references),
        "survey_links": published.survey_links(
            data.references, references.lines_elsewhere(params.group), params.group
        ),
        "summary": registry.summary(),
        "can_edit": is_staff(request),
        "volume_chart": _volume_chart(request, params),
    }
    return render(request, "adoption/dashboard/overview.html", context)


@require_GET
@viewer_required
def breakdown(request: HttpRequest, chart: str) -> HttpResponseBase:
    if chart not in charts.BREAKDOWNS:
        raise Http404("no such breakdown")
    spec = charts.CHARTS[chart]
    if spec.reports and (refused := volume_refused(request)):
        return refused
    form = chart_form(spec, request.GET or None)
    params = chart_params(spec, _cleaned(form))
    data = spec.load(params)
    volume = can_view_volume(request)
    context = {
        "form": form,
        "params": params,
        "spec": spec,
        "tabs": [
            (key, charts.CHARTS[key].title())
            for key in charts.BREAKDOWNS
            if volume or not charts.CHARTS[key].reports
        ],
        "chart": chart_context(request, spec, data, params) if data else None,
    }
    return render(request, "adoption/dashboard/breakdown.html", context)


@require_GET
@viewer_required
def chart_csv(request: HttpRequest, chart: str) -> HttpResponseBase:
    spec = charts.CHARTS.get(chart)
    if spec is None:
        raise Http404("no such chart")
    if spec.reports and (refused := volume_refused(request)):
        return refused
    form = chart_form(spec, request.GET)
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
