"""A run that waits for a worker says so after a minute: on its page, in ``scan --wait`` and in
``/healthz``, with what the worker heartbeats tell."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from adoption.models import ScanChunk, ScanRun, WorkerHeartbeat
from adoption.scans import heartbeats, waiting
from adoption.scans.waiting import describe, worker_wait

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def english():
    """Messages in English here; the Japanese ones are checked in tests/adoption/test_translations.py."""
    with translation.override("en"):
        yield


def running_run(*, waiting_chunks: int = 2, started: dt.datetime = T0) -> ScanRun:
    run = ScanRun.objects.create(
        state=ScanRun.State.RUNNING, created_at=started, started_at=started
    )
    for index in range(waiting_chunks):
        ScanChunk.objects.create(run=run, index=index, queued_at=started)
    return run


def beat(hostname: str, queues: list[str], at: dt.datetime) -> None:
    heartbeats.record(hostname, queues, now=at)


@pytest.mark.django_db
def test_chunks_untaken_for_three_minutes_with_no_worker_alive():
    run = running_run()
    beat("celery@old", ["default", "scans"], T0 - dt.timedelta(hours=2))
    wait = worker_wait(run, now=T0 + 3 * MINUTE)
    assert wait is not None
    assert (wait.queue, wait.consumers, wait.others) == ("scans", (), ())
    assert describe(wait) == (
        f"No worker has taken run {run.pk}'s chunks for 3\xa0minutes: is a worker "
        "running, consuming the `scans` queue? No worker has sent a heartbeat for "
        "2\xa0hours (the last: celery@old)."
    )


@pytest.mark.django_db
def test_a_run_before_any_worker_ever_started():
    run = running_run()
    assert describe(worker_wait(run, now=T0 + 2 * MINUTE)).endswith(
        "queue? No worker has sent a heartbeat yet."
    )


@pytest.mark.django_db
def test_a_minute_or_less_is_not_a_wait():
    run = running_run()
    assert worker_wait(run, now=T0 + MINUTE) is None
    assert worker_wait(run, now=T0 + MINUTE + dt.timedelta(seconds=1)) is not None


@pytest.mark.django_db
def test_a_chunk_in_progress_means_a_worker_has_the_run():
    run = running_run()
    ScanChunk.objects.filter(run=run, index=0).update(
        state=ScanChunk.State.RUNNING, started_at=T0 + MINUTE
    )
    assert worker_wait(run, now=T0 + 5 * MINUTE) is None


@pytest.mark.django_db
def test_the_wait_counts_from_the_last_chunk_a_worker_finished():
    run = running_run(waiting_chunks=3)
    ScanChunk.objects.filter(run=run, index=0).update(
        state=ScanChunk.State.DONE,
        started_at=T0,
        finished_at=T0 + 4 * MINUTE,
    )
    assert worker_wait(run, now=T0 + 5 * MINUTE) is None
    wait = worker_wait(run, now=T0 + 7 * MINUTE)
    assert wait is not None and wait.since == T0 + 4 * MINUTE


@pytest.mark.django_db
def test_a_chunk_left_running_past_the_stall_time_does_not_hide_the_wait():
    run = running_run()
    with override_settings(SCAN_CHUNK_STALL_SECONDS=120):
        ScanChunk.objects.filter(run=run, index=0).update(
            state=ScanChunk.State.RUNNING, started_at=T0
        )
        assert worker_wait(run, now=T0 + MINUTE + dt.timedelta(seconds=30)) is None
        assert worker_wait(run, now=T0 + 3 * MINUTE) is not None


@pytest.mark.django_db
def test_a_queued_run_waits_for_the_default_queue():
    run = ScanRun.objects.create(created_at=T0)
    wait = worker_wait(run, now=T0 + 4 * MINUTE)
    assert wait is not None and wait.queue == "default"
    assert describe(wait).startswith(
        f"No worker has started run {run.pk} for 4\xa0minutes: is a worker running, "
        "consuming the `default` queue?"
    )


@pytest.mark.django_db
def test_finished_runs_never_wait():
    run = running_run()
    ScanRun.objects.filter(pk=run.pk).update(state=ScanRun.State.PARTIAL)
    run.refresh_from_db()
    assert worker_wait(run, now=T0 + 30 * MINUTE) is None


@pytest.mark.django_db
def test_a_live_worker_without_the_queue_is_named_with_its_queues():
    run = running_run()
    now = T0 + 2 * MINUTE
    beat("celery@web1", ["default"], now - dt.timedelta(seconds=10))
    text = describe(worker_wait(run, now=now))
    assert text.endswith(
        "Running workers do not consume it (celery@web1: default): start a worker "
        "without -Q, which consumes every queue, or with -Q scans."
    )


@pytest.mark.django_db
def test_a_live_worker_consuming_the_queue_is_busy_elsewhere():
    run = running_run()
    now = T0 + 2 * MINUTE
    beat("celery@scan1", ["scans"], now - dt.timedelta(seconds=10))
    wait = worker_wait(run, now=now)
    assert wait.consumers == ("celery@scan1",)
    assert describe(wait).endswith(
        "Workers consuming it are alive (celery@scan1): they may all be busy with "
        "another run."
    )


@pytest.mark.django_db
def test_run_page_and_progress_say_why_the_run_waits(viewer):
    run = running_run()
    with time_machine.travel(T0 + 3 * MINUTE, tick=False):
        page = viewer.get(
            reverse("runs:detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        progress = viewer.get(
            reverse("runs:progress", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).json()
    html = page.content.decode()
    assert '<p id="run-waiting" class="warning" role="status">' in html
    assert f"No worker has taken run {run.pk}&#x27;s chunks for 3\xa0minutes" in html
    assert progress["waiting"].startswith(f"No worker has taken run {run.pk}'s chunks")


@pytest.mark.django_db
def test_only_staff_see_the_workers_host_names_on_the_run_page(viewer, staff):
    run = running_run()
    now = T0 + 3 * MINUTE
    beat("celery@scan-host-7", ["default"], now - dt.timedelta(seconds=5))
    url = reverse("runs:progress", args=[run.pk])
    with time_machine.travel(now, tick=False):
        shown = {
            who: client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["waiting"]
            for who, client in (("viewer", viewer), ("staff", staff))
        }
        page = viewer.get(reverse("runs:detail", args=[run.pk])).content.decode()
    assert shown["viewer"].endswith("consuming the `scans` queue?")
    assert "celery@scan-host-7" not in shown["viewer"] + page
    assert "celery@scan-host-7: default" in shown["staff"]


@pytest.mark.django_db
def test_run_page_hides_the_notice_while_workers_take_the_chunks(viewer):
    run = running_run()
    with time_machine.travel(T0 + 30 * dt.timedelta(seconds=1), tick=False):
        html = viewer.get(reverse("runs:detail", args=[run.pk])).content.decode()
        progress = viewer.get(reverse("runs:progress", args=[run.pk])).json()
    assert '<p id="run-waiting" class="warning" role="status" hidden></p>' in html
    assert progress["waiting"] is None


@pytest.mark.django_db
def test_healthz_fails_while_no_worker_consumes_the_queue_a_run_waits_in(client):
    run = running_run()
    with time_machine.travel(T0 + 3 * MINUTE, tick=False):
        response = client.get(reverse("healthz"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    workers = response.json()["workers"]
    assert workers["ok"] is False
    assert workers["detail"].startswith(f"No worker has taken run {run.pk}'s chunks")


@pytest.mark.django_db
def test_healthz_stays_ok_when_the_run_waits_behind_busy_workers(client):
    running_run()
    now = T0 + 3 * MINUTE
    beat("celery@scan1", ["default", "scans"], now - dt.timedelta(seconds=5))
    with time_machine.travel(now, tick=False):
        response = client.get(reverse("healthz"), HTTP_ACCEPT_LANGUAGE="en")
    workers = response.json()["workers"]
    assert workers["ok"] is True
    assert "celery@scan1" in workers["detail"]


@pytest.mark.django_db
def test_scan_wait_prints_why_nothing_moves(monkeypatch):
    # No worker in this test: the run stays queued; no minute to wait for the notice.
    monkeypatch.setattr(waiting, "WAIT_WARNING", dt.timedelta(0))
    monkeypatch.setattr("adoption.management.commands.scan.POLL_SECONDS", 0.01)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="still queued"):
        call_command("scan", "--wait", "--timeout", "0.05", stdout=out, stderr=err)
    run = ScanRun.objects.get()
    assert f"run {run.pk} queued" in out.getvalue()
    assert (
        f"No worker has started run {run.pk} for 0\xa0minutes: is a worker running, "
        "consuming the `default` queue?"
    ) in err.getvalue()


@pytest.mark.django_db
def test_a_worker_keeps_one_heartbeat_row_however_often_it_beats():
    heartbeats.record("celery@a", ["scans", "default"], now=T0)
    heartbeats.record("celery@a", ["default"], now=T0 + MINUTE)
    row = WorkerHeartbeat.objects.get()
    assert (row.queues, row.seen_at) == (["default"], T0 + MINUTE)
    assert heartbeats.alive(T0 + 2 * MINUTE) == [row]
    assert heartbeats.alive(T0 + 3 * MINUTE) == []


@pytest.mark.django_db
def test_the_watchdog_forgets_workers_gone_for_a_week():
    heartbeats.record("celery@gone", ["default"], now=T0 - dt.timedelta(days=8))
    heartbeats.record("celery@here", ["default"], now=T0)
    assert heartbeats.forget_stale(T0) == 1
    assert list(WorkerHeartbeat.objects.values_list("hostname", flat=True)) == [
        "celery@here"
    ]


class _Eventer:
    hostname = "celery@beating"


class _Heart:
    eventer = _Eventer()


# Transactional: the beat closes its connection after writing, as the worker's main process must.
@pytest.mark.django_db(transaction=True)
def test_celery_heartbeats_write_the_row_at_most_every_heartbeat_seconds():
    beats = heartbeats._Beat()
    with time_machine.travel(T0, tick=False) as traveller:
        beats.beat(sender=_Heart())
        assert WorkerHeartbeat.objects.get().seen_at == T0
        traveller.shift(dt.timedelta(seconds=2))
        beats.beat(sender=_Heart())  # Celery beats every 2 s: not written again yet
        assert WorkerHeartbeat.objects.get().seen_at == T0
        assert beats.last is not None
        beats.last -= heartbeats.HEARTBEAT_SECONDS  # as if 15 s had passed
        beats.beat(sender=_Heart())
        assert WorkerHeartbeat.objects.get().seen_at == T0 + dt.timedelta(seconds=2)
    row = WorkerHeartbeat.objects.get()
    assert (row.hostname, row.queues) == ("celery@beating", ["default", "scans"])
