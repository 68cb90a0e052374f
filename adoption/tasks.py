"""Celery tasks: thin wrappers that take ids and plain values and call service functions.

DNS ``temperror`` is a result to store, not a reason to retry a task; retries are declared
only for transient infrastructure errors (database, broker).

This is the one module that sends messages (``.delay``): the scan run's state machine
(``adoption.scans.runs``) returns what is to be sent (:class:`~adoption.scans.runs.Sends`),
and :func:`send` sends it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, transaction

from adoption.dmarc_reports import mailbox as dmarc_mailbox
from adoption.dmarc_reports import retention as dmarc_retention
from adoption.dmarc_reports.imap import MailboxError
from adoption.models import Group, ScanRun
from adoption.registry import batches
from adoption.scans import heartbeats, report_email
from adoption.scans import runs as scanning

logger = logging.getLogger(__name__)

# A database that is briefly away is worth a retry with backoff; nothing else is.
INFRA_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 5


@shared_task(
    name="adoption.tasks.start_run",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def start_run(run_id: int) -> None:
    send(scanning.start_run(run_id))


@shared_task(
    bind=True,
    name="adoption.tasks.scan_chunk",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def scan_chunk(self: Task[[int], None], chunk_id: int) -> None:
    send(scanning.scan_chunk(chunk_id, worker=str(self.request.hostname or "")))


@shared_task(name="adoption.tasks.watchdog")
def watchdog() -> int:
    """Re-send stalled chunks and restart lost runs; returns how many chunks were re-sent."""
    sends = scanning.rescan_stalled()
    send(sends)
    heartbeats.forget_stale()
    return len(sends.chunks)


@shared_task(name="adoption.tasks.scheduled_scan")
def scheduled_scan(group_id: int | None = None) -> int | None:
    """Beat's entry: start a run unless one for the same scope is still going."""
    group = Group.objects.filter(pk=group_id).first() if group_id else None
    if group_id and group is None:
        logger.warning("scheduled scan: group %s is gone", group_id)
        return None
    try:
        with transaction.atomic():
            return queue_run(group=group, trigger=ScanRun.Trigger.SCHEDULE).pk
    except scanning.RunAlreadyActive as active:
        logger.info("scheduled scan skipped: %s", active)
        return None


@shared_task(
    name="adoption.tasks.parse_import",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def parse_import(batch_id: int) -> None:
    """Parse a large registry upload for its preview page (``adoption.registry.batches``).
    Unrouted, so on the ``default`` queue: an upload waits behind housekeeping, never behind
    a scan run's chunks."""
    batches.parse_batch(batch_id)


@shared_task(
    name="adoption.tasks.send_report",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def send_report(report_id: int) -> int:
    return report_email.send_report(report_id)


# --- Sending ------------------------------------------------------------------------------


def send(sends: scanning.Sends) -> None:
    """Send what a step of the run's state machine asked for.

    A report's e-mail waits for the commit of the transaction that stored the report (a worker
    must find its row); chunk and start messages name rows committed already.
    """
    for chunk_id in sends.chunks:
        scan_chunk.delay(chunk_id)
    for run_id in sends.runs:
        start_run.delay(run_id)
    for report_id in sends.reports:
        transaction.on_commit(partial(send_report.delay, report_id))


def queue_run(
    *,
    group: Group | None = None,
    trigger: str = ScanRun.Trigger.USER,
    user: Any = None,
    chunk_size: int | None = None,
) -> ScanRun:
    """A new queued run whose start is sent once the row is committed: the web page, the
    ``scan`` command and beat start runs here. Raises
    :class:`~adoption.scans.runs.RunAlreadyActive` when the scope has one already."""
    run = scanning.create_run(
        group=group, trigger=trigger, user=user, chunk_size=chunk_size
    )
    transaction.on_commit(lambda: start_run.delay(run.pk))
    return run


def parse_import_later(batch_id: int) -> None:
    """Send the parse of a ``parsing`` upload once its row is committed."""
    transaction.on_commit(lambda: parse_import.delay(batch_id))


def resume_run(run_id: int) -> bool:
    """Resume a partial run and send its chunks not stored yet; ``False``: not partial."""
    sends = scanning.resume_run(run_id)
    if sends is None:
        return False
    send(sends)
    return True


@shared_task(name="adoption.tasks.poll_dmarc_mailbox")
def poll_dmarc_mailbox() -> dict[str, int] | None:
    """Beat's entry, every ``DMARC_IMAP_POLL_SECONDS``: store the reports waiting in the
    mailbox. A mailbox that cannot be reached is logged and tried again at the next poll;
    no message is lost meanwhile (it stays in the folder)."""
    try:
        summary = dmarc_mailbox.poll()
    except MailboxError as error:
        logger.error("DMARC mailbox not polled: %s", error)
        return None
    return None if summary is None else {k: v for k, v in vars(summary).items() if v}


@shared_task(name="adoption.tasks.delete_expired_dmarc_raw")
def delete_expired_dmarc_raw() -> int:
    """Daily: raw report XML past ``DMARC_RAW_RETENTION_DAYS`` (parsed data stays)."""
    return dmarc_retention.delete_expired_raw()
