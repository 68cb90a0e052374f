"""A plain worker (``celery -A adoption worker``, as the README, Procfile.dev and docker compose
start it) consumes every queue, keeps its heartbeat, and completes a scan run; a worker that
consumes too little is named on the run page and in ``/healthz``."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from django.test import Client, override_settings
from django.urls import reverse

from adoption.celery import app
from adoption.models import ScanChunk, ScanRun, WorkerHeartbeat
from adoption.scans import runs as scanning

from .processes import RedisServer, celery_worker, send_task, wait_for
from .scans.zone import make_registry, zone_text

COUNT = 6


@pytest.fixture
def redis_broker():
    server = RedisServer()
    server.start()
    yield {"CELERY_BROKER_URL": server.url}
    server.stop()


@pytest.fixture
def embedded_broker(tmp_path):
    """Celery's filesystem transport (the default with no CELERY_BROKER_URL), in a folder of
    this test's own: no other test run on the machine shares its queue."""
    return {"CELERY_BROKER_URL": "", "VAR_DIR": str(tmp_path)}


def new_run(dns) -> ScanRun:
    with override_settings(SCANNER_NAMESERVERS=[dns.nameserver], SCANNER_TIMEOUT=1.0):
        return scanning.create_run(chunk_size=2)


def test_the_declared_queues_are_every_queue_a_task_is_routed_to():
    declared = {queue.name for queue in app.conf.task_queues}
    routed = {route["queue"] for route in app.conf.task_routes.values()}
    assert routed | {app.conf.task_default_queue} <= declared
    assert app.conf.task_create_missing_queues is False


def test_a_task_sent_to_one_queue_reaches_that_queue_only(redis_broker):
    # scan_chunk is routed to `scans`, the watchdog to `default`: one message in each. (With
    # one routing key shared by both queues, each message would land in both.)
    send_task("adoption.tasks.scan_chunk", [0], **redis_broker)
    send_task("adoption.tasks.watchdog", [], **redis_broker)
    client = redis.Redis.from_url(redis_broker["CELERY_BROKER_URL"])
    assert (client.llen("scans"), client.llen("default")) == (1, 1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["embedded_broker", "redis_broker"])
def test_a_plain_worker_consumes_every_queue_and_completes_a_run(
    broker, request, dns_server_factory
):
    env = request.getfixturevalue(broker)
    domains = make_registry(COUNT)
    run = new_run(dns_server_factory(zone_texts=[zone_text(COUNT)]))
    with celery_worker(**env) as worker:
        heartbeat = WorkerHeartbeat.objects.get(hostname=worker.name)
        assert heartbeat.queues == ["default", "scans"]
        # start_run goes to `default`, its chunks to `scans`: one plain worker does both.
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: not ScanRun.objects.get(pk=run.pk).is_active, 120)
    run.refresh_from_db()
    assert run.state == ScanRun.State.DONE, run.error
    assert run.domains_done == len(domains)
    chunks = ScanChunk.objects.filter(run=run)
    assert chunks.count() == COUNT // 2
    assert set(chunks.values_list("worker", flat=True)) == {worker.name}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_without_the_scans_queue_is_named_where_the_run_waits(
    redis_broker, dns_server_factory, staff
):
    make_registry(COUNT)
    run = new_run(dns_server_factory(zone_texts=[zone_text(COUNT)]))
    with celery_worker(queues="default", **redis_broker) as worker:
        assert WorkerHeartbeat.objects.get(hostname=worker.name).queues == ["default"]
        send_task("adoption.tasks.start_run", [run.pk], **redis_broker)
        assert wait_for(lambda: ScanChunk.objects.filter(run=run).exists())
        # Two minutes pass with the chunks in the `scans` queue no worker consumes.
        earlier = dt.timedelta(minutes=2)
        started = ScanRun.objects.get(pk=run.pk).started_at
        ScanRun.objects.filter(pk=run.pk).update(started_at=started - earlier)
        # Staff read which workers run (anonymous readers see the first sentence only).
        progress = staff.get(
            reverse("runs:progress", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).json()
        health = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("healthz"))
    assert progress["domains_done"] == 0
    assert progress["waiting"].startswith(
        f"No worker has taken run {run.pk}'s chunks for 2\xa0minutes: is a worker "
        "running, consuming the `scans` queue?"
    )
    assert f"({worker.name}: default)" in progress["waiting"]
    assert health.status_code == 503
    assert health.json()["workers"] == {"ok": False, "detail": progress["waiting"]}
