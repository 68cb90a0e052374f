"""Scan runs: list, "scan now", a run's live progress, resume, and the run's report."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from adoption import tasks
from adoption.access import is_staff, staff_required, viewer_required
from adoption.models import RunReport, ScanRun
from adoption.registry.export import CsvEncoder
from adoption.scans import queries
from adoption.scans import run_report as reports
from adoption.scans import runs as scanning
from adoption.scans.forms import ScanNowForm
from adoption.scans.stop_reasons import stop_message

REPORT_CSV_COLUMNS = ("domain", "change", "mechanism", "before", "after")


def _get_run(run_id: int) -> ScanRun:
    return get_object_or_404(
        ScanRun.objects.select_related("group", "started_by"), pk=run_id
    )


@require_GET
@viewer_required
def run_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.recent_runs(), queries.RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Staff see who started a run; others (anonymous visitors of a public dashboard too) see
    # "staff": user names are not theirs to learn.
    staff = is_staff(request)
    context = {
        "page": page,
        "form": ScanNowForm(),
        "can_scan": staff,
        "show_names": staff,
    }
    return render(request, "adoption/runs/list.html", context)


@require_POST
@staff_required
def scan_now(request: HttpRequest) -> HttpResponse:
    form = ScanNowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the whole registry or a group."))
        return redirect("runs:list")
    try:
        with transaction.atomic():
            run = tasks.queue_run(group=form.cleaned_data["group"], user=request.user)
    except scanning.RunAlreadyActive:
        messages.warning(request, _("A run of this scope is still going."))
        return redirect("runs:list")
    messages.success(request, _("Scan run #%(id)s queued.") % {"id": run.pk})
    return redirect("runs:detail", run_id=run.pk)


@require_GET
@viewer_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _get_run(run_id)
    report = RunReport.objects.filter(run=run).first()
    context = {
        "run": run,
        "progress": queries.progress(run, staff=is_staff(request)),
        "stop_message": stop_message(run, staff=is_staff(request)),
        "report": report,
        "rows": reports.headline_rows(report) if report else [],
        "counts": queries.change_counts(report) if report else None,
        "changes": queries.labelled_changes(report) if report else [],
        "can_scan": is_staff(request),
        "subscribed": queries.is_subscribed(request.user, run),
    }
    return render(request, "adoption/runs/detail.html", context)


@never_cache
@require_GET
@viewer_required
def run_progress(request: HttpRequest, run_id: int) -> JsonResponse:
    return JsonResponse(queries.progress(_get_run(run_id), staff=is_staff(request)))


@require_POST
@staff_required
def run_resume(request: HttpRequest, run_id: int) -> HttpResponse:
    if tasks.resume_run(_get_run(run_id).pk):
        messages.success(request, _("The run goes on with the domains not stored yet."))
    else:
        messages.warning(request, _("Only a partial run can be resumed."))
    return redirect("runs:detail", run_id=run_id)


@require_POST
@viewer_required
def run_subscribe(request: HttpRequest, run_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    run = _get_run(run_id)
    if queries.toggle_subscription(request.user, run, translation.get_language()):
        messages.success(
            request, _("You will get the report of every run of this scope by e-mail.")
        )
    else:
        messages.success(request, _("You will no longer get these reports by e-mail."))
    return redirect("runs:detail", run_id=run_id)


@require_GET
@viewer_required
def report_csv(request: HttpRequest, run_id: int) -> StreamingHttpResponse:
    report = get_object_or_404(RunReport, run_id=run_id)
    encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8"
    changes = report.data.get("changes", [])
    unmeasured = report.data.get("unmeasured", [])
    rows: list[tuple[str, ...]] = [REPORT_CSV_COLUMNS]
    rows += [
        (c["domain"], c["kind"], c["mechanism"], c["before"], c["after"])
        for c in changes
    ]
    rows += [(u["domain"], "unmeasured", "", "", u["status"]) for u in unmeasured]
    response = StreamingHttpResponse(
        CsvEncoder(encoding).rows(rows), content_type=f"text/csv; charset={encoding}"
    )
    response["Content-Disposition"] = f'attachment; filename="run-{run_id}-report.csv"'
    return response
