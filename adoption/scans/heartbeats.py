"""Worker heartbeats: each Celery worker keeps a row saying it is alive and what it consumes.

Celery's own heartbeat (an event every two seconds, sent by the worker's main process) drives
it: the worker writes its row when it is ready and then at most every ``HEARTBEAT_SECONDS``.
When a run's chunks wait for a worker (``adoption/scans/waiting.py``), these rows tell "no
worker is running" from "a worker runs but does not consume the `scans` queue".
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Any

from celery.signals import heartbeat_sent, worker_ready
from django.db import DatabaseError, connection
from django.utils import timezone

from adoption.celery import app
from adoption.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# A row every 15 s per worker: cheap, and fresh enough for a warning given after a minute.
HEARTBEAT_SECONDS = 15.0
# Four missed beats: the worker is gone (stopped, killed, cut off from the broker).
ALIVE = dt.timedelta(seconds=4 * HEARTBEAT_SECONDS)
# Rows of workers not seen for this long are deleted by the watchdog (container host names
# change at every restart, so the table would otherwise only grow).
FORGET_AFTER = dt.timedelta(days=7)


def record(
    hostname: str, queues: Iterable[str], now: dt.datetime | None = None
) -> None:
    """Upsert the worker's row: one per worker, however often it beats."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={"queues": sorted(queues), "seen_at": now or timezone.now()},
    )


def alive(now: dt.datetime | None = None) -> list[WorkerHeartbeat]:
    now = now or timezone.now()
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=now - ALIVE))


def forget_stale(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _kinds = WorkerHeartbeat.objects.filter(
        seen_at__lt=now - FORGET_AFTER
    ).delete()
    return deleted


def consumed_queues() -> list[str]:
    """The queues this worker process consumes: all declared ones, or those chosen by ``-Q``."""
    return sorted(app.amqp.queues.consume_from)


class _Beat:
    """Writes this worker's row when it is due; runs in the worker's main process."""

    def __init__(self) -> None:
        self.last: float | None = None

    def ready(self, sender: Any = None, **_kwargs: Any) -> None:
        self.write(str(sender.hostname))

    def beat(self, sender: Any = None, **_kwargs: Any) -> None:
        if self.last is None or time.monotonic() - self.last >= HEARTBEAT_SECONDS:
            self.write(str(sender.eventer.hostname))

    def write(self, hostname: str) -> None:
        self.last = time.monotonic()
        try:
            record(hostname, consumed_queues())
        except DatabaseError as error:
            # The database is away: the next beat tries again; the worker goes on.
            logger.warning("worker heartbeat not stored: %s", error)
        finally:
            # No connection kept open in the main process, whose pool children fork from it.
            connection.close()


def connect() -> None:
    """Connect the worker signals (from AppConfig.ready, before a worker starts its heart)."""
    beat = _Beat()
    worker_ready.connect(beat.ready, weak=False)
    heartbeat_sent.connect(beat.beat, weak=False)
