"""The survey-style figure's page (``/survey/?group=G&mechanism=M&runs=R…``): the briefing
figure, downloadable as PNG and SVG at print size (``static/js/survey.js``), with its table; its
CSV and JSON are the chart registry's, like every chart's."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from adoption.access import viewer_required
from adoption.dashboard import charts
from adoption.dashboard.forms import SurveyForm
from adoption.dashboard.tables import day
from adoption.dashboard.views.overview import chart_context, chart_params
from adoption.stats.survey import Survey

# The downloads are drawn for A4 landscape (297 mm at 96 px per inch): the figure's 13 px text
# is then about 10 pt on paper. PNG at three times that for print (about 290 dpi).
PRINT_WIDTH = 1123
PNG_SCALE = 3


def _run_choices(data: Survey) -> list[dict[str, Any]]:
    chosen = {p.run_id for p in data.points}
    return [
        {
            "id": p.run_id,
            "label": f"{day(p.finished_at)} "
            f"{timezone.localtime(p.finished_at).strftime('%H:%M')} (#{p.run_id})"
            if p.finished_at
            else f"#{p.run_id}",
            "checked": p.run_id in chosen,
        }
        for p in reversed(data.available)
    ]


@require_GET
@viewer_required
def survey(request: HttpRequest) -> HttpResponse:
    spec = charts.CHARTS["survey"]
    form = SurveyForm(request.GET or None)
    params = chart_params(spec, form.cleaned_data if form.is_valid() else {})
    data: Survey = spec.load(params)
    shown = bool(data.points or data.references)
    scope = f"group-{params.group_id}" if params.group_id else "registry"
    context = {
        "form": form,
        "params": params,
        "survey": data,
        "runs": _run_choices(data),
        "chart": chart_context(request, spec, data, params) if shown else None,
        "filename": f"survey-{params.mechanism.key}-{scope}-{timezone.localdate()}",
        "print_width": PRINT_WIDTH,
        "png_scale": PNG_SCALE,
    }
    return render(request, "adoption/dashboard/survey.html", context)
