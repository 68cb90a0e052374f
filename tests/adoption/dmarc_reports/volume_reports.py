"""Hand-built aggregate reports (RFC 7489 Appendix C) for the volume figures, stored through the
real ingest path, with the numbers every volume test checks.

The registry is the shared cast (tests/adoption/conftest.py ``registry``): soumu.go.jp and
mlit.go.jp in 中央省庁, kaiho.mlit.go.jp in 中央省庁 and 外局.

Monday 2 November 2026 (UTC), soumu.go.jp, two receivers and a null report:
  receiver-a  203.0.113.10   600  none        dkim pass  spf pass
  receiver-a  198.51.100.20  150  none        dkim pass  spf fail  (forwarded: SPF breaks, DKIM survives)
  receiver-a  192.0.2.66      40  quarantine  dkim fail  spf fail
  receiver-a  2001:db8::25    10  none        dkim fail  spf pass  header_from mail.soumu.go.jp (unregistered)
  receiver-b  203.0.113.10   200  none        dkim pass  spf pass
  null        (empty)          0  none        (a null report: count 0)
Tuesday 3 November 2026:
  receiver-a  203.0.113.50   100  reject      dkim fail  spf fail   mlit.go.jp
  receiver-b  203.0.113.60    30  none        dkim pass  spf fail   kaiho.mlit.go.jp
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from adoption.dmarc_reports.ingest import ingest_file
from adoption.dmarc_reports.outcomes import Status

MONDAY = dt.date(2026, 11, 2)
TUESDAY = dt.date(2026, 11, 3)
RECEIVER_A = "receiver-a.example.jp"
RECEIVER_B = "receiver-b.example.com"
NULL_REPORTER = "quiet-receiver.example.net"


@dataclass(frozen=True)
class Row:
    ip: str
    count: int
    header_from: str
    disposition: str
    dkim: str
    spf: str
    selector: str = "sm2026"
    reason: str = ""


@dataclass(frozen=True)
class Report:
    org_name: str
    report_id: str
    domain: str
    day: dt.date
    rows: tuple[Row, ...] = field(default_factory=tuple)


def _record(row: Row) -> str:
    reason = f"<reason><type>{row.reason}</type></reason>" if row.reason else ""
    dkim = (
        f"<dkim><domain>{row.header_from}</domain><selector>{row.selector}</selector>"
        f"<result>{row.dkim}</result></dkim>"
    )
    return (
        f"<record><row><source_ip>{row.ip}</source_ip><count>{row.count}</count>"
        f"<policy_evaluated><disposition>{row.disposition}</disposition>"
        f"<dkim>{row.dkim}</dkim><spf>{row.spf}</spf>{reason}</policy_evaluated></row>"
        f"<identifiers><header_from>{row.header_from}</header_from></identifiers>"
        f"<auth_results>{dkim}<spf><domain>{row.header_from}</domain>"
        f"<result>{row.spf}</result></spf></auth_results></record>"
    )


def report_xml(report: Report) -> bytes:
    """One RFC 7489 Appendix C document covering the UTC day ``report.day``."""
    begin = dt.datetime.combine(report.day, dt.time.min, tzinfo=dt.UTC)
    end = begin + dt.timedelta(seconds=86399)
    records = "".join(_record(r) for r in report.rows)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?><feedback><version>1.0</version>'
        f"<report_metadata><org_name>{escape(report.org_name)}</org_name>"
        f"<email>dmarc@{report.org_name.rpartition('@')[2] or 'example.jp'}</email>"
        f"<report_id>{escape(report.report_id)}</report_id><date_range>"
        f"<begin>{int(begin.timestamp())}</begin><end>{int(end.timestamp())}</end>"
        "</date_range></report_metadata>"
        f"<policy_published><domain>{report.domain}</domain><adkim>r</adkim><aspf>r</aspf>"
        "<p>quarantine</p><sp>none</sp><pct>100</pct></policy_published>"
        f"{records}</feedback>"
    )
    return text.encode()


NULL_ROW = (
    "<record><row><source_ip></source_ip><count>0</count><policy_evaluated>"
    "<disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated>"
    "</row><identifiers><header_from>soumu.go.jp</header_from></identifiers>"
    "<auth_results><spf><domain>soumu.go.jp</domain><result>none</result></spf>"
    "</auth_results></record>"
)

REPORTS = (
    Report(RECEIVER_A, "a-soumu-1102", "soumu.go.jp", MONDAY, (
        Row("203.0.113.10", 600, "soumu.go.jp", "none", "pass", "pass"),
        Row("198.51.100.20", 150, "soumu.go.jp", "none", "pass", "fail", reason="forwarded"),
        Row("192.0.2.66", 40, "soumu.go.jp", "quarantine", "fail", "fail", selector="x1"),
        Row("2001:db8::25", 10, "mail.soumu.go.jp", "none", "fail", "pass"),
    )),
    Report(RECEIVER_B, "b-soumu-1102", "soumu.go.jp", MONDAY, (
        Row("203.0.113.10", 200, "soumu.go.jp", "none", "pass", "pass"),
    )),
    Report(RECEIVER_A, "a-mlit-1103", "mlit.go.jp", TUESDAY, (
        Row("203.0.113.50", 100, "mlit.go.jp", "reject", "fail", "fail"),
    )),
    Report(RECEIVER_B, "b-kaiho-1103", "mlit.go.jp", TUESDAY, (
        Row("203.0.113.60", 30, "kaiho.mlit.go.jp", "none", "pass", "fail", selector="kaiho2026"),
    )),
)  # fmt: skip


def null_report_xml(
    org_name: str = NULL_REPORTER,
    report_id: str = "null-soumu-1102",
    day: dt.date = MONDAY,
) -> bytes:
    """A report of a receiver that saw no mail: one record with count 0 (RFC 7489 §7.2)."""
    text = report_xml(Report(org_name, report_id, "soumu.go.jp", day))
    return text.replace(b"</feedback>", NULL_ROW.encode() + b"</feedback>")


def store(data: bytes, name: str) -> None:
    [outcome] = ingest_file(data, name, "command")
    assert outcome.status == Status.ACCEPTED, outcome


def store_reports(*extra: Report) -> None:
    """The reports above (and ``extra``), through the ingest service."""
    for report in (*REPORTS, *extra):
        store(report_xml(report), f"{report.report_id}.xml")
    store(null_report_xml(), "null.xml")
