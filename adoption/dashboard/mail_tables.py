"""The domain page's tables from DMARC aggregate reports (staff only), and their CSV.

Every text in them came from a report (reporter names, IPs, selectors): hostile. The HTML is
escaped by ``table_html``; the CSV goes through ``CsvEncoder``, which neutralises cells a
spreadsheet would run as formulas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from adoption.dashboard.tables import Cell, Numbers, Table, day, table_html
from adoption.stats.mail_sources import ReporterRow, SelectorRow, SourceRow
from adoption.stats.mail_volume import Share

SOURCE_SHARES = (
    "dmarc_pass",
    "spf_aligned_pass",
    "dkim_aligned_pass",
    "quarantined_or_rejected",
)
CsvRow = Sequence[str | int]
SOURCE_CSV = ["source_ip", "messages", *SOURCE_SHARES, "fail_both", "receivers"]
REPORTER_CSV = [
    "reporter",
    "reports",
    "messages",
    "dmarc_pass",
    "first_day",
    "last_day",
]


def _share(numbers: Numbers, share: Share) -> Cell:
    detail = _("%(num)s of %(den)s") % {
        "num": numbers(share.numerator),
        "den": numbers(share.denominator),
    }
    return Cell(numbers.percent(share.percent), detail=detail, numeric=True)


def _ip_cell(ip: str) -> Cell:
    """The IP, linked to the page's own "would this IP pass SPF?" check."""
    return Cell(ip, f"?ip={quote(ip, safe='')}#spf-check")


def sources_html(
    rows: Sequence[SourceRow], table_id: str, *, failing: bool
) -> SafeString:
    numbers = Numbers()
    if failing:
        header = [_("Source IP"), _("Messages failing both"), _("quarantined or rejected"),
                  _("Receivers")]  # fmt: skip
        body = [
            [_ip_cell(r.source_ip), Cell(numbers(r.messages), numeric=True),
             _share(numbers, r.share("quarantined_or_rejected")),
             Cell(numbers(r.reporters), numeric=True)]
            for r in rows
        ]  # fmt: skip
        caption = _("Sources whose mail failed both aligned SPF and aligned DKIM")
    else:
        names = [_("passing DMARC"), _("aligned SPF pass"), _("aligned DKIM pass"),
                 _("quarantined or rejected")]  # fmt: skip
        header = [_("Source IP"), _("Messages"), *names, _("Receivers")]
        body = [
            [_ip_cell(r.source_ip), Cell(numbers(r.messages), numeric=True),
             *(_share(numbers, r.share(key)) for key in SOURCE_SHARES),
             Cell(numbers(r.reporters), numeric=True)]
            for r in rows
        ]  # fmt: skip
        caption = _("Top sending sources")
    return table_html(Table(caption, header, body), table_id)


def reporters_html(rows: Sequence[ReporterRow]) -> SafeString:
    numbers = Numbers()
    header = [_("Receiver"), _("Reports"), _("Messages"), _("passing DMARC"),
              _("First day"), _("Last day")]  # fmt: skip
    body = [
        [Cell(r.org_name), Cell(numbers(r.reports), numeric=True),
         Cell(numbers(r.messages), numeric=True), _share(numbers, r.dmarc_share),
         Cell(day(r.first_day)), Cell(day(r.last_day))]
        for r in rows
    ]  # fmt: skip
    return table_html(
        Table(_("Receivers that reported this domain"), header, body), "mail-reporters"
    )


def utc_day(moment: dt.datetime | None) -> str:
    """A report period's instant as its UTC day, the day the volume figures use (a period
    ending 23:59:59 UTC is already the next morning in Tokyo)."""
    return day(moment.astimezone(dt.UTC).date()) if moment else "–"


def _origins(row: SelectorRow) -> str:
    origins = [
        text
        for flag, text in (
            (row.typed, _("typed into the registry")),
            (row.learned, _("learned from reports")),
            (row.common, _("common list")),
        )
        if flag
    ]
    return ", ".join(origins)


def selectors_html(rows: Sequence[SelectorRow]) -> SafeString:
    numbers = Numbers()
    yes, no = _("yes"), _("no")
    header = [_("Selector"), _("Signing domain (d=)"), _("Where it came from"), _("First seen"),
              _("Last seen"), _("First reported by"), _("Messages (passing)"),
              _("Probed by the next scan"), _("Key in DNS (latest run)")]  # fmt: skip
    body = [
        [Cell(r.selector), Cell(r.signing_domain), Cell(_origins(r)),
         Cell(utc_day(r.first_seen)), Cell(utc_day(r.last_seen)), Cell(r.source or "–"),
         Cell(f"{numbers(r.messages)} ({numbers(r.pass_messages)})" if r.learned else "–",
              numeric=True),
         Cell(yes if r.probed else no), Cell(yes if r.key_found else no)]
        for r in rows
    ]  # fmt: skip
    return table_html(
        Table(_("DKIM selectors of this domain"), header, body), "mail-selectors"
    )


def sources_csv(rows: Iterable[SourceRow]) -> Iterable[CsvRow]:
    yield SOURCE_CSV
    for r in rows:
        yield [r.source_ip, r.messages, r.dmarc_pass, r.spf_aligned_pass, r.dkim_aligned_pass,
               r.quarantined_or_rejected, r.fail_both, r.reporters]  # fmt: skip


def reporters_csv(rows: Iterable[ReporterRow]) -> Iterable[CsvRow]:
    yield REPORTER_CSV
    for r in rows:
        yield [r.org_name, r.reports, r.messages, r.dmarc_pass, r.first_day.isoformat(),
               r.last_day.isoformat()]  # fmt: skip
