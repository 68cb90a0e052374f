"""The absolute caps on what an .xlsx upload may cost: inflated part size and shared strings.

The workbooks are written part by part (``files.workbook``), so a test controls exactly what
the ZIP directory declares and where the shared-string table lives.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings

from adoption.registry.batches import parse_upload
from adoption.registry.messages import file_error_message
from adoption.registry.parse import FileRejected, parse_registry_csv
from adoption.registry.xlsx import DEFAULT_LIMITS, XlsxLimits

from .files import workbook

MB = 1024 * 1024


def domains(count: int) -> list[str]:
    return ["domain"] + [f"host{i}.example.jp" for i in range(count)]


def rejected(data: bytes, **kwargs: object) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        parse_registry_csv(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_the_crafted_workbook_parses_within_the_caps():
    result = parse_registry_csv(workbook(domains(3)))
    assert [row.domain for row in result.rows] == [
        "host0.example.jp",
        "host1.example.jp",
        "host2.example.jp",
    ]
    assert result.sheet == "登録簿"


def test_a_part_over_the_absolute_cap_is_refused_from_the_zip_directory():
    # A one-megabyte-ish upload whose sheet inflates past the default 50 MB: below the old cap
    # of 20 times the upload limit, so only the per-part cap refuses it.
    data = workbook(domains(1), sheet_padding=DEFAULT_LIMITS.part_bytes + 1)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert len(data) < MB < DEFAULT_LIMITS.part_bytes < declared < 20 * 20 * MB
    error = rejected(data)
    assert (error.code, error.params) == (
        "xlsx_part_too_large",
        {"limit": DEFAULT_LIMITS.part_bytes},
    )
    assert "50 MB" in file_error_message(error)


def test_more_shared_strings_than_the_cap_are_refused_before_openpyxl_loads_them():
    limits = XlsxLimits(shared_strings=50)
    assert len(parse_registry_csv(workbook(domains(49)), xlsx_limits=limits).rows) == 49
    error = rejected(workbook(domains(50)), xlsx_limits=limits)
    assert (error.code, error.params) == ("xlsx_too_many_strings", {"limit": 50})
    assert "50" in file_error_message(error)


def test_shared_strings_are_counted_wherever_the_manifest_puts_them():
    data = workbook(domains(50), strings_part="xl/elsewhere/texts.xml")
    assert (
        rejected(data, xlsx_limits=XlsxLimits(shared_strings=50)).code
        == "xlsx_too_many_strings"
    )


def test_uploads_take_the_caps_from_the_settings():
    with override_settings(REGISTRY_XLSX_MAX_SHARED_STRINGS=10):
        with pytest.raises(FileRejected) as caught:
            parse_upload(workbook(domains(10)))
    assert caught.value.code == "xlsx_too_many_strings"
    with override_settings(REGISTRY_XLSX_MAX_PART_BYTES=4096):
        with pytest.raises(FileRejected) as caught:
            parse_upload(workbook(domains(1), sheet_padding=5000))
    assert caught.value.code == "xlsx_part_too_large"


def test_a_shared_string_table_with_a_dtd_is_refused_while_counting():
    data = workbook(domains(2))
    hostile = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(hostile, "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                content = b'<!DOCTYPE sst [<!ENTITY x "host9.example.jp">]>' + content
            target.writestr(item, content)
    assert rejected(hostile.getvalue()).code == "bad_xlsx"
