"""Rows of the first sheet of an ``.xlsx`` workbook, read defensively.

An ``.xlsx`` file is a ZIP of XML parts, so it can be a ZIP bomb (tiny on upload, gigabytes
inflated) or carry XML entity tricks. The ZIP directory is checked before anything is
inflated: the parts together, and each part against an absolute cap (Python's ``zipfile``
never inflates a part past the size its directory entry declares). openpyxl reads the sheet in
streaming (read-only) mode, and with ``defusedxml`` installed refuses DTDs and entities.

openpyxl loads the shared-string table whole before the first row, at 15–30 µs and about 160
bytes a string (1,000,000 strings from a 5 MB upload: 14–32 s and 155 MiB; docs/benchmarks.md),
so the strings are counted first, streaming, at about 1 µs a string, and a table over the cap
is refused before openpyxl reads it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import openpyxl
from openpyxl.packaging.manifest import Manifest
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring  # defusedxml's when installed

from adoption.registry.decode import FileRejected

# Worksheet XML compresses about 10:1; more than this many times the upload limit inflated is
# not a registry.
MAX_INFLATION = 20
MAX_PARTS = 1000
SHARED_STRING_NAME = (
    f"{SHEET_MAIN_NS} si"  # as expat names it with a namespace separator
)
READ_CHUNK = 64 * 1024
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
    expat.ExpatError,
    zipfile.LargeZipFile,
)


@dataclass(frozen=True)
class XlsxLimits:
    """The most of a workbook that is read (settings ``REGISTRY_XLSX_MAX_PART_BYTES`` and
    ``REGISTRY_XLSX_MAX_SHARED_STRINGS``). A 100,000-row registry with three distinct texts a
    row needs 300,000 strings and a sheet part of about 25 MB."""

    part_bytes: int = 50 * 1024 * 1024
    shared_strings: int = 300_000


DEFAULT_LIMITS = XlsxLimits()


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


def xlsx_records(
    data: bytes, *, max_bytes: int, limits: XlsxLimits = DEFAULT_LIMITS
) -> Workbook:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_sizes(archive.infolist(), max_bytes, limits)
            _check_shared_strings(archive, limits.shared_strings)
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


def _check_sizes(
    parts: list[zipfile.ZipInfo], max_bytes: int, limits: XlsxLimits
) -> None:
    """Refuse from the ZIP directory alone, before anything is inflated."""
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > max(
        max_bytes * MAX_INFLATION, 10 * 1024 * 1024
    ):
        raise FileRejected("xlsx_too_large")
    if any(p.file_size > limits.part_bytes for p in parts):
        raise FileRejected("xlsx_part_too_large", limit=limits.part_bytes)


def _check_shared_strings(archive: zipfile.ZipFile, limit: int) -> None:
    """Count the shared strings, streaming, in the part openpyxl would load (found the same
    way: through ``[Content_Types].xml``)."""
    # Any: openpyxl's stubs disagree with its own tree types and leave find() untyped.
    root: Any = fromstring(archive.read(ARC_CONTENT_TYPES))
    manifest: Any = Manifest.from_tree(root)
    part = manifest.find(SHARED_STRINGS) if manifest is not None else None
    if part is None:
        return
    with archive.open(part.PartName[1:]) as source:
        _count_elements(source, SHARED_STRING_NAME, limit)


def _count_elements(source: IO[bytes], name: str, limit: int) -> None:
    """Refuse a part with more than ``limit`` elements ``name``, reading it as a stream.

    expat callbacks and no element tree: about a twentieth of the cost of openpyxl's pass.
    Like defusedxml, a DTD or an entity declaration is refused.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    count = 0

    def start(element: str, _attributes: dict[str, str]) -> None:
        nonlocal count
        if element == name:
            count += 1
            if count > limit:
                raise FileRejected("xlsx_too_many_strings", limit=limit)

    def refuse(*_args: object) -> None:
        raise FileRejected("bad_xlsx")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    while chunk := source.read(READ_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


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
