"""The loopback server behaves like a recursive resolver in front of tests/zones.

Every scanner test rests on these behaviours, so they are proven here through dnspython's
own query functions and resolver, independently of the scanner.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from tests.dnsserver import DnsServer

ZONE = "srv.engine.test"
SHORT = 0.3  # seconds; loopback answers in well under a millisecond

ServerFactory = Callable[..., DnsServer]


def ask(
    server: DnsServer,
    name: str,
    rdtype: str = "TXT",
    *,
    tcp: bool = False,
    edns: int | None = None,
    payload: int = 1232,
) -> dns.message.Message:
    absolute = name.endswith((".", ".test", ".invalid"))
    fqdn = name if absolute else f"{name}.{ZONE}"
    use_edns: int | bool = False if edns is None else edns
    query = dns.message.make_query(fqdn, rdtype, use_edns=use_edns, payload=payload)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=SHORT)


def texts(response: dns.message.Message) -> list[bytes]:
    return [
        b"".join(rdata.strings)
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.TXT
        for rdata in rrset
    ]


def resolver_for(server: DnsServer, edns: bool = True) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(server.host, server.port)]
    resolver.timeout = SHORT
    resolver.lifetime = 3 * SHORT
    if edns:
        resolver.use_edns(0, 0, 1232)
    return resolver


# --- answers ---------------------------------------------------------------------------------


def test_answer_has_aa_and_ra_and_the_record(dns_server: DnsServer) -> None:
    response = ask(dns_server, "answer")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA and response.flags & dns.flags.RA
    assert texts(response) == [b"v=spf1 -all"]


def test_the_question_is_echoed_in_the_case_it_was_asked(dns_server: DnsServer) -> None:
    # Resolvers echo the question as sent; the scanner's DNS 0x20 check relies on it, and the
    # server's reply cache (keyed case-insensitively) must splice each asker's case back in.
    for name in (
        "AnSwEr.srv.engine.test",
        "aNsWeR.SRV.engine.test",
        "answer.srv.engine.test",
    ):
        query = dns.message.make_query(name, "TXT")
        response = dns.query.udp(
            query, dns_server.host, port=dns_server.port, timeout=SHORT
        )
        assert response.id == query.id
        assert response.question[0].name.to_text() == name + "."  # the case as sent
        assert texts(response) == [b"v=spf1 -all"]


def test_existing_name_without_the_type_is_nodata_with_soa(
    dns_server: DnsServer,
) -> None:
    response = ask(dns_server, "answer", "MX")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []
    assert [rrset.rdtype for rrset in response.authority] == [dns.rdatatype.SOA]


def test_missing_name_in_a_loaded_zone_is_nxdomain(dns_server: DnsServer) -> None:
    response = ask(dns_server, "nope")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.answer == []


def test_name_in_no_loaded_zone_is_nxdomain(dns_server: DnsServer) -> None:
    assert ask(dns_server, "example.invalid").rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize("name", ["b.ent", "ent"])
def test_empty_non_terminal_is_nodata_not_nxdomain(
    dns_server: DnsServer, name: str
) -> None:
    response = ask(dns_server, name)
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


def test_zone_apex_answers_its_own_records(dns_server: DnsServer) -> None:
    response = ask(dns_server, ZONE + ".", "SOA")
    assert [rrset.rdtype for rrset in response.answer] == [dns.rdatatype.SOA]


# --- wildcards (RFC 4592) --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anything.wild", "two.labels.wild"])
def test_wildcard_is_synthesised_with_the_query_name(
    dns_server: DnsServer, name: str
) -> None:
    response = ask(dns_server, name)
    assert texts(response) == [b"synthesised"]
    assert response.answer[0].name == dns.name.from_text(f"{name}.{ZONE}")


def test_wildcard_synthesises_every_type_it_has(dns_server: DnsServer) -> None:
    response = ask(dns_server, "other.wild", "MX")
    assert [str(rdata) for rdata in response.answer[0]] == [f"10 mail.{ZONE}."]


def test_existing_name_beside_a_wildcard_is_not_synthesised(
    dns_server: DnsServer,
) -> None:
    assert texts(ask(dns_server, "exact.wild")) == [b"exact"]
    assert (
        ask(dns_server, "exact.wild", "MX").answer == []
    )  # exists: NODATA, no wildcard


def test_name_below_an_existing_name_without_wildcard_is_nxdomain(
    dns_server: DnsServer,
) -> None:
    # The closest encloser is exact.wild, which has no wildcard child (RFC 4592 3.3.1).
    assert ask(dns_server, "below.exact.wild").rcode() == dns.rcode.NXDOMAIN


# --- CNAMEs ----------------------------------------------------------------------------------


def test_cname_is_followed_within_the_zone(dns_server: DnsServer) -> None:
    response = ask(dns_server, "alias")
    assert [rrset.rdtype for rrset in response.answer] == [
        dns.rdatatype.CNAME,
        dns.rdatatype.TXT,
    ]
    assert texts(response) == [b"v=spf1 -all"]


def test_cname_is_followed_across_zones(dns_server: DnsServer) -> None:
    answer = resolver_for(dns_server).resolve(f"cross.{ZONE}", "TXT")
    assert answer.canonical_name == dns.name.from_text("target.other.engine.test")
    assert [b"".join(rdata.strings) for rdata in answer] == [
        b"v=spf1 ip4:192.0.2.0/24 -all"
    ]


def test_dangling_cname_is_nxdomain_carrying_the_cname(dns_server: DnsServer) -> None:
    response = ask(dns_server, "dangling")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.rdtype for rrset in response.answer] == [dns.rdatatype.CNAME]
    with pytest.raises(dns.resolver.NXDOMAIN) as raised:
        resolver_for(dns_server).resolve(f"dangling.{ZONE}", "TXT")
    assert raised.value.canonical_name == dns.name.from_text(
        "missing.other.engine.test"
    )


def test_cname_query_returns_the_cname_itself(dns_server: DnsServer) -> None:
    response = ask(dns_server, "alias", "CNAME")
    assert [rrset.rdtype for rrset in response.answer] == [dns.rdatatype.CNAME]


def test_cname_loop_is_servfail(dns_server: DnsServer) -> None:
    assert ask(dns_server, "loop1").rcode() == dns.rcode.SERVFAIL


def test_cname_into_a_servfail_name_is_servfail(dns_server: DnsServer) -> None:
    assert ask(dns_server, "to-servfail").rcode() == dns.rcode.SERVFAIL


# --- size, truncation, TCP -------------------------------------------------------------------


def test_large_answer_without_edns_is_truncated_over_udp(dns_server: DnsServer) -> None:
    response = ask(dns_server, "big")
    assert response.flags & dns.flags.TC
    assert response.answer == []


def test_large_answer_fits_the_advertised_edns_payload(dns_server: DnsServer) -> None:
    response = ask(dns_server, "big", edns=0, payload=1232)
    assert not response.flags & dns.flags.TC
    assert len(texts(response)) == 2


def test_large_answer_over_a_small_edns_payload_is_truncated(
    dns_server: DnsServer,
) -> None:
    response = ask(dns_server, "big", edns=0, payload=512)
    assert response.flags & dns.flags.TC


def test_resolver_retries_truncated_answer_over_tcp(dns_server: DnsServer) -> None:
    before = dns_server.tcp_queries
    answer = resolver_for(dns_server, edns=False).resolve(f"big.{ZONE}", "TXT")
    assert sorted(len(b"".join(rdata.strings)) for rdata in answer) == [400, 400]
    assert dns_server.tcp_queries == before + 1


def test_tcp_answers_the_same_as_udp(dns_server: DnsServer) -> None:
    assert texts(ask(dns_server, "alias", tcp=True)) == [b"v=spf1 -all"]


# --- fault directives ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rcode"),
    [
        ("servfail", dns.rcode.SERVFAIL),
        ("below.servfail", dns.rcode.SERVFAIL),  # a fault covers the names below it
        ("refused", dns.rcode.REFUSED),
    ],
)
def test_fault_directive_sets_the_rcode(
    dns_server: DnsServer, name: str, rcode: int
) -> None:
    assert ask(dns_server, name).rcode() == rcode
    assert ask(dns_server, name, tcp=True).rcode() == rcode


def test_fault_covers_missing_names_below_it(dns_server: DnsServer) -> None:
    assert ask(dns_server, "nothing.here.servfail").rcode() == dns.rcode.SERVFAIL


def test_timeout_fault_never_answers(dns_server: DnsServer) -> None:
    with pytest.raises(dns.exception.Timeout):
        ask(dns_server, "timeout")
    with pytest.raises(dns.exception.Timeout):
        ask(dns_server, "timeout", tcp=True)


def test_truncate_fault_sets_tc_over_udp_and_answers_over_tcp(
    dns_server: DnsServer,
) -> None:
    udp = ask(dns_server, "truncate", edns=0)
    assert udp.flags & dns.flags.TC and udp.answer == []
    assert texts(ask(dns_server, "truncate", tcp=True)) == [
        b"small but truncated over UDP"
    ]


def test_drop_first_ignores_the_first_query_and_answers_the_retry(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory()
    with pytest.raises(dns.exception.Timeout):
        ask(server, "dropfirst")
    assert texts(ask(server, "dropfirst")) == [b"second time lucky"]


def test_resolver_survives_drop_first_by_retrying(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory()
    answer = resolver_for(server).resolve(f"dropfirst.{ZONE}", "TXT")
    assert [b"".join(rdata.strings) for rdata in answer] == [b"second time lucky"]
    assert server.queries == 2


@pytest.mark.parametrize(
    ("mode", "rcode"),
    [("servfail", dns.rcode.SERVFAIL), ("refused", dns.rcode.REFUSED)],
)
def test_server_wide_mode_applies_to_every_name(
    dns_server_factory: ServerFactory, mode: str, rcode: int
) -> None:
    server = dns_server_factory(mode=mode)
    assert ask(server, "answer").rcode() == rcode
    assert ask(server, "nope").rcode() == rcode


def test_server_wide_timeout_mode_never_answers(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory(mode="timeout")
    with pytest.raises(dns.exception.Timeout):
        ask(server, "answer")


def test_server_wide_truncate_mode_forces_tcp(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory(mode="truncate")
    answer = resolver_for(server).resolve(f"answer.{ZONE}", "TXT")
    assert [b"".join(rdata.strings) for rdata in answer] == [b"v=spf1 -all"]
    assert server.tcp_queries == 1


def test_zone_texts_are_served_with_their_faults(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory(
        zone_texts=[
            '$ORIGIN t.example.\n@ 60 TXT "apex"\n; @fault bad.t.example. refused\n',
        ]
    )
    assert texts(ask(server, "t.example.")) == [b"apex"]
    assert ask(server, "bad.t.example.").rcode() == dns.rcode.REFUSED
    assert ask(server, "answer").rcode() == dns.rcode.NXDOMAIN  # tests/zones not loaded


def test_unknown_fault_mode_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        DnsServer(zone_texts=['$ORIGIN t.example.\n@ TXT "x"\n; @fault @ explode\n'])


# --- concurrency, delay, lifecycle -----------------------------------------------------------


def test_many_concurrent_queries_are_all_answered(dns_server: DnsServer) -> None:
    async def main() -> list[dns.resolver.Answer]:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(dns_server.host, dns_server.port)
        ]
        resolver.lifetime = 5.0
        names = [f"n{index}.wild.{ZONE}" for index in range(500)]
        return await asyncio.gather(*(resolver.resolve(name, "TXT") for name in names))

    answers = asyncio.run(main())
    assert len(answers) == 500
    assert all(b"".join(answer[0].strings) == b"synthesised" for answer in answers)


def test_delayed_answers_do_not_wait_for_each_other(
    dns_server_factory: ServerFactory,
) -> None:
    # Twenty answers each held 0.2 s: served one after another they would need 4 s and most
    # would miss their 1 s timeout; the timer heap sends them all after about 0.2 s.
    server = dns_server_factory(delay_ms=200)

    async def main() -> list[dns.message.Message]:
        queries = [
            dns.message.make_query(f"d{index}.wild.{ZONE}", "TXT")
            for index in range(20)
        ]
        return await asyncio.gather(
            *(
                dns.asyncquery.udp(query, server.host, port=server.port, timeout=1.0)
                for query in queries
            )
        )

    responses = asyncio.run(main())
    assert all(texts(response) == [b"synthesised"] for response in responses)


def test_stop_releases_the_port(dns_server_factory: ServerFactory) -> None:
    with DnsServer(zone_texts=['$ORIGIN t.example.\n@ TXT "x"\n']) as server:
        port = server.port
        assert texts(ask(server, "t.example.")) == [b"x"]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", port))  # would raise EADDRINUSE if still open
    finally:
        sock.close()


def test_runs_as_a_separate_process() -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.dnsserver",
            "--zones",
            "tests/zones",
            "--port",
            "0",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        assert line[0] == "listening"
        host, port = line[1].rsplit(":", 1)
        query = dns.message.make_query(f"answer.{ZONE}", "TXT")
        response = dns.query.udp(query, host, port=int(port), timeout=5.0)
        assert texts(response) == [b"v=spf1 -all"]
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "queries 1" in stderr


def test_non_loopback_udp_is_blocked_in_tests() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(OSError, match="loopback"):
            sock.sendto(b"\0" * 12, ("192.0.2.1", 53))
    finally:
        sock.close()


@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")
def test_non_loopback_connect_is_blocked_in_tests() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(Exception, match="(?i)socket|host"):
            sock.connect(("192.0.2.1", 53))
    finally:
        sock.close()
