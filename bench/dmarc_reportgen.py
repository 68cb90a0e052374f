"""Generate a large, realistic RFC 7489 aggregate report, gzip-compressed, streamed to disk.

    .venv/bin/python bench/dmarc_reportgen.py out.xml.gz [--records 400000] [--domain soumu.go.jp]

The shape follows a big receiver's daily report (RFC 7489 Appendix C, no namespace): one
record per source address, most sending one message, a mix of aligned and unaligned DKIM
and SPF, one or two DKIM signatures (the second from a mailing-list or ESP domain),
envelope_from present in most records. Addresses come from the documentation ranges
(RFC 5737, RFC 3849). The output is deterministic for a given seed, and is written in
batches, so generating 400,000 records needs a few megabytes of memory.
"""

from __future__ import annotations

import argparse
import gzip
import ipaddress
import random
from pathlib import Path

ORG_NAME = "mail-receiver.example"
BEGIN = 1_767_225_600  # 2026-01-01T00:00:00Z
BATCH = 1000
IPV4_NETWORKS = ("192.0.2.", "198.51.100.", "203.0.113.")  # RFC 5737
IPV6_NETWORK = ipaddress.IPv6Network("2001:db8::/32")  # RFC 3849
THIRD_PARTIES = ("esp-mailer.example", "lists.example.org", "bulk-sender.example")
SELECTORS = ("selector1", "s2048", "google", "k1", "mta2026")

_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata>
    <org_name>{org}</org_name>
    <email>noreply-dmarc-support@{org}</email>
    <extra_contact_info>https://support.{org}/dmarc</extra_contact_info>
    <report_id>{report_id}</report_id>
    <date_range>
      <begin>{begin}</begin>
      <end>{end}</end>
    </date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain>
    <adkim>r</adkim>
    <aspf>r</aspf>
    <p>quarantine</p>
    <sp>quarantine</sp>
    <pct>100</pct>
  </policy_published>
"""

_DKIM = """      <dkim>
        <domain>{domain}</domain>
        <selector>{selector}</selector>
        <result>{result}</result>
      </dkim>
"""


_ENVELOPE_FROM = "      <envelope_from>{}</envelope_from>\n"

_RECORD = """  <record>
    <row>
      <source_ip>{source_ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated>
        <disposition>{disposition}</disposition>
        <dkim>{dkim}</dkim>
        <spf>{spf}</spf>
      </policy_evaluated>
    </row>
    <identifiers>
{envelope_from}      <header_from>{header_from}</header_from>
    </identifiers>
    <auth_results>
{signatures}      <spf>
        <domain>{spf_domain}</domain>
        <scope>mfrom</scope>
        <result>{spf_result}</result>
      </spf>
    </auth_results>
  </record>
"""


def _source_ip(rng: random.Random) -> str:
    if rng.random() < 0.15:
        host = rng.getrandbits(64)
        return str(IPV6_NETWORK[host])
    return rng.choice(IPV4_NETWORKS) + str(rng.randrange(1, 255))


def _record(rng: random.Random, domain: str) -> tuple[str, int]:
    """One <record> and its message count: aligned mail mostly passes, the rest fails."""
    kind = rng.random()
    count = 1 if rng.random() < 0.8 else rng.randrange(2, 500)
    dkim_ok, spf_ok = (True, True) if kind < 0.7 else (kind < 0.85, False)
    envelope = domain if spf_ok else rng.choice(THIRD_PARTIES)
    signatures = []
    if kind < 0.95:
        result = "pass" if dkim_ok else "fail"
        selector = rng.choice(SELECTORS)
        signatures.append(_DKIM.format(domain=domain, selector=selector, result=result))
    if rng.random() < 0.2:
        third_party = rng.choice(THIRD_PARTIES)
        signatures.append(
            _DKIM.format(domain=third_party, selector="s1", result="pass")
        )
    text = _RECORD.format(
        source_ip=_source_ip(rng),
        count=count,
        disposition="none" if dkim_ok or spf_ok else "quarantine",
        dkim="pass" if dkim_ok else "fail",
        spf="pass" if spf_ok else "fail",
        header_from=domain,
        envelope_from=_ENVELOPE_FROM.format(envelope) if rng.random() < 0.9 else "",
        signatures="".join(signatures),
        spf_domain=envelope,
        spf_result="pass" if spf_ok else "softfail",
    )
    return text, count


def write_report(
    path: Path | str, records: int, domain: str = "soumu.go.jp", seed: int = 7489
) -> int:
    """Write ``records`` records to ``path`` as gzip'd XML; return the number of messages."""
    rng = random.Random(seed)
    messages = 0
    head = _HEAD.format(
        org=ORG_NAME,
        report_id=f"{seed}{records}",
        begin=BEGIN,
        end=BEGIN + 86399,
        domain=domain,
    )
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(head.encode())
        for start in range(0, records, BATCH):
            batch = [_record(rng, domain) for _ in range(min(BATCH, records - start))]
            messages += sum(count for _, count in batch)
            out.write("".join(text for text, _ in batch).encode())
        out.write(b"</feedback>\n")
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--domain", default="soumu.go.jp")
    parser.add_argument("--seed", type=int, default=7489)
    args = parser.parse_args()
    messages = write_report(args.path, args.records, args.domain, args.seed)
    print(
        f"{args.path}: {args.records:,} records, {messages:,} messages, {args.path.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main()
