"""The pipeline with real processes, run as production runs them, under faults: the tests check
the recovery itself, not only that the run ended.

Workers are plain ``celery -A adoption worker`` processes (prefork pool, every queue); beat
runs beside them and sends the watchdog (every ``SCAN_WATCHDOG_SECONDS``, shortened here through
the environment as an operator would). Each test runs its own redis-server (random port), so it
can be restarted mid-run and no message leaks between tests; the database is the test database
(PostgreSQL in CI).
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.test import override_settings
from django.utils import timezone

from adoption.models import ResultVersion, RunResult, ScanChunk, ScanRun
from adoption.scans import runs as scanning
from adoption.scans import stop_reasons

from ..processes import (
    RedisServer,
    Worker,
    celery_beat,
    celery_worker,
    send_task,
    wait_for,
)
from .zone import make_registry, zone_text

COUNT = 60
CHUNK = 5
CHUNKS = COUNT // CHUNK
# Watchdog every 5 s (the shortest SCAN_WATCHDOG_SECONDS allows), a chunk untouched for 21 s is
# stalled: the Redis test then recovers in seconds instead of the production minutes. The stall
# time must exceed the hard time limit (start-up refuses otherwise): both at their shortest.
FAST_WATCHDOG = {
    "SCAN_WATCHDOG_SECONDS": "5",
    "CELERY_TASK_SOFT_TIME_LIMIT": "10",
    "CELERY_TASK_TIME_LIMIT": "20",
    "SCAN_CHUNK_STALL_SECONDS": "21",
}
# Each DNS answer waits this long, so a chunk takes over a second and a test can act mid-chunk.
SLOW_DNS_MS = 400
RUN_SECONDS = 150


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
        return scanning.create_run(chunk_size=CHUNK)


def run_state(run_id: int) -> ScanRun:
    return ScanRun.objects.get(pk=run_id)


def finished(run_id: int) -> bool:
    return not run_state(run_id).is_active


def assert_every_domain_stored_once(run_id: int, domains) -> None:
    """Done, every registry domain in the run, and each with one stored result: a chunk run
    twice stored the same content again (no second version) and counted nothing twice."""
    run = run_state(run_id)
    assert run.state == ScanRun.State.DONE, (run.state, run.error)
    expected = {d.pk for d in domains}
    stored = set(
        RunResult.objects.filter(run_id=run_id).values_list("domain_id", flat=True)
    )
    assert stored == expected
    assert ResultVersion.objects.filter(domain_id__in=expected).count() == len(expected)
    assert run.domains_done == run.domains_total == len(expected)
    assert set(
        ScanChunk.objects.filter(run_id=run_id).values_list("state", flat=True)
    ) == {ScanChunk.State.DONE}


def chunk_just_started(run_id: int) -> ScanChunk | None:
    """A chunk taken less than half a DNS answer ago: it cannot have finished yet, since its
    first answer alone takes ``SLOW_DNS_MS``."""
    recent = timezone.now() - dt.timedelta(milliseconds=SLOW_DNS_MS / 2)
    return ScanChunk.objects.filter(
        run_id=run_id,
        state=ScanChunk.State.RUNNING,
        attempts=1,
        started_at__gt=recent,
    ).first()


def kill_the_pool_child_mid_chunk(worker: Worker, run_id: int) -> tuple[int, ScanChunk]:
    """SIGKILL the pool's one process while it scans a chunk: its pid, and that chunk."""
    (child,) = worker.pool_children()
    taken: list[ScanChunk] = []

    def scanning_a_chunk() -> bool:
        chunk = chunk_just_started(run_id)
        taken[:] = [chunk] if chunk else []
        return bool(taken)

    assert wait_for(scanning_a_chunk)
    os.kill(child, signal.SIGKILL)
    return child, taken[0]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_both_scan_chunks_of_one_run(broker, dns_server_factory, tmp_path):
    domains = make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=20)
    run = new_run(dns)
    env = {"CELERY_BROKER_URL": broker.url}
    with (
        celery_beat(tmp_path, **env),
        celery_worker(**env) as first,
        celery_worker(**env) as second,
    ):
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: finished(run.pk), timeout=RUN_SECONDS)
    assert_every_domain_stored_once(run.pk, domains)
    chunks = ScanChunk.objects.filter(run_id=run.pk)
    assert {c.worker for c in chunks} == {first.name, second.name}
    # Shared, not duplicated: no chunk was taken twice in a run without faults.
    assert {c.attempts for c in chunks} == {1}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigkill_of_a_pool_child_mid_chunk_runs_that_chunk_again(
    broker, dns_server_factory, tmp_path
):
    domains = make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=SLOW_DNS_MS)
    run = new_run(dns)
    # Production's stall time: the chunk must come back through acks_late and
    # reject_on_worker_lost (re-queued when its process dies), not through the watchdog.
    env = {"CELERY_BROKER_URL": broker.url}
    with celery_beat(tmp_path, **env), celery_worker(**env) as worker:
        send_task("adoption.tasks.start_run", [run.pk], **env)
        child, killed_chunk = kill_the_pool_child_mid_chunk(worker, run.pk)
        assert wait_for(lambda: finished(run.pk), timeout=RUN_SECONDS)
        assert worker.process.poll() is None, "the worker itself must survive"
        assert child not in worker.pool_children(), "the pool replaced the child"
    assert_every_domain_stored_once(run.pk, domains)
    killed_chunk.refresh_from_db()
    assert killed_chunk.state == ScanChunk.State.DONE
    assert killed_chunk.attempts == 2
    assert RunResult.objects.filter(
        run_id=run.pk, domain_id__in=killed_chunk.domain_ids
    ).count() == len(killed_chunk.domain_ids)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_restart_mid_run_loses_queued_chunks_and_the_watchdog_sends_them_again(
    broker, dns_server_factory, tmp_path
):
    domains = make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=SLOW_DNS_MS)
    run = new_run(dns)
    env = {"CELERY_BROKER_URL": broker.url, **FAST_WATCHDOG}
    with celery_beat(tmp_path, **env), celery_worker(**env):
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: run_state(run.pk).domains_done >= CHUNK)
        broker.stop()  # no persistence: every queued message is lost
        when_stopped = run_state(run.pk)
        broker.start()
        restarted_at = timezone.now()
        assert wait_for(lambda: finished(run.pk), timeout=RUN_SECONDS)
    # The restart happened mid-run: the run was going, with chunks still to scan.
    assert when_stopped.state == ScanRun.State.RUNNING
    assert when_stopped.domains_done < COUNT
    assert_every_domain_stored_once(run.pk, domains)
    # The lost chunks came back through beat's watchdog, which re-queues them.
    assert ScanChunk.objects.filter(run_id=run.pk, queued_at__gt=restarted_at).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_dns_gone_stops_a_run_partial_and_the_watchdog_resumes_it_once_dns_is_back(
    broker, dns_server_factory, tmp_path
):
    domains = make_registry(COUNT)
    dns = dns_server_factory(zone_texts=[zone_text(COUNT)], delay_ms=40)
    with override_settings(
        SCANNER_NAMESERVERS=[dns.nameserver], SCANNER_TIMEOUT=0.3, SCANNER_RETRIES=1
    ):
        # Chunks of 20: the retry chunk of the domains left holds enough of them for the
        # silence to be noticed (scanner.stub SILENT_ATTEMPTS), as a production chunk does.
        run = scanning.create_run(chunk_size=20)
    env = {"CELERY_BROKER_URL": broker.url, **FAST_WATCHDOG}
    with celery_beat(tmp_path, **env), celery_worker(**env):
        send_task("adoption.tasks.start_run", [run.pk], **env)
        assert wait_for(lambda: run_state(run.pk).domains_done >= 20)
        dns.stop()
        assert wait_for(lambda: finished(run.pk), timeout=RUN_SECONDS)
        stopped = run_state(run.pk)
        # Stopped and saying why, rather than storing every domain left as temperror.
        assert stopped.state == ScanRun.State.PARTIAL, (stopped.state, stopped.error)
        assert stopped.error.startswith(stop_reasons.DNS_STOPPED)
        assert dns.nameserver in stopped.error
        assert stopped.stop_reason == ScanRun.StopReason.DNS
        assert stopped.stop_detail["servers"] == [dns.nameserver]
        assert not RunResult.objects.filter(
            run_id=run.pk, version__spf_state="temperror"
        ).exists()
        assert 20 <= stopped.domains_done < COUNT

        # DNS comes back on the same address; beat's watchdog notices and resumes the run.
        back = dns_server_factory(zone_texts=[zone_text(COUNT)], port=dns.port)
        assert back.nameserver == dns.nameserver
        assert wait_for(
            lambda: run_state(run.pk).state == ScanRun.State.DONE, timeout=RUN_SECONDS
        )
    assert_every_domain_stored_once(run.pk, domains)
    assert run_state(run.pk).temperror_count == 0
