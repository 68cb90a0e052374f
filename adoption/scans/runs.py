"""Scan runs as a state machine stored in the database: queued → running → finishing → done,
or partial/failed. Job state is read from our rows, never from Celery's result backend.

A run's chunks do not wait for their silent domains: a chunk stores what it could measure
and leaves the domains that met a DNS failure, or stalled while its others were done, to the
run (``ScanChunk.deferred_ids``). Once every chunk is done, retry chunks scan those with the
scanner's whole treatment (every attempt, then the end-of-run retry of
docs/scanner-decisions.md 7.2), and the run finishes when they are done. A silent domain
then holds the run once at its end, as in the bare scanner, instead of every chunk it is in.

The state machine sends nothing: a step that leads to more work returns it as :class:`Sends`
(chunks to scan, runs to start, a report to e-mail), and ``adoption.tasks``, the one module
that talks to the broker, sends it. So this module does not import the tasks that call it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from adoption.dmarc_reports.selectors import probed_selectors
from adoption.models import Domain, Group, ScanChunk, ScanRun
from adoption.models.scans import ACTIVE_STATES
from adoption.scans import run_report, selector_plans, stop_reasons
from adoption.scans.store import store_results
from adoption.stats import tallies
from adoption.stats.mechanisms import nxdomain_q, unmeasured_q
from scanner import (
    DomainResult,
    ResolverUnreachable,
    ScanOptions,
    check_domains_or_defer,
    check_domains_sync,
    resolvers_answer,
)
from scanner.engine import failed_domain_options
from scanner.options import parse_nameserver

logger = logging.getLogger(__name__)

# Domains per task, from a run's size: about CHUNKS_PER_RUN tasks, so several workers share
# a run to its end, each between MIN_CHUNK_SIZE and MAX_CHUNK_SIZE domains. A task holds its
# worker process until its last domain is done or deferred (one attempt's timeout for a
# silent domain). Larger tasks cover that wait with more of their other domains' work
# (docs/benchmarks.md, "Chunks wait for their silent domains"); larger still, a lost worker
# would cost more and a run's last tasks would leave workers idle longer. The per-run cache
# of shared provider records pays off at any of them. Retry chunks are sized the same way.
MIN_CHUNK_SIZE = 250
MAX_CHUNK_SIZE = 2000
CHUNKS_PER_RUN = 16

State = ScanRun.State
ChunkState = ScanChunk.State


@dataclass(frozen=True)
class Sends:
    """The messages a step of the state machine asks for; ``adoption.tasks`` sends them."""

    chunks: tuple[int, ...] = ()  # ScanChunk ids to scan
    runs: tuple[int, ...] = ()  # ScanRun ids to start
    reports: tuple[int, ...] = ()  # RunReport ids to e-mail, once committed

    def __add__(self, other: Sends) -> Sends:
        return Sends(
            self.chunks + other.chunks,
            self.runs + other.runs,
            self.reports + other.reports,
        )


NOTHING = Sends()


def scan_options_from_settings() -> dict[str, object]:
    """The scanner options of a new run, kept on the run so all its chunks agree."""
    return {
        "nameservers": [
            list(parse_nameserver(ns)) for ns in settings.SCANNER_NAMESERVERS
        ],
        "timeout": settings.SCANNER_TIMEOUT,
        "retries": settings.SCANNER_RETRIES,
        "concurrency": settings.SCANNER_CONCURRENCY,
        "max_concurrency": settings.SCANNER_MAX_CONCURRENCY or None,
        "adaptive": settings.SCANNER_ADAPTIVE_CONCURRENCY,
        "trust_ad": settings.SCANNER_TRUST_AD,
    }


def options_of(run: ScanRun) -> ScanOptions:
    return options_from(run.options or {})


def options_from_settings() -> ScanOptions:
    """The scanner options a new run would get, for a check made now (a domain's page)."""
    return options_from(scan_options_from_settings())


def options_from(raw: Mapping[str, Any]) -> ScanOptions:
    """:class:`ScanOptions` from the plain values kept on a run (``ScanRun.options``)."""
    nameservers = tuple(
        (str(host), int(port)) for host, port in raw.get("nameservers", [])
    )
    return ScanOptions(
        nameservers=nameservers,
        timeout=float(raw.get("timeout", 2.0)),
        retries=int(raw.get("retries", 2)),
        concurrency=int(raw.get("concurrency", 200)),
        # Runs stored before the cap existed have none: the scanner's default applies.
        max_concurrency=int(raw["max_concurrency"])
        if raw.get("max_concurrency")
        else None,
        # Runs stored before the setting existed: the scanner's default (adaptive).
        adaptive=bool(raw.get("adaptive", True)),
        trust_ad=bool(raw.get("trust_ad", False)),
    )


def domains_for(group: Group | None, at: dt.datetime | None = None) -> QuerySet[Domain]:
    """Active registry domains (of ``group``) that a run started at ``at`` measures."""
    domains = Domain.objects.filter(active=True)
    if group is not None:
        domains = domains.in_registry_at(at or timezone.now(), group)
    return domains.order_by("name")


class RunAlreadyActive(Exception):
    """A run of the same scope is queued, running or finishing: a second one is refused."""

    def __init__(self, active: ScanRun | None) -> None:
        super().__init__(f"run {active.pk if active else '?'} of this scope is active")
        self.active = active


def create_run(
    *,
    group: Group | None = None,
    trigger: str = ScanRun.Trigger.USER,
    user: Any = None,
    chunk_size: int | None = None,
) -> ScanRun:
    """A queued run (``adoption.tasks.queue_run`` also sends its start); ``chunk_size`` None
    sizes its tasks by the number of domains when it starts (:func:`chunk_size_for`).

    Raises :class:`RunAlreadyActive` when the scope has an active run. The database decides
    (the ``run_one_active_per_scope`` constraint), not a look beforehand: two callers at once
    ("scan now" and beat) would both see none and both insert. On PostgreSQL the second insert
    waits for the first transaction and fails once it commits.
    """
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            return ScanRun.objects.create(
                group=group,
                trigger=trigger,
                started_by=user if getattr(user, "is_authenticated", False) else None,
                options={**scan_options_from_settings(), "chunk_size": chunk_size},
            )
    except IntegrityError:
        active = active_run_for(group)
        if active is None:  # another constraint failed (a group deleted meanwhile)
            raise
        raise RunAlreadyActive(active) from None


def start_run(run_id: int) -> Sends:
    """Claim a queued run and split it into chunks: one message per chunk to send."""
    with transaction.atomic():
        # Conditional UPDATE: two deliveries of the same start message must not both build
        # chunks (acks_late re-delivers after a lost worker).
        claimed = ScanRun.objects.filter(pk=run_id, state=State.QUEUED).update(
            state=State.RUNNING, started_at=timezone.now()
        )
        if not claimed:
            logger.info("run %s already started or gone", run_id)
            return NOTHING
        run = ScanRun.objects.get(pk=run_id)
        ids = list(domains_for(run.group, run.created_at).values_list("pk", flat=True))
        size = chunk_size_of(run, len(ids))
        chunks = [
            ScanChunk(run=run, index=i, domain_ids=ids[start : start + size])
            for i, start in enumerate(range(0, len(ids), size))
        ]
        ScanChunk.objects.bulk_create(chunks)
        ScanRun.objects.filter(pk=run_id).update(domains_total=len(ids))
        chunk_ids = tuple(run.chunks.values_list("pk", flat=True))
    if not chunk_ids:
        return finish_run_if_complete(run_id)
    return Sends(chunks=chunk_ids)


def chunk_size_for(domains: int) -> int:
    """Domains per task for a run of ``domains``: about CHUNKS_PER_RUN tasks, within bounds."""
    wanted = -(-domains // CHUNKS_PER_RUN)  # rounded up
    return min(MAX_CHUNK_SIZE, max(MIN_CHUNK_SIZE, wanted))


def chunk_size_of(run: ScanRun, domains: int) -> int:
    """The run's own size if it was given one (runs stored before sizing kept theirs)."""
    configured = run.options.get("chunk_size")
    if configured is None:
        return chunk_size_for(domains)
    return max(1, int(configured))


def scan_chunk(chunk_id: int, worker: str = "") -> Sends:
    """Scan one chunk's domains and store them, but for those it defers to the run's retry
    chunks (a retry chunk stores all of its own); a second delivery stores the same rows.
    The last chunk of a run sends the retry chunks or finishes the run: its report is then
    to be sent. ``worker`` (the Celery node name) is kept on the chunk: who took it, how a
    run was shared."""
    chunk = ScanChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.state == ChunkState.DONE:
        return NOTHING
    if chunk.run.state != State.RUNNING:
        logger.info(
            "chunk %s skipped: run %s is %s", chunk_id, chunk.run_id, chunk.run.state
        )
        return NOTHING
    ScanChunk.objects.filter(pk=chunk_id).exclude(state=ChunkState.DONE).update(
        state=ChunkState.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        worker=worker,
    )
    domains = list(Domain.objects.filter(pk__in=chunk.domain_ids).order_by("name"))
    learned = probed_selectors(domains)  # DKIM selectors named in DMARC reports
    # One instant for every chunk of the run: a resent chunk gets the same plans.
    started = chunk.run.created_at
    items = [
        (d.name, selector_plans.probing_for(d, learned.get(d.pk, ()), started))
        for d in domains
    ]
    options = options_of(chunk.run)
    results: Sequence[DomainResult | None]
    try:
        if chunk.retry:  # the last word on these domains: whatever they give is stored
            results = check_domains_sync(items, failed_domain_options(options))
        else:
            results = check_domains_or_defer(items, options)
    except ResolverUnreachable as error:
        stop_unreachable(chunk, error)
        return NOTHING
    pairs = [
        (d, r.to_json()) for d, r in zip(domains, results, strict=True) if r is not None
    ]
    deferred = [d.pk for d, r in zip(domains, results, strict=True) if r is None]
    with transaction.atomic():
        store_results(chunk.run, pairs)
        selector_plans.save_remembered(selector_plans.remember(pairs, started))
    mark_chunk_done(chunk, len(pairs), deferred)
    return finish_run_if_complete(chunk.run_id)


def stop_unreachable(chunk: ScanChunk, error: ResolverUnreachable) -> None:
    """No resolver answers (docs/scanner-decisions.md 7.8): every domain left would be stored
    as ``temperror``, so the run stops instead, ``partial`` whatever was stored, and the
    watchdog resumes it once a resolver answers (:func:`resume_after_dns`). The chunk stores
    nothing; the others skip."""
    logger.error("run %s stopped at chunk %s: %s", chunk.run_id, chunk.index, error)
    _stop(chunk.run_id, stop_reasons.dns_stop(chunk.index, error), resumable=True)


def resume_after_dns() -> Sends:
    """Runs stopped because no resolver answered, resumed once one of theirs replies (the
    watchdog's round: a weekly run stopped by a resolver restart at night goes on without
    anyone pressing *Resume*). Only a scope's newest run: once another has started, the
    stopped one stays as it is."""
    sends = NOTHING
    stopped = ScanRun.objects.filter(
        state=State.PARTIAL, stop_reason=ScanRun.StopReason.DNS
    )
    for run in stopped:
        if run.superseded() or not resolvers_answer(options_of(run)):
            continue
        logger.info("run %s: a resolver answers again, resuming", run.pk)
        try:
            with transaction.atomic():
                sends += resume_run(run.pk) or NOTHING
        except IntegrityError:  # a run of the same scope started meanwhile
            logger.info("run %s not resumed: another run of its scope started", run.pk)
    return sends


def mark_chunk_done(chunk: ScanChunk, count: int, deferred: list[int]) -> None:
    with transaction.atomic():
        # Only the delivery that flips the chunk to done counts its domains and names the
        # ones it deferred, so progress stays right when a chunk was delivered twice.
        flipped = (
            ScanChunk.objects.filter(pk=chunk.pk)
            .exclude(state=ChunkState.DONE)
            .update(
                state=ChunkState.DONE,
                finished_at=timezone.now(),
                deferred_ids=deferred,
            )
        )
        if flipped:
            ScanRun.objects.filter(pk=chunk.run_id).update(
                domains_done=F("domains_done") + count
            )


def finish_run_if_complete(run_id: int) -> Sends:
    """When every chunk is stored, send the retry chunks of the domains they deferred (once),
    or, when there are none or they are done too, count, report and mark the run done
    (exactly once)."""
    if _unfinished(run_id):
        return NOTHING
    retry = send_deferred(run_id)
    if retry is not None:
        return retry
    # Another caller sent retry chunks between the first look and send_deferred's.
    if _unfinished(run_id):
        return NOTHING
    # running → finishing by one caller only: two last chunks finishing together must not
    # both build the report.
    if not ScanRun.objects.filter(pk=run_id, state=State.RUNNING).update(
        state=State.FINISHING
    ):
        return NOTHING
    return finalise_run(run_id)


def _unfinished(run_id: int) -> bool:
    return (
        ScanChunk.objects.filter(run_id=run_id).exclude(state=ChunkState.DONE).exists()
    )


def send_deferred(run_id: int) -> Sends | None:
    """Retry chunks for the domains the run's chunks deferred, to be sent; None when no
    domain was deferred or the run has its retry chunks already.

    Two last chunks finishing together both come here: the retry chunks' indexes follow the
    others', so the second insert breaks ``chunk_run_index_unique`` and sends nothing.
    """
    chunks = ScanChunk.objects.filter(run_id=run_id)
    if chunks.filter(retry=True).exists():
        return None
    per_chunk = list(chunks.order_by("index").values_list("deferred_ids", flat=True))
    deferred = [pk for ids in per_chunk for pk in ids]
    if not deferred:
        return None
    size = chunk_size_for(len(deferred))
    first = len(per_chunk)  # the retry chunks' indexes follow every chunk's
    retries = [
        ScanChunk(
            run_id=run_id,
            index=first + i,
            domain_ids=deferred[start : start + size],
            retry=True,
        )
        for i, start in enumerate(range(0, len(deferred), size))
    ]
    try:
        with transaction.atomic():
            ScanChunk.objects.bulk_create(retries)
    except IntegrityError:
        return NOTHING
    logger.info(
        "run %s: %s deferred domains in %s retry chunks",
        run_id,
        len(deferred),
        len(retries),
    )
    ids = chunks.filter(retry=True).values_list("pk", flat=True)
    return Sends(chunks=tuple(ids))


def finalise_run(run_id: int) -> Sends:
    """finishing → done: counts, the dashboard's tallies and the report, whose e-mail is then
    to be sent. Safe to call again."""
    complete_run(run_id)
    run = ScanRun.objects.get(pk=run_id)
    if run.state != State.DONE:
        return NOTHING
    # Counted here, once, so no viewer of the dashboard pays for counting a new run.
    tallies.tally_run(run)
    return Sends(reports=(run_report.build_report(run).pk,))


def complete_run(run_id: int) -> None:
    run = ScanRun.objects.get(pk=run_id)
    counts = run.results.aggregate(
        temperror=Count("pk", filter=unmeasured_q()),
        nxdomain=Count("pk", filter=nxdomain_q()),
        done=Count("pk"),
    )
    ScanRun.objects.filter(pk=run_id, state=State.FINISHING).update(
        state=State.DONE,
        finished_at=timezone.now(),
        temperror_count=counts["temperror"],
        nxdomain_count=counts["nxdomain"],
        domains_done=counts["done"],
    )


def resume_run(run_id: int) -> Sends | None:
    """partial → running: every chunk that is not stored yet is to be sent again. ``None``
    when the run is not partial."""
    if not ScanRun.objects.filter(pk=run_id, state=State.PARTIAL).update(
        state=State.RUNNING, **stop_reasons.not_stopped()
    ):
        return None
    pending = ScanChunk.objects.filter(run_id=run_id).exclude(state=ChunkState.DONE)
    chunk_ids = tuple(pending.values_list("pk", flat=True))
    pending.update(state=ChunkState.QUEUED, attempts=0, queued_at=timezone.now())
    return Sends(chunks=chunk_ids) + finish_run_if_complete(run_id)


def active_run_for(group: Group | None) -> ScanRun | None:
    """The scope's active run (at most one: ``run_one_active_per_scope``)."""
    return ScanRun.objects.filter(state__in=ACTIVE_STATES, group=group).first()


def rescan_stalled(now: dt.datetime | None = None) -> Sends:
    """The watchdog: chunks that made no progress are to be sent again (a chunk never
    started only when the queue stopped moving), runs stuck in ``queued`` to be started again,
    runs stopped for DNS resumed once a resolver answers; hopeless runs are given up."""
    now = now or timezone.now()
    stall = dt.timedelta(seconds=settings.SCAN_CHUNK_STALL_SECONDS)
    stalled_q = Q(started_at__lt=now - stall)
    if not _queue_moved(now - stall):
        stalled_q |= Q(started_at__isnull=True, queued_at__lt=now - stall)
    sends = NOTHING
    for run in ScanRun.objects.filter(state=State.RUNNING):
        stalled = run.chunks.exclude(state=ChunkState.DONE).filter(stalled_q)
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
                sends += Sends(chunks=(chunk.pk,))
        sends += finish_run_if_complete(run.pk)
    return sends + _restart_stuck(now, stall) + resume_after_dns()


def _queue_moved(since: dt.datetime) -> bool:
    """Whether workers took or finished a chunk of any running run since ``since``.

    Chunks wait in one first-in, first-out queue: while it moves, a chunk never started is
    waiting its turn (a large run queues thousands), not a lost message, and sending it again
    would only add copies behind it. Messages lost with the broker show when nothing moves.
    """
    moved = Q(started_at__gte=since) | Q(finished_at__gte=since)
    return ScanChunk.objects.filter(moved, run__state=State.RUNNING).exists()


def _give_up(run: ScanRun, chunk: ScanChunk) -> None:
    _stop(run.pk, stop_reasons.chunk_failed(chunk.index, chunk.attempts))


def _stop(run_id: int, stop: stop_reasons.Stop, resumable: bool = False) -> None:
    """A running run ends for ``stop``: ``partial`` (resumable) when a chunk was stored or
    ``resumable`` says so, else ``failed``. Statistics read done runs only."""
    any_done = ScanChunk.objects.filter(run_id=run_id, state=ChunkState.DONE).exists()
    ScanRun.objects.filter(pk=run_id, state=State.RUNNING).update(
        state=State.PARTIAL if resumable or any_done else State.FAILED,
        finished_at=timezone.now(),
        **stop.fields(),
    )


def _restart_stuck(now: dt.datetime, stall: dt.timedelta) -> Sends:
    """Runs whose start message was lost are started again; runs left ``finishing`` by a lost
    worker are finished here."""
    queued = ScanRun.objects.filter(state=State.QUEUED, created_at__lt=now - stall)
    sends = Sends(runs=tuple(queued.values_list("pk", flat=True)))
    for run_id in ScanRun.objects.filter(
        state=State.FINISHING, started_at__lt=now - stall
    ).values_list("pk", flat=True):
        sends += finalise_run(run_id)
    return sends
