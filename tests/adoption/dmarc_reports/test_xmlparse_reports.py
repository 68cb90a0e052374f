"""Parsing the hand-written reports in tests/data/dmarc/: both schemas and reporters' quirks."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from adoption.dmarc_reports.types import (
    DkimAuth,
    PolicyPublished,
    Reason,
    Record,
    ReportMeta,
    SpfAuth,
)
from adoption.dmarc_reports.xmlparse import parse_report
from tests.adoption.dmarc_reports.parsed import data_file, parse


def test_rfc7489_report_parses_metadata_policy_and_records() -> None:
    report, records = parse(data_file("rfc7489_report.xml"))

    assert report.meta == ReportMeta(
        schema="rfc7489",
        org_name="mail-receiver.example",
        email="noreply-dmarc-support@mail-receiver.example",
        extra_contact_info="https://support.mail-receiver.example/dmarc",
        report_id="8802214503917734452",
        begin=datetime(2026, 6, 1, tzinfo=UTC),
        end=datetime(2026, 6, 1, 23, 59, 59, tzinfo=UTC),
        generator=None,
        errors=(),
        version=None,
    )
    assert report.policy == PolicyPublished(
        domain="soumu.go.jp",
        adkim="r",
        aspf="r",
        p="none",
        sp="none",
        np=None,
        pct=100,
        fo=None,
        testing=None,
        discovery_method=None,
    )
    assert records[0] == Record(
        source_ip="192.0.2.25",
        count=12,
        header_from="soumu.go.jp",
        envelope_from=None,
        envelope_to=None,
        disposition="none",
        dkim="pass",
        spf="pass",
        reasons=(),
        auth_dkim=(DkimAuth("soumu.go.jp", "s2026", "pass", None),),
        auth_spf=(SpfAuth("soumu.go.jp", None, "pass", None),),
    )
    assert records[1].reasons == (Reason("forwarded", None),)
    assert records[2].auth_dkim == ()
    assert records[2].auth_spf == (
        SpfAuth("bulk-sender.example", None, "softfail", None),
    )
    assert (report.record_count, report.message_count) == (3, 16)
    assert report.warnings == []


def test_namespaced_rfc9990_report_parses_np_testing_and_discovery_method() -> None:
    report, records = parse(data_file("rfc9990_report.xml"))

    assert report.meta.schema == "rfc9990"
    assert report.meta.version == "1.0"
    assert report.meta.generator == "ExampleMTA-DMARC 4.2.1"
    assert report.meta.errors == (
        "DNS timeout while fetching the policy of one subdomain",
    )
    assert report.meta.end - report.meta.begin == (
        datetime(2026, 6, 2, tzinfo=UTC) - datetime(2026, 6, 1, tzinfo=UTC)
    )
    assert report.policy == PolicyPublished(
        domain="mlit.go.jp",
        adkim="s",
        aspf="r",
        p="reject",
        sp="quarantine",
        np="reject",
        pct=None,
        fo="1",
        testing="n",
        discovery_method="treewalk",
    )
    assert report.warnings == []  # the extension elements are ignored silently


def test_rfc9990_records_keep_human_results_pass_disposition_and_ipv6() -> None:
    _, records = parse(data_file("rfc9990_report.xml"))

    first, allowed, spoofed = records
    assert first.source_ip == "2001:db8:0:1::25"
    assert first.disposition == "pass"
    assert (first.envelope_to, first.envelope_from) == (
        "report-sender.example",
        "mlit.go.jp",
    )
    assert first.auth_dkim == (
        DkimAuth(
            "mlit.go.jp", "key2026", "pass", "signature verified, 2048-bit RSA key"
        ),
    )
    assert first.auth_spf == (
        SpfAuth("mlit.go.jp", "mfrom", "pass", "matched ip6:2001:db8:0:1::/64"),
    )
    assert allowed.reasons == (
        Reason("local_policy", "sender allow-listed by the recipient"),
    )
    assert spoofed.envelope_from is None  # empty element: a null reverse-path
    assert spoofed.auth_spf == (
        SpfAuth("mail.spoofer.example", "mfrom", "policy", None),
    )


def test_rfc9990_elements_without_namespace_still_mark_the_report_rfc9990() -> None:
    data = data_file("rfc9990_report.xml").replace(
        b'xmlns="urn:ietf:params:xml:ns:dmarc-2.0"', b""
    )

    report, records = parse(data)

    assert report.meta.schema == "rfc9990"
    assert report.policy.np == "reject"
    assert len(records) == 3


def test_rfc7489_namespace_is_read_by_local_name() -> None:
    report, records = parse(data_file("identities_quirks.xml"))

    assert report.meta.schema == "rfc7489"
    assert report.policy.domain == "soumu.go.jp"
    assert len(records) == 2


def test_prefixed_elements_are_matched_by_local_name() -> None:
    data = b"""<?xml version="1.0"?>
