"""Japanese ships: pages read Japanese text written out literally here, so a string missing
from the compiled catalogue (``adoption/locale/ja/LC_MESSAGES/django.mo``) fails a test
instead of quietly showing English."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from adoption.models import ScanChunk, ScanRun

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
@override_settings(DASHBOARD_PUBLIC=True)
def test_the_overview_heading_is_japanese_by_default_and_english_on_request(
    client: Client,
):
    japanese = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "<h1>送信ドメイン認証の普及状況</h1>" in japanese.content.decode()
    assert '<html lang="ja"' in japanese.content.decode()
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Mail authentication adoption</h1>" in english.content.decode()


@pytest.mark.django_db
def test_the_notice_of_a_run_waiting_for_a_worker_is_japanese(staff: Client):
    """Staff read both sentences; the second names the workers, so others see the first."""
    run = ScanRun.objects.create(
        state=ScanRun.State.RUNNING, created_at=T0, started_at=T0
    )
    ScanChunk.objects.create(run=run, index=0, queued_at=T0)
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        html = staff.get(
            reverse("runs:detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
    assert (
        f"測定 #{run.pk} のチャンクを 3分 の間どのワーカーも受け取っていません。"
        "`scans` キューを処理するワーカーは動いていますか？"
        " ハートビートを送ったワーカーはまだありません。"
    ) in html


@pytest.mark.django_db
def test_the_api_tells_a_script_in_japanese_that_it_needs_a_token(client: Client):
    response = client.get("/api/adoption.json", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 401
    assert response.json() == {
        "error": "ログインするか、API トークンを送ってください。"
    }
