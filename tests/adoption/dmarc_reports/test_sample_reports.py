"""The sample reports that ``load_sample_data`` stores for the sample registry."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min, Sum
from django.utils import timezone

from adoption.dmarc_reports.samples import DAYS, DOMAINS, sample_reports
from adoption.dmarc_reports.selectors import probed_selectors
from adoption.models import (
    DmarcDailyVolume,
    DmarcRecord,
    DmarcReport,
    Domain,
)

pytestmark = pytest.mark.django_db


def test_the_samples_are_the_same_for_a_given_day():
    today = dt.date(2026, 12, 3)
    assert list(sample_reports(today)) == list(sample_reports(today))
    first = next(sample_reports(today))[0]
    assert first == "google.com!soumu.go.jp!2026-11-05.xml"


def test_loading_twice_stores_the_reports_once():
    out = StringIO()
    call_command("load_sample_data", stdout=out)
    stored = DmarcReport.objects.count()
    assert (
        f"Sample DMARC reports: {stored} stored, 0 already there, 0 rejected"
        in out.getvalue()
    )
    assert stored == DAYS * len(DOMAINS) * 3
    records, volume = (
        DmarcRecord.objects.count(),
        DmarcDailyVolume.objects.aggregate(Sum("messages")),
    )

    out = StringIO()
    call_command("load_sample_data", stdout=out)
    assert f"0 stored, {stored} already there" in out.getvalue()
    assert DmarcReport.objects.count() == stored
    assert DmarcRecord.objects.count() == records
    assert DmarcDailyVolume.objects.aggregate(Sum("messages")) == volume


def test_the_samples_cover_recent_weeks_of_registry_domains_and_a_change():
    """One load for several checks: loading is the slow part (about 700 reports)."""
    call_command("load_sample_data", stdout=StringIO())
    today = timezone.now().date()
    days = DmarcDailyVolume.objects.aggregate(first=Min("day"), last=Max("day"))
    assert days == {
        "first": today - dt.timedelta(days=DAYS),
        "last": today - dt.timedelta(days=1),
    }
    registered = DmarcDailyVolume.objects.filter(domain__isnull=False)
    assert set(registered.values_list("header_from", flat=True)) == {
        d.name for d in DOMAINS
    }
    # The unregistered subdomain the discovery list shows.
    assert DmarcDailyVolume.objects.filter(
        header_from="mail.soumu.go.jp", domain=None
    ).exists()
    # A ministry that starts signing halfway through, and a selector the reports teach.
    mhlw = DmarcDailyVolume.objects.filter(header_from="mhlw.go.jp").order_by("day")
    shares = [v.dkim_aligned_pass / v.messages for v in mhlw]
    assert shares[0] == 0
    assert shares[-1] > 0.9
    meti = Domain.objects.get(name="meti.go.jp")
    assert "kokusai2025" in probed_selectors([meti])[meti.pk]
