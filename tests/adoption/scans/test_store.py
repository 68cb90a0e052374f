"""Storage grows with change only if an unchanged domain scans to the same stored content:
no random probe labels, no timestamps, no timing-dependent error texts may reach the digest
(DNS failures included: a lame domain must not add a version every run)."""

from __future__ import annotations

from adoption.scans.store import digest, summary_columns
from scanner import ScanOptions, check_domains_sync
from scanner.result import PROTOCOLS

from ...scanner.test_schema import DOMAINS


def _scan(server) -> dict[str, dict]:
    return _scan_names(server, DOMAINS)


def _scan_names(server, names, retry: bool = True) -> dict[str, dict]:
    options = ScanOptions(
        nameservers=((server.host, server.port),),
        # As a scan run does: the end-of-run retry re-checks a domain that met a DNS failure.
        # Against the one-process test server the truncated answers' TCP fallbacks time
        # out now and then while hundreds of queries are in flight (seen at 0.5 and 1.5 s,
        # in CI too): a real, timing-made temperror, not this test's subject. The names
        # that never answer still fail, only later.
        timeout=1.5,
        retries=1,
        retry_temperror=retry,
    )
    return {r.domain: r.to_json() for r in check_domains_sync(names, options)}


def test_two_scans_of_unchanged_zones_store_the_same_content(dns_server):
    first, second = _scan(dns_server), _scan(dns_server)
    assert len(first) == len(DOMAINS) > 100
    assert any(r["spf"]["state"] == "temperror" for r in first.values())
    assert [d for d in first if digest(first[d]) != digest(second[d])] == []


def test_unresolved_apex_stores_no_policy_columns(dns_server):
    # apexsf.dns-cases.test: the apex CNAME ends in SERVFAIL, _dmarc answers p=reject.
    # status error: every protocol is temperror (docs/result-schema.md). A first pass asks
    # everything at once and keeps the record it saw as ``state_seen``; the end-of-run retry
    # asks the apex first and nothing below it once it has failed (docs/scanner-decisions.md
    # 7.3). Either way no column a figure or an export reads may say "reject".
    (first_pass,) = _scan_names(dns_server, ["apexsf.dns-cases.test"], False).values()
    (retried,) = _scan_names(dns_server, ["apexsf.dns-cases.test"]).values()
    assert first_pass["status"] == retried["status"] == "error"
    assert (first_pass["dmarc"]["state"], first_pass["dmarc"]["state_seen"]) == (
        "temperror",
        "valid",
    )
    assert retried["dmarc"]["state"] == "temperror"
    assert "state_seen" not in retried["dmarc"]
    for result in (first_pass, retried):
        columns = summary_columns(result)
        assert columns["dmarc_state"] == "temperror"
        assert (columns["dmarc_p"], columns["dmarc_enforcement"]) == ("", "")
        assert {columns[f"{name}_state"] for name in PROTOCOLS} == {"temperror"}
