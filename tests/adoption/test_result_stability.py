"""Storage grows with change only if an unchanged domain scans to the same stored content:
no random probe labels, no timestamps, no timing-dependent error texts may reach the digest
(DNS failures included: a lame domain must not add a version every run)."""

from __future__ import annotations

from adoption.result_store import digest
from scanner import ScanOptions, check_domains_sync

from ..scanner.test_schema import DOMAINS


def _scan(server) -> dict[str, dict]:
    options = ScanOptions(
        nameservers=((server.host, server.port),),
        timeout=0.5,
        retries=1,
        retry_temperror=False,
    )
    return {r.domain: r.to_json() for r in check_domains_sync(DOMAINS, options)}


def test_two_scans_of_unchanged_zones_store_the_same_content(dns_server):
    first, second = _scan(dns_server), _scan(dns_server)
    assert len(first) == len(DOMAINS) > 100
    assert any(r["spf"]["state"] == "temperror" for r in first.values())
    assert [d for d in first if digest(first[d]) != digest(second[d])] == []
