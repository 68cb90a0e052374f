"""Words for import problems, in the reader's language, keyed by the parser's codes.

The parser (:mod:`adoption.registry.parse`) and the normaliser (:mod:`scanner.names`) return
stable codes with parameters; the web page, the command and the error report turn them into
sentences here, so the same row error reads in Japanese or English.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from adoption.registry.parse import FileRejected, ParseResult, RowError
from adoption.registry.plan import ImportBlocked

ROW_MESSAGES: Mapping[str, Promise] = {
    # scanner.names.InvalidDomain codes
    "empty": _("No domain name was given."),
    "empty_label": _(
        "The name has an empty part: two dots in a row, or a dot at the start or end."
    ),
    "single_label": _("A domain name needs at least two parts, such as example.jp."),
    "label_too_long": _(
        "One part of the name (between dots) is longer than 63 characters."
    ),
    "name_too_long": _("The domain name is longer than 253 characters."),
    "ip_address": _("This is an IP address, not a domain name."),
    "numeric_tld": _("The last part of a domain name cannot be only digits."),
    "invalid_idn": _(
        "Not a valid international domain name (IDNA 2008); emoji and symbols are not allowed."
    ),
    "invalid_characters": _(
        "The name contains characters not allowed in a domain name: %(chars)s"
    ),
    "invalid_hyphen": _("A part of the name cannot start or end with a hyphen."),
    # adoption.registry.parse codes
    "public_suffix": _(
        "%(name)s is a public suffix (like go.jp or lg.jp), not a domain of one organisation."
    ),
    "duplicate": _("The same domain is already on row %(first_row)s."),
    "invalid_selector": _(
        "“%(selector)s” is not a DKIM selector: use letters, digits and hyphens, separated by dots."
    ),
    "too_many_selectors": _("More than %(limit)s DKIM selectors in one cell."),
    "too_many_groups": _("More than %(limit)s groups in one cell."),
    "too_long": _("Longer than %(limit)s characters."),
    "control_characters": _("Contains control characters."),
}

FILE_MESSAGES: Mapping[str, Promise] = {
    "empty": _("The file is empty."),
    "no_rows": _("The file has a header but no rows of domains."),
    "too_large": _(
        "The file is %(size_mb)s MB; the limit is %(limit_mb)s MB. Split it into smaller files."
    ),
    "too_many_rows": _(
        "The file has more than %(limit)s rows, the limit. Split it into smaller files."
    ),
    "binary": _(
        "This is not a text file (%(kind)s). Save the sheet from Excel as “CSV UTF-8” or as .xlsx."
    ),
    "legacy_xls": _(
        "This is an old Excel 97-2003 workbook (.xls). Save it as .xlsx or as “CSV UTF-8”."
    ),
    "undecodable": _(
        "Line %(line)s cannot be read as text in %(encoding)s. Save the file as “CSV UTF-8”."
    ),
    "mixed_encoding": _(
        "The file mixes encodings: lines %(utf8_lines)s are UTF-8, lines %(other_lines)s are not "
        "(probably Shift_JIS). Save the whole sheet again as “CSV UTF-8”."
    ),
    "euc_jp": _(
        "The file looks like EUC-JP, which is not read here. Save it as “CSV UTF-8” or Shift_JIS."
    ),
    "malformed": _("Row %(row)s is not valid CSV (%(detail)s)."),
    "no_domain_column": _(
        "No domain column: the header must have a column named “ドメイン” or “domain”. "
        "The first row found was: %(headers)s"
    ),
    "duplicate_column": _(
        "Two columns mean the same thing: “%(first)s” and “%(second)s”."
    ),
    "bad_xlsx": _("The workbook cannot be read. Open it in Excel and save it again."),
    "xlsx_too_large": _(
        "The workbook is too large once unpacked. Save the sheet as “CSV UTF-8” instead."
    ),
    "xlsx_part_too_large": _(
        "A part of the workbook is larger than %(limit_mb)s MB once unpacked. Save the sheet as “CSV UTF-8” instead."
    ),
    "xlsx_too_many_strings": _(
        "The workbook holds more than %(limit)s different texts. Save the sheet as “CSV UTF-8” instead."
    ),
}

COLUMN_NAMES: Mapping[str, Promise] = {
    "domain": _("domain"),
    "organisation": _("organisation"),
    "organisation_en": _("organisation (English)"),
    "groups": _("groups"),
    "dkim_selectors": _("DKIM selectors"),
    "note": _("note"),
}

ENCODING_NAMES: Mapping[str, Promise] = {
    "utf-8": _("UTF-8"),
    "utf-8-sig": _("UTF-8 with BOM"),
    "utf-16": _("UTF-16 (Excel Unicode text)"),
    "cp932": _("Shift_JIS (CP932)"),
    "xlsx": _("Excel workbook (.xlsx)"),
}


def row_error_message(code: str, params: Mapping[str, str]) -> str:
    template = ROW_MESSAGES.get(code)
    if template is None:
        return code
    return _format(str(template), params)


def file_error_message(error: FileRejected) -> str:
    params: dict[str, object] = dict(error.params)
    if error.code == "too_large":
        params["size_mb"] = _megabytes(int(error.params["size"]))
    if error.code in {"too_large", "xlsx_part_too_large"}:
        params["limit_mb"] = _megabytes(int(error.params["limit"]))
    template = FILE_MESSAGES.get(error.code)
    return _format(str(template), params) if template is not None else error.code


def error_message(error: RowError) -> str:
    return row_error_message(error.code, error.params)


def column_name(field: str, written: Mapping[str, str] | None = None) -> str:
    """The column as the file wrote it (``組織名``) when known, else its translated name."""
    if written and field in written:
        return written[field]
    name = COLUMN_NAMES.get(field)
    return str(name) if name is not None else field


def encoding_name(encoding: str) -> str:
    name = ENCODING_NAMES.get(encoding)
    return str(name) if name is not None else encoding


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _format(template: str, params: Mapping[str, object]) -> str:
    try:
        return template % dict(params)
    except (KeyError, ValueError, TypeError):
        return template


BLOCKED_MESSAGES: Mapping[str, Promise] = {
    "row_errors": _(
        "Nothing was written: %(rows)s rows have errors. Fix them, or import the good rows only."
    ),
    "replace_without_group": _(
        "Replacing a list needs a group: name the group to replace."
    ),
    "replace_without_rows": _(
        "Nothing was written: the file has no good row, and replacing the group's list with "
        "it would empty the group."
    ),
}


def blocked_message(error: ImportBlocked) -> str:
    template = BLOCKED_MESSAGES.get(error.code)
    return _format(str(template), error.params) if template is not None else error.code


def rejection_message(rejection: Mapping[str, Any]) -> str:
    """Why a worker refused a file (``ImportBatch.rejection``), worded as the form words it."""
    code, params = str(rejection.get("code", "")), dict(rejection.get("params", {}))
    if rejection.get("kind") == "blocked":
        return blocked_message(ImportBlocked(code, **params))
    return file_error_message(FileRejected(code, **params))


def display_errors(
    errors: list[list[Any]], columns: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Stored preview errors ``[row, column, code, value, params]`` -> rows for a template."""
    return [
        {
            "row": row,
            "column": column_name(column, columns),
            "value": value,
            "message": row_error_message(code, params),
        }
        for row, column, code, value, params in errors
    ]


def error_report_rows(result: ParseResult) -> Iterator[tuple[str | int, ...]]:
    """Every row error as a table (header first) for the downloadable error report."""
    yield (str(_("row")), str(_("column")), str(_("value")), str(_("problem")))
    for error in result.errors:
        yield (
            error.row,
            column_name(error.column, result.columns),
            error.value,
            error_message(error),
        )


def display_updates(updated: list[list[Any]]) -> list[dict[str, Any]]:
    """Stored preview updates ``[row, domain, display, [field...]]`` -> rows for a template,
    the changed fields named in the reader's language."""
    return [
        {
            "row": row,
            "domain": domain,
            "display": display,
            "changes": ", ".join(column_name(field) for field in changes),
        }
        for row, domain, display, changes in updated
    ]
