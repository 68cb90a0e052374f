"""Run pages, scan-now, resume, subscriptions, report CSV and the scan commands."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from adoption import tasks
from adoption.models import Domain, ReportSubscription, RunReport, ScanChunk, ScanRun
from adoption.scans import runs as scanning
from adoption.scans.report_email import send_report
from adoption.scans.schedules import WATCHDOG, WEEKLY_SCAN

from .zone import make_registry, zone_text

COUNT = 12


@pytest.fixture
def dns_settings(dns_server_factory):
    server = dns_server_factory(zone_texts=[zone_text(COUNT)])
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=1.0, SCANNER_RETRIES=1
    ):
        yield server


@pytest.fixture
def finished_run(eager, dns_settings, django_capture_on_commit_callbacks):
    make_registry(COUNT)
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.queue_run(chunk_size=4)
    return ScanRun.objects.get(pk=run.pk)


@pytest.mark.django_db
def test_run_pages_need_a_login_unless_the_dashboard_is_public(client):
    response = client.get(reverse("runs:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(reverse("runs:list")).status_code == 200


@pytest.mark.django_db
def test_viewers_cannot_start_a_scan(viewer):
    response = viewer.post(reverse("runs:scan_now"), {})
    assert response.status_code == 403
    assert not ScanRun.objects.exists()
    assert "scan-now" not in viewer.get(reverse("runs:list")).content.decode()


@pytest.mark.django_db
def test_staff_scan_now_queues_a_run_and_sends_its_task_after_commit(
    staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff.post(reverse("runs:scan_now"), {"group": ""})
    run = ScanRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "runs:detail", args=[run.pk]
    )
    assert (
        run.state == ScanRun.State.QUEUED
        and run.started_by.username == "staff"
        and run.group is None
    )
    assert len(callbacks) == 1
    again = staff.post(
        reverse("runs:scan_now"), {"group": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert ScanRun.objects.count() == 1
    assert "still going" in again.content.decode()


@pytest.mark.django_db
def test_run_page_shows_progress_and_the_report(viewer, finished_run):
    html = viewer.get(
        reverse("runs:detail", args=[finished_run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="run-progress"' in html and 'data-active="false"' in html
    assert 'id="headline"' in html and "SPF valid" in html
    assert "pipeline.test" in html  # the NXDOMAIN domains are listed as unmeasured
    progress = viewer.get(
        reverse("runs:progress", args=[finished_run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert progress == {
        "id": finished_run.pk,
        "state": "done",
        "state_label": "done",
        "active": False,
        "domains_total": COUNT,
        "domains_done": COUNT,
        "percent": 100.0,
        "temperror": 0,
        "nxdomain": 1,
        "finished_at": finished_run.finished_at.isoformat(),
        "waiting": None,
    }


@pytest.mark.django_db
def test_report_csv_opens_in_excel_and_neutralises_formulas(viewer, finished_run):
    report = RunReport.objects.get(run=finished_run)
    report.data["changes"] = [
        {
            "domain": "=cmd|' /C calc'!A0",
            "kind": "adopted",
            "mechanism": "spf",
            "before": "none",
            "after": "valid",
        }
    ]
    report.save()
    response = viewer.get(reverse("runs:report_csv", args=[finished_run.pk]))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "domain,change,mechanism,before,after"
    assert "'=cmd" in text and "\n=cmd" not in text
    assert "unmeasured" in text
    cp932 = viewer.get(
        reverse("runs:report_csv", args=[finished_run.pk]), {"encoding": "cp932"}
    )
    assert not b"".join(cp932.streaming_content).startswith(b"\xef\xbb\xbf")


@pytest.mark.django_db
def test_subscribers_get_the_report_by_email_once(viewer, finished_run, eager):
    viewer.post(reverse("runs:subscribe", args=[finished_run.pk]))
    assert ReportSubscription.objects.filter(
        user__username="viewer", group=None
    ).exists()
    report = RunReport.objects.get(run=finished_run)
    RunReport.objects.filter(pk=report.pk).update(emailed_at=None)
    assert send_report(report.pk) == 1
    assert send_report(report.pk) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["viewer@example.jp"]
    assert f"#{finished_run.pk}" in mail.outbox[0].subject
    viewer.post(reverse("runs:subscribe", args=[finished_run.pk]))
    assert not ReportSubscription.objects.exists()


@pytest.mark.django_db
def test_each_subscriber_gets_a_message_of_their_own(finished_run, eager):
    addresses = [f"user{i}@example.jp" for i in range(3)]
    for i, address in enumerate(addresses):
        user = get_user_model().objects.create_user(f"user{i}", address, "pw")
        ReportSubscription.objects.create(user=user, group=None)
    report = RunReport.objects.get(run=finished_run)
    RunReport.objects.filter(pk=report.pk).update(emailed_at=None)

    assert send_report(report.pk) == 3

    assert sorted(message.recipients() for message in mail.outbox) == [
        [address] for address in addresses
    ]
    for message in mail.outbox:
        (own,) = message.to
        assert message.cc == [] and message.bcc == []
        wire = message.message().as_string()
        assert own in wire
        assert not [other for other in addresses if other != own and other in wire]


@pytest.mark.django_db
def test_a_partial_run_can_be_resumed_from_its_page(
    staff, eager, dns_settings, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    run = scanning.create_run(chunk_size=4)
    ScanRun.objects.filter(pk=run.pk).update(
        state=ScanRun.State.PARTIAL, error="gave up"
    )
    ScanChunk.objects.create(run=run, index=0, domain_ids=_ids(), attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("runs:resume", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == ScanRun.State.DONE
    assert run.results.count() == COUNT


def _ids() -> list[int]:
    return list(Domain.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_watchdog_resends_a_stalled_chunk_and_gives_up_after_the_attempt_limit(
    eager, dns_settings, time_machine
):
    time_machine.move_to("2026-11-27 12:00:00+00:00", tick=True)
    make_registry(COUNT)
    run = scanning.create_run(chunk_size=4)
    lost = scanning.start_run(
        run.pk
    )  # the chunk messages are lost on the way: never sent
    assert len(lost.chunks) == 3
    assert tasks.watchdog() == 0  # not stalled yet
    time_machine.shift(3600)
    assert tasks.watchdog() == 3
    run.refresh_from_db()
    assert run.state == ScanRun.State.DONE and run.results.count() == COUNT

    stuck = scanning.create_run(chunk_size=COUNT)
    ScanRun.objects.filter(pk=stuck.pk).update(state=ScanRun.State.RUNNING)
    ScanChunk.objects.create(run=stuck, index=0, domain_ids=_ids(), attempts=3)
    time_machine.shift(3600)
    tasks.watchdog()
    stuck.refresh_from_db()
    assert stuck.state == ScanRun.State.FAILED
    assert "did not finish after 3 attempts" in stuck.error
    assert (stuck.stop_reason, stuck.stop_chunk, stuck.stop_detail) == (
        ScanRun.StopReason.CHUNK_FAILED,
        0,
        {"attempts": 3},
    )


@pytest.mark.django_db(transaction=True)
def test_scan_command_waits_and_prints_progress(eager, dns_settings):
    """In the active language: English here, Japanese below."""
    make_registry(COUNT)
    out = StringIO()
    with translation.override("en"):
        call_command("scan", "--wait", "--timeout", "60", stdout=out)
        with pytest.raises(CommandError, match="no group named 'nope'"):
            call_command("scan", "--group", "nope", stdout=StringIO())
    lines = out.getvalue().splitlines()
    run = ScanRun.objects.get()
    assert lines[0] == f"run {run.pk} queued"
    assert lines[-1] == (
        f"run {run.pk} done: {COUNT} domains, 0 unknown (DNS errors), 1 do not exist"
    )
    with translation.override("ja"), pytest.raises(CommandError) as refused:
        call_command("scan", "--group", "nope", stdout=StringIO())
    assert str(refused.value) == "グループ 'nope' はありません"


@pytest.mark.django_db
def test_scheduled_scan_skips_when_a_run_of_the_scope_is_active():
    ScanRun.objects.create(state=ScanRun.State.RUNNING)
    assert tasks.scheduled_scan.run() is None
    assert ScanRun.objects.count() == 1


@pytest.mark.django_db
def test_default_schedules_exist_after_migrations():
    weekly = PeriodicTask.objects.get(name=WEEKLY_SCAN)
    assert weekly.task == "adoption.tasks.scheduled_scan"
    assert (weekly.crontab.minute, weekly.crontab.hour, weekly.crontab.day_of_week) == (
        "0",
        "3",
        "mon",
    )
    assert str(weekly.crontab.timezone) == "Asia/Tokyo"
    assert PeriodicTask.objects.get(name=WATCHDOG).interval.every == 60
