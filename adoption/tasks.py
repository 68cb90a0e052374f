"""Celery tasks: thin wrappers that take ids and plain values and call service functions.

DNS ``temperror`` is a result to store, not a reason to retry a task; retries are declared
only for transient infrastructure errors (database, broker).
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from . import reports, scanning
from .models import Group, ScanRun, WorkerHeartbeat

logger = logging.getLogger(__name__)

# A database that is briefly away is worth a retry with backoff; nothing else is.
INFRA_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 5


@shared_task(bind=True, name="adoption.tasks.heartbeat")
def heartbeat(self: Task[[str], str], token: str) -> str:
    """Store a row named ``token``; idempotent, so a re-delivered message changes nothing."""
    hostname = str(self.request.hostname or "")
    WorkerHeartbeat.objects.get_or_create(token=token, defaults={"hostname": hostname})
    return token


@shared_task(
    name="adoption.tasks.start_run",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def start_run(run_id: int) -> None:
    scanning.start_run(run_id)


@shared_task(
    name="adoption.tasks.scan_chunk",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def scan_chunk(chunk_id: int) -> None:
    scanning.scan_chunk(chunk_id)


@shared_task(name="adoption.tasks.watchdog")
def watchdog() -> int:
    return len(scanning.rescan_stalled())


@shared_task(name="adoption.tasks.scheduled_scan")
def scheduled_scan(group_id: int | None = None) -> int | None:
    """Beat's entry: start a run unless one for the same scope is still going."""
    group = Group.objects.filter(pk=group_id).first() if group_id else None
    if group_id and group is None:
        logger.warning("scheduled scan: group %s is gone", group_id)
        return None
    if scanning.active_run_for(group) is not None:
        logger.info("scheduled scan skipped: a run for this scope is still active")
        return None
    return scanning.create_run(group=group, trigger=ScanRun.Trigger.SCHEDULE).pk


@shared_task(
    name="adoption.tasks.send_report",
    autoretry_for=INFRA_ERRORS,
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def send_report(report_id: int) -> int:
    return reports.send_report(report_id)