<d:feedback xmlns:d="urn:ietf:params:xml:ns:dmarc-2.0">
  <d:report_metadata>
    <d:org_name>mail-receiver.example</d:org_name>
    <d:email>dmarc@mail-receiver.example</d:email>
    <d:report_id>prefixed-1</d:report_id>
    <d:date_range><d:begin>1780272000</d:begin><d:end>1780358399</d:end></d:date_range>
  </d:report_metadata>
  <d:policy_published><d:domain>soumu.go.jp</d:domain><d:p>none</d:p></d:policy_published>
  <d:record>
    <d:row>
      <d:source_ip>192.0.2.25</d:source_ip><d:count>1</d:count>
      <d:policy_evaluated>
        <d:disposition>none</d:disposition><d:dkim>pass</d:dkim><d:spf>pass</d:spf>
      </d:policy_evaluated>
    </d:row>
    <d:identifiers><d:header_from>soumu.go.jp</d:header_from></d:identifiers>
    <d:auth_results/>
  </d:record>
</d:feedback>
"""

    report, records = parse(data)

    assert report.meta.schema == "rfc9990"
    assert report.meta.report_id == "prefixed-1"
    assert (records[0].source_ip, records[0].dkim) == ("192.0.2.25", "pass")


def test_enumerations_are_stripped_and_lower_cased() -> None:
    report, records = parse(data_file("mixed_case_whitespace.xml"))

    assert (report.policy.p, report.policy.sp) == ("quarantine", "reject")
    assert (report.policy.adkim, report.policy.aspf, report.policy.pct) == (
        "r",
        "s",
        50,
    )
    (record,) = records
    assert (record.disposition, record.dkim, record.spf) == (
        "quarantine",
        "fail",
        "pass",
    )
    assert record.reasons == (Reason("sampled_out", None),)  # empty comment is absent
    assert [(spf.scope, spf.result) for spf in record.auth_spf] == [
        ("mfrom", "softfail"),
        ("helo", "hardfail"),
    ]


def test_unknown_enumeration_word_is_kept_as_sent_and_warned() -> None:
    report, records = parse(data_file("mixed_case_whitespace.xml"))

    assert records[0].auth_spf[1].result == "hardfail"
    assert "unknown SPF result value 'hardfail' kept as sent" in report.warnings


def test_domains_are_lower_cased_without_trailing_dot_and_selectors_kept() -> None:
    report, records = parse(data_file("mixed_case_whitespace.xml"))

    assert report.policy.domain == "soumu.go.jp"
    assert records[0].header_from == "soumu.go.jp"
    assert records[0].envelope_from == "bounce.soumu.go.jp"
    assert records[0].auth_dkim == (DkimAuth("soumu.go.jp", "Sel-A", "fail", None),)


def test_date_range_first_and_fractional_epoch_with_whitespace_are_read() -> None:
    report, _ = parse(data_file("mixed_case_whitespace.xml"))

    assert report.meta.org_name == "Mail Filter Appliance"
    assert report.meta.report_id == "week-22-soumu"
    assert report.meta.begin == datetime(2026, 5, 25, 0, 0, 0, 250000, tzinfo=UTC)
    assert report.meta.end == datetime(2026, 6, 1, tzinfo=UTC)


def test_span_over_24_hours_is_flagged_and_one_day_is_not() -> None:
    week, _ = parse(data_file("mixed_case_whitespace.xml"))
    day, _ = parse(data_file("rfc9990_report.xml"))  # end = begin + 86400

    assert [w for w in week.warnings if "more than one day" in w] == [
        "date_range spans 6 days, 23:59:59.750000, more than one day (RFC 9990 §3.1.1.4)"
    ]
    assert not [w for w in day.warnings if "more than one day" in w]


def test_whitespace_before_the_xml_declaration_is_removed_with_a_warning() -> None:
    report, _ = parse(data_file("mixed_case_whitespace.xml"))

    assert "whitespace before the XML declaration was removed" in report.warnings


def test_identities_empty_selector_and_missing_scope_stay_absent() -> None:
    report, (signed, unsigned) = parse(data_file("identities_quirks.xml"))

    assert report.meta.report_id == "<2026060100.soumu.go.jp@regional-isp.example>"
    assert "<identities> read as <identifiers>" in report.warnings
    assert (signed.header_from, signed.envelope_from) == ("soumu.go.jp", None)
    assert signed.auth_dkim == (
        DkimAuth("soumu.go.jp", None, "none", None),
        DkimAuth("soumu.go.jp", "s2026", "pass", None),
    )
    assert signed.auth_spf == (
        SpfAuth("soumu.go.jp", None, "fail", None),
        SpfAuth(None, "helo", "none", None),
    )
    assert (unsigned.auth_dkim, unsigned.auth_spf) == ((), ())


def test_null_report_record_has_no_source_ip_and_zero_messages() -> None:
    report, (record,) = parse(data_file("null_report.xml"))

    assert (record.source_ip, record.count) == (None, 0)
    assert (record.auth_dkim, record.auth_spf) == ((), ())
    assert report.message_count == 0
    assert report.warnings == []


def test_several_dkim_signatures_are_kept_in_order_with_their_domains() -> None:
    report, records = parse(data_file("several_signatures.xml"))

    assert report.policy.fo == "1:d"
    assert [(d.domain, d.selector, d.result) for d in records[0].auth_dkim] == [
        ("mhlw.go.jp", "selector1", "pass"),
        ("esp-mailer.example", "s2048", "pass"),
        ("mhlw.go.jp", "old2019", "fail"),
    ]
    assert [(s.domain, s.scope) for s in records[0].auth_spf] == [
        ("mx.mhlw.go.jp", "helo"),
        ("mhlw.go.jp", "mfrom"),
    ]
    assert records[1].source_ip == "2001:db8:ffff::10"
    assert records[1].auth_dkim[1] == DkimAuth(
        "mhlw.go.jp", "selector1", "permerror", None
    )
    assert records[2].reasons == (Reason("mailing_list", "list.example.org"),)
    assert report.message_count == 261


def test_records_stream_in_batches_once() -> None:
    report = parse_report(io.BytesIO(data_file("several_signatures.xml")))

    batches = list(report.batches(2))

    assert [len(batch) for batch in batches] == [2, 1]
    with pytest.raises(RuntimeError):
        list(report.records())


def test_policy_after_records_is_found_on_a_seekable_stream() -> None:
    data = data_file("rfc7489_report.xml")
    start, end = data.index(b"  <policy_published>"), data.index(b"  <record>")
    policy = data[start:end]
    moved = data[:start] + data[end:].replace(b"</feedback>", policy + b"</feedback>")

    report, records = parse(moved)

    assert report.policy.domain == "soumu.go.jp"
    assert [r.source_ip for r in records] == [
        "192.0.2.25",
        "203.0.113.45",
        "198.51.100.7",
    ]


def test_comments_cdata_and_processing_instructions_inside_values_are_read_through() -> (
    None
):
    data = (
        data_file("rfc7489_report.xml")
        .replace(
            b"mail-receiver.example</org_name>",
            b"mail<!-- c -->-receiver<![CDATA[.example]]><?pi x?></org_name>",
        )
        .replace(b"<count>12<", b"<count>1<!-- split -->2<")
    )

    report, records = parse(data)

    assert report.meta.org_name == "mail-receiver.example"
    assert records[0].count == 12
    assert report.warnings == []
