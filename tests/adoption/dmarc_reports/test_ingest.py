"""Storing reports: what is kept, duplicates stored once, nothing half-written."""

from __future__ import annotations

import datetime as dt
import gc
import gzip
import hashlib
from pathlib import Path

import pytest
from django.test import override_settings

from adoption.dmarc_reports import ingest, store
from adoption.dmarc_reports.ingest import ingest_file
from adoption.dmarc_reports.outcomes import Reason, Status
from adoption.models import (
    DmarcDailyVolume,
    DmarcRawReport,
    DmarcRecord,
    DmarcReport,
    Domain,
    LearnedSelector,
)
from scanner.collector import BATCH_GC_THRESHOLD

from .reportfiles import BAD_COUNT, MLIT, SOUMU, emailed, gzipped, xml, zipped

pytestmark = pytest.mark.django_db
COMMAND = DmarcReport.Source.COMMAND


def nothing_stored() -> bool:
    return not any(
        model.objects.exists()
        for model in (
            DmarcReport,
            DmarcRecord,
            DmarcRawReport,
            DmarcDailyVolume,
            LearnedSelector,
        )
    )


def test_a_report_is_stored_with_its_policy_records_and_raw_xml(registry):
    [outcome] = ingest_file(xml(SOUMU), "soumu.xml", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.ACCEPTED, None)
    assert (outcome.record_count, outcome.message_count) == (4, 1249)
    report = DmarcReport.objects.get()
    assert report.pk == outcome.report_pk
    assert (report.org_name, report.report_id, report.policy_domain) == (
        "receiver.example.jp",
        "soumu.go.jp.1793491200.1793577599",
        "soumu.go.jp",
    )
    assert report.begin == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert report.day == dt.date(2026, 11, 1)
    assert (report.p, report.sp, report.adkim, report.pct, report.np) == (
        "quarantine",
        "none",
        "r",
        100,
        "",
    )
    assert report.schema == "rfc7489"
    assert report.domain == Domain.objects.get(name="soumu.go.jp")
    assert (report.source, report.file_name) == ("command", "soumu.xml")
    assert report.sha256 == hashlib.sha256(xml(SOUMU)).hexdigest()
    assert gzip.decompress(bytes(report.raw.gzip)) == xml(SOUMU)
    records = {r.source_ip: r for r in report.records.all()}
    assert set(records) == {
        "203.0.113.25",
        "2001:db8:25::1",
        "192.0.2.66",
        "198.51.100.40",
    }
    forwarded = records["2001:db8:25::1"]
    assert (forwarded.count, forwarded.dkim, forwarded.spf) == (30, "pass", "fail")
    assert forwarded.reasons == [{"type": "forwarded", "comment": "mailing list"}]
    assert forwarded.auth_dkim == [
        {"domain": "soumu.go.jp", "selector": "sm2026", "result": "pass"},
        {"domain": "lists.example.org", "selector": "list1", "result": "pass"},
    ]
    assert forwarded.auth_spf == [
        {"domain": "lists.example.org", "scope": "mfrom", "result": "pass"}
    ]
    assert forwarded.envelope_to == ""  # absent, not invented
    assert forwarded.domain.name == "soumu.go.jp"
    assert records["198.51.100.40"].domain is None  # mail.soumu.go.jp: not registered


def test_an_rfc9990_report_keeps_its_new_fields_and_normalised_words(registry):
    [outcome] = ingest_file(xml(MLIT), "mlit.xml", COMMAND)
    assert outcome.status == Status.ACCEPTED
    report = DmarcReport.objects.get()
    assert report.schema == "rfc9990"
    assert report.report_id == "<mlit-20261101@provider.example>"
    assert report.policy_domain == "mlit.go.jp"
    assert (report.p, report.np, report.testing, report.discovery_method) == (
        "reject",
        "reject",
        "n",
        "treewalk",
    )
    assert (report.generator, report.pct) == ("ExampleMTA 4.2", None)
    first = report.records.get(source_ip="203.0.113.80")
    assert (first.disposition, first.dkim, first.spf) == ("pass", "pass", "fail")
    assert first.auth_dkim[0]["human_result"] == "good signature"
    assert first.auth_spf == [
        {"domain": "bounce.provider.example", "scope": None, "result": "pass"}
    ]
    second = report.records.get(source_ip="192.0.2.200")
    assert second.envelope_from == ""
    assert second.domain.name == "kaiho.mlit.go.jp"


