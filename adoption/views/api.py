"""The read-only JSON API: each chart's statistics (documented in docs/api.md and at /api/).

``GET /api/adoption.json?group=G`` gives, per run and mechanism, ``numerator`` (domains that
adopted it), ``denominator`` (domains measured) and ``unknown`` (not measurable: DNS did not
answer). ``group`` is a group's id or its name; without it, the whole registry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import charts
from ..access import can_view
from ..forms_dashboard import BreakdownForm, OverviewForm
from ..models import Group
from .dashboard import chart_params


def _api_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like ``viewer_required``, but a script gets 401 JSON instead of a login page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view(request):
            return JsonResponse({"error": "login required"}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


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


@require_GET
@_api_access
def chart(request: HttpRequest, chart: str) -> JsonResponse:
    spec = charts.CHARTS.get(chart)
    if spec is None:
        raise Http404("no such chart")
    query = _with_group_id(request.GET)
    if query is None:
        return JsonResponse({"error": _("No such group.")}, status=400)
    form = OverviewForm(query) if chart == "adoption" else BreakdownForm(query)
    if not form.is_valid():
        return JsonResponse({"error": form.errors.get_json_data()}, status=400)
    params = chart_params(spec, form.cleaned_data)
    data = spec.load(params)
    body = spec.api(data, params) if data else {"group": None, "rows": []}
    return JsonResponse(
        {"chart": chart, **body}, json_dumps_params={"ensure_ascii": False}
    )


@require_GET
@_api_access
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
