"""Finding reports in uploads and e-mail, whatever the Content-Type or file name says."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from adoption.dmarc_reports.mime import (
    MAX_DEPTH,
    MAX_PARTS,
    extract_reports,
    sniff_kind,
)
from adoption.dmarc_reports.types import MessageHints, Payload, ReportRejected
from tests.adoption.dmarc_reports.parsed import data_file
from tests.adoption.dmarc_reports.reportfiles import gzipped


def single(data: bytes, name: str) -> tuple[Payload, bytes]:
    (payload,) = extract_reports(data, name)
    with payload.xml:
        return payload, payload.xml.read()


def refused(data: bytes, name: str = "upload.eml") -> str:
    with pytest.raises(ReportRejected) as caught:
        extract_reports(data, name)
    return caught.value.reason


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rfc7489_report.xml", "xml"),
        ("rfc7489_report.xml.gz", "gzip"),
        ("several_signatures.zip", "zip"),
        ("octet_stream_gz.eml", "eml"),
        ("inline_xml_body.eml", "eml"),
        ("forwarded_rfc822.eml", "eml"),
    ],
)
def test_uploaded_file_kind_is_sniffed_from_content(name: str, kind: str) -> None:
    assert sniff_kind(data_file(name)) == kind


def test_text_that_is_not_a_message_is_not_sniffed_as_one() -> None:
    assert sniff_kind(b"Note: this is not a report\n\nbye\n") is None
    assert sniff_kind(b"") is None


@pytest.mark.parametrize(
    "name", ["rfc7489_report.xml", "rfc7489_report.xml.gz", "several_signatures.zip"]
)
def test_uploaded_report_files_give_one_payload_without_hints(name: str) -> None:
    payload, xml = single(data_file(name), name)

    assert xml.startswith(b"<?xml")
    assert payload.hints is None


def test_upload_name_does_not_decide_the_decoder() -> None:
    payload, xml = single(data_file("rfc7489_report.xml.gz"), "report.zip")

    assert payload.layers == ("gzip",)
    assert xml == data_file("rfc7489_report.xml")


def test_zip_labelled_as_gzip_in_a_message_is_opened_as_zip() -> None:
    payload, xml = single(data_file("zip_labelled_gzip.eml"), "message.eml")

    assert payload.layers == ("eml", "zip")
    assert payload.name == "filter.example!soumu.go.jp!1780272000!1780358399.xml"
    assert xml == data_file("rfc7489_report.xml")
    assert payload.hints == MessageHints(
        message_id="<rua-20260602-0001@relay.filter.example>",
        subject="Report domain: soumu.go.jp Submitter: filter.example "
        "Report-ID: <8802214503917734452>",
        report_domain="soumu.go.jp",
        report_id="8802214503917734452",
    )


def test_octet_stream_xml_gz_attachment_is_opened_as_gzip() -> None:
    payload, xml = single(data_file("octet_stream_gz.eml"), "message.eml")

    assert payload.layers == ("eml", "gzip")
    assert xml == data_file("rfc9990_report.xml")
    assert payload.hints is not None
    assert (payload.hints.report_domain, payload.hints.report_id) == (
        "mlit.go.jp",
        "6f1c2b9e0a7d4e5f8a3b",
    )


def test_xml_as_the_message_body_is_found() -> None:
    payload, xml = single(data_file("inline_xml_body.eml"), "message.eml")

    assert payload.layers == ("eml",)
    assert payload.name == ""
    assert xml.replace(b"\r\n", b"\n") == data_file("null_report.xml")


def test_forwarded_report_inside_message_rfc822_is_found() -> None:
    payload, xml = single(data_file("forwarded_rfc822.eml"), "message.eml")

    assert payload.name == "report.xml"
    assert xml == data_file("several_signatures.xml")
    assert payload.hints is not None
    assert payload.hints.subject is not None
    assert payload.hints.subject.startswith("転送: Report Domain: mhlw.go.jp")
    assert payload.hints.report_domain == "mhlw.go.jp"


def test_preview_subject_and_html_part_are_handled() -> None:
    payload, xml = single(data_file("microsoft_preview.eml"), "message.eml")

    assert payload.layers == ("eml", "gzip")  # the HTML part was not taken for XML
    assert xml == data_file("rfc7489_report.xml")
    assert payload.hints is not None
    assert payload.hints.report_domain == "soumu.go.jp"
    assert payload.hints.report_id == "0c3a5d7e9f1b4a2c8e6d0f4b2a9c7e5d"


def message(*attachments: tuple[bytes, str, str], subject: str | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = "dmarc@mail-receiver.example"
    mail["To"] = "dmarc-rua@soumu.go.jp"
    if subject is not None:
        mail["Subject"] = subject
    mail.set_content("<html><body>Your weekly summary</body></html>", subtype="html")
    for data, maintype, subtype in attachments:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename="a")
    return mail.as_bytes()


def test_message_without_subject_or_message_id_is_still_read() -> None:
    (payload,) = extract_reports(
        message((gzipped(data_file("null_report.xml")), "application", "x-gzip")),
        "m.eml",
    )
    payload.close()

    assert payload.hints == MessageHints(None, None, None, None)


def test_message_with_two_reports_gives_two_payloads() -> None:
    data = message(
        (gzipped(data_file("null_report.xml")), "application", "gzip"),
        (data_file("rfc7489_report.xml"), "text", "xml"),
        subject="DMARC reports",
    )

    payloads = extract_reports(data, "m.eml")
    for payload in payloads:
        payload.close()

    assert [payload.layers for payload in payloads] == [("eml", "gzip"), ("eml",)]


def test_message_without_a_report_is_refused() -> None:
    data = message(
        (b"%PDF-1.7 not a report", "application", "pdf"), subject="Newsletter"
    )

    assert refused(data) == (
        "no DMARC report in the message: no part is a report's XML, gzip or zip"
    )


def test_message_whose_archive_is_broken_is_refused_whole() -> None:
    data = message(
        (data_file("rfc7489_report.xml"), "text", "xml"),
        (data_file("two_members.zip"), "application", "zip"),
    )

    assert refused(data) == "the zip holds 2 files; one report expected"


def test_message_with_too_many_parts_is_refused() -> None:
    data = message(*[(b"hello", "text", "plain")] * MAX_PARTS)

    assert refused(data) == f"the message has more than {MAX_PARTS} parts"


def test_outlook_msg_file_is_refused_with_advice() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

    assert refused(data, "report.msg") == (
        "'report.msg' is an Outlook .msg file, which is not supported: save it as .eml"
    )


def test_unknown_upload_is_refused() -> None:
    assert refused(b"\x89PNG\r\n\x1a\n", "report.xml") == (
        "not a DMARC report: 'report.xml' is not XML, gzip, zip or an e-mail message"
    )


def test_malformed_message_id_is_kept_as_sent() -> None:
    data = b"Message-ID: <\r\n" + data_file("inline_xml_body.eml").replace(
        b"Message-ID: <20260602003000.4411@small-isp.example>\r\n", b""
    )

    payload, _ = single(data, "message.eml")

    assert payload.hints is not None
    assert payload.hints.message_id == "<"
    assert payload.hints.report_domain == "soumu.go.jp"


def test_forwards_nested_deeper_than_the_limit_are_refused() -> None:
    data = data_file("inline_xml_body.eml")
    for _ in range(MAX_DEPTH + 1):
        data = (
            b"From: forwarder@soumu.go.jp\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" + data
        )

    assert refused(data) == f"the message nests parts more than {MAX_DEPTH} deep"
