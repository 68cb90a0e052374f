"""Scan runs as a state machine stored in the database: queued → running → finishing → done,
or partial/failed. Tasks in ``tasks.py`` call these functions; job state is read from our rows,
never from Celery's result backend.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from scanner import ScanOptions, check_domains_sync
from scanner.options import parse_nameserver

from .models import Domain, Group, ScanChunk, ScanRun
from .result_store import store_results, unmeasured_q

logger = logging.getLogger(__name__)

# Domains per task. Large enough that the scanner's per-run cache pays off (provider includes
# are shared) and per-task overhead is small; small enough that a lost worker costs little
# and several workers share a run. Measured in bench/pipeline.py (docs/benchmarks.md).
CHUNK_SIZE = 250

State = ScanRun.State
ChunkState = ScanChunk.State


def scan_options_from_settings() -> dict[str, object]:
    """The scanner options of a new run, kept on the run so all its chunks agree."""
    return {
        "nameservers": [
            list(parse_nameserver(ns)) for ns in settings.SCANNER_NAMESERVERS
        ],
        "timeout": settings.SCANNER_TIMEOUT,
        "retries": settings.SCANNER_RETRIES,
        "concurrency": settings.SCANNER_CONCURRENCY,
        "trust_ad": settings.SCANNER_TRUST_AD,
    }


def options_of(run: ScanRun) -> ScanOptions:
    raw = run.options or {}
    nameservers = tuple(
        (str(host), int(port)) for host, port in raw.get("nameservers", [])
    )
    return ScanOptions(
        nameservers=nameservers,
        timeout=float(raw.get("timeout", 2.0)),
        retries=int(raw.get("retries", 2)),
        concurrency=int(raw.get("concurrency", 200)),
        trust_ad=bool(raw.get("trust_ad", False)),
    )


def domains_for(group: Group | None, at: dt.datetime | None = None) -> QuerySet[Domain]:
    """Active registry domains (of ``group``) that a run started at ``at`` measures."""
    domains = Domain.objects.filter(active=True)
    if group is not None:
        at = at or timezone.now()
        domains = domains.filter(
            Q(memberships__left_at__isnull=True) | Q(memberships__left_at__gt=at),
            memberships__group=group,
            memberships__joined_at__lte=at,
        )
    return domains.order_by("name").distinct()


def create_run(
    *,
    group: Group | None = None,
    trigger: str = ScanRun.Trigger.USER,
    user: Any = None,
    chunk_size: int = CHUNK_SIZE,
    dispatch: bool = True,
) -> ScanRun:
    """A queued run; its ``start_run`` task is sent once the row is committed."""
    from . import tasks

    run = ScanRun.objects.create(
        group=group,
        trigger=trigger,
        started_by=user if getattr(user, "is_authenticated", False) else None,
        options={**scan_options_from_settings(), "chunk_size": chunk_size},
    )
    if dispatch:
        transaction.on_commit(lambda: tasks.start_run.delay(run.pk))
    return run


def start_run(run_id: int) -> None:
    """Claim a queued run, split it into chunks and send one task per chunk."""
    from . import tasks

    with transaction.atomic():
        # Conditional UPDATE: two deliveries of the same start message must not both build
        # chunks (acks_late re-delivers after a lost worker).
        claimed = ScanRun.objects.filter(pk=run_id, state=State.QUEUED).update(
            state=State.RUNNING, started_at=timezone.now()
        )
        if not claimed:
            logger.info("run %s already started or gone", run_id)
            return
        run = ScanRun.objects.get(pk=run_id)
        ids = list(domains_for(run.group, run.created_at).values_list("pk", flat=True))
        size = max(1, int(run.options.get("chunk_size", CHUNK_SIZE)))
        chunks = [
            ScanChunk(run=run, index=i, domain_ids=ids[start : start + size])
            for i, start in enumerate(range(0, len(ids), size))
        ]
        ScanChunk.objects.bulk_create(chunks)
        ScanRun.objects.filter(pk=run_id).update(domains_total=len(ids))
        chunk_ids = list(run.chunks.values_list("pk", flat=True))
    for chunk_id in chunk_ids:
        tasks.scan_chunk.delay(chunk_id)
    if not chunk_ids:
        finish_run_if_complete(run_id)


def scan_chunk(chunk_id: int) -> None:
    """Scan one chunk's domains and store them; a second delivery stores the same rows."""
    chunk = ScanChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.state == ChunkState.DONE:
        return
    if chunk.run.state != State.RUNNING:
        logger.info(
            "chunk %s skipped: run %s is %s", chunk_id, chunk.run_id, chunk.run.state
        )
        return
    ScanChunk.objects.filter(pk=chunk_id).exclude(state=ChunkState.DONE).update(
        state=ChunkState.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    domains = list(Domain.objects.filter(pk__in=chunk.domain_ids).order_by("name"))
    results = check_domains_sync(
        [(d.name, tuple(d.dkim_selectors or ())) for d in domains],
        options_of(chunk.run),
    )
    store_results(
        chunk.run, [(d, r.to_json()) for d, r in zip(domains, results, strict=True)]
    )
    mark_chunk_done(chunk, len(domains))
    finish_run_if_complete(chunk.run_id)


def mark_chunk_done(chunk: ScanChunk, count: int) -> None:
    with transaction.atomic():
        # Only the delivery that flips the chunk to done counts its domains, so progress
        # stays right when a chunk was delivered twice.
        flipped = (
            ScanChunk.objects.filter(pk=chunk.pk)
            .exclude(state=ChunkState.DONE)
            .update(state=ChunkState.DONE, finished_at=timezone.now())
        )
        if flipped:
            ScanRun.objects.filter(pk=chunk.run_id).update(
                domains_done=F("domains_done") + count
            )


def finish_run_if_complete(run_id: int) -> bool:
    """When every chunk is stored, count, report and mark the run done (exactly once)."""
    if ScanChunk.objects.filter(run_id=run_id).exclude(state=ChunkState.DONE).exists():
        return False
    # running → finishing by one caller only: two last chunks finishing together must not
    # both build the report.
    if not ScanRun.objects.filter(pk=run_id, state=State.RUNNING).update(
        state=State.FINISHING
    ):
        return False
    finalise_run(run_id)
    return True


def finalise_run(run_id: int) -> None:
    """finishing → done: counts, the dashboard's tallies, the report and its e-mail.
    Safe to call again."""
    from . import reports, tallies

    complete_run(run_id)
    run = ScanRun.objects.get(pk=run_id)
    if run.state == State.DONE:
        # Counted here, once, so no viewer of the dashboard pays for counting a new run.
        tallies.tally_run(run)
        reports.send_report_later(reports.build_report(run))


def complete_run(run_id: int) -> None:
    run = ScanRun.objects.get(pk=run_id)
    counts = run.results.aggregate(
        temperror=Count("pk", filter=unmeasured_q()),
        nxdomain=Count("pk", filter=Q(version__status="nxdomain")),
        done=Count("pk"),
    )
    ScanRun.objects.filter(pk=run_id, state=State.FINISHING).update(
        state=State.DONE,
        finished_at=timezone.now(),
        temperror_count=counts["temperror"],
        nxdomain_count=counts["nxdomain"],
        domains_done=counts["done"],
    )


def resume_run(run_id: int) -> bool:
    """partial → running, and send every chunk that is not stored yet."""
    from . import tasks

    if not ScanRun.objects.filter(pk=run_id, state=State.PARTIAL).update(
        state=State.RUNNING, error=""
    ):
        return False
    pending = ScanChunk.objects.filter(run_id=run_id).exclude(state=ChunkState.DONE)
    chunk_ids = list(pending.values_list("pk", flat=True))
    pending.update(state=ChunkState.QUEUED, attempts=0, queued_at=timezone.now())
    for chunk_id in chunk_ids:
        tasks.scan_chunk.delay(chunk_id)
    finish_run_if_complete(run_id)
    return True


def active_run_for(group: Group | None) -> ScanRun | None:
    runs = ScanRun.objects.filter(
        state__in=[State.QUEUED, State.RUNNING, State.FINISHING]
    )
    return runs.filter(group=group).first()


def rescan_stalled(now: dt.datetime | None = None) -> Sequence[int]:
    """The watchdog: re-send chunks that made no progress, give up on hopeless runs."""
    from . import tasks

    now = now or timezone.now()
    stall = dt.timedelta(seconds=settings.SCAN_CHUNK_STALL_SECONDS)
    resent: list[int] = []
    for run in ScanRun.objects.filter(state=State.RUNNING):
        stalled = run.chunks.exclude(state=ChunkState.DONE).filter(
            Q(started_at__lt=now - stall)
            | Q(started_at__isnull=True, queued_at__lt=now - stall)
        )
        for chunk in stalled:
            if chunk.attempts >= settings.SCAN_MAX_CHUNK_ATTEMPTS:
                _give_up(run, chunk)
                break
            # Conditional on the timestamps we read: a chunk that just started elsewhere is
            # left alone instead of being sent twice.
            touched = ScanChunk.objects.filter(
                pk=chunk.pk, started_at=chunk.started_at, queued_at=chunk.queued_at
            ).update(state=ChunkState.QUEUED, started_at=None, queued_at=now)
            if touched:
                tasks.scan_chunk.delay(chunk.pk)
                resent.append(chunk.pk)
        finish_run_if_complete(run.pk)
    _restart_stuck_queued(now, stall)
    return resent


def _give_up(run: ScanRun, chunk: ScanChunk) -> None:
    any_done = run.chunks.filter(state=ChunkState.DONE).exists()
    ScanRun.objects.filter(pk=run.pk, state=State.RUNNING).update(
        state=State.PARTIAL if any_done else State.FAILED,
        finished_at=timezone.now(),
        error=f"chunk {chunk.index} did not finish after {chunk.attempts} attempts",
    )


def _restart_stuck_queued(now: dt.datetime, stall: dt.timedelta) -> None:
    from . import tasks

    for run_id in ScanRun.objects.filter(
        state=State.QUEUED, created_at__lt=now - stall
    ).values_list("pk", flat=True):
        tasks.start_run.delay(run_id)
    for run_id in ScanRun.objects.filter(
        state=State.FINISHING, started_at__lt=now - stall
    ).values_list("pk", flat=True):
        finalise_run(run_id)
