"""Rows of the first sheet of an ``.xlsx`` workbook, read defensively.

An ``.xlsx`` file is a ZIP of XML parts, so it can be a ZIP bomb (tiny on upload, gigabytes
inflated) or carry XML entity tricks. The ZIP directory is checked before anything is
inflated, openpyxl reads in streaming (read-only) mode, and with ``defusedxml`` installed
openpyxl refuses DTDs and entities.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from .csv_decode import FileRejected

# Worksheet XML compresses about 10:1; more than this many times the upload limit inflated is
# not a registry.
MAX_INFLATION = 20
MAX_PARTS = 1000
# Columns read per row; a registry has a handful, a hostile sheet may claim 16,384.
MAX_COLUMNS = 50
# Sheets formatted down to Excel's last row (1,048,576) list every formatted empty row; after
# this many empty rows in a row, the rest of the sheet is taken to be formatting only.
MAX_BLANK_RUN = 10_000

# What openpyxl and the ZIP and XML layers below it raise on a damaged or hostile workbook.
_BROKEN_WORKBOOK = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    OSError,
    ParseError,
    zipfile.LargeZipFile,
)


@dataclass
class Workbook:
    records: Iterator[tuple[int, list[str]]]
    sheet: str
    ignored_sheets: tuple[str, ...]


def is_xlsx(data: bytes) -> bool:
    """A ZIP whose directory names an Excel workbook part."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except _BROKEN_WORKBOOK:
        return False


def xlsx_records(data: bytes, *, max_bytes: int) -> Workbook:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
        if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > max(
            max_bytes * MAX_INFLATION, 10 * 1024 * 1024
        ):
            raise FileRejected("xlsx_too_large")
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
        names = list(book.sheetnames)
        if not names:
            raise FileRejected("bad_xlsx")
        sheet = book[names[0]]
    except _BROKEN_WORKBOOK:
        raise FileRejected("bad_xlsx") from None
    return Workbook(_rows(book, sheet), names[0], tuple(names[1:]))


def _rows(book: Any, sheet: Any) -> Iterator[tuple[int, list[str]]]:
    try:
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        blank_run = 0
        for number, values in enumerate(rows, start=1):
            cells = [_text(value) for value in values]
            while cells and not cells[-1]:
                cells.pop()  # max_col pads every row to MAX_COLUMNS
            blank_run = 0 if cells else blank_run + 1
            if blank_run > MAX_BLANK_RUN:
                return
            yield number, cells
    except _BROKEN_WORKBOOK:
        raise FileRejected("bad_xlsx") from None
    finally:
        book.close()  # read-only workbooks keep their archive open until closed


def _text(value: object) -> str:
    """A cell as the text Excel shows for it (near enough for names, notes and selectors)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)