@pytest.mark.parametrize(
    ("wrap", "layers"),
    [
        (lambda data: data, ""),
        (gzipped, "gzip"),
        (zipped, "zip"),
        (lambda data: zipped(gzipped(data), "report.xml.gz"), "zip/gzip"),
        (emailed, "eml/gzip"),
    ],
    ids=["xml", "gzip", "zip", "gzip-in-zip", "eml-mislabelled"],
)
def test_every_format_stores_the_same_report(registry, wrap, layers):
    [outcome] = ingest_file(wrap(xml(SOUMU)), "upload.bin", COMMAND)
    assert outcome.status == Status.ACCEPTED
    report = DmarcReport.objects.get()
    assert report.sha256 == hashlib.sha256(xml(SOUMU)).hexdigest()
    assert report.record_count == 4
    assert report.layers == layers  # the containers opened, outermost first


def test_the_same_report_in_every_wrapper_is_stored_once(registry):
    data = xml(SOUMU)
    outcomes = [
        o
        for name, content in [
            ("a.xml", data),
            ("a.xml", data),
            ("a.xml.gz", gzipped(data)),
            ("a.zip", zipped(data)),
            ("a.eml", emailed(data)),
        ]
        for o in ingest_file(content, name, COMMAND)
    ]
    assert [o.status for o in outcomes] == [Status.ACCEPTED] + [Status.DUPLICATE] * 4
    assert {o.reason for o in outcomes[1:]} == {Reason.SAME_CONTENT}
    assert {o.report_pk for o in outcomes} == {DmarcReport.objects.get().pk}
    assert DmarcRecord.objects.count() == 4
    # Counted once: the day's volume is that of one report.
    assert DmarcDailyVolume.objects.get(header_from="soumu.go.jp").messages == 1237


def test_a_resent_report_with_other_bytes_is_a_duplicate_by_its_identity(registry):
    ingest_file(xml(SOUMU), "first.xml", COMMAND)
    reformatted = xml(SOUMU).replace(b"    ", b"  ")
    [outcome] = ingest_file(reformatted, "again.xml", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.DUPLICATE, Reason.SAME_REPORT)
    assert DmarcReport.objects.count() == 1


def test_the_same_report_id_from_another_reporter_is_another_report(registry):
    ingest_file(xml(SOUMU), "a.xml", COMMAND)
    other = xml(SOUMU).replace(
        b"<org_name>receiver.example.jp", b"<org_name>other.example"
    )
    [outcome] = ingest_file(other, "b.xml", COMMAND)
    assert outcome.status == Status.ACCEPTED
    assert DmarcReport.objects.count() == 2
    assert DmarcDailyVolume.objects.get(header_from="soumu.go.jp").messages == 2 * 1237


def test_a_report_stored_meanwhile_by_another_import_is_a_duplicate(
    registry, monkeypatch
):
    """The race: both imports checked before either committed; the constraint decides."""
    ingest_file(xml(SOUMU), "first.xml", COMMAND)
    monkeypatch.setattr(ingest, "_duplicate", _not_yet_then_real())
    [outcome] = ingest_file(gzipped(xml(SOUMU)), "second.xml.gz", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.DUPLICATE, Reason.SAME_CONTENT)
    assert DmarcReport.objects.count() == 1
    assert DmarcRecord.objects.count() == 4


