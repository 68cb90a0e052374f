"""The pipeline with real worker processes, a real broker and loopback DNS, under faults.

Each test runs its own redis-server (random port), so it can be restarted mid-run and no
message leaks between tests; the database is the test database (Postgres in CI).
"""

from __future__ import annotations

import os
import signal

import pytest
from django.test import override_settings

from adoption import scanning
from adoption.models import RunResult, ScanChunk, ScanRun

from .pipeline_zone import make_registry, zone_text
from .processes import RedisServer, celery_worker, send_task, wait_for

COUNT = 60
CHUNK = 5
STALL_SECONDS = "3"


@pytest.fixture
def broker():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def new_run(server, timeout: float = 1.0) -> ScanRun:
    """A run over the loopback server; generous timeouts unless the test wants DNS to fail."""
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver],
        SCANNER_TIMEOUT=timeout,
        SCANNER_RETRIES=1,
    ):
        return scanning.create_run(chunk_size=CHUNK, dispatch=False)


def run_state(run_id: int) -> ScanRun:
    return ScanRun.objects.get(pk=run_id)


def finished(run_id: int) -> bool:
    return not run_state(run_id).is_active


def assert_complete_exactly_once(run_id: int) -> None:
    run = run_state(run_id)
    assert run.state == ScanRun.State.DONE, (run.state, run.error)
    assert run.domains_total == COUNT
    rows = list(
        RunResult.objects.filter(run_id=run_id).values_list("domain_id", flat=True)
    )
    assert len(rows) == len(set(rows)) == COUNT
    assert (
        not ScanChunk.objects.filter(run_id=run_id)
        .exclude(state=ScanChunk.State.DONE)
        .exists()
    )


def watchdog_until_finished(run_id: int, env: dict[str, str], rounds: int = 10) -> None:
    """What beat does every minute, a few seconds apart."""
    for _ in range(rounds):
        if wait_for(lambda: finished(run_id), timeout=8):
            return
        send_task("adoption.tasks.watchdog", [], **env)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_run(broker, dns_server_factory):
    make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=5)
    run = new_run(dns)
    env = {"CELERY_BROKER_URL": broker.url}
    with celery_worker(**env), celery_worker(**env):
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: finished(run.pk), timeout=120)
    assert_complete_exactly_once(run.pk)
    workers = {
        c.started_at is not None for c in ScanChunk.objects.filter(run_id=run.pk)
    }
    assert workers == {True}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigkill_of_a_worker_mid_run_still_stores_every_domain_once(
    broker, dns_server_factory
):
    make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=40)
    run = new_run(dns)
    env = {"CELERY_BROKER_URL": broker.url, "SCAN_CHUNK_STALL_SECONDS": STALL_SECONDS}
    with celery_worker(**env) as doomed:
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: run_state(run.pk).domains_done >= CHUNK, timeout=60)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    assert run_state(run.pk).is_active
    with celery_worker(**env):
        watchdog_until_finished(run.pk, env)
    assert_complete_exactly_once(run.pk)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_restart_mid_run_completes_the_run(broker, dns_server_factory):
    make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=40)
    run = new_run(dns)
    env = {"CELERY_BROKER_URL": broker.url, "SCAN_CHUNK_STALL_SECONDS": STALL_SECONDS}
    with celery_worker(**env):
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: run_state(run.pk).domains_done >= CHUNK, timeout=60)
        broker.stop()  # no persistence: every queued message is lost
        broker.start()
        watchdog_until_finished(run.pk, env)
    assert_complete_exactly_once(run.pk)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_dns_server_stopping_mid_run_gives_temperror_and_the_run_completes(
    broker, dns_server_factory
):
    make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=40)
    run = new_run(dns, timeout=0.3)
    env = {"CELERY_BROKER_URL": broker.url}
    with celery_worker(**env):
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: run_state(run.pk).domains_done >= CHUNK, timeout=60)
        dns.stop()
        assert wait_for(lambda: finished(run.pk), timeout=180)
    assert_complete_exactly_once(run.pk)
    run = run_state(run.pk)
    assert 0 < run.temperror_count < COUNT
    spf_states = set(
        RunResult.objects.filter(run=run).values_list("version__spf_state", flat=True)
    )
    assert "temperror" in spf_states and "valid" in spf_states
