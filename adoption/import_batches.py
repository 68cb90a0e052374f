"""An upload's life between the upload form, the preview and the confirm button.

The file is parsed and planned once at upload; the preview page shows what was stored then
(counts, samples, the first row errors), so it opens at once even for 100,000 rows. Confirming
parses the stored bytes again and :func:`~adoption.registry_service.apply_import` plans again
inside its transaction, so what is written is measured against the registry as it is then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .csv_import import ParseResult, parse_registry_csv
from .models import ImportBatch
from .registry_service import (
    ImportBlocked,
    ImportOutcome,
    ImportPlan,
    apply_import,
    plan_import,
    plan_summary,
)

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
    )


def start_batch(
    *,
    owner: User,
    filename: str,
    data: bytes,
    group: str = "",
    replace: bool = False,
) -> ImportBatch:
    """Parse and plan an upload and keep it for the preview.

    Raises ``FileRejected`` (unreadable file) or ``ImportBlocked`` (a replace without a
    group); then nothing is stored.
    """
    purge_expired()
    plan = plan_import(parse_upload(data), group, replace)
    now = timezone.now()
    return ImportBatch.objects.create(
        owner=owner,
        filename=filename[:255],
        data=data,
        size=len(data),
        group=plan.group,
        replace=replace,
        preview=preview_of(plan),
        created_at=now,
        expires_at=now + PENDING_LIFETIME,
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
    """Drop the bytes of uploads nobody confirmed in time (the row stays as a record)."""
    return ImportBatch.objects.filter(
        state=ImportBatch.State.PENDING, expires_at__lte=now or timezone.now()
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
    "parse_upload",
    "preview_of",
    "purge_expired",
    "start_batch",
]
