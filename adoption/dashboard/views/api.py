"""The read-only JSON API: each chart's statistics (documented in docs/api.md and at /api/).

``GET /api/adoption.json?group=G`` gives, per run and mechanism, ``numerator`` (domains that
adopted it), ``denominator`` (domains measured) and ``unknown`` (not measurable: DNS did not
answer). ``group`` is a group's id or its name; without it, the whole registry.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from adoption.access import api_can_view_volume, api_reader_required
from adoption.dashboard import charts, published
from adoption.dashboard.views.overview import chart_form, chart_params
from adoption.models import Group


def _with_group_id(query: QueryDict) -> QueryDict | None:
    """``group`` may be a name (as scripts know it): replace it by the id; None if unknown."""
    value = query.get("group", "")
    if not value or value.isdigit():
        return query
    group = (
        Group.objects.filter(name=value).first()
        or Group.objects.filter(name_en=value).first()
    )
    if group is None:
        return None
    copy = query.copy()
    copy["group"] = str(group.pk)
    return copy


def _volume_refused(request: HttpRequest) -> JsonResponse:
    """Figures from DMARC reports: staff only unless ``DMARC_VOLUME_PUBLIC`` (docs/api.md);
    401 when nobody is named, 403 when a session or token names someone not allowed."""
    known = request.user.is_authenticated or "Authorization" in request.headers
    message = _("The figures from DMARC reports are for staff only.")
    return JsonResponse({"error": message}, status=403 if known else 401)


@require_GET
@api_reader_required
def chart(request: HttpRequest, chart: str) -> JsonResponse:
    spec = charts.CHARTS.get(chart)
    if spec is None:
        raise Http404("no such chart")
    if spec.reports and not api_can_view_volume(request):
        return _volume_refused(request)
    query = _with_group_id(request.GET)
    if query is None:
        return JsonResponse({"error": _("No such group.")}, status=400)
    form = chart_form(spec, query)
    if not form.is_valid():
        return JsonResponse({"error": form.errors.get_json_data()}, status=400)
    params = chart_params(spec, form.cleaned_data)
    data = spec.load(params)
    body = spec.api(data, params) if data else {"group": None, "rows": []}
    # The published series drawn on the chart, so a script can draw and cite them too.
    body["reference"] = [published.as_json(line) for line in spec.references(data)]
    return JsonResponse(
        {"chart": chart, **body}, json_dumps_params={"ensure_ascii": False}
    )


@require_GET
@api_reader_required
def groups(request: HttpRequest) -> JsonResponse:
    rows = [
        {"id": g.pk, "name": g.name, "name_en": g.name_en}
        for g in Group.objects.order_by("name")
    ]
    return JsonResponse({"groups": rows}, json_dumps_params={"ensure_ascii": False})


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The API's documentation page (public: it shows no data)."""
    return render(
        request, "adoption/dashboard/api.html", {"charts": list(charts.CHARTS)}
    )
