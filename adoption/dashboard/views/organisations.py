"""An organisation's scorecard: the page (printable on A4) and its CSV, so that staff can send
each ministry its own page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from adoption.access import viewer_required
from adoption.dashboard import scorecard
from adoption.dashboard.wording import localised
from adoption.models import Organisation
from adoption.registry.export import CsvEncoder


def _organisation(org_id: int) -> Organisation:
    return get_object_or_404(Organisation, pk=org_id)


@require_GET
@viewer_required
def scorecard_page(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _organisation(org_id)
    context = {
        "card": scorecard.build(org),
        "name": localised(org.name_ja, org.name_en),
    }
    return render(request, "adoption/organisations/scorecard.html", context)


@require_GET
@viewer_required
def scorecard_csv(request: HttpRequest, org_id: int) -> StreamingHttpResponse:
    org = _organisation(org_id)
    encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8"
    rows = scorecard.csv_rows(scorecard.build(org), localised(org.name_ja, org.name_en))
    response = StreamingHttpResponse(
        CsvEncoder(encoding).rows(rows), content_type=f"text/csv; charset={encoding}"
    )
    filename = f"organisation-{org.pk}-scorecard.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
