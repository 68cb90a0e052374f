"""The daily clean-up deletes raw reports past the retention period, never parsed data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from adoption import tasks
from adoption.dmarc_reports.ingest import ingest_file
from adoption.models import DmarcRawReport, DmarcRecord, DmarcReport

from .reportfiles import MLIT, SOUMU, xml

pytestmark = pytest.mark.django_db


@override_settings(DMARC_RAW_RETENTION_DAYS=90)
def test_raw_reports_older_than_the_retention_are_deleted_and_parsed_data_stays(
    registry,
):
    ingest_file(xml(SOUMU), "old.xml", "command")
    ingest_file(xml(MLIT), "new.xml", "command")
    old = DmarcReport.objects.get(policy_domain="soumu.go.jp")
    DmarcRawReport.objects.filter(report=old).update(
        stored_at=timezone.now() - dt.timedelta(days=91)
    )
    DmarcRawReport.objects.exclude(report=old).update(
        stored_at=timezone.now() - dt.timedelta(days=89)
    )

    assert tasks.delete_expired_dmarc_raw() == 1

    assert list(
        DmarcRawReport.objects.values_list("report__policy_domain", flat=True)
    ) == ["mlit.go.jp"]
    assert DmarcReport.objects.count() == 2
    assert DmarcRecord.objects.filter(report=old).count() == 4


@override_settings(DMARC_RAW_RETENTION_DAYS=7)
def test_the_retention_is_a_setting(registry):
    ingest_file(xml(SOUMU), "a.xml", "command")
    DmarcRawReport.objects.update(stored_at=timezone.now() - dt.timedelta(days=8))
    assert tasks.delete_expired_dmarc_raw() == 1
    assert not DmarcRawReport.objects.exists()
    assert DmarcReport.objects.count() == 1