def _not_yet_then_real():
    """The duplicate check before storing finds nothing (the other import has not
    committed yet); the one after the constraint failed finds the stored report."""
    real = ingest._duplicate
    calls = []

    def duplicate(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    return duplicate


def test_a_broken_record_after_written_batches_leaves_nothing(registry, monkeypatch):
    monkeypatch.setattr(
        store, "BATCH_SIZE", 2
    )  # two batches are written before the error
    [outcome] = ingest_file(xml(BAD_COUNT), "bad.xml", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.REJECTED, Reason.UNREADABLE)
    assert "count" in outcome.detail
    assert nothing_stored()


def test_a_failure_while_writing_records_leaves_nothing(registry, monkeypatch):
    """A database error after some records were written (injected after two batches)."""
    monkeypatch.setattr(store, "BATCH_SIZE", 1)
    real_writer = store.record_writer()
    written = []

    def failing_writer():
        def write(rows):
            if len(written) == 2:
                raise RuntimeError("disk full")
            real_writer(rows)
            written.append(rows)

        return write

    monkeypatch.setattr(store, "record_writer", failing_writer)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(xml(SOUMU), "soumu.xml", COMMAND)
    assert len(written) == 2
    assert nothing_stored()


def test_records_are_stored_with_fewer_collections_and_the_settings_come_back(
    registry, monkeypatch
):
    """A large report's records allocate millions of short-lived objects while they are
    stored (scanner.collector; docs/benchmarks.md, "DMARC aggregate reports: import")."""
    before = gc.get_threshold()
    assert before[0] != BATCH_GC_THRESHOLD
    real_writer = store.record_writer()
    seen = []

    def watching_writer():
        def write(rows):
            seen.append(gc.get_threshold()[0])
            real_writer(rows)

        return write

    monkeypatch.setattr(store, "record_writer", watching_writer)
    [outcome] = ingest_file(xml(SOUMU), "soumu.xml", COMMAND)
    assert outcome.status == Status.ACCEPTED
    assert seen and set(seen) == {BATCH_GC_THRESHOLD}
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_truncated_report_is_rejected_and_leaves_nothing(registry):
    data = xml(SOUMU)
    [outcome] = ingest_file(data[: data.index(b"</record>", 2000)], "cut.xml", COMMAND)
    assert outcome.status == Status.REJECTED
    assert outcome.detail
    assert nothing_stored()


def test_a_file_that_is_no_report_is_rejected_with_the_reason(db):
    [outcome] = ingest_file(b"%PDF-1.7 not a report", "invoice.pdf", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.REJECTED, Reason.UNREADABLE)
    assert outcome.file_name == "invoice.pdf"
    assert outcome.detail
    assert nothing_stored()


@override_settings(DMARC_MAX_UPLOAD_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused_unread(db, tmp_path: Path):
    path = tmp_path / "big.xml"
    path.write_bytes(xml(SOUMU))
    [outcome] = ingest_file(path, str(path), COMMAND)
    assert (outcome.status, outcome.reason) == (Status.REJECTED, Reason.FILE_TOO_LARGE)
    assert outcome.params == {"size": len(xml(SOUMU)), "limit": 1024}


def test_a_missing_file_is_rejected_as_unreadable(db, tmp_path: Path):
    [outcome] = ingest_file(tmp_path / "gone.xml", "gone.xml", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.REJECTED, Reason.FILE_UNREADABLE)


def test_an_overlong_reporter_name_is_refused_not_cut(db):
    long_name = b"r" * 300
    data = xml(SOUMU).replace(
        b"receiver.example.jp</org_name>", long_name + b"</org_name>"
    )
    [outcome] = ingest_file(data, "long.xml", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.REJECTED, Reason.FIELD_TOO_LONG)
    assert outcome.params == {"field": "report_metadata/org_name", "limit": 255}
    assert nothing_stored()


def test_an_implausible_message_count_rejects_the_report(db):
    data = xml(SOUMU).replace(
        b"<count>1200</count>", b"<count>9000000000000000000</count>"
    )
    [outcome] = ingest_file(data, "huge.xml", COMMAND)
    assert outcome.status == Status.REJECTED
    assert str(store.MAX_RECORD_COUNT) in outcome.detail
    assert nothing_stored()


def test_daily_volumes_add_the_verdicts_of_each_header_from(registry):
    ingest_file(xml(SOUMU), "soumu.xml", COMMAND)
    soumu = DmarcDailyVolume.objects.get(header_from="soumu.go.jp")
    assert soumu.day == dt.date(2026, 11, 1)
    assert soumu.domain.name == "soumu.go.jp"
    assert (
        soumu.messages,
        soumu.dmarc_pass,
        soumu.spf_aligned_pass,
        soumu.dkim_aligned_pass,
        soumu.quarantined_or_rejected,
        soumu.fail_both,
    ) == (1237, 1230, 1200, 1230, 7, 7)
    unregistered = DmarcDailyVolume.objects.get(header_from="mail.soumu.go.jp")
    assert (unregistered.domain, unregistered.messages) == (None, 12)


@pytest.mark.parametrize("batch_size", [1, store.BATCH_SIZE])
def test_selectors_are_learned_under_the_signing_domain(
    registry, monkeypatch, batch_size
):
    monkeypatch.setattr(store, "BATCH_SIZE", batch_size)
    ingest_file(xml(SOUMU), "soumu.xml", COMMAND)
    learned = {(s.signing_domain, s.selector): s for s in LearnedSelector.objects.all()}
    assert set(learned) == {
        ("soumu.go.jp", "sm2026"),
        ("lists.example.org", "list1"),
        ("mail.soumu.go.jp", "relay"),
    }
    own = learned["soumu.go.jp", "sm2026"]
    assert (own.messages, own.pass_messages, own.source) == (
        1230,
        1230,
        "receiver.example.jp",
    )
    assert own.first_seen == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert own.domain.name == "soumu.go.jp"
    # A subdomain's selector belongs to its registry domain; a third party's to none.
    assert learned["mail.soumu.go.jp", "relay"].domain.name == "soumu.go.jp"
    assert learned["lists.example.org", "list1"].domain is None


def test_a_later_report_widens_the_dates_and_adds_the_counts(registry):
    ingest_file(xml(SOUMU), "a.xml", COMMAND)
    later = (
        xml(SOUMU)
        .replace(b"1793491200", b"1793577600")
        .replace(b"1793577599", b"1793663999")
        .replace(b"receiver.example.jp</org_name>", b"later.example</org_name>")
    )
    ingest_file(later, "b.xml", COMMAND)
    own = LearnedSelector.objects.get(signing_domain="soumu.go.jp", selector="sm2026")
    assert own.first_seen == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert own.last_seen == dt.datetime(2026, 11, 2, 23, 59, 59, tzinfo=dt.UTC)
    assert own.messages == 2 * 1230
    assert own.source == "receiver.example.jp"  # the first reporter stays


@override_settings(DMARC_RAW_RETENTION_DAYS=0)
def test_no_raw_report_is_kept_when_retention_is_zero(registry):
    ingest_file(xml(SOUMU), "soumu.xml", COMMAND)
    assert DmarcReport.objects.count() == 1
    assert not DmarcRawReport.objects.exists()


@pytest.mark.parametrize(
    ("begin_days", "end_days"),
    [(3, 4), (0, 30)],  # begins in the future; ends weeks ahead
)
def test_a_report_whose_period_lies_in_the_future_is_rejected(
    registry, begin_days, end_days
):
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    begin = int((today + dt.timedelta(days=begin_days)).timestamp())
    end = int((today + dt.timedelta(days=end_days)).timestamp())
    report = xml(SOUMU)
    report = report.replace(b"<begin>1793491200</begin>", b"<begin>%d</begin>" % begin)
    report = report.replace(b"<end>1793577599</end>", b"<end>%d</end>" % end)
    [outcome] = ingest_file(report, "future.xml", COMMAND)
    assert (outcome.status, outcome.reason) == (Status.REJECTED, Reason.FUTURE_PERIOD)
    assert outcome.params["begin"].startswith(
        str((today + dt.timedelta(begin_days)).date())
    )
    assert not DmarcReport.objects.exists()
    assert not LearnedSelector.objects.exists()


def test_a_report_for_today_is_accepted_despite_the_receivers_clock(registry):
    """A receiver a few hours ahead sends today's report: within the day of slack."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    begin = int((today + dt.timedelta(hours=12)).timestamp())
    report = xml(SOUMU).replace(
        b"<begin>1793491200</begin>", b"<begin>%d</begin>" % begin
    )
    report = report.replace(
        b"<end>1793577599</end>", b"<end>%d</end>" % (begin + 86399)
    )
    [outcome] = ingest_file(report, "today.xml", COMMAND)
    assert outcome.status is Status.ACCEPTED
    assert DmarcReport.objects.get().begin.timestamp() == begin
