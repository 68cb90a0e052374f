"""Read a registry file into normalised rows and row errors. Pure: no models, no database.

Policy staff keep their domain lists in Excel, so this accepts what Excel saves: CSV in UTF-8
(with or without the BOM Excel's "CSV UTF-8" writes) or in CP932 (Excel's "CSV" on a Japanese
Windows), tab-separated text (including Excel's UTF-16 "Unicode text"), and ``.xlsx``
workbooks. The encoding is detected strictly: a file is UTF-8 when all of it decodes as UTF-8,
else CP932 when all of it decodes as CP932; a file that mixes the two, or is neither, is
refused with the line at fault rather than guessed at.

Row numbers are the ones Excel shows: the header is row 1 (or lower, after title rows).
Rows go through :func:`scanner.names.normalize_domain` (IDN, full-width, URL or e-mail to
host, case, trailing dot); the database layer (:mod:`adoption.registry.plan`) never sees
an unnormalised name. Problems come back as codes with parameters; the messages, in the
reader's language, are in :mod:`adoption.registry.messages`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from adoption.registry.cells import unneutralise
from adoption.registry.decode import FileRejected, decode_text, sniff_delimiter
from adoption.registry.headers import column_letter, find_header, map_header
from adoption.registry.xlsx import DEFAULT_LIMITS, XlsxLimits, is_xlsx, xlsx_records
from scanner.names import InvalidDomain, is_public_suffix, normalize_domain, to_unicode

__all__ = [
    "FileRejected",
    "ParseResult",
    "ParsedRow",
    "RowError",
    "check_file_size",
    "parse_registry_csv",
    "parse_selectors",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
# Every selector is probed in every scan; a cell listing hundreds is a mistake, not a domain.
MAX_SELECTORS = 20
MAX_GROUPS = 20
# Longest cell accepted per column, in characters (the model fields' lengths).
MAX_CHARS = {
    "organisation": 200,
    "organisation_en": 200,
    "groups": 100,
    "note": 2000,
    "dkim_selectors": 1000,
}
# Shown in error reports; longer cell values are cut.
MAX_VALUE_SHOWN = 100

_GROUP_SPLIT = re.compile(r"[;；、]")
_SELECTOR_SPLIT = re.compile(r"[\s,;、，；]+")
# RFC 6376 3.1: a selector is a sub-domain (dot-separated LDH labels). Underscores are
# accepted too: DNS carries them and they occur in the wild.
_SELECTOR_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# C0 controls except tab, LF, CR; and DEL, inside a cell.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One good row. Empty cells are "not given": ``None`` or empty, and keep what is stored."""

    row: int
    domain: str
    display: str
    organisation: str = ""
    organisation_en: str = ""
    groups: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that will not be imported: ``code`` and ``params`` give the reason.

    ``domain`` is the normalised name when the domain cell itself was fine (the row failed on
    another cell, or repeats an earlier row): a replace never retires such a domain.
    """

    row: int
    column: str
    code: str
    value: str
    params: Mapping[str, str] = field(default_factory=dict)
    domain: str | None = None


@dataclass(frozen=True)
class ParseResult:
    rows: tuple[ParsedRow, ...]
    errors: tuple[RowError, ...]
    encoding: str
    delimiter: str
    header_row: int
    columns: Mapping[str, str]
    ignored_columns: tuple[str, ...] = ()
    sheet: str = ""
    ignored_sheets: tuple[str, ...] = ()

    @property
    def error_rows(self) -> int:
        return len({error.row for error in self.errors})


def parse_registry_csv(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    xlsx_limits: XlsxLimits = DEFAULT_LIMITS,
) -> ParseResult:
    """A registry file (CSV, TSV or XLSX, told apart by content) -> rows and row errors.

    Raises :class:`FileRejected` when the file as a whole cannot be read.
    """
    check_file_size(data, max_bytes)
    if is_xlsx(data):
        book = xlsx_records(data, max_bytes=max_bytes, limits=xlsx_limits)
        return _parse_records(
            book.records,
            encoding="xlsx",
            delimiter="",
            max_rows=max_rows,
            sheet=book.sheet,
            ignored_sheets=book.ignored_sheets,
        )
    text, encoding = decode_text(data)
    delimiter = sniff_delimiter(text)
    return _parse_records(
        _csv_records(text, delimiter),
        encoding=encoding,
        delimiter=delimiter,
        max_rows=max_rows,
    )


def check_file_size(data: bytes, max_bytes: int) -> None:
    """The checks made before anything is parsed: too large, or empty."""
    if len(data) > max_bytes:
        raise FileRejected("too_large", size=len(data), limit=max_bytes)
    if not data.strip():
        raise FileRejected("empty")


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as Excel shows it, cells): a quoted cell may span lines, a blank line is a row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # noqa: B007 (used in except)
            yield number, cells
    except csv.Error as error:
        raise FileRejected("malformed", row=number + 1, detail=str(error)) from None


# --- Rows ----------------------------------------------------------------------------------


def _parse_records(
    records: Iterator[tuple[int, list[str]]],
    *,
    encoding: str,
    delimiter: str,
    max_rows: int,
    sheet: str = "",
    ignored_sheets: tuple[str, ...] = (),
) -> ParseResult:
    header_row, header = find_header(records)
    index, written, ignored = map_header(header)
    parser = _RowParser(index)
    unnamed: set[int] = set()
    count = 0
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > max_rows:
            raise FileRejected("too_many_rows", limit=max_rows)
        if len(cells) > len(header):
            unnamed.update(
                i for i in range(len(header), len(cells)) if cells[i].strip()
            )
        parser.add(number, cells)
    if count == 0:
        raise FileRejected("no_rows")
    ignored += [f"({column_letter(i)})" for i in sorted(unnamed)]
    return ParseResult(
        rows=tuple(parser.rows),
        errors=tuple(parser.errors),
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        columns=written,
        ignored_columns=tuple(ignored),
        sheet=sheet,
        ignored_sheets=ignored_sheets,
    )


class _CellError(Exception):
    def __init__(self, code: str, value: str, **params: str) -> None:
        self.code = code
        self.value = value
        self.params = params


class _RowParser:
    """Turns data rows into ParsedRow or RowError, remembering names seen for duplicates."""

    def __init__(self, index: Mapping[str, int]) -> None:
        self.index = index
        self.rows: list[ParsedRow] = []
        self.errors: list[RowError] = []
        self.first_row: dict[str, int] = {}

    def add(self, number: int, cells: list[str]) -> None:
        raw = self._cell(cells, "domain")
        try:
            name = normalize_domain(raw)
        except InvalidDomain as error:
            self._error(number, "domain", error.code, raw, error.params)
            return
        if is_public_suffix(name):
            self._error(number, "domain", "public_suffix", raw, {"name": name})
            return
        if name in self.first_row:
            self._error(
                number,
                "domain",
                "duplicate",
                raw,
                {"first_row": str(self.first_row[name])},
                name,
            )
            return
        self.first_row[name] = number
        try:
            row = self._row(number, name, cells)
        except _CellError as error:
            column = str(error.params.pop("column"))
            self._error(number, column, error.code, error.value, error.params, name)
            return
        self.rows.append(row)

    def _row(self, number: int, name: str, cells: list[str]) -> ParsedRow:
        selectors = self._cell(cells, "dkim_selectors")
        note = self._cell(cells, "note", keep_lines=True)
        return ParsedRow(
            row=number,
            domain=name,
            display=to_unicode(name),
            organisation=self._cell(cells, "organisation"),
            organisation_en=self._cell(cells, "organisation_en"),
            groups=_split_groups(self._cell(cells, "groups")),
            dkim_selectors=_split_selectors(selectors) if selectors else None,
            note=note or None,
        )

    def _cell(self, cells: list[str], name: str, *, keep_lines: bool = False) -> str:
        position = self.index.get(name)
        if position is None or position >= len(cells):
            return ""
        text = unneutralise(cells[position].strip())
        if name == "domain":
            return text
        if _CONTROL_CHARS.search(text):
            raise _CellError("control_characters", text, column=name)
        if not keep_lines:
            text = " ".join(text.split())
        limit = MAX_CHARS[name]
        if name != "groups" and len(text) > limit:
            raise _CellError("too_long", text, column=name, limit=str(limit))
        return text

    def _error(
        self,
        number: int,
        column: str,
        code: str,
        value: str,
        params: Mapping[str, str],
        domain: str | None = None,
    ) -> None:
        shown = (
            value if len(value) <= MAX_VALUE_SHOWN else value[:MAX_VALUE_SHOWN] + "…"
        )
        self.errors.append(RowError(number, column, code, shown, dict(params), domain))


def _split_groups(cell: str) -> tuple[str, ...]:
    """``中央省庁; 外局`` or ``中央省庁、外局`` -> both, in order, once each."""
    names = [name.strip() for name in _GROUP_SPLIT.split(cell)]
    unique = list(dict.fromkeys(name for name in names if name))
    for name in unique:
        if len(name) > MAX_CHARS["groups"]:
            raise _CellError(
                "too_long", name, column="groups", limit=str(MAX_CHARS["groups"])
            )
    if len(unique) > MAX_GROUPS:
        raise _CellError(
            "too_many_groups", cell, column="groups", limit=str(MAX_GROUPS)
        )
    return tuple(unique)


def parse_selectors(cell: str) -> tuple[str, ...]:
    """Public form of the selector rule, for the admin: raises ValueError naming the culprit."""
    try:
        return _split_selectors(cell)
    except _CellError as error:
        raise ValueError(error.params.get("selector") or error.code) from None


def _split_selectors(cell: str) -> tuple[str, ...]:
    """``s1, google; k1`` -> ``("s1", "google", "k1")``; each one checked as DNS labels."""
    text = unicodedata.normalize("NFKC", cell).lower()
    selectors = list(dict.fromkeys(s for s in _SELECTOR_SPLIT.split(text) if s))
    for selector in selectors:
        labels = selector.split(".")
        if len(selector) > 200 or not all(
            _SELECTOR_LABEL.match(label) for label in labels
        ):
            raise _CellError(
                "invalid_selector",
                cell,
                column="dkim_selectors",
                selector=selector[:70],
            )
    if len(selectors) > MAX_SELECTORS:
        raise _CellError(
            "too_many_selectors",
            cell,
            column="dkim_selectors",
            limit=str(MAX_SELECTORS),
        )
    return tuple(selectors)
