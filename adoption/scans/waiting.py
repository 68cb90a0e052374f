"""Runs that wait for a worker: noticed after a minute, explained from the worker heartbeats.

A run whose tasks no worker takes looks like a run that is merely slow ("running 0/51"). After
``WAIT_WARNING`` with no chunk taken and none in progress, the run page, ``manage.py scan
--wait`` and ``/healthz`` say so, name the queue the tasks wait in, and tell from the
heartbeats (``heartbeats.py``) whether any worker is alive and which queues it consumes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from adoption.models import ScanChunk, ScanRun, WorkerHeartbeat
from adoption.scans import heartbeats

# "Longer than a minute": several heartbeat periods, and far longer than a free worker needs
# to take a queued task, so a warning means no worker consumes the queue (or all are busy).
WAIT_WARNING = dt.timedelta(minutes=1)
START_TASK = "adoption.tasks.start_run"
CHUNK_TASK = "adoption.tasks.scan_chunk"


@dataclass(frozen=True)
class WorkerWait:
    """Run ``run_id`` has waited since ``since`` for a worker consuming ``queue``."""

    run_id: int
    started: bool  # False: the run's start task waits; True: its chunks do
    queue: str
    since: dt.datetime
    now: dt.datetime
    consumers: tuple[str, ...]  # live workers that consume the queue (busy, then)
    others: tuple[tuple[str, tuple[str, ...]], ...]  # live workers that do not
    last_seen: tuple[str, dt.datetime] | None  # the newest heartbeat of any worker


def queue_of(task_name: str) -> str:
    """The queue a task is sent to, from the routes in settings."""
    route = settings.CELERY_TASK_ROUTES.get(task_name, {})
    return str(route.get("queue", settings.CELERY_TASK_DEFAULT_QUEUE))


def worker_wait(run: ScanRun, now: dt.datetime | None = None) -> WorkerWait | None:
    """The wait of ``run`` if it has waited longer than ``WAIT_WARNING``, else None."""
    now = now or timezone.now()
    if run.state == ScanRun.State.QUEUED:
        since: dt.datetime | None = run.created_at
        task = START_TASK
    elif run.state == ScanRun.State.RUNNING:
        since = _chunks_waiting_since(run, now)
        task = CHUNK_TASK
    else:
        return None
    if since is None or now - since <= WAIT_WARNING:
        return None
    queue = queue_of(task)
    live = heartbeats.alive(now)
    newest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    return WorkerWait(
        run_id=run.pk,
        started=run.state == ScanRun.State.RUNNING,
        queue=queue,
        since=since,
        now=now,
        consumers=tuple(h.hostname for h in live if queue in h.queues),
        others=tuple(
            (h.hostname, tuple(h.queues)) for h in live if queue not in h.queues
        ),
        last_seen=(newest.hostname, newest.seen_at) if newest else None,
    )


def _chunks_waiting_since(run: ScanRun, now: dt.datetime) -> dt.datetime | None:
    """When a worker last took or finished one of the run's chunks, if some wait and none
    is in progress (a chunk started within the watchdog's stall time is in progress)."""
    stall = dt.timedelta(seconds=settings.SCAN_CHUNK_STALL_SECONDS)
    chunks = run.chunks.aggregate(
        waiting=Count("pk", filter=Q(state=ScanChunk.State.QUEUED)),
        busy=Count(
            "pk",
            filter=Q(state=ScanChunk.State.RUNNING, started_at__gte=now - stall),
        ),
        last_started=Max("started_at"),
        last_finished=Max("finished_at"),
    )
    if not chunks["waiting"] or chunks["busy"]:
        return None
    moments = [run.started_at, chunks["last_started"], chunks["last_finished"]]
    return max((m for m in moments if m is not None), default=None)


def waiting_runs(now: dt.datetime | None = None) -> list[WorkerWait]:
    """Every active run that waits for a worker (for ``/healthz``)."""
    now = now or timezone.now()
    runs = ScanRun.objects.filter(
        state__in=[ScanRun.State.QUEUED, ScanRun.State.RUNNING]
    ).order_by("pk")
    return [wait for run in runs if (wait := worker_wait(run, now)) is not None]


def describe(wait: WorkerWait, *, workers: bool = True) -> str:
    """One or two sentences for people: what waits, for how long, and what the heartbeats say.
    ``workers=False`` leaves out the second sentence, which names the workers' machines: the
    run page of a public dashboard shows the wait, not the host names of the servers."""
    values = {
        "run": wait.run_id,
        "time": timesince(wait.since, wait.now, depth=1),
        "queue": wait.queue,
    }
    if wait.started:
        head = _(
            "No worker has taken run %(run)s's chunks for %(time)s: is a worker "
            "running, consuming the `%(queue)s` queue?"
        )
    else:
        head = _(
            "No worker has started run %(run)s for %(time)s: is a worker running, "
            "consuming the `%(queue)s` queue?"
        )
    if not workers:
        return head % values
    return f"{head % values} {_heartbeat_detail(wait)}"


def _heartbeat_detail(wait: WorkerWait) -> str:
    if wait.consumers:
        return _(
            "Workers consuming it are alive (%(workers)s): they may all be busy with "
            "another run."
        ) % {"workers": ", ".join(wait.consumers)}
    if wait.others:
        return _(
            "Running workers do not consume it (%(workers)s): start a worker without "
            "-Q, which consumes every queue, or with -Q %(queue)s."
        ) % {
            "workers": "; ".join(
                f"{name}: {', '.join(queues)}" for name, queues in wait.others
            ),
            "queue": wait.queue,
        }
    if wait.last_seen is None:
        return _("No worker has sent a heartbeat yet.")
    worker, seen_at = wait.last_seen
    return _("No worker has sent a heartbeat for %(time)s (the last: %(worker)s).") % {
        "time": timesince(seen_at, wait.now, depth=1),
        "worker": worker,
    }
