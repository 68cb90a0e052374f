"""The scan service end to end in one process (tasks run eagerly) against loopback DNS.

Real worker processes, broker faults and parallel workers are in test_pipeline.py.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from adoption import tasks
from adoption.models import (
    Domain,
    Group,
    Membership,
    ResultVersion,
    RunReport,
    RunResult,
    ScanChunk,
    ScanRun,
)
from adoption.scans import runs as scanning
from adoption.scans import stop_reasons
from adoption.scans.store import stable_result
from scanner import ResolverUnreachable, ScanOptions, check_domains_sync
from scanner.stub import SILENT_ATTEMPTS

from .zone import domain_name, make_registry, zone_text

COUNT = 30


@pytest.fixture
def pipeline_dns(dns_server_factory):
    def start(**zone_args):
        server = dns_server_factory(zone_texts=[zone_text(COUNT, **zone_args)])
        return override_settings(
            SCANNER_NAMESERVERS=[server.nameserver],
            SCANNER_TIMEOUT=1.0,
            SCANNER_RETRIES=1,
        )

    return start


def run_scan(django_capture_on_commit_callbacks, **kwargs) -> ScanRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.queue_run(chunk_size=7, **kwargs)
    return ScanRun.objects.get(pk=run.pk)


@pytest.mark.django_db
def test_a_run_stores_every_domain_once_and_finishes_with_counts(
    eager, pipeline_dns, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    with pipeline_dns():
        run = run_scan(django_capture_on_commit_callbacks)
    assert run.state == ScanRun.State.DONE
    assert run.domains_total == COUNT == run.domains_done
    assert run.chunks.count() == 5
    assert set(run.chunks.values_list("state", flat=True)) == {ScanChunk.State.DONE}
    assert RunResult.objects.filter(run=run).count() == COUNT
    assert run.nxdomain_count == 3  # d009, d019, d029
    assert run.temperror_count == 0
    d000 = RunResult.objects.get(run=run, domain__name=domain_name(0)).version
    assert (d000.spf_state, d000.spf_all, d000.dmarc_state, d000.dmarc_p) == (
        "valid",
        "-all",
        "valid",
        "none",
    )
    report = RunReport.objects.get(run=run)
    assert report.data["headline"]["spf_valid"] == {
        "numerator": 15,
        "denominator": 27,
        "unknown": 0,
        "percent": 55.6,
    }
    assert report.previous_run is None and report.data["changes"] == []
    assert [row["domain"] for row in report.data["unmeasured"]] == [
        domain_name(9),
        domain_name(19),
        domain_name(29),
    ]


@pytest.mark.django_db
def test_unchanged_domains_add_no_versions_and_changes_are_reported(
    eager, pipeline_dns, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    with pipeline_dns():
        first = run_scan(django_capture_on_commit_callbacks)
        versions_after_first = ResultVersion.objects.count()
        second = run_scan(django_capture_on_commit_callbacks)
    assert ResultVersion.objects.count() == versions_after_first == COUNT
    assert RunResult.objects.filter(run=second).count() == COUNT
    assert RunReport.objects.get(run=second).data["changes"] == []

    with pipeline_dns(reject_from=20):  # d021, d024, d027 move from p=none to p=reject
        third = run_scan(django_capture_on_commit_callbacks)
    assert ResultVersion.objects.count() == COUNT + 3
    changes = RunReport.objects.get(run=third).data["changes"]
    assert {
        (c["domain"], c["kind"], c["mechanism"], c["before"], c["after"])
        for c in changes
    } == {
        (domain_name(i), "strengthened", "dmarc", "monitoring", "reject")
        for i in (21, 24, 27)
    }
    assert RunReport.objects.get(run=third).previous_run == second
    assert first.pk < second.pk < third.pk


@pytest.mark.django_db
def test_storing_a_chunk_twice_changes_nothing(
    eager, pipeline_dns, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    with pipeline_dns():
        run = run_scan(django_capture_on_commit_callbacks)
        chunk = run.chunks.first()
        ScanChunk.objects.filter(pk=chunk.pk).update(state=ScanChunk.State.RUNNING)
        ScanRun.objects.filter(pk=run.pk).update(state=ScanRun.State.RUNNING)
        before = list(
            RunResult.objects.filter(run=run).values_list("domain_id", "version_id")
        )
        scanning.scan_chunk(chunk.pk)
    run.refresh_from_db()
    assert run.domains_done == COUNT
    assert sorted(
        RunResult.objects.filter(run=run).values_list("domain_id", "version_id")
    ) == sorted(before)
    assert run.state == ScanRun.State.DONE


@pytest.mark.django_db
def test_export_results_equals_what_the_scanner_prints(
    eager, pipeline_dns, django_capture_on_commit_callbacks, dns_server_factory
):
    make_registry(COUNT)
    with pipeline_dns() as overridden:
        run = run_scan(django_capture_on_commit_callbacks)
        options = scanning.options_of(run)
    out = StringIO()
    call_command("export_results", run=run.pk, stdout=out)
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    direct = check_domains_sync([domain_name(i) for i in range(COUNT)], options)
    assert [e["domain"] for e in exported] == [domain_name(i) for i in range(COUNT)]
    assert [stable_result(e) for e in exported] == [
        stable_result(d.to_json()) for d in direct
    ]
    assert all(e["scanned_at"].endswith("+00:00") for e in exported)
    del overridden


@pytest.mark.django_db
def test_dns_down_stops_the_run_and_the_watchdog_resumes_it_once_dns_answers(
    eager, dns_server_factory, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    server = dns_server_factory(zone_texts=[zone_text(COUNT)], mode="timeout")
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=0.1, SCANNER_RETRIES=0
    ):
        run = run_scan(django_capture_on_commit_callbacks)
    # The chunks handed every domain back; their retry chunk heard nothing, not even the
    # root's NS, and stopped the run rather than store thirty temperrors.
    assert run.state == ScanRun.State.PARTIAL
    assert run.error.startswith(stop_reasons.DNS_STOPPED)
    assert server.nameserver in run.error
    # The reason and its figures, for the page to say in the reader's language.
    assert run.stop_reason == ScanRun.StopReason.DNS
    # The chunk that noticed the silence stopped without being done.
    assert run.chunks.get(index=run.stop_chunk).state != ScanChunk.State.DONE
    assert run.stop_detail["servers"] == [server.nameserver]
    assert run.stop_detail["attempts"] >= SILENT_ATTEMPTS
    assert f"for {run.stop_detail['seconds']} s:" in run.error
    assert not RunResult.objects.filter(run=run).exists()
    assert not RunReport.objects.filter(run=run).exists()

    # The watchdog asks again each round: still silent, the run stays stopped.
    assert scanning.resume_after_dns() == scanning.NOTHING
    assert ScanRun.objects.get(pk=run.pk).state == ScanRun.State.PARTIAL

    server.stop()  # DNS is back, on the same address
    dns_server_factory(zone_texts=[zone_text(COUNT)], port=server.port)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send(scanning.resume_after_dns())
    run = ScanRun.objects.get(pk=run.pk)
    assert (run.state, run.error) == (ScanRun.State.DONE, "")
    assert (run.stop_reason, run.stop_chunk, run.stop_detail) == ("", None, {})
    assert run.domains_done == COUNT == RunResult.objects.filter(run=run).count()
    assert run.temperror_count == 0
    assert RunReport.objects.filter(run=run).exists()


@pytest.fixture
def answering_options(dns_server_factory) -> dict[str, object]:
    """A run's options whose resolver answers (so only the run's own state can keep the
    watchdog from resuming it)."""
    server = dns_server_factory(zone_texts=[zone_text(COUNT)])
    with override_settings(SCANNER_NAMESERVERS=[server.nameserver]):
        return scanning.scan_options_from_settings()


DNS_STOP = stop_reasons.dns_stop(0, ResolverUnreachable("no reply"))


@pytest.mark.django_db
def test_a_run_stopped_for_dns_is_not_resumed_once_a_newer_run_of_its_scope_exists(
    answering_options,
):
    options = answering_options
    stopped = ScanRun.objects.create(
        state=ScanRun.State.PARTIAL, options=options, **DNS_STOP.fields()
    )
    ScanRun.objects.create(state=ScanRun.State.DONE, options=options)
    assert scanning.resume_after_dns() == scanning.NOTHING
    assert ScanRun.objects.get(pk=stopped.pk).state == ScanRun.State.PARTIAL


@pytest.mark.django_db
def test_the_watchdog_resumes_only_runs_stopped_for_dns(answering_options):
    """It finds them by their reason: a run given up for a chunk that never finished waits
    for someone to press *Resume*."""
    options = answering_options
    given_up = ScanRun.objects.create(
        state=ScanRun.State.PARTIAL,
        options=options,
        **stop_reasons.chunk_failed(0, 3).fields(),
    )
    stopped = ScanRun.objects.create(
        state=ScanRun.State.PARTIAL,
        options=options,
        group=Group.objects.create(name="省庁"),
        **DNS_STOP.fields(),
    )
    for run in (given_up, stopped):
        ScanChunk.objects.create(run=run, index=0, domain_ids=[])
    sends = scanning.resume_after_dns()
    assert sends.chunks == (stopped.chunks.get().pk,)
    states = dict(ScanRun.objects.values_list("pk", "state"))
    assert states == {
        given_up.pk: ScanRun.State.PARTIAL,
        stopped.pk: ScanRun.State.RUNNING,
    }
    resumed = ScanRun.objects.get(pk=stopped.pk)
    assert (resumed.error, resumed.stop_reason, resumed.stop_chunk) == ("", "", None)
    assert resumed.stop_detail == {}


@pytest.mark.django_db
def test_group_runs_measure_only_current_members(
    eager, pipeline_dns, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    group = Group.objects.create(name="小グループ")
    for i in (0, 1, 2):
        Membership.objects.create(domain_id=_domain_id(i), group=group)
    with pipeline_dns():
        run = run_scan(django_capture_on_commit_callbacks, group=group)
    assert run.domains_total == 3
    assert sorted(
        RunResult.objects.filter(run=run).values_list("domain__name", flat=True)
    ) == [domain_name(0), domain_name(1), domain_name(2)]


def _domain_id(i: int) -> int:
    return Domain.objects.get(name=domain_name(i)).pk


SILENT = (4, 12, 25)  # in chunks 0, 1 and 3 of seven domains each


@pytest.mark.django_db
def test_silent_domains_are_left_to_a_retry_chunk_at_the_end_of_the_run(
    eager, dns_server_factory, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    server = dns_server_factory(zone_texts=[zone_text(COUNT, silent=SILENT)])
    # A timeout long enough that no answering domain misses one on a busy machine (it would
    # be deferred too).
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=1.0, SCANNER_RETRIES=1
    ):
        run = run_scan(django_capture_on_commit_callbacks)
    silent_ids = [_domain_id(i) for i in SILENT]
    first_pass = run.chunks.filter(retry=False).order_by("index")
    assert [c.deferred_ids for c in first_pass] == [
        [silent_ids[0]],
        [silent_ids[1]],
        [],
        [silent_ids[2]],
        [],
    ]
    (retry,) = run.chunks.filter(retry=True)
    assert (retry.index, retry.domain_ids, retry.state) == (5, silent_ids, "done")
    assert retry.deferred_ids == []  # a retry chunk stores every domain it has
    assert run.state == ScanRun.State.DONE
    assert run.domains_done == COUNT == RunResult.objects.filter(run=run).count()
    assert run.temperror_count == len(SILENT)
    for i in SILENT:  # measured, as unknown: the whole treatment found no answer
        stored = RunResult.objects.get(run=run, domain_id=_domain_id(i)).version
        assert (stored.result["status"], stored.spf_state) == ("error", "temperror")
    answering = RunResult.objects.get(run=run, domain_id=_domain_id(0)).version
    assert answering.spf_state == "valid"


@pytest.mark.django_db
def test_two_last_chunks_finishing_together_send_the_retry_chunk_once():
    make_registry(3)
    ids = list(Domain.objects.order_by("name").values_list("pk", flat=True))
    run = ScanRun.objects.create(state=ScanRun.State.RUNNING, options={})
    for index, deferred in enumerate(([ids[0]], [ids[2]])):
        ScanChunk.objects.create(
            run=run,
            index=index,
            state=ScanChunk.State.DONE,
            domain_ids=ids[index * 2 : index * 2 + 2],
            deferred_ids=deferred,
        )

    first = scanning.finish_run_if_complete(run.pk)
    second = scanning.finish_run_if_complete(run.pk)

    (retry,) = run.chunks.filter(retry=True)
    assert first == scanning.Sends(chunks=(retry.pk,))
    assert second == scanning.NOTHING
    assert retry.domain_ids == [ids[0], ids[2]]
    run.refresh_from_db()
    assert run.state == ScanRun.State.RUNNING  # the retry chunk is still to scan
    ScanChunk.objects.filter(pk=retry.pk).update(state=ScanChunk.State.DONE)
    scanning.finish_run_if_complete(run.pk)
    run.refresh_from_db()
    assert run.state == ScanRun.State.DONE


def test_scan_options_come_from_settings():
    with override_settings(
        SCANNER_NAMESERVERS=["127.0.0.1:5353", "[::1]"],
        SCANNER_TIMEOUT=1.5,
        SCANNER_RETRIES=0,
        SCANNER_CONCURRENCY=50,
        SCANNER_MAX_CONCURRENCY=80,
        SCANNER_ADAPTIVE_CONCURRENCY=False,
    ):
        run = ScanRun(options=scanning.scan_options_from_settings())
    assert scanning.options_of(run) == ScanOptions(
        nameservers=(("127.0.0.1", 5353), ("::1", 53)),
        timeout=1.5,
        retries=0,
        concurrency=50,
        max_concurrency=80,
        adaptive=False,
    )


def test_a_run_stored_before_the_cap_existed_gets_the_scanners_default_cap():
    run = ScanRun(options={"concurrency": 50})
    assert scanning.options_of(run).concurrency_cap == 100
    assert scanning.options_of(run).adaptive  # the scanner's default


@pytest.mark.django_db
def test_chunks_waiting_their_turn_are_not_sent_again_while_the_queue_moves():
    """A large run queues thousands of chunks: those not started yet are waiting behind the
    others, not lost, as long as workers keep taking chunks. Only when nothing has moved for
    the stall time are they taken for messages the broker lost."""
    stall = dt.timedelta(seconds=900)
    start = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    run = ScanRun.objects.create(
        state=ScanRun.State.RUNNING, created_at=start, started_at=start
    )
    waiting = [
        ScanChunk.objects.create(run=run, index=i, queued_at=start) for i in range(3)
    ]
    now = start + 2 * stall
    ScanChunk.objects.filter(pk=waiting[0].pk).update(
        state=ScanChunk.State.DONE,
        started_at=now - dt.timedelta(seconds=90),
        finished_at=now - dt.timedelta(seconds=30),
    )
    with override_settings(SCAN_CHUNK_STALL_SECONDS=int(stall.total_seconds())):
        assert scanning.rescan_stalled(now) == scanning.NOTHING
        later = now + stall
        assert set(scanning.rescan_stalled(later).chunks) == {
            waiting[1].pk,
            waiting[2].pk,
        }


@pytest.mark.parametrize(
    ("domains", "size"),
    [
        (1, 250),
        (4_000, 250),
        (10_000, 625),
        (20_000, 1_250),
        (100_000, 2_000),
        (1_700_000, 2_000),
    ],
)
def test_a_runs_tasks_are_sized_by_its_number_of_domains(domains: int, size: int):
    # About 16 tasks a run, 250 to 2,000 domains each (docs/benchmarks.md, "Chunks wait for
    # their silent domains").
    assert scanning.chunk_size_for(domains) == size


@pytest.mark.django_db
def test_a_run_without_a_size_is_split_when_it_starts():
    make_registry(600)
    run = scanning.create_run()
    assert run.options["chunk_size"] is None
    sends = scanning.start_run(run.pk)
    sizes = [len(chunk.domain_ids) for chunk in run.chunks.order_by("index")]
    assert sizes == [250, 250, 100]
    assert len(sends.chunks) == 3


@pytest.mark.django_db
def test_a_run_stored_with_a_size_keeps_it():
    make_registry(600)
    run = scanning.create_run()
    run.options = {**run.options, "chunk_size": 100}  # runs before sizing kept 250
    run.save(update_fields=["options"])
    scanning.start_run(run.pk)
    assert [len(chunk.domain_ids) for chunk in run.chunks.all()] == [100] * 6
