"""Celery tasks: thin wrappers that take ids and plain values and call service functions."""

from __future__ import annotations

from celery import Task, shared_task

from .models import WorkerHeartbeat


@shared_task(bind=True, name="adoption.tasks.heartbeat")
def heartbeat(self: Task[[str], str], token: str) -> str:
    """Store a row named ``token``; idempotent, so a re-delivered message changes nothing."""
    hostname = str(self.request.hostname or "")
    WorkerHeartbeat.objects.get_or_create(token=token, defaults={"hostname": hostname})
    return token
