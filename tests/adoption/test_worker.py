"""The Celery wiring is real: a worker process consumes the configured broker and writes rows."""

from __future__ import annotations

import uuid

import pytest

from adoption.models import WorkerHeartbeat
from adoption.tasks import heartbeat

from .processes import celery_worker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_task_and_stores_its_row():
    token = uuid.uuid4().hex
    with celery_worker() as worker:
        heartbeat.delay(token)
        stored = wait_for(lambda: WorkerHeartbeat.objects.filter(token=token).exists())
        assert worker.poll() is None, "worker exited early"
    assert stored, "the worker did not store the heartbeat row"
    row = WorkerHeartbeat.objects.get(token=token)
    assert row.hostname.startswith("test-")


@pytest.mark.django_db
def test_heartbeat_is_idempotent():
    heartbeat.run("same-token")
    heartbeat.run("same-token")
    assert WorkerHeartbeat.objects.filter(token="same-token").count() == 1
