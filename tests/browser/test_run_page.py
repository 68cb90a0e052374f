"""The run page follows a run live: when it starts waiting for a worker, the notice appears
without a reload (static/js/run-progress.js polls the run's progress)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from adoption.models import ScanChunk, ScanRun
from adoption.scans.waiting import WAIT_WARNING

# The run started this long before the page opens: no notice yet, one a few polls later.
HEAD_START = WAIT_WARNING - dt.timedelta(seconds=5)
NOTICE_TIMEOUT_MS = 20_000


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_waiting_notice_appears_once_the_run_has_waited_a_minute(
    viewer_page, live_server
):
    started = timezone.now() - HEAD_START
    run = ScanRun.objects.create(
        state=ScanRun.State.RUNNING, created_at=started, started_at=started
    )
    ScanChunk.objects.create(run=run, index=0, queued_at=started)
    page = viewer_page
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    notice = page.locator("#run-waiting")
    expect(notice).to_be_hidden()
    expect(notice).to_be_visible(timeout=NOTICE_TIMEOUT_MS)
    expect(notice).to_contain_text(
        f"測定 #{run.pk} のチャンクを 1分 の間どのワーカーも受け取っていません。"
    )
    assert page.console_errors == []
