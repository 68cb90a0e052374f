"""Getting the answer at all: EDNS(0) payload, TC=1 and TCP, lost datagrams, other upstreams.

RFC 6891, RFC 7766; docs/scanner-decisions.md 7.4 and 8.4. Scenarios: tests/zones/dns-cases.zone
and dns-rules.zone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scanner.engine import check_domains_sync
from tests.conftest import ScanRunner, options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import (
    DNS_CASES,
    DNS_RULES,
    NORM,
    check_json,
    scan_json,
    schema_errors,
    states,
)
from tests.scanner.servers import RecordingServer

# =============================================================================================
# EDNS(0), truncation and TCP, lost answers (docs/scanner-decisions.md 7.4, 8.4)
# =============================================================================================


def test_truncated_answer_without_tcp_is_temperror_not_nodata(
    scan: ScanRunner, type_fault_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 7.4: a TC=1 answer carries no records; if TCP then fails the TXT
    # set is unknown (temperror), never "no SPF record" (none). MX still answers: status ok.
    result = scan_json(
        scan, DNS_CASES("bigtxt"), options=options_for(type_fault_server)
    )
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "temperror"
    assert result["sender_id"]["state"] == "temperror"


def test_medium_answer_fits_the_edns_payload_without_tcp(
    scan: ScanRunner, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 7.4 / 8.1: the scanner advertises EDNS(0) with 1232 octets, so a
    # ~900-octet TXT set comes over UDP; without EDNS it would be truncated at 512 and need TCP.
    before = dns_server.tcp_queries
    result = scan_json(scan, DNS_CASES("mediumtxt"))
    assert result["spf"]["state"] == "valid"
    assert dns_server.tcp_queries == before


# dropper.dns-cases.test and trunc.dns-cases.test publish the same kinds of records: what a
# domain whose answers came only on a second try (or over TCP) must still show.
RECOVERED_STATES = {
    "spf": "valid",
    "dmarc": "valid",
    "dkim": "none",
    "adsp": "none",
    "mx": "found",
    "sender_id": "none",
    "mta_sts": "found",
    "tls_rpt": "found",
    "bimi": "found",
}


def test_first_answer_lost_is_retried_not_temperror(
    scan: ScanRunner, dns_server_factory: Callable[..., DnsServer]
) -> None:
    # docs/scanner-decisions.md 8.4 (retries within the lifetime) and 7.2: a lost first answer
    # that a retry recovers is not temperror. Own server: drop-first state is per server.
    server = dns_server_factory()
    result = scan_json(scan, DNS_CASES("dropper"), options=options_for(server))
    assert result["status"] == "ok"
    assert states(result) == RECOVERED_STATES


def test_truncated_answers_are_fetched_over_tcp(
    scan: ScanRunner, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 7.4 / RFC 7766: TC=1 over UDP -> retry over TCP, no temperror.
    before = dns_server.tcp_queries
    result = scan_json(scan, DNS_CASES("trunc"))
    assert dns_server.tcp_queries > before
    assert result["status"] == "ok"
    assert states(result) == RECOVERED_STATES
    assert result["spf"]["record"] == "v=spf1 ip4:192.0.2.6 -all"


def test_big_txt_set_over_the_edns_payload(
    scan: ScanRunner, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.1 item 8 and 7.4: seven TXT RRs (~1.7 kB) exceed 1232 octets,
    # so the answer needs TCP; the SPF record among the tokens is still found, exactly one of
    # it.
    before = dns_server.tcp_queries
    result = scan_json(scan, DNS_CASES("bigtxt"))
    assert dns_server.tcp_queries > before
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "valid"
    assert (
        result["spf"]["record"]
        == "v=spf1 ip4:192.0.2.7 include:_spf.bigtxt.dns-cases.test -all"
    )
    assert result["spf"]["lookups"] == 1
    assert result["sender_id"]["state"] == "none"


# =============================================================================================
# Upstream failover and the end-of-run retry (docs/scanner-decisions.md 7.2, 7.3)
# =============================================================================================


@pytest.mark.parametrize("mode", ["servfail", "refused", "timeout"])
def test_a_failing_first_upstream_falls_over_to_the_next(
    scan: ScanRunner, dns_server_factory: Callable[..., DnsServer], mode: str
) -> None:
    # docs/scanner-decisions.md 7.3 / 8.1-8.2: with several upstreams a SERVFAIL/REFUSED/silent
    # one is dropped and the next is asked; the domain is not temperror.
    bad = dns_server_factory(mode=mode)
    good = dns_server_factory()
    options = options_for(
        good, nameservers=((bad.host, bad.port), (good.host, good.port))
    )
    result = scan_json(scan, NORM, options=options)
    assert result["status"] == "ok"
    assert states(result) == {
        "spf": "valid",
        "dmarc": "valid",
        "dkim": "none",
        "adsp": "none",
        "mx": "found",
        "sender_id": "none",
        "mta_sts": "none",
        "tls_rpt": "none",
        "bimi": "none",
    }


def test_end_of_run_retry_recovers_a_lost_answer(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    # docs/result-schema.md `temperror` / docs/scanner-decisions.md 7.2: "A scan run re-checks
    # domains with any temperror once at its end, with a fresh cache and one attempt with a
    # doubled timeout". No retries within the query: the first pass loses dropper's first
    # answers.
    from scanner.engine import check_domains_sync

    server = dns_server_factory()
    options = options_for(server, retries=0, retry_temperror=True)
    (result,) = [
        r.to_json() for r in check_domains_sync([DNS_CASES("dropper")], options)
    ]
    assert schema_errors(result) == []
    assert result["status"] == "ok"
    assert "temperror" not in states(result).values(), states(result)


# =============================================================================================
# Big TXT answers (docs/scanner-decisions.md 7.4)
# =============================================================================================


def test_a_long_single_txt_record_is_read_whole(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.4 / 1.1 item 8 / RFC 7208 3.3-3.4: one TXT RR of 4311 octets (18
    # character-strings, joined with nothing between them) is a valid SPF record ending in
    # -all; the 512-octet guidance is a SHOULD, the answer comes over TCP. Whatever bound the
    # scanner applies to hostile sizes, it must not report a different record than the one
    # published (a cut record turns into a fake syntax error and a missing "all").
    result = scan_json(scan, DNS_RULES("huge"))
    spf = result["spf"]
    assert spf["state"] == "valid", spf["errors"]
    assert spf["all"] == "-all"
    assert len(spf["record"]) == 4311
    assert spf["record"].endswith(" ip4:10.0.244.0/24 -all")
    assert spf["lookups"] == 0


def test_queries_advertise_edns_1232(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 7.4: EDNS(0) with 1232 octets, which avoids IP fragmentation;
    # ScanOptions.edns_payload defaults to it. Every query the scan sends carries it.
    server = recording_server()
    check_domains_sync([DNS_RULES("plain"), DNS_RULES("uf")], options_for(server))
    assert server.log
    assert {asked.payload for asked in server.log} == {1232}


# =============================================================================================
# Several --nameserver options: a refusing first upstream is not a temperror
# =============================================================================================


def test_cli_repeated_nameserver_falls_over(
    dns_server: DnsServer, dns_server_factory: Callable[..., DnsServer]
) -> None:
    # README.md "The scanner on its own": `--nameserver H[:P]...` is repeatable;
    # docs/scanner-decisions.md 7.3: a failing upstream is dropped and the next asked: a
    # refusing first server is not a temperror.
    refusing = dns_server_factory(mode="refused")
    results = check_json(
        refusing,
        "--nameserver",
        dns_server.nameserver,
        DNS_RULES("plain"),
        DNS_RULES("case"),
    )
    assert [(r["domain"], r["status"]) for r in results] == [
        (DNS_RULES("plain"), "ok"),
        (DNS_RULES("case"), "ok"),
    ]
    assert "temperror" not in {state for r in results for state in states(r).values()}
