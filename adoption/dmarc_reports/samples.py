"""Sample DMARC aggregate reports for the sample registry, so a newcomer sees the volume charts.

``load_sample_data`` stores them through the same ingest as every other report. They cover
the four weeks before ``today`` (UTC days, as reporters send them), so the charts always show
recent weeks, and they are deterministic for a given day: loading twice on one day stores
nothing new (every report is a duplicate), and loading on a later day adds the new days.

What they show, chosen to be realistic (RFC 7489 Appendix C; documentation addresses from
RFC 5737 and RFC 3849): three reporters of different sizes; each domain's own mail servers
passing SPF and DKIM; a cloud service signing with its ``selector1-…`` selector; a mailing
list that forwards (SPF fails, the DKIM signature survives, reason ``forwarded``); spoofed
mail failing both, quarantined or rejected by the domain's policy; a subdomain not in the
registry (``mail.soumu.go.jp``, for the discovery list); and one ministry that starts
signing with DKIM halfway through the period.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

DAYS = 28


@dataclass(frozen=True)
class SampleDomain:
    name: str
    p: str  # the published policy
    daily: int  # messages on a weekday, all reporters together
    selector: str  # the domain's own DKIM selector (learned from these reports)
    cloud: bool  # also sends through a cloud service signing as itself
    signs_from_day: int = (
        0  # before this day (0 = the first) its own servers do not sign
    )


DOMAINS = (
    SampleDomain("soumu.go.jp", "quarantine", 5200, "sm2025", cloud=True),
    SampleDomain("digital.go.jp", "reject", 3100, "google", cloud=True),
    SampleDomain("mhlw.go.jp", "none", 4400, "mhlw-s1", cloud=False, signs_from_day=14),
    SampleDomain("meti.go.jp", "quarantine", 2600, "kokusai2025", cloud=True),
    SampleDomain("maff.go.jp", "none", 1500, "s2024-10", cloud=False),
    SampleDomain("mext.go.jp", "none", 1900, "mx2025", cloud=True),
    SampleDomain("cao.go.jp", "reject", 1200, "cao2025a", cloud=False),
    SampleDomain("nta.go.jp", "quarantine", 2300, "nta-dkim1", cloud=True),
)
# (org_name, e-mail, share of all mail it receives)
REPORTERS = (
    ("google.com", "noreply-dmarc-support@google.com", 0.55),
    ("Enterprise Outlook", "dmarcreport@microsoft.com", 0.3),
    ("receiver.example.jp", "dmarc-noreply@receiver.example.jp", 0.15),
)
UNREGISTERED = (
    "mail.soumu.go.jp"  # sends as its own header_from; soumu.go.jp is registered
)


@dataclass(frozen=True)
class Row:
    source_ip: str
    count: int
    header_from: str
    envelope_from: str
    disposition: str
    dkim: str
    spf: str
    dkim_auth: tuple[tuple[str, str, str], ...]  # (domain, selector, result)
    spf_auth: tuple[str, str]  # (domain, result)
    reason: str | None = None


def sample_reports(today: dt.date) -> Iterator[tuple[str, bytes]]:
    """(file name, XML) for every sample report of the ``DAYS`` UTC days before ``today``."""
    for offset in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=offset)
        for domain in DOMAINS:
            for org, email, share in REPORTERS:
                rng = random.Random(f"{domain.name}|{org}|{day.isoformat()}")  # noqa: S311 (sample data, not security)
                rows = _rows(domain, day, DAYS - offset, share, rng)
                if rows:
                    name = f"{org}!{domain.name}!{day.isoformat()}.xml"
                    yield name, _report(domain, day, org, email, rows)


def _rows(
    domain: SampleDomain, day: dt.date, index: int, share: float, rng: random.Random
) -> list[Row]:
    weekend = day.weekday() >= 5
    total = domain.daily * share * (0.25 if weekend else 1.0) * rng.uniform(0.85, 1.15)
    signing = index >= domain.signs_from_day
    rows = [
        _own(domain, int(total * (0.55 if domain.cloud else 0.85)), signing),
        _forwarded(domain, max(1, int(total * 0.04)), signing),
        _spoofed(domain, rng.randint(0, max(1, int(total * 0.02))), rng),
    ]
    if domain.cloud:
        rows.append(_cloud(domain, int(total * 0.3)))
    if domain.name == "soumu.go.jp":
        rows.append(_unregistered(max(1, int(total * 0.05))))
    return [row for row in rows if row.count > 0]


def _own(domain: SampleDomain, count: int, signing: bool) -> Row:
    """The domain's own servers: SPF passes; DKIM once it signs."""
    d = domain.name
    dkim = ((d, domain.selector, "pass"),) if signing else ()
    ip = f"203.0.113.{10 + DOMAINS.index(domain)}"
    verdict = "pass" if signing else "fail"
    return Row(ip, count, d, d, "none", verdict, "pass", dkim, (d, "pass"))


