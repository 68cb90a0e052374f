"""Encodings the parser repairs or honours, and the bounds it puts on hostile sizes."""

from __future__ import annotations

import io

import pytest

from adoption.dmarc_reports.fields import MAX_DKIM_RESULTS, MAX_TEXT_CHARS
from adoption.dmarc_reports.xmlbytes import MAX_TEXT_RUN_BYTES
from adoption.dmarc_reports.xmlparse import (
    MAX_DEPTH,
    MAX_ELEMENTS_PER_CHILD,
    MAX_WARNINGS,
    parse_report,
)
from adoption.dmarc_reports.xmlwalk import MAX_PROLOG_BYTES
from tests.adoption.dmarc_reports.parsed import data_file, parse, rejection

DKIM = b"<dkim><domain>soumu.go.jp</domain><selector>s%d</selector><result>pass</result></dkim>"


def with_auth_results(inner: bytes) -> bytes:
    """The RFC 7489 fixture with the first record's auth_results replaced by ``inner``."""
    data = data_file("rfc7489_report.xml")
    start = data.index(b"<auth_results>") + len(b"<auth_results>")
    end = data.index(b"</auth_results>")
    return data[:start] + inner + data[end:]


def test_undeclared_latin1_byte_in_org_name_is_recovered_with_a_warning() -> None:
    report, records = parse(data_file("latin1_org_name.xml"))

    assert report.meta.org_name == "Société d’exemple"  # 0xE9 and Windows-1252 0x92
    assert report.warnings == ["invalid UTF-8 bytes were read as Windows-1252"]
    assert len(records) == 3


def test_utf8_split_across_reads_is_kept_and_repaired_once() -> None:
    class Trickle(io.BytesIO):
        """A stream that hands out one byte per read: every sequence is split."""

        def read(self, size: int | None = -1) -> bytes:
            return super().read(1)

    data = data_file("rfc7489_report.xml").replace(
        b"mail-receiver.example</org_name>",
        "受信者 ".encode() + b"Soci\xe9t\xe9</org_name>",
    )

    report = parse_report(Trickle(data))

    assert report.meta.org_name == "受信者 Société"
    assert len(list(report.records())) == 3
    assert report.warnings == ["invalid UTF-8 bytes were read as Windows-1252"]


def test_control_characters_are_replaced_with_a_warning() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"mail-receiver.example</org_name>", b"mail-receiver\x0c.example</org_name>"
    )

    report, _ = parse(data)

    assert report.meta.org_name == "mail-receiver?.example"
    assert report.warnings == [
        "control characters not allowed in XML were replaced with '?'"
    ]


def japanese_org_name(encoding: str) -> bytes:
    text = data_file("rfc7489_report.xml").decode()
    text = text.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    return text.replace(
        "mail-receiver.example</org_name>", "受信者.example</org_name>"
    ).encode(encoding)


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-16-LE", "UTF-16-BE", "UTF-32"])
def test_utf16_and_utf32_reports_parse_with_or_without_byte_order_mark(
    encoding: str,
) -> None:
    report, records = parse(japanese_org_name(encoding))

    assert report.meta.org_name == "受信者.example"
    assert len(records) == 3


@pytest.mark.parametrize("encoding", ["Shift_JIS", "EUC-JP", "ISO-2022-JP"])
def test_declared_japanese_encoding_is_transcoded(encoding: str) -> None:
    report, records = parse(japanese_org_name(encoding))

    assert report.meta.org_name == "受信者.example"
    assert report.warnings == []
    assert len(records) == 3


def test_declared_windows_1252_is_transcoded() -> None:
    data = (
        data_file("rfc7489_report.xml")
        .replace(b'"UTF-8"', b'"windows-1252"')
        .replace(b"mail-receiver.example</org_name>", b"\x93quoted\x94</org_name>")
    )

    report, _ = parse(data)

    assert report.meta.org_name == "“quoted”"
    assert report.warnings == []


def test_bytes_invalid_in_declared_encoding_are_replaced_with_a_warning() -> None:
    data = japanese_org_name("Shift_JIS").replace(
        "受信者".encode("shift_jis"), b"\x81\x20"
    )

    report, _ = parse(data)

    assert report.meta.org_name == "\ufffd .example"
    assert report.warnings == ["bytes not valid in shift_jis were replaced"]


