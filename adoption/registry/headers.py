"""The header row of a registry file: where it is, and which column holds which field.

Staff write headers in Japanese or English, with or without spaces, brackets and full-width
characters (「組織名（英語）」, "Organization (English)"); each is compared by a key that
ignores all of that. Columns are named as Excel names them (A, B, …, AA) in messages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

from adoption.registry.decode import FileRejected

# Title rows ("登録ドメイン一覧 2024年4月") may stand above the header; look this far for it.
HEADER_SEARCH_ROWS = 10

# Header texts per field, compared after header_key() (NFKC, case-folded, no spaces or
# punctuation), so "Organization (English)", "組織名（英語）" and "organisation_en" all match.
HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "domain": ("domain", "domains", "domainname", "ドメイン", "ドメイン名"),
    "organisation": (
        "organization",
        "organisation",
        "org",
        "organizationname",
        "organisationname",
        "組織",
        "組織名",
        "機関",
        "機関名",
        "団体名",
    ),
    "organisation_en": (
        "organizationen",
        "organisationen",
        "organizationenglish",
        "organisationenglish",
        "organizationnameen",
        "englishname",
        "組織英語",
        "組織名英語",
        "組織英語名",
        "機関名英語",
        "英語名",
        "英文名",
    ),
    "groups": ("group", "groups", "category", "グループ", "グループ名", "区分", "分類"),
    "dkim_selectors": (
        "dkimselectors",
        "dkimselector",
        "selectors",
        "dkimセレクタ",
        "dkimセレクター",
        "セレクタ",
        "セレクター",
    ),
    "note": ("note", "notes", "comment", "remarks", "備考", "メモ"),
}
_ALIAS_TO_FIELD = {
    alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases
}
_HEADER_JUNK = re.compile(r"[\s_\-()（）・/:：\[\]【】]+")


def header_key(text: str) -> str:
    return _HEADER_JUNK.sub("", unicodedata.normalize("NFKC", text).casefold())


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: as Excel names columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def find_header(
    records: Iterator[tuple[int, list[str]]],
) -> tuple[int, list[str]]:
    """(row number, cells) of the first row that names a domain column, within the first
    ``HEADER_SEARCH_ROWS`` rows that are not blank."""
    first: list[str] | None = None
    seen = 0
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if any(_ALIAS_TO_FIELD.get(header_key(cell)) == "domain" for cell in cells):
            return number, cells
        first = first if first is not None else cells
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise FileRejected("empty")
    shown = ", ".join(cell.strip() for cell in first if cell.strip())
    raise FileRejected("no_domain_column", headers=shown[:200])


def map_header(header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """-> (field -> column index, field -> header as written, ignored column names)."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for position, cell in enumerate(header):
        text = cell.strip()
        name = _ALIAS_TO_FIELD.get(header_key(text))
        if name is None:
            if text:
                ignored.append(f"{text} ({column_letter(position)})")
            continue
        if name in index:
            raise FileRejected(
                "duplicate_column",
                first=written[name],
                second=f"{text} ({column_letter(position)})",
            )
        index[name] = position
        written[name] = text
    return index, written, ignored
