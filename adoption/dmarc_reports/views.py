"""The upload page of DMARC aggregate reports (staff): each file listed with what became of
every report in it. The storing is :func:`adoption.dmarc_reports.ingest.ingest_file`."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from adoption.access import staff_required
from adoption.dmarc_reports.forms import ReportUploadForm
from adoption.dmarc_reports.ingest import ingest_file, size_refused
from adoption.dmarc_reports.messages import outcome_message, status_label
from adoption.dmarc_reports.outcomes import IngestOutcome
from adoption.models import DmarcReport


def _ingest_upload(upload: UploadedFile) -> list[IngestOutcome]:
    name = upload.name or "upload"
    refused = size_refused(name, upload.size or 0)
    if refused is not None:  # said before reading a file over the limit into memory
        return [refused]
    return ingest_file(upload.read(), name, DmarcReport.Source.UPLOAD)


@staff_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = (
        ReportUploadForm(request.POST, request.FILES) if posted else ReportUploadForm()
    )
    results = []
    if posted and form.is_valid():
        for upload_file in form.cleaned_data["reports"]:
            for outcome in _ingest_upload(upload_file):
                results.append(
                    {
                        "outcome": outcome,
                        "status": status_label(outcome),
                        "message": outcome_message(outcome),
                    }
                )
    return render(
        request,
        "adoption/dmarc_reports/upload.html",
        {
            "form": form,
            "results": results,
            "max_mb": settings.DMARC_MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status=400 if form.errors else 200,
    )