def test_unknown_declared_encoding_is_rejected() -> None:
    data = data_file("rfc7489_report.xml").replace(b'"UTF-8"', b'"x-mac-klingon"')

    assert rejection(data) == "unknown character encoding 'x-mac-klingon'"


def test_declared_iso_8859_1_is_decoded_without_warnings() -> None:
    data = (
        data_file("rfc7489_report.xml")
        .replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
        .replace(
            b"mail-receiver.example</org_name>", b"r\xe9cepteur.example</org_name>"
        )
    )

    report, _ = parse(data)

    assert report.meta.org_name == "récepteur.example"
    assert report.warnings == []


def test_more_records_than_allowed_are_rejected() -> None:
    reason = rejection(data_file("rfc7489_report.xml"), max_records=2)

    assert reason == "the report has more than 2 records"


def test_more_than_100_dkim_results_are_capped_with_a_warning() -> None:
    data = with_auth_results(b"".join(DKIM % n for n in range(120)))

    report, records = parse(data)

    assert len(records[0].auth_dkim) == MAX_DKIM_RESULTS
    assert records[0].auth_dkim[-1].selector == "s99"
    assert "more than 100 DKIM results: only the first 100 kept" in report.warnings


def test_record_with_too_many_elements_is_rejected() -> None:
    data = with_auth_results(
        b"<spf><result>pass</result></spf>" * MAX_ELEMENTS_PER_CHILD
    )

    assert (
        rejection(data)
        == f"<record> holds more than {MAX_ELEMENTS_PER_CHILD:,} elements"
    )


def test_deep_nesting_is_rejected() -> None:
    depth = MAX_DEPTH + 5
    data = with_auth_results(b"<x>" * depth + b"</x>" * depth)

    assert rejection(data) == f"XML nested deeper than {MAX_DEPTH} elements"


def test_overlong_value_is_rejected() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"<report_id>8802214503917734452", b"<report_id>" + b"9" * (MAX_TEXT_CHARS + 1)
    )

    assert (
        rejection(data)
        == f"<report_id> text is longer than {MAX_TEXT_CHARS:,} characters"
    )


def test_huge_text_node_is_refused_before_it_is_built() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"<org_name>", b"<org_name>" + b"a" * (MAX_TEXT_RUN_BYTES + 1)
    )

    assert rejection(data) == (
        f"a text value is longer than {MAX_TEXT_RUN_BYTES:,} bytes: not a DMARC report"
    )


def test_warnings_are_listed_once_each_and_capped() -> None:
    odd = b"<dkim><domain>soumu.go.jp</domain><selector>s</selector><result>odd%d</result></dkim>"
    signatures = b"".join(odd % n for n in range(MAX_DKIM_RESULTS))
    data = with_auth_results(
        signatures + signatures + b"<spf><result>pass</result></spf>"
    )

    report, _ = parse(data)

    assert report.warnings[:2] == [
        "more than 100 DKIM results: only the first 100 kept",
        "unknown DKIM result value 'odd0' kept as sent",
    ]
    assert len(report.warnings) == MAX_WARNINGS + 1
    assert (
        report.warnings[-1]
        == f"more than {MAX_WARNINGS} warnings: the rest were not listed"
    )


def test_root_element_must_start_within_the_prolog_limit() -> None:
    data = data_file("rfc7489_report.xml").replace(
        b"<feedback>", b"<!-- " + b"x<" * MAX_PROLOG_BYTES + b" -->\n<feedback>"
    )

    assert rejection(data) == (
        f"not a DMARC aggregate report: no <feedback> in the first {MAX_PROLOG_BYTES:,} bytes"
    )


def test_long_document_with_another_root_is_refused_without_being_kept() -> None:
    rows = (
        b"<tr><td>192.0.2.1</td><td>pass</td></tr>\n" * 40_000
    )  # 1.6 MB, no report inside
    data = b"<html><body><table>" + rows + b"</table></body></html>"

    assert rejection(data) == (
        f"not a DMARC aggregate report: no <feedback> in the first {MAX_PROLOG_BYTES:,} bytes"
    )
