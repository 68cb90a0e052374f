"""Opening report files by their magic bytes, with bombs and odd archives refused."""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib

import pytest

from adoption.dmarc_reports.archives import sniff_archive, unpack
from adoption.dmarc_reports.types import Payload, ReportRejected
from tests.adoption.dmarc_reports.parsed import data_file
from tests.adoption.dmarc_reports.reportfiles import gzipped, zipped

SEVERAL = data_file("several_signatures.xml")
MEMBER = "mail-receiver.example!mhlw.go.jp!1780358400!1780444799.xml"


def opened(source: bytes, **options: int) -> tuple[Payload, bytes]:
    payload = unpack(source, name="upload", **options)
    with payload.xml:
        return payload, payload.xml.read()


def refused(source: bytes, **options: int) -> str:
    with pytest.raises(ReportRejected) as caught:
        unpack(source, name="upload", **options)
    return caught.value.reason


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"PK\x05\x06\x00\x00", "zip"),
        (b'<?xml version="1.0"?>', "xml"),
        (b"\xef\xbb\xbf<?xml", "xml"),
        (b"\xff\xfe<\x00?\x00", "xml"),
        (b"\r\n  <feedback>", "xml"),
        (b"unused", None),
        (b"%PDF-1.7", None),
    ],
)
def test_kind_is_decided_by_magic_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_archive(head) == kind


def test_plain_xml_comes_back_with_its_hash_and_size() -> None:
    payload, xml = opened(SEVERAL)

    assert xml == SEVERAL
    assert (payload.layers, payload.size, payload.name) == ((), len(SEVERAL), "upload")
    assert payload.sha256 == hashlib.sha256(SEVERAL).hexdigest()


def test_gzip_report_is_decompressed_and_hashed_as_xml() -> None:
    payload, xml = opened(data_file("rfc7489_report.xml.gz"))

    assert xml == data_file("rfc7489_report.xml")
    assert payload.layers == ("gzip",)
    assert payload.sha256 == hashlib.sha256(xml).hexdigest()


def test_gzip_with_trailing_crlf_is_accepted() -> None:
    payload, xml = opened(data_file("trailing_crlf.xml.gz"))

    assert xml == data_file("rfc9990_report.xml")


def test_gzip_with_two_members_is_read_whole() -> None:
    _, xml = opened(gzipped(SEVERAL[:1000]) + gzipped(SEVERAL[1000:]))

    assert xml == SEVERAL


def test_zip_report_is_named_after_its_member() -> None:
    payload, xml = opened(data_file("several_signatures.zip"))

    assert xml == SEVERAL
    assert (payload.name, payload.layers) == (MEMBER, ("zip",))


def test_gzip_inside_zip_is_opened() -> None:
    payload, xml = opened(data_file("gzip_in_zip.zip"))

    assert xml == SEVERAL
    assert payload.layers == ("zip", "gzip")
    assert payload.sha256 == hashlib.sha256(SEVERAL).hexdigest()


def test_third_level_of_archives_is_refused() -> None:
    assert (
        refused(gzipped(gzipped(gzipped(SEVERAL))))
        == "archives nested more than 2 deep"
    )


def test_zip_with_two_files_is_refused() -> None:
    assert (
        refused(data_file("two_members.zip"))
        == "the zip holds 2 files; one report expected"
    )


def test_zip_with_a_directory_is_refused() -> None:
    assert refused(data_file("directory.zip")) == (
        "the zip holds a directory ('reports/'); one report expected"
    )


def test_empty_zip_is_refused() -> None:
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()

    assert refused(empty.getvalue()) == "the zip holds 0 files; one report expected"


def test_gzip_of_the_word_unused_is_not_xml() -> None:
    assert refused(data_file("unused.gz")) == "not XML: the gzip archive holds 'unused'"


def test_file_that_is_no_archive_or_xml_is_refused() -> None:
    assert (
        refused(b"%PDF-1.7\n") == "not a DMARC report: 'upload' is not XML, gzip or zip"
    )


def test_truncated_gzip_is_refused() -> None:
    assert (
        refused(gzipped(SEVERAL)[:-30]) == "the gzip data ends early: truncated archive"
    )


def test_corrupt_gzip_is_refused() -> None:
    data = bytearray(gzipped(SEVERAL))
    data[20:40] = b"\xff" * 20

    assert refused(bytes(data)).startswith("corrupt gzip data: ")


def test_gzip_bomb_is_refused_at_the_absolute_cap() -> None:
    bomb = zlib.compress(
        b"<feedback>" + b" " * 50_000_000, 9, wbits=zlib.MAX_WBITS | 16
    )

    assert len(bomb) < 100_000
    assert refused(bomb, max_bytes=10_000_000) == (
        "the report is larger than 10,000,000 bytes once decompressed (the import limit): "
        "refused as a possible zip or gzip bomb"
    )


def test_zip_bomb_is_refused_by_its_declared_size_before_reading() -> None:
    bomb = zipped(b" " * 50_000_000, member="report.xml")

    assert refused(bomb, max_bytes=10_000_000) == (
        "the zip's file declares 50,000,000 bytes, over the 10,000,000-byte import limit"
    )


def test_zip_member_that_lies_about_its_size_is_refused_as_corrupt() -> None:
    data = bytearray(zipped(b" " * 1_000_000, member="report.xml"))
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(header) + offset
        data[at : at + 4] = (1000).to_bytes(4, "little")  # uncompressed size: 1,000

    # zipfile stops at the declared size, then the CRC of the full data does not match
    reason = refused(bytes(data), max_bytes=10_000)

    assert reason == "corrupt zip: Bad CRC-32 for file 'report.xml'"


def test_non_seekable_stream_is_spooled_first() -> None:
    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    payload = unpack(Pipe(data_file("several_signatures.zip")))
    with payload.xml:
        assert payload.xml.read() == SEVERAL
