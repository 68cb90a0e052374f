"""The table beside every chart (accessible, and the CSV download), from the same dataclasses.

Each number in a table links to the domains behind it, like the chart's points. Numbers and
dates are formatted for the active language; the CSV keeps them raw (ISO dates, plain numbers).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from adoption.stats.breakdowns import (
    Distribution,
    Histogram,
    Providers,
    ScopeFigure,
)
from adoption.stats.counts import Figure, RunAdoption
from adoption.stats.mechanisms import ADOPTED, MEASURED, NXDOMAIN, UNKNOWN
from adoption.stats.overview import Headline

CsvCell = str | int | float | None


@dataclass(frozen=True)
class Cell:
    text: str
    href: str = ""
    detail: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    caption: str
    header: list[str]
    rows: list[list[Cell]]
    csv_header: list[str] = field(default_factory=list)
    csv_rows: list[list[CsvCell]] = field(default_factory=list)


def table_html(table: Table, table_id: str) -> SafeString:
    """The table as HTML, every text escaped. Written here rather than as a template loop: the
    overview's table has over a thousand cells, which the template engine took 60 ms to render
    (bench/dashboard_queries.py), this about 5 ms."""
    head = "".join(f'<th scope="col">{_header_html(h)}</th>' for h in table.header)
    body = "".join(f"<tr>{''.join(_cell_html(c, i == 0) for i, c in enumerate(row))}</tr>" for row in table.rows)  # fmt: skip
    html = (
        f'<div class="table-scroll" tabindex="0"><table class="data" id="table-{escape(table_id)}">'
        f"<caption>{escape(table.caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )
    return mark_safe(html)  # noqa: S308  (every piece above is escaped)


def _header_html(text: str) -> str:
    """A column's name, escaped, that may break after a slash ("quarantine/<wbr>reject"):
    the widest tables then fit at 1280 px without breaking a word in two."""
    return str(escape(text)).replace("/", "/<wbr>")


def _cell_html(cell: Cell, first: bool) -> str:
    text: str = escape(cell.text)
    if cell.href:
        text = f'<a href="{escape(cell.href)}">{text}</a>'
    if cell.detail:
        text = f"{text}<br><small>{escape(cell.detail)}</small>"
    if first:
        return f'<th scope="row">{text}</th>'
    return f'<td class="num">{text}</td>' if cell.numeric else f"<td>{text}</td>"


def list_url(query: dict[str, Any], base: str = "") -> str:
    """The domain list holding exactly the domains counted by ``query``."""
    pairs = (
        f"{key}={value if isinstance(value, int) else _quoted(str(value))}"
        for key, value in query.items()
        if value not in (None, "")
    )
    return f"{base or reverse('domains:list')}?{'&'.join(pairs)}"


@functools.lru_cache(maxsize=1024)
def _quoted(value: str) -> str:
    """Query-string quoting, remembered: a table repeats a few dozen words a thousand times
    (``urlencode`` was half the time of the overview's table)."""
    return quote(value, safe="")


class Numbers:
    """Numbers in the active language's format, looked up once per table (a page has
    thousands of cells; ``formats.number_format`` looks the separators up on every call)."""

    def __init__(self) -> None:
        separators = {
            ",": str(formats.get_format("THOUSAND_SEPARATOR")),
            ".": str(formats.get_format("DECIMAL_SEPARATOR")),
        }
        changed = {k: v for k, v in separators.items() if k != v}
        self.table = str.maketrans(changed) if changed else None

    def __call__(self, value: int | float | None, decimals: int = 0) -> str:
        if value is None:
            return "–"
        text = f"{value:,.{decimals}f}"
        return text.translate(self.table) if self.table else text

    def percent(self, value: float | None) -> str:
        return "–" if value is None else f"{self(value, 1)}%"


def number(value: int | float | None, decimals: int = 0) -> str:
    return Numbers()(value, decimals)


def signed(value: float | None) -> str:
    """A change in percentage points: +1.2 / −0.4 / ±0.0."""
    if value is None:
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return _("%(sign)s%(value)s pt") % {"sign": sign, "value": number(abs(value), 1)}


def day(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return "–"
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATE_FORMAT")


def iso(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""


class _Cells:
    """Cell makers sharing one number format, one domain-list URL and one translated phrase."""

    def __init__(self) -> None:
        self.n = Numbers()
        self.base = reverse("domains:list")
        self.measured = _("%(num)s of %(den)s measured; %(unk)s unknown")

    def figure(self, f: Figure, query: dict[str, Any]) -> Cell:
        detail = self.measured % {
            "num": self.n(f.numerator),
            "den": self.n(f.denominator),
            "unk": self.n(f.unknown),
        }
        href = list_url({**query, "state": ADOPTED}, self.base)
        return Cell(self.n.percent(f.percent), href, detail, True)

    def count(self, value: int, query: dict[str, Any]) -> Cell:
        return Cell(self.n(value), list_url(query, self.base), numeric=True)

    def share(self, value: float | None, count: int, query: dict[str, Any]) -> Cell:
        href = list_url(query, self.base)
        return Cell(self.n.percent(value), href, self.n(count), True)


# --- Overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    historic: bool
    value: str
    detail: str
    href: str
    unknown: str
    unknown_href: str
    change_previous: str
    change_since: str


def headline_cards(
    headlines: Sequence[Headline], run_id: int, group_id: int | None
) -> list[Card]:
    cards = []
    n = Numbers()
    base = reverse("domains:list")
    for h in headlines:
        query = {"run": run_id, "group": group_id, "mechanism": h.mechanism.key}
        detail = _("%(num)s of %(den)s") % {
            "num": n(h.figure.numerator),
            "den": n(h.figure.denominator),
        }
        cards.append(
            Card(
                h.mechanism.key,
                str(h.mechanism.label),
                h.mechanism.historic,
                n.percent(h.figure.percent),
                detail,
                list_url({**query, "state": ADOPTED}, base),
                n(h.figure.unknown),
                list_url({**query, "state": UNKNOWN}, base),
                signed(h.change_previous),
                signed(h.change_since),
            )
        )
    return cards


def _run_cell(run_id: int) -> Cell:
    return Cell(f"#{run_id}", reverse("runs:detail", args=[run_id]))


def adoption_table(
    series: Sequence[RunAdoption], names: dict[str, str], group_id: int | None
) -> Table:
    header = [_("Run"), _("Date"), *names.values(), _("Domains"), _("NXDOMAIN")]
    csv_header = ["run", "finished_at", "domains", "nxdomain"]
    for key in names:
        csv_header += [f"{key}_{part}" for part in ("numerator", "denominator", "unknown", "percent")]  # fmt: skip
    rows: list[list[Cell]] = []
    csv_rows: list[list[CsvCell]] = []
    cells = _Cells()
    for p in series:
        base = {"run": p.run_id, "group": group_id}
        row = [_run_cell(p.run_id), Cell(day(p.finished_at))]
        row += [
            cells.figure(p.figures[key], {**base, "mechanism": key}) for key in names
        ]
        row += [cells.count(p.domains, base), cells.count(p.nxdomain, {**base, "state": NXDOMAIN})]  # fmt: skip
        rows.append(row)
        csv_row: list[CsvCell] = [p.run_id, iso(p.finished_at), p.domains, p.nxdomain]
        for key in names:
            f = p.figures[key]
            csv_row += [f.numerator, f.denominator, f.unknown, f.percent]
        csv_rows.append(csv_row)
    return Table(_("Adoption per run"), header, rows, csv_header, csv_rows)


# --- Breakdowns -----------------------------------------------------------------------------


def scope_table(
    rows: Sequence[ScopeFigure],
    labels: Sequence[str],
    queries: Sequence[dict[str, Any]],
    caption: str,
    first_column: str,
    row_urls: Sequence[str] = (),
) -> Table:
    """``row_urls``: a page for each row's name (an organisation's scorecard), or none."""
    urls = list(row_urls) or [""] * len(rows)
    header = [first_column, _("Adoption"), _("Measured"), _("Unknown"), _("NXDOMAIN"), _("Domains")]  # fmt: skip
    table_rows: list[list[Cell]] = []
    csv_rows: list[list[CsvCell]] = []
    cells = _Cells()
    for r, label, q, url in zip(rows, labels, queries, urls, strict=True):
        f = r.figure
        everything = {k: v for k, v in q.items() if k != "mechanism"}
        table_rows.append(
            [
                Cell(label, href=url),
                cells.figure(f, q),
                cells.count(f.denominator, {**q, "state": MEASURED}),
                cells.count(f.unknown, {**q, "state": UNKNOWN}),
                cells.count(r.nxdomain, {**everything, "state": NXDOMAIN}),
                cells.count(r.domains, everything),
            ]
        )
        csv_rows.append([r.key, label, f.numerator, f.denominator, f.unknown, f.percent, r.nxdomain, r.domains])  # fmt: skip
    csv_header = ["id", "name", "numerator", "denominator", "unknown", "percent", "nxdomain", "domains"]  # fmt: skip
    return Table(caption, header, table_rows, csv_header, csv_rows)


def distribution_table(
    points: Sequence[Distribution],
    categories: Sequence[tuple[str, str]],
    facet: str,
    group_id: int | None,
    caption: str,
    population: str,
) -> Table:
    """``population``: the mechanism whose measured domains the facet partitions."""
    header = [_("Run"), _("Date"), *(name for _key, name in categories), _("Measured"), _("Unknown"), _("NXDOMAIN")]  # fmt: skip
    rows: list[list[Cell]] = []
    csv_rows: list[list[CsvCell]] = []
    cells = _Cells()
    mech = {"mechanism": population}
    for p in points:
        base = {"run": p.run_id, "group": group_id}
        row = [_run_cell(p.run_id), Cell(day(p.finished_at))]
        row += [
            cells.share(p.percent(key), p.counts.get(key, 0), {**base, "facet": facet, "value": key})
            for key, _name in categories
        ]  # fmt: skip
        row += [
            cells.count(p.population, {**base, **mech, "state": MEASURED}),
            cells.count(p.unknown, {**base, **mech, "state": UNKNOWN}),
            cells.count(p.nxdomain, {**base, "state": NXDOMAIN}),
        ]
        rows.append(row)
        csv_rows.append(
            [p.run_id, iso(p.finished_at), *(p.counts.get(k, 0) for k, _n in categories),
             p.population, p.unknown, p.nxdomain]
        )  # fmt: skip
    csv_header = ["run", "finished_at", *(k for k, _n in categories), "measured", "unknown", "nxdomain"]  # fmt: skip
    return Table(caption, header, rows, csv_header, csv_rows)


def histogram_table(
    histogram: Histogram, labels: Sequence[str], group_id: int | None
) -> Table:
    base = {"run": histogram.run_id, "group": group_id, "facet": "spf_lookups"}
    cells = _Cells()
    rows = [
        [Cell(label), cells.count(b.count, {**base, "value": b.key})]
        for b, label in zip(histogram.buckets, labels, strict=True)
    ]
    csv_rows: list[list[CsvCell]] = [[b.key, b.count] for b in histogram.buckets]
    return Table(
        _("Domains per SPF lookup count"),
        [_("DNS lookups (worst case)"), _("Domains")],
        rows,
        ["lookups", "domains"],
        csv_rows,
    )


def providers_table(providers: Providers, group_id: int | None) -> Table:
    base = {"run": providers.run_id, "group": group_id, "facet": "spf_include"}
    share = providers.population or None
    cells = _Cells()
    rows = [
        [
            Cell(p.domain),
            cells.count(p.count, {**base, "value": p.domain}),
            Cell(cells.n.percent(round(100.0 * p.count / share, 1) if share else None), numeric=True),
        ]
        for p in providers.providers
    ]  # fmt: skip
    csv_rows: list[list[CsvCell]] = [[p.domain, p.count] for p in providers.providers]
    return Table(
        _("SPF include and redirect targets"),
        [_("Target"), _("Domains"), _("Share of SPF records")],
        rows,
        ["target", "domains"],
        csv_rows,
    )
