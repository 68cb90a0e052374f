"""Registry exports as CSV that Excel opens correctly, and as JSON; :class:`CsvEncoder` for
every CSV download (run reports and dashboard tables too).

CSV is UTF-8 with a BOM by default: without the BOM, Excel on a Japanese Windows reads the
file as CP932 and garbles every kanji. CP932 is offered for older tools; characters it cannot
hold become ``?`` and the count of such cells is reported (the A-label domain column is ASCII,
so the key of every row survives). Every cell passes through
:func:`adoption.registry.cells.neutralise` (CSV injection). Rows are produced lazily, so a
100,000-domain registry streams without being held in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from adoption.models import Domain, Membership
from adoption.registry.cells import neutralise

ENCODINGS = ("utf-8", "cp932")
# Domains fetched per query while streaming an export.
EXPORT_CHUNK = 2000

# The import reads these headers back (adoption.registry.headers.HEADER_ALIASES): an
# export is a valid import file. domain_unicode, active and retired_at are ignored on
# import.
REGISTRY_COLUMNS = (
    "domain",
    "domain_unicode",
    "organization",
    "organization_en",
    "group",
    "dkim_selectors",
    "note",
    "active",
    "retired_at",
)
Cell = str | int | bool | None


class CsvEncoder:
    """Rows -> encoded CSV bytes, with the BOM for UTF-8 and a count of lossy CP932 cells."""

    def __init__(self, encoding: str = "utf-8") -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}")
        self.encoding = encoding
        self.replaced_cells = 0
        self._buffer = io.StringIO()
        # CRLF: what Excel writes and expects.
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def rows(self, rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
        if self.encoding == "utf-8":
            yield "\ufeff".encode()
        for row in rows:
            cells = [neutralise(_cell_text(cell), self.encoding) for cell in row]
            self._writer.writerow(cells)
            text = self._buffer.getvalue()
            self._buffer.seek(0)
            self._buffer.truncate()
            yield self._encode(text, cells)

    def _encode(self, text: str, cells: list[str]) -> bytes:
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError:
            self.replaced_cells += sum(
                1 for cell in cells if not _fits(cell, self.encoding)
            )
            return text.encode(self.encoding, errors="replace")


def _fits(cell: str, encoding: str) -> bool:
    try:
        cell.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _cell_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


# --- Registry -------------------------------------------------------------------------------


def registry_domains(include_retired: bool = False) -> QuerySet[Domain]:
    domains = Domain.objects.select_related("organisation").order_by("name")
    return domains if include_retired else domains.filter(active=True)


def registry_records(domains: QuerySet[Domain]) -> Iterator[dict[str, Any]]:
    """One plain dict per domain, with its current groups, fetched a chunk at a time."""
    domains = domains.order_by("name")  # keyset paging below relies on it
    last = ""
    while True:
        chunk = list(domains.filter(name__gt=last)[:EXPORT_CHUNK])
        if not chunk:
            return
        groups = _open_groups([d.id for d in chunk])
        for domain in chunk:
            org = domain.organisation
            yield {
                "domain": domain.name,
                "domain_unicode": domain.unicode_name,
                "organization": org.name_ja if org else "",
                "organization_en": org.name_en if org else "",
                "groups": groups.get(domain.id, []),
                "dkim_selectors": list(domain.dkim_selectors or []),
                "note": domain.note,
                "active": domain.active,
                "retired_at": _iso(domain.retired_at),
            }
        last = chunk[-1].name


def _open_groups(domain_ids: list[int]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    pairs = (
        Membership.objects.filter(domain_id__in=domain_ids, left_at=None)
        .order_by("group__name")
        .values_list("domain_id", "group__name")
    )
    for domain_id, name in pairs:
        groups.setdefault(domain_id, []).append(name)
    return groups


def registry_csv(
    domains: QuerySet[Domain], encoder: CsvEncoder | None = None
) -> Iterator[bytes]:
    encoder = encoder or CsvEncoder()

    def rows() -> Iterator[Sequence[Cell]]:
        yield REGISTRY_COLUMNS
        for record in registry_records(domains):
            yield (
                record["domain"],
                record["domain_unicode"],
                record["organization"],
                record["organization_en"],
                ";".join(record["groups"]),
                " ".join(record["dkim_selectors"]),
                record["note"],
                record["active"],
                record["retired_at"],
            )

    return encoder.rows(rows())


def registry_json(domains: QuerySet[Domain]) -> Iterator[str]:
    """``{"exported_at": ..., "domains": [...]}``, streamed one domain at a time."""
    yield '{"exported_at": ' + json.dumps(_iso(timezone.now())) + ', "domains": ['
    for index, record in enumerate(registry_records(domains)):
        yield ("," if index else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"


def _iso(value: object) -> str | None:
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