def _forwarded(domain: SampleDomain, count: int, signing: bool) -> Row:
    """A mailing list: SPF fails for the list's server, the signature survives."""
    d = domain.name
    own: tuple[tuple[str, str, str], ...] = ((d, domain.selector, "pass"),)
    dkim = (*(own if signing else ()), ("lists.example.org", "list2024", "pass"))
    verdict = "pass" if signing else "fail"
    spf = ("lists.example.org", "pass")
    return Row(
        "192.0.2.44", count, d, spf[0], "none", verdict, "fail", dkim, spf, "forwarded"
    )


def _cloud(domain: SampleDomain, count: int) -> Row:
    """A cloud service signing as the domain with its ``selector1-…`` selector."""
    d = domain.name
    dkim = ((d, "selector1-" + d.replace(".", "-"), "pass"),)
    ip = f"2001:db8:c10d::{DOMAINS.index(domain) + 1:x}"
    return Row(ip, count, d, d, "none", "pass", "pass", dkim, (d, "pass"))


def _spoofed(domain: SampleDomain, count: int, rng: random.Random) -> Row:
    """Someone else using the domain: both fail; the receiver applies the policy."""
    spf = ("spoof.example", "softfail")
    ip = f"198.51.100.{rng.randint(100, 250)}"
    return Row(ip, count, domain.name, spf[0], domain.p, "fail", "fail", (), spf)


def _unregistered(count: int) -> Row:
    sub = UNREGISTERED
    dkim = ((sub, "relay2025", "pass"),)
    return Row(
        "203.0.113.90", count, sub, sub, "none", "pass", "pass", dkim, (sub, "pass")
    )


def _report(
    domain: SampleDomain, day: dt.date, org: str, email: str, rows: list[Row]
) -> bytes:
    begin = int(dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC).timestamp())
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feedback>\n'
        f"<report_metadata><org_name>{escape(org)}</org_name><email>{email}</email>"
        f"<report_id>{domain.name}.{begin}.{zlib.crc32(org.encode()):08x}</report_id>"
        f"<date_range><begin>{begin}</begin><end>{begin + 86399}</end></date_range>"
        "</report_metadata>\n"
        f"<policy_published><domain>{domain.name}</domain><adkim>r</adkim><aspf>r</aspf>"
        f"<p>{domain.p}</p><sp>{domain.p}</sp><pct>100</pct></policy_published>\n"
    )
    return (head + "".join(_record(row) for row in rows) + "</feedback>\n").encode()


def _record(row: Row) -> str:
    reason = f"<reason><type>{row.reason}</type></reason>" if row.reason else ""
    dkim = "".join(
        f"<dkim><domain>{d}</domain><selector>{s}</selector><result>{r}</result></dkim>"
        for d, s, r in row.dkim_auth
    )
    spf_domain, spf_result = row.spf_auth
    return (
        f"<record><row><source_ip>{row.source_ip}</source_ip><count>{row.count}</count>"
        f"<policy_evaluated><disposition>{row.disposition}</disposition>"
        f"<dkim>{row.dkim}</dkim><spf>{row.spf}</spf>{reason}</policy_evaluated></row>"
        f"<identifiers><header_from>{row.header_from}</header_from>"
        f"<envelope_from>{row.envelope_from}</envelope_from></identifiers>"
        f"<auth_results>{dkim}<spf><domain>{spf_domain}</domain><scope>mfrom</scope>"
        f"<result>{spf_result}</result></spf></auth_results></record>\n"
    )
