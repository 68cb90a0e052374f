"""Small operational records."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """A Celery worker's last sign of life and the queues it consumes.

    Each worker writes its own row when it starts and then every few seconds
    (``adoption/scans/heartbeats.py``). When a run's chunks wait for a worker, these rows say
    whether any worker is alive and which queues it listens to: the difference between "no
    worker is running" and "the worker runs but does not consume `scans`".
    """

    # Celery's node name (``celery@host``), unique among the workers of one broker.
    hostname = models.CharField(max_length=255, unique=True)
    queues = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} {self.seen_at:%Y-%m-%d %H:%M:%S}"
