"""An upload's life between the upload form, the preview and the confirm button.

The file is parsed and planned once at upload; the preview page shows what was stored then
(counts, samples, the first row errors), so it opens at once even for 100,000 rows. Confirming
parses the stored bytes again and :func:`~adoption.registry.plan.apply_import` plans again
inside its transaction, so what is written is measured against the registry as it is then.

A large upload (over ``REGISTRY_IMPORT_BACKGROUND_BYTES``, and every .xlsx, whose inflated
parts can be fifty times the upload) is parsed by a worker instead of the request: the batch is
stored ``parsing`` and :func:`parse_batch` (the ``adoption.tasks.parse_import`` task) stores
its preview, or the reason it was refused. A request that would parse it could outlive the
proxy's timeout while holding a web process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from adoption.models import ImportBatch
from adoption.registry.parse import (
    FileRejected,
    ParseResult,
    check_file_size,
    parse_registry_csv,
)
from adoption.registry.plan import (
    ImportBlocked,
    ImportOutcome,
    ImportPlan,
    apply_import,
    plan_import,
    plan_summary,
)
from adoption.registry.xlsx import XlsxLimits, is_xlsx

# How long an upload waits for its confirmation before its bytes are dropped.
PENDING_LIFETIME = dt.timedelta(hours=2)
# Rows per category kept for the preview page; the counts are always complete.
PREVIEW_SAMPLE = 200
# Row errors kept for the preview page; all of them are in the downloadable error report.
PREVIEW_ERRORS = 1000


class BatchGone(Exception):
    """The batch was already imported, discarded or has expired."""


def parse_upload(data: bytes) -> ParseResult:
    """:func:`parse_registry_csv` with the limits from settings."""
    return parse_registry_csv(
        data,
        max_bytes=settings.REGISTRY_IMPORT_MAX_BYTES,
        max_rows=settings.REGISTRY_IMPORT_MAX_ROWS,
        xlsx_limits=XlsxLimits(
            part_bytes=settings.REGISTRY_XLSX_MAX_PART_BYTES,
            shared_strings=settings.REGISTRY_XLSX_MAX_SHARED_STRINGS,
        ),
    )


def start_batch(
    *,
    owner: User,
    filename: str,
    data: bytes,
    group: str = "",
    replace: bool = False,
) -> ImportBatch:
    """Parse and plan an upload and keep it for the preview; a large one is kept ``parsing``
    for :func:`parse_batch` (the caller sends the task).

    Raises ``FileRejected`` (unreadable file) or ``ImportBlocked`` (a replace without a
    group); then nothing is stored. A large file is only checked for size and emptiness here.
    """
    purge_expired()
    now = timezone.now()
    batch = ImportBatch(
        owner=owner,
        filename=filename[:255],
        data=data,
        size=len(data),
        group=group.strip(),
        replace=replace,
        created_at=now,
        expires_at=now + PENDING_LIFETIME,
    )
    if parses_in_background(data):
        check_file_size(data, settings.REGISTRY_IMPORT_MAX_BYTES)
        if replace and not batch.group:
            raise ImportBlocked("replace_without_group")
        batch.state = ImportBatch.State.PARSING
    else:
        plan = plan_import(parse_upload(data), group, replace)
        batch.group, batch.preview = plan.group, preview_of(plan)
    batch.save()
    return batch


def parses_in_background(data: bytes) -> bool:
    return is_xlsx(data) or len(data) > settings.REGISTRY_IMPORT_BACKGROUND_BYTES


def parse_batch(batch_id: int) -> None:
    """Parse and plan a ``parsing`` batch: ``pending`` with its preview, or ``rejected`` with
    the reason (its bytes dropped). A second delivery of the task finds it parsed already."""
    batch = ImportBatch.objects.filter(
        pk=batch_id, state=ImportBatch.State.PARSING
    ).first()
    if batch is None:
        return
    try:
        plan = plan_import(parse_upload(bytes(batch.data)), batch.group, batch.replace)
    except FileRejected as error:
        _reject(batch_id, "file", error.code, error.params)
        return
    except ImportBlocked as error:
        _reject(batch_id, "blocked", error.code, error.params)
        return
    # The confirmation gets its full time from when the preview is ready.
    ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.PARSING).update(
        state=ImportBatch.State.PENDING,
        group=plan.group,
        preview=preview_of(plan),
        expires_at=timezone.now() + PENDING_LIFETIME,
    )


def _reject(batch_id: int, kind: str, code: str, params: dict[str, Any]) -> None:
    ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.PARSING).update(
        state=ImportBatch.State.REJECTED,
        data=b"",
        rejection={"kind": kind, "code": code, "params": dict(params)},
    )


def batch_plan(batch: ImportBatch) -> ImportPlan:
    return plan_import(parse_upload(bytes(batch.data)), batch.group, batch.replace)


def apply_batch(batch: ImportBatch, *, partial: bool) -> ImportOutcome:
    """Import a pending batch once; raises BatchGone when it is no longer pending."""
    with transaction.atomic():
        # Claim the batch first: a double click, or two tabs, would otherwise import the same
        # file twice. The conditional UPDATE locks the row until this transaction ends, and
        # the second request then finds it applied and changes nothing.
        claimed = ImportBatch.objects.filter(
            pk=batch.pk, state=ImportBatch.State.PENDING, expires_at__gt=timezone.now()
        ).update(state=ImportBatch.State.APPLIED, applied_at=timezone.now())
        if not claimed:
            raise BatchGone
        outcome = apply_import(batch_plan(batch), partial=partial)
        ImportBatch.objects.filter(pk=batch.pk).update(
            data=b"", outcome={**outcome.as_dict(), "partial": partial}
        )
    return outcome


def discard_batch(batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.PENDING).update(
        state=ImportBatch.State.DISCARDED, data=b""
    )


def purge_expired(now: dt.datetime | None = None) -> int:
    """Drop the bytes of uploads nobody confirmed in time (the row stays as a record); one
    still ``parsing`` then lost its task (a broker that lost the message)."""
    return ImportBatch.objects.filter(
        state__in=[ImportBatch.State.PENDING, ImportBatch.State.PARSING],
        expires_at__lte=now or timezone.now(),
    ).update(state=ImportBatch.State.EXPIRED, data=b"")


def preview_of(plan: ImportPlan) -> dict[str, Any]:
    """Plain JSON for the preview page: messages are rendered later, in the reader's language."""
    result = plan.result
    return {
        "summary": plan_summary(plan),
        "encoding": result.encoding,
        "delimiter": {"\t": "tab", ",": "comma"}.get(result.delimiter, ""),
        "header_row": result.header_row,
        "columns": dict(result.columns),
        "ignored_columns": list(result.ignored_columns),
        "sheet": result.sheet,
        "ignored_sheets": list(result.ignored_sheets),
        "added": [[p.row, p.domain, p.display] for p in plan.added[:PREVIEW_SAMPLE]],
        "restored": [
            [p.row, p.domain, p.display] for p in plan.restored[:PREVIEW_SAMPLE]
        ],
        "updated": [
            [p.row, p.domain, p.display, list(p.changes)]
            for p in plan.updated[:PREVIEW_SAMPLE]
        ],
        "departures": [
            [d.domain, d.display, d.retired] for d in plan.departures[:PREVIEW_SAMPLE]
        ],
        "new_groups": list(plan.new_groups),
        "new_organisations": list(plan.new_organisations[:PREVIEW_SAMPLE]),
        "renamed_organisations": list(plan.renamed_organisations[:PREVIEW_SAMPLE]),
        "errors": [
            [e.row, e.column, e.code, e.value, dict(e.params)]
            for e in result.errors[:PREVIEW_ERRORS]
        ],
    }


__all__ = [
    "BatchGone",
    "ImportBlocked",
    "apply_batch",
    "batch_plan",
    "discard_batch",
    "parse_batch",
    "parse_upload",
    "parses_in_background",
    "preview_of",
    "purge_expired",
    "start_batch",
]
