"""Reports the parser refuses, and the reason it gives: hostile XML, broken or partial reports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adoption.dmarc_reports.types import ReportRejected
from adoption.dmarc_reports.xmlparse import parse_report
from tests.adoption.dmarc_reports.parsed import data_file, parse, rejection


def without(name: str, element: bytes) -> bytes:
    """A fixture with the first element ``element`` (start to end tag) cut out."""
    data = data_file(name)
    start = data.index(b"<" + element + b">")
    end = data.index(b"</" + element + b">", start) + len(element) + 3
    return data[:start] + data[end:]


def test_billion_laughs_is_rejected_before_expansion() -> None:
    assert rejection(data_file("billion_laughs.xml")) == (
        "forbidden XML: the document declares an entity ('lol'); DMARC reports use none"
    )


def test_external_entity_is_rejected_without_being_read() -> None:
    assert rejection(data_file("external_entity.xml")) == (
        "forbidden XML: the document declares an external entity ('secret'); "
        "DMARC reports use none"
    )


def test_external_dtd_is_never_read(tmp_path: Path) -> None:
    """Its entity is declared only in a file the parser would have to open: it is not."""
    dtd = tmp_path / "report.dtd"
    dtd.write_text('<!ENTITY org "from the file">')
    data = data_file("rfc7489_report.xml").replace(
        b"<feedback>",
        f'<!DOCTYPE feedback SYSTEM "{dtd.as_uri()}">\n<feedback>'.encode(),
    )

    report, records = parse(data)  # a DTD without entity references is harmless
    assert len(records) == 3
    referenced = data.replace(b"mail-receiver.example</org_name>", b"&org;</org_name>")
    # The reference stays unexpanded, so org_name holds no text ("from the file" never read).
    assert rejection(referenced) == "report_metadata/org_name is missing or empty"


def test_entity_declared_after_a_long_internal_subset_is_still_refused() -> None:
    padding = b"<!-- " + b"x" * 200_000 + b" -->\n"
    data = data_file("billion_laughs.xml").replace(
        b"<!ENTITY lol ", padding + b"<!ENTITY lol "
    )

    assert rejection(data) == (
        "forbidden XML: the document declares an entity ('lol'); DMARC reports use none"
    )


def test_truncated_report_is_rejected_while_reading_records() -> None:
    report = parse_report(io.BytesIO(data_file("truncated.xml")))

    assert report.policy.domain == "mhlw.go.jp"  # the head was complete
    seen = []
    with pytest.raises(ReportRejected) as caught:
        for record in report.records():
            seen.append(record.source_ip)
    assert seen == ["192.0.2.140"]  # the importer must roll these back
    assert caught.value.reason == "XML ends before </feedback>: truncated report"


def test_report_truncated_in_its_head_is_rejected_at_once() -> None:
    data = data_file("rfc7489_report.xml")[:300]

    with pytest.raises(ReportRejected) as caught:
        parse_report(io.BytesIO(data))

    assert caught.value.reason == "XML ends before </feedback>: truncated report"


def test_html_page_is_not_a_report() -> None:
    reason = rejection(b"<!DOCTYPE html>\n<html><body><p>Report</p></body></html>")

    assert reason == "not a DMARC aggregate report: root element is <html>"


@pytest.mark.parametrize(
    ("data", "start"),
    [(b"unused", "'unused'"), (b"", "nothing"), (b"\x00\x01PK", "'??PK'")],
)
def test_content_that_is_not_xml_is_rejected(data: bytes, start: str) -> None:
    assert rejection(data) == f"not XML: the content starts with {start}"


def test_mismatched_tag_is_rejected_with_its_position() -> None:
    data = data_file("rfc7489_report.xml").replace(b"</org_name>", b"</org>")

    assert rejection(data) == "malformed XML at line 4, column 42: mismatched tag"


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (b"report_metadata", "not a DMARC aggregate report: no <report_metadata>"),
        (b"policy_published", "not a DMARC aggregate report: no <policy_published>"),
        (b"report_id", "report_metadata/report_id is missing or empty"),
        (b"org_name", "report_metadata/org_name is missing or empty"),
        (b"date_range", "report_metadata has no <date_range>"),
        (b"begin", "report_metadata/date_range has no <begin>"),
        (b"domain", "policy_published/domain is missing or empty"),
        (b"p", "policy_published/p is missing or empty"),
        (b"header_from", "header_from is missing or empty"),
        (b"disposition", "policy_evaluated/disposition is missing or empty"),
    ],
)
def test_missing_required_element_is_rejected(element: bytes, reason: str) -> None:
    assert rejection(without("rfc7489_report.xml", element)) == reason


def test_missing_email_is_only_a_warning() -> None:
    report, _ = parse(without("rfc7489_report.xml", b"email"))

    assert report.meta.email is None
    assert report.warnings == ["report_metadata has no <email>"]


@pytest.mark.parametrize("count", [b"many", b"-1", b"1.5", b"\xc2\xb2"])
def test_count_that_is_not_a_whole_number_is_rejected(count: bytes) -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"<count>12<", b"<count>" + count + b"<"
    )

    assert (
        rejection(data) == f"a record's count {count.decode()!r} is not a message count"
    )


def test_date_that_is_not_epoch_seconds_is_rejected() -> None:
    data = data_file("rfc7489_report.xml").replace(b"1780272000", b"2026-06-01")

    assert (
        rejection(data)
        == "date_range begin '2026-06-01' is not a time in epoch seconds"
    )


def test_second_policy_published_is_rejected() -> None:
    data = data_file("rfc7489_report.xml")
    policy = data[data.index(b"<policy_published>") : data.index(b"  <record>")]
    data = data.replace(b"</feedback>", policy + b"</feedback>")

    assert rejection(data) == "the report has more than one <policy_published>"


def test_records_before_the_policy_need_a_seekable_stream() -> None:
    data = data_file("rfc7489_report.xml")
    start, end = data.index(b"  <policy_published>"), data.index(b"  <record>")
    moved = data[:start] + data[end:].replace(
        b"</feedback>", data[start:end] + b"</feedback>"
    )

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    with pytest.raises(ReportRejected) as caught:
        parse_report(Pipe(moved))

    assert caught.value.reason == "records come before the report's metadata and policy"


def test_invalid_source_ip_is_stored_empty_with_a_warning() -> None:
    data = data_file("rfc7489_report.xml").replace(b"192.0.2.25", b"192.0.2.256")

    report, records = parse(data)

    assert records[0].source_ip is None
    assert (
        "source_ip '192.0.2.256' is not an IP address: stored as empty"
        in report.warnings
    )


def test_bare_text_reason_is_read_as_its_type() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"<type>forwarded</type>", b"Mailing_List"
    )

    report, records = parse(data)

    assert records[1].reasons[0].type == "mailing_list"
    assert "a <reason> given as bare text was read as its type" in report.warnings


def test_dkim_result_without_domain_is_skipped_with_a_warning() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"<domain>soumu.go.jp</domain>\n        <selector>s2026</selector>",
        b"<selector>s2026</selector>",
        1,
    )

    report, records = parse(data)

    assert records[0].auth_dkim == ()
    assert "a DKIM result without domain or result was skipped" in report.warnings


def test_foreign_top_level_element_is_ignored_and_unknown_dmarc_one_warned() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"  <record>",
        b'  <x:note xmlns:x="urn:example:x">hi</x:note><comment>hi</comment>\n  <record>',
        1,
    )

    report, records = parse(data)

    assert len(records) == 3
    assert report.warnings == ["unknown element <comment> ignored"]
