"""Run pages, scan-now, resume, subscriptions, report CSV and the scan commands."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from adoption import scanning
from adoption.celery import app as celery_app
from adoption.models import ReportSubscription, RunReport, ScanChunk, ScanRun

from .pipeline_zone import make_registry, zone_text

COUNT = 12


@pytest.fixture
def staff(db, client):
    user = get_user_model().objects.create_user(
        "staff", "staff@example.jp", "pw", is_staff=True
    )
    client.force_login(user)
    return user


@pytest.fixture
def viewer(db, client):
    user = get_user_model().objects.create_user("viewer", "viewer@example.jp", "pw")
    client.force_login(user)
    return user


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
        run = scanning.create_run(chunk_size=4)
    return ScanRun.objects.get(pk=run.pk)


@pytest.mark.django_db
def test_run_pages_need_a_login_unless_the_dashboard_is_public(client):
    response = client.get(reverse("runs:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(reverse("runs:list")).status_code == 200


@pytest.mark.django_db
def test_viewers_cannot_start_a_scan(client, viewer):
    response = client.post(reverse("runs:scan_now"), {})
    assert response.status_code == 403
    assert not ScanRun.objects.exists()
    assert "scan-now" not in client.get(reverse("runs:list")).content.decode()


@pytest.mark.django_db
def test_staff_scan_now_queues_a_run_and_sends_its_task_after_commit(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("runs:scan_now"), {"group": ""})
    run = ScanRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "runs:detail", args=[run.pk]
    )
    assert (
        run.state == ScanRun.State.QUEUED
        and run.started_by == staff
        and run.group is None
    )
    assert len(callbacks) == 1
    again = client.post(
        reverse("runs:scan_now"), {"group": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert ScanRun.objects.count() == 1
    assert "still going" in again.content.decode()


@pytest.mark.django_db
def test_run_page_shows_progress_and_the_report(client, viewer, finished_run):
    html = client.get(
        reverse("runs:detail", args=[finished_run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="run-progress"' in html and 'data-active="false"' in html
    assert 'id="headline"' in html and "SPF valid" in html
    assert "pipeline.test" in html  # the NXDOMAIN domains are listed as unmeasured
    progress = client.get(
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
    }


@pytest.mark.django_db
def test_report_csv_opens_in_excel_and_neutralises_formulas(
    client, viewer, finished_run
):
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
    response = client.get(reverse("runs:report_csv", args=[finished_run.pk]))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "domain,change,mechanism,before,after"
    assert "'=cmd" in text and "\n=cmd" not in text
    assert "unmeasured" in text
    cp932 = client.get(
        reverse("runs:report_csv", args=[finished_run.pk]), {"encoding": "cp932"}
    )
    assert not b"".join(cp932.streaming_content).startswith(b"\xef\xbb\xbf")


@pytest.mark.django_db
def test_subscribers_get_the_report_by_email_once(client, viewer, finished_run, eager):
    client.post(reverse("runs:subscribe", args=[finished_run.pk]))
    assert ReportSubscription.objects.filter(user=viewer, group=None).exists()
    report = RunReport.objects.get(run=finished_run)
    RunReport.objects.filter(pk=report.pk).update(emailed_at=None)
    from adoption.reports import send_report

    assert send_report(report.pk) == 1
    assert send_report(report.pk) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["viewer@example.jp"]
    assert f"#{finished_run.pk}" in mail.outbox[0].subject
    client.post(reverse("runs:subscribe", args=[finished_run.pk]))
    assert not ReportSubscription.objects.exists()


@pytest.mark.django_db
def test_a_partial_run_can_be_resumed_from_its_page(
    client, staff, eager, dns_settings, django_capture_on_commit_callbacks
):
    make_registry(COUNT)
    run = scanning.create_run(chunk_size=4, dispatch=False)
    ScanRun.objects.filter(pk=run.pk).update(
        state=ScanRun.State.PARTIAL, error="gave up"
    )
    ScanChunk.objects.create(run=run, index=0, domain_ids=_ids(), attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("runs:resume", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == ScanRun.State.DONE
    assert run.results.count() == COUNT


def _ids() -> list[int]:
    from adoption.models import Domain

    return list(Domain.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_watchdog_resends_a_stalled_chunk_and_gives_up_after_the_attempt_limit(
    eager, dns_settings, time_machine
):
    time_machine.move_to("2026-11-27 12:00:00+00:00", tick=True)
    make_registry(COUNT)
    run = scanning.create_run(chunk_size=4, dispatch=False)
    celery_app.conf.task_always_eager = False
    from unittest import mock

    with mock.patch("adoption.tasks.scan_chunk.delay") as never_delivered:
        scanning.start_run(run.pk)  # the chunk messages are lost on the way
    assert never_delivered.call_count == 3
    celery_app.conf.task_always_eager = True
    assert scanning.rescan_stalled() == []  # not stalled yet
    time_machine.shift(3600)
    resent = scanning.rescan_stalled()
    assert len(resent) == 3
    run.refresh_from_db()
    assert run.state == ScanRun.State.DONE and run.results.count() == COUNT

    stuck = scanning.create_run(chunk_size=COUNT, dispatch=False)
    ScanRun.objects.filter(pk=stuck.pk).update(state=ScanRun.State.RUNNING)
    ScanChunk.objects.create(run=stuck, index=0, domain_ids=_ids(), attempts=3)
    time_machine.shift(3600)
    scanning.rescan_stalled()
    stuck.refresh_from_db()
    assert stuck.state == ScanRun.State.FAILED
    assert "did not finish after 3 attempts" in stuck.error


@pytest.mark.django_db(transaction=True)
def test_scan_command_waits_and_prints_progress(eager, dns_settings):
    make_registry(COUNT)
    out = StringIO()
    call_command("scan", "--wait", "--timeout", "60", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("queued")
    assert lines[-1].endswith(
        f"done: {COUNT} domains, 0 unknown (DNS errors), 1 do not exist"
    )
    with pytest.raises(CommandError, match="no group named"):
        call_command("scan", "--group", "nope", stdout=StringIO())


@pytest.mark.django_db
def test_scheduled_scan_skips_when_a_run_of_the_scope_is_active():
    from adoption.tasks import scheduled_scan

    ScanRun.objects.create(state=ScanRun.State.RUNNING)
    assert scheduled_scan.run() is None
    assert ScanRun.objects.count() == 1


@pytest.mark.django_db
def test_default_schedules_exist_after_migrations():
    from django_celery_beat.models import PeriodicTask

    from adoption.schedules import WATCHDOG, WEEKLY_SCAN

    weekly = PeriodicTask.objects.get(name=WEEKLY_SCAN)
    assert weekly.task == "adoption.tasks.scheduled_scan"
    assert (weekly.crontab.minute, weekly.crontab.hour, weekly.crontab.day_of_week) == (
        "0",
        "3",
        "mon",
    )
    assert str(weekly.crontab.timezone) == "Asia/Tokyo"
    assert PeriodicTask.objects.get(name=WATCHDOG).interval.every == 60
