"""Registry and scan-result exports as CSV that Excel opens correctly, and as JSON.

CSV is UTF-8 with a BOM by default: without the BOM, Excel on a Japanese Windows reads the
file as CP932 and garbles every kanji. CP932 is offered for older tools; characters it cannot
hold become ``?`` and the count of such cells is reported (the A-label domain column is ASCII,
so the key of every row survives). Every cell passes through
:func:`adoption.spreadsheet.neutralise` (CSV injection). Rows are produced lazily, so a
100,000-domain registry streams without being held in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import Domain, Membership
from .spreadsheet import neutralise

ENCODINGS = ("utf-8", "cp932")
# Domains fetched per query while streaming an export.
EXPORT_CHUNK = 2000

# The import reads these headers back (adoption.csv_import.HEADER_ALIASES): an export is a
# valid import file. domain_unicode, active, joined_at and retired_at are ignored on import.
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
RESULT_COLUMNS = (
    "domain",
    "domain_unicode",
    "organization",
    "status",
    "spf_state",
    "spf_all",
    "spf_lookups",
    "dmarc_state",
    "dmarc_p",
    "dmarc_enforcement",
    "dmarc_inherited",
    "dkim_state",
    "adsp_state",
    "adsp_policy",
    "mx_state",
    "sender_id_state",
    "checked_at",
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
            cells = [neutralise(_cell_text(cell)) for cell in row]
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


# --- Scan results ---------------------------------------------------------------------------

ResultItem = tuple[Domain, Mapping[str, Any] | None]


def result_row(domain: Domain, result: Mapping[str, Any] | None) -> tuple[Cell, ...]:
    """Flatten one result of the scanner JSON contract (DESIGN.md) into RESULT_COLUMNS.

    A domain with no result yet has empty result cells. ``checked_at`` is read from the
    result mapping (an extra field the caller adds from its stored row).
    """
    org = domain.organisation
    r = result or {}
    spf, dmarc = r.get("spf") or {}, r.get("dmarc") or {}
    return (
        domain.name,
        domain.unicode_name,
        org.name_ja if org else "",
        r.get("status"),
        spf.get("state"),
        spf.get("all"),
        spf.get("lookups"),
        dmarc.get("state"),
        dmarc.get("p"),
        dmarc.get("enforcement"),
        dmarc.get("inherited"),
        (r.get("dkim") or {}).get("state"),
        (r.get("adsp") or {}).get("state"),
        (r.get("adsp") or {}).get("policy"),
        (r.get("mx") or {}).get("state"),
        (r.get("sender_id") or {}).get("state"),
        _iso(r.get("checked_at")),
    )


def results_csv(
    items: Iterable[ResultItem], encoder: CsvEncoder | None = None
) -> Iterator[bytes]:
    encoder = encoder or CsvEncoder()

    def rows() -> Iterator[Sequence[Cell]]:
        yield RESULT_COLUMNS
        for domain, result in items:
            yield result_row(domain, result)

    return encoder.rows(rows())


def results_json(items: Iterable[ResultItem]) -> Iterator[str]:
    """``{"exported_at": ..., "results": [{"domain", "organization", "result"}, ...]}``."""
    yield '{"exported_at": ' + json.dumps(_iso(timezone.now())) + ', "results": ['
    for index, (domain, result) in enumerate(items):
        org = domain.organisation
        record = {
            "domain": domain.name,
            "domain_unicode": domain.unicode_name,
            "organization": org.name_ja if org else "",
            "result": result,
        }
        yield (
            ("," if index else "")
            + "\n"
            + json.dumps(record, ensure_ascii=False, default=str)
        )
    yield "\n]}\n"


def _iso(value: object) -> str | None:
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
