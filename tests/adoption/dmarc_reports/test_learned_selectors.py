"""Selectors named in reports reach the next scan, against the loopback DNS server.

tests/zones/dmarc-learned.zone publishes keys only at selectors nobody would guess; a scan
finds them only after a report has named them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from adoption import tasks
from adoption.dmarc_reports.ingest import ingest_file
from adoption.dmarc_reports.selectors import MAX_LEARNED_PER_DOMAIN, probed_selectors
from adoption.models import Domain, LearnedSelector, ResultVersion, RunResult, ScanRun

from .reportfiles import BUNKA, KOKUSAI, KYU_2019, recent, xml

pytestmark = pytest.mark.django_db
COMMAND = "command"
NAMES = ("kokusai.learned.test", "bunka.learned.test", "kyu.learned.test")


@pytest.fixture
def learned_registry(db):
    return {name: Domain.objects.create(name=name, unicode_name=name) for name in NAMES}


@pytest.fixture
def scan_dns(dns_server):
    with override_settings(
        SCANNER_NAMESERVERS=[dns_server.nameserver],
        SCANNER_TIMEOUT=0.5,
        SCANNER_RETRIES=1,
    ):
        yield


def scan(django_capture_on_commit_callbacks) -> ScanRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.queue_run()
    run = ScanRun.objects.get(pk=run.pk)
    assert run.state == ScanRun.State.DONE
    return run


def keys_found(run: ScanRun, name: str) -> set[str]:
    version: ResultVersion = RunResult.objects.get(run=run, domain__name=name).version
    dkim = version.result["dkim"]
    return {entry["selector"] for entry in dkim["selectors"] if entry["usable"]}


def test_a_scan_finds_the_key_at_a_selector_a_report_named(
    learned_registry, scan_dns, eager, django_capture_on_commit_callbacks
):
    before = scan(django_capture_on_commit_callbacks)
    assert keys_found(before, "kokusai.learned.test") == set()
    assert keys_found(before, "bunka.learned.test") == set()

    ingest_file(recent(KOKUSAI), "kokusai.xml", COMMAND)
    ingest_file(recent(BUNKA), "bunka.xml", COMMAND)
    after = scan(django_capture_on_commit_callbacks)

    assert keys_found(after, "kokusai.learned.test") == {"kokusai2025"}
    # Signed as d=mail.bunka.learned.test: probed under the registry domain too.
    assert keys_found(after, "bunka.learned.test") == {"s2024-10"}


def test_a_selector_not_reported_for_90_days_is_kept_but_no_longer_probed(
    learned_registry, scan_dns, eager, django_capture_on_commit_callbacks
):
    ingest_file(xml(KYU_2019), "kyu.xml", COMMAND)
    stale = LearnedSelector.objects.get(selector="old2019")
    assert stale.domain == learned_registry["kyu.learned.test"]  # in the history
    run = scan(django_capture_on_commit_callbacks)
    assert keys_found(run, "kyu.learned.test") == set()


def test_the_age_limit_is_a_setting(learned_registry):
    ingest_file(recent(KOKUSAI, days_ago=40), "kokusai.xml", COMMAND)
    kokusai = learned_registry["kokusai.learned.test"]
    assert probed_selectors([kokusai]) == {kokusai.pk: ("kokusai2025",)}
    with override_settings(DMARC_SELECTOR_MAX_AGE_DAYS=30):
        assert probed_selectors([kokusai]) == {}


def test_a_domain_added_after_the_report_gets_its_selectors_by_name(db):
    """The report arrived before the domain was registered: no link, found by name."""
    ingest_file(recent(KOKUSAI), "kokusai.xml", COMMAND)
    assert LearnedSelector.objects.get(selector="kokusai2025").domain is None
    kokusai = Domain.objects.create(name="kokusai.learned.test", unicode_name="k")
    assert probed_selectors([kokusai]) == {kokusai.pk: ("kokusai2025",)}


def test_selectors_probed_per_domain_are_bounded_most_recent_first(learned_registry):
    kokusai = learned_registry["kokusai.learned.test"]
    now = timezone.now()
    LearnedSelector.objects.bulk_create(
        LearnedSelector(
            signing_domain="kokusai.learned.test",
            selector=f"s{i:02d}",
            first_seen=now - dt.timedelta(days=60),
            last_seen=now - dt.timedelta(hours=i),
            source="test",
            domain=kokusai,
        )
        for i in range(MAX_LEARNED_PER_DOMAIN + 5)
    )
    probed = probed_selectors([kokusai])[kokusai.pk]
    assert probed == tuple(f"s{i:02d}" for i in range(MAX_LEARNED_PER_DOMAIN))
