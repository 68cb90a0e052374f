"""Registry pages: the list, the import (upload, preview, confirm) and the exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import IntegrityError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adoption import tasks
from adoption.access import staff_required, viewer_required
from adoption.models import Group, ImportBatch
from adoption.registry import batches, export
from adoption.registry import queries as registry
from adoption.registry.forms import (
    ExportForm,
    ImportConfirmForm,
    ImportUploadForm,
    RegistryFilterForm,
)
from adoption.registry.messages import (
    blocked_message,
    display_errors,
    display_updates,
    encoding_name,
    error_report_rows,
    file_error_message,
    rejection_message,
)
from adoption.registry.parse import FileRejected
from adoption.registry.plan import ImportBlocked

PAGE_SIZE = 50


def _own_batch(request: HttpRequest, pk: int) -> ImportBatch:
    """The user's own upload; another user's, or a missing one, is a 404."""
    try:
        return ImportBatch.objects.get(pk=pk, owner_id=request.user.pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _paginate(request: HttpRequest, items: object, page: int | None) -> Page:  # type: ignore[type-arg]
    return Paginator(items, PAGE_SIZE).get_page(page or 1)  # type: ignore[arg-type]


@viewer_required
@require_GET
def domain_list(request: HttpRequest) -> HttpResponse:
    form = RegistryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    domains = registry.search_domains(
        filters.get("q", ""), filters.get("group"), bool(filters.get("retired"))
    )
    page = _paginate(request, domains, filters.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "adoption/registry/list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = batches.start_batch(
                owner=request.user,  # type: ignore[arg-type]
                filename=upload.name or "",
                data=upload.read(),
                group=form.cleaned_data["group"],
                replace=form.replace,
            )
        except FileRejected as error:
            form.add_error("file", file_error_message(error))
        except ImportBlocked as error:
            form.add_error(None, blocked_message(error))
        else:
            if batch.state == ImportBatch.State.PARSING:
                tasks.parse_import_later(batch.pk)
            url = reverse("registry:import_preview", args=[batch.pk])
            if _wants_json(request):
                return JsonResponse({"redirect": url})
            return redirect(url)
    if request.method == "POST" and _wants_json(request):
        errors = [str(e) for field in form.errors.values() for e in field]
        return JsonResponse({"errors": errors}, status=400)
    groups = Group.objects.order_by("name").values_list("name", flat=True)
    return render(
        request,
        "adoption/registry/import.html",
        {
            "form": form,
            "group_names": list(groups),
            "max_bytes": settings.REGISTRY_IMPORT_MAX_BYTES,
            "max_mb": settings.REGISTRY_IMPORT_MAX_BYTES // (1024 * 1024),
            "max_rows": settings.REGISTRY_IMPORT_MAX_ROWS,
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_GET
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_batch(request, pk)
    if batch.state == ImportBatch.State.PARSING:
        # The page reloads itself (a meta refresh: no inline script under the CSP).
        return render(request, "adoption/registry/parsing.html", {"batch": batch})
    if batch.state == ImportBatch.State.REJECTED:
        messages.error(request, rejection_message(batch.rejection))
        return redirect("registry:import")
    preview = batch.preview
    pending = (
        batch.state == ImportBatch.State.PENDING and batch.expires_at > timezone.now()
    )
    return render(
        request,
        "adoption/registry/preview.html",
        {
            "batch": batch,
            "pending": pending,
            "preview": preview,
            "summary": preview.get("summary", {}),
            "encoding": encoding_name(preview.get("encoding", "")),
            "updated": display_updates(preview.get("updated", [])),
            "errors": display_errors(
                preview.get("errors", []), preview.get("columns", {})
            ),
            "confirm_form": ImportConfirmForm(),
        },
    )


@staff_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_batch(request, pk)
    form = ImportConfirmForm(request.POST)
    partial = form.is_valid() and form.cleaned_data["good_rows_only"]
    try:
        outcome = batches.apply_batch(batch, partial=partial)
    except batches.BatchGone:
        messages.error(
            request, _("This upload was already imported, discarded or has expired.")
        )
        return redirect("registry:import")
    except ImportBlocked as error:
        messages.error(request, blocked_message(error))
        return redirect("registry:import_preview", pk=batch.pk)
    except IntegrityError:
        messages.error(
            request,
            _(
                "The registry changed during the import; nothing was written. Try again."
            ),
        )
        return redirect("registry:import_preview", pk=batch.pk)
    except FileRejected as error:  # the limits were lowered since the upload
        messages.error(request, file_error_message(error))
        return redirect("registry:import")
    messages.success(
        request,
        _(
            "Imported: %(added)s added, %(restored)s back in the registry, %(updated)s updated, "
            "%(unchanged)s unchanged, %(left_group)s left the group, %(retired)s retired, "
            "%(skipped_rows)s rows with errors skipped."
        )
        % outcome.as_dict(),
    )
    return redirect("registry:list")


@staff_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batches.discard_batch(_own_batch(request, pk))
    messages.info(request, _("The upload was discarded; nothing was written."))
    return redirect("registry:import")


@staff_required
@require_GET
def import_errors(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Every row error of a pending upload, as a CSV report to fix the file by."""
    batch = _own_batch(request, pk)
    if batch.state != ImportBatch.State.PENDING:
        raise Http404
    try:
        result = batches.parse_upload(bytes(batch.data))
    except FileRejected:
        raise Http404 from None
    body = export.CsvEncoder().rows(error_report_rows(result))
    return _download(body, f"errors-{batch.pk}.csv", "text/csv; charset=utf-8")


@viewer_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    form = ExportForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    encoding = filters.get("encoding") or "utf-8"
    domains = export.registry_domains(bool(filters.get("retired")))
    body = export.registry_csv(domains, export.CsvEncoder(encoding))
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return _download(body, _export_name("csv"), f"text/csv; charset={charset}")


@viewer_required
@require_GET
def export_json(request: HttpRequest) -> HttpResponseBase:
    form = ExportForm(request.GET)
    retired = form.is_valid() and bool(form.cleaned_data.get("retired"))
    body = (
        text.encode() for text in export.registry_json(export.registry_domains(retired))
    )
    return _download(body, _export_name("json"), "application/json")


def _export_name(extension: str) -> str:
    return f"registry-{timezone.localdate():%Y%m%d}.{extension}"


def _download(body: object, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)  # type: ignore[arg-type]
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
