"""The stub resolver and dnsio over it: retries, failover, TCP, forged answers, fast failure.

Forged answers (RFC 5452; DNS 0x20, draft-vixie-dnsext-dns0x20): the raw servers here record
the source port and the question of every query, and can answer with a forgery first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import dns.message
import dns.rcode
import pytest

from scanner.context import ScanContext
from scanner.dnsio import query
from scanner.errors import LocalFailure, ResolverUnreachable, TempError
from scanner.options import ScanOptions
from scanner.spoofing import (
    CASE_STRIKES,
    CasePolicy,
    RandomBytes,
    bind_random_port,
    random_case,
)
from scanner.stub import FD_RESERVE, QUERIES_PER_SOCKET, StubResolver, tcp_slots
from scanner.wire import TXT, encode_name
from tests.conftest import options_for
from tests.dnsserver import DnsServer

ServerFactory = Callable[..., DnsServer]
# What a raw server sends back for one query: nothing, one datagram, or several in order.
Reply = Callable[[dns.message.Message], bytes | list[bytes] | None]
TCP_LENGTH = struct.Struct("!H")
QUESTION_START = 12  # RFC 1035 4.1.1


def bind_udp_and_tcp(with_tcp: bool) -> tuple[socket.socket, socket.socket | None]:
    """A UDP socket on a random loopback port and, ``with_tcp``, a TCP listener on the same
    port: a port free for UDP may be taken for TCP (an outgoing connection's), so another
    is tried then (tests/dnsserver.py does the same)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        if not with_tcp:
            return udp, None
        try:
            return udp, socket.create_server(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
    raise OSError("no loopback port free for both UDP and TCP")


class RawServer:
    """A UDP socket answering with whatever ``reply`` builds, optionally from another port.

    ``seen`` records (source port, question section as received) for every query; with
    ``tcp_reply`` a TCP listener on the same port answers with what it builds.
    """

    def __init__(
        self,
        reply: Reply,
        answer_from_other_port: bool = False,
        tcp_reply: Reply | None = None,
    ) -> None:
        self.sock, self.listener = bind_udp_and_tcp(with_tcp=tcp_reply is not None)
        self.sock.settimeout(0.05)
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.1", 0))
        self.reply = reply
        self.answer_from_other_port = answer_from_other_port
        self.port = self.sock.getsockname()[1]
        self.seen: list[tuple[int, bytes]] = []
        self.running = True
        self.threads = [threading.Thread(target=self.serve, daemon=True)]
        if self.listener is not None and tcp_reply is not None:
            self.listener.settimeout(0.05)
            self.threads.append(
                threading.Thread(target=self.serve_tcp, args=(tcp_reply,), daemon=True)
            )
        for thread in self.threads:
            thread.start()

    def serve(self) -> None:
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            self.seen.append((peer[1], data[QUESTION_START : question_end(data)]))
            for answer in datagrams(self.reply(dns.message.from_wire(data))):
                (self.other if self.answer_from_other_port else self.sock).sendto(
                    answer, peer
                )

    def serve_tcp(self, reply: Reply) -> None:
        assert self.listener is not None
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1.0)
                (length,) = TCP_LENGTH.unpack(conn.recv(2, socket.MSG_WAITALL))
                query = dns.message.from_wire(conn.recv(length, socket.MSG_WAITALL))
                for answer in datagrams(reply(query)):
                    conn.sendall(TCP_LENGTH.pack(len(answer)) + answer)

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join()
        self.sock.close()
        self.other.close()
        if self.listener is not None:
            self.listener.close()


def datagrams(answer: bytes | list[bytes] | None) -> list[bytes]:
    if answer is None:
        return []
    return answer if isinstance(answer, list) else [answer]


def question_end(wire: bytes) -> int:
    """The offset after the question section (name, type, class) of ``wire``."""
    position = QUESTION_START
    while wire[position]:
        position += 1 + wire[position]
    return position + 5


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(
        reply: Reply,
        answer_from_other_port: bool = False,
        tcp_reply: Reply | None = None,
    ) -> RawServer:
        server = RawServer(reply, answer_from_other_port, tcp_reply)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def txt_wire(query: dns.message.Message, text: str) -> bytes:
    """A response to ``query`` with one TXT record; the question echoes the query's case."""
    response = dns.message.make_response(query)
    response.answer.append(
        dns.rrset.from_text(query.question[0].name, 60, "IN", "TXT", f'"{text}"')
    )
    return response.to_wire()


def txt_answer(text: str = "genuine") -> Reply:
    def reply(query: dns.message.Message) -> bytes:
        return txt_wire(query, text)

    return reply


def recase_question(wire: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """``wire`` with the letters of its question name changed by ``change`` (swapcase...)."""
    end = question_end(wire) - 4
    return wire[:QUESTION_START] + change(wire[QUESTION_START:end]) + wire[end:]


def mixed_case(question: bytes) -> bool:
    return question not in (question.lower(), question.upper())


def resolve(options: ScanOptions, name: str = "x.example.jp") -> Any:
    async def main() -> Any:
        stub = StubResolver(options)
        try:
            return await stub.resolve(encode_name(name), TXT)
        finally:
            stub.close()

    return asyncio.run(main())


def resolve_all(
    options: ScanOptions, names: list[str]
) -> tuple[list[Any], StubResolver]:
    """Resolve ``names`` one after the other with one stub (one run's 0x20 state)."""

    async def main() -> tuple[list[Any], StubResolver]:
        stub = StubResolver(options)
        try:
            return [await stub.resolve(encode_name(name), TXT) for name in names], stub
        finally:
            stub.close()

    return asyncio.run(main())


def local(*ports: int, **changes: Any) -> ScanOptions:
    values: dict[str, Any] = {"timeout": 0.2, "retries": 1, "retry_temperror": False}
    values.update(changes)
    return ScanOptions(
        nameservers=tuple(("127.0.0.1", port) for port in ports), **values
    )


def test_answer_is_read(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(txt_answer())
    assert [r.value for r in resolve(local(server.port)).answer] == [b"genuine"]


def test_answer_from_another_port_is_ignored(
    raw_server: Callable[..., RawServer],
) -> None:
    """Ignored: nothing ever came from the server's own port, so to the scanner the server
    never replied, the root's NS included (docs/scanner-decisions.md 7.8)."""
    server = raw_server(txt_answer("forged"), answer_from_other_port=True)
    with pytest.raises(ResolverUnreachable, match="no reply from"):
        resolve(local(server.port))


def test_answer_to_another_question_is_ignored(
    raw_server: Callable[..., RawServer],
) -> None:
    def other_question(query: dns.message.Message) -> bytes:
        forged = dns.message.make_query("elsewhere.example.jp", "TXT")
        forged.id = query.id
        return dns.message.make_response(forged).to_wire()

    server = raw_server(other_question)
    with pytest.raises(TempError, match="timeout"):
        resolve(local(server.port))


def test_garbage_is_no_answer(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda query: query.id.to_bytes(2, "big") + b"\x81\x80garbage")
    with pytest.raises(TempError, match="timeout"):
        resolve(local(server.port))


@pytest.mark.parametrize(
    ("rcode", "reason"),
    [
        (dns.rcode.SERVFAIL, "servfail"),
        (dns.rcode.REFUSED, "refused"),
        (dns.rcode.NOTIMP, "notimp"),
    ],
)
def test_failing_server_is_temperror_with_its_reason(
    raw_server: Callable[..., RawServer], rcode: dns.rcode.Rcode, reason: str
) -> None:
    def failing(query: dns.message.Message) -> bytes:
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        return response.to_wire()

    server = raw_server(failing)
    with pytest.raises(TempError) as raised:
        resolve(local(server.port))
    assert raised.value.reason == reason


def test_refusing_server_is_skipped_for_the_next(
    raw_server: Callable[..., RawServer],
) -> None:
    def refusing(query: dns.message.Message) -> bytes:
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.REFUSED)
        return response.to_wire()

    first, second = raw_server(refusing), raw_server(txt_answer("second"))
    response = resolve(local(first.port, second.port))
    assert [r.value for r in response.answer] == [b"second"]


def test_silent_server_then_answering_one(raw_server: Callable[..., RawServer]) -> None:
    silent, answering = raw_server(lambda query: None), raw_server(txt_answer("second"))
    response = resolve(local(silent.port, answering.port))
    assert [r.value for r in response.answer] == [b"second"]


def test_truncated_answer_is_asked_again_over_tcp(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory(mode="truncate")
    response = resolve(local(server.port), "answer.srv.engine.test")
    assert [r.value for r in response.answer] == [b"v=spf1 -all"]
    assert server.tcp_queries == 1


@contextlib.contextmanager
def descriptor_limit(soft: int) -> Iterator[None]:
    """Lower this process's soft RLIMIT_NOFILE for the block (the hard limit is kept)."""
    old_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (old_soft, hard))


def test_tcp_connections_are_bounded_by_the_descriptor_limit() -> None:
    with descriptor_limit(100):
        assert tcp_slots(500) == 100 - FD_RESERVE
        assert tcp_slots(10) == 10
    assert tcp_slots(1) == 1


def test_running_out_of_descriptors_is_a_local_failure_not_a_timeout(
    dns_server_factory: ServerFactory,
) -> None:
    # docs/scanner-decisions.md 0.10 / 7.1: EMFILE must end the run, never read as a DNS failure.
    server = dns_server_factory(mode="truncate")

    qname = encode_name("answer.srv.engine.test")

    async def main(udp_first: bool) -> None:
        stub = StubResolver(local(server.port))
        try:
            if udp_first:  # the UDP sockets exist; only the TCP connection is refused
                await stub.resolve(qname, TXT)
                await asyncio.sleep(0.05)  # its TCP transport closes on a later turn
            lowest_free = os.dup(0)  # RLIMIT_NOFILE bounds descriptor numbers
            os.close(lowest_free)
            with descriptor_limit(lowest_free):  # not one descriptor left
                await stub.resolve(qname, TXT)
        finally:
            stub.close()

    with pytest.raises(LocalFailure, match="opening a TCP connection"):
        asyncio.run(main(udp_first=True))
    with pytest.raises(LocalFailure, match="opening UDP sockets"):
        asyncio.run(main(udp_first=False))


def test_no_servers_is_a_local_failure() -> None:
    async def main() -> None:
        stub = StubResolver(local())
        stub.servers = ()
        try:
            await stub.resolve(encode_name("example.jp"), TXT)
        finally:
            stub.close()

    with pytest.raises(LocalFailure, match="no nameservers configured"):
        asyncio.run(main())


def test_close_closes_the_sockets_and_may_repeat(dns_server: DnsServer) -> None:
    async def main() -> list[int]:
        stub = StubResolver(options_for(dns_server))
        await stub.resolve(encode_name("answer.srv.engine.test"), TXT)
        sockets = [udp.sock for pool in stub.pools.values() for udp in pool]
        stub.close()
        stub.close()
        return [sock.fileno() for sock in sockets]

    assert set(asyncio.run(main())) == {-1}


# --- forged answers: source ports, 0x20, TCP (RFC 5452; draft-vixie-dnsext-dns0x20) -----------


def test_source_ports_and_question_case_spread_over_1000_queries(
    raw_server: Callable[..., RawServer],
) -> None:
    # A forger who learnt the source ports of a run must not keep them: sockets are bound to
    # random ports of 1024-65535 and retired after QUERIES_PER_SOCKET queries; every question
    # is in random letter case.
    server = raw_server(txt_answer())
    names = [f"name{i}.spoof-check.example.jp" for i in range(1000)]

    async def main() -> tuple[list[Any], StubResolver]:
        ctx = ScanContext.create(local(server.port, timeout=2.0))
        try:
            answers = await asyncio.gather(*(query(ctx, name, "TXT") for name in names))
            return answers, ctx.stub
        finally:
            ctx.close()

    answers, stub = asyncio.run(main())
    assert [answer.outcome for answer in answers] == ["answer"] * 1000
    ports = Counter(port for port, _ in server.seen)
    assert sum(ports.values()) >= 1000
    assert (
        max(ports.values()) <= QUERIES_PER_SOCKET <= 200
    )  # no port carries many queries
    assert len(ports) >= 1000 // QUERIES_PER_SOCKET
    assert max(ports) - min(ports) >= 10_000  # drawn from a large range
    assert all(1024 <= port <= 65535 for port in ports)
    assert sum(mixed_case(question) for _, question in server.seen) >= 990
    assert not stub.retiring  # a spent socket was closed once its last answer was in


def test_forged_answer_with_the_wrong_case_is_rejected(
    raw_server: Callable[..., RawServer],
) -> None:
    # Right server, port and ID, the question in the wrong case: what a forger who guessed
    # the port and the ID but not the case sends. It arrives first; the genuine one wins.
    def forged_then_genuine(query: dns.message.Message) -> list[bytes]:
        forged = recase_question(txt_wire(query, "forged"), bytes.swapcase)
        return [forged, txt_wire(query, "genuine")]

    server = raw_server(forged_then_genuine)
    names = [f"q{i}.forged-case.example.jp" for i in range(2 * CASE_STRIKES + 1)]
    responses, stub = resolve_all(local(server.port, timeout=2.0), names)
    assert [[r.value for r in response.answer] for response in responses] == [
        [b"genuine"]
    ] * len(names)
    # More forgeries than CASE_STRIKES did not turn 0x20 off: the resolver had echoed case.
    assert stub.case[stub.servers[0]].enabled
    assert all(mixed_case(question) for _, question in server.seen)


def test_resolver_that_does_not_echo_case_still_works(
    raw_server: Callable[..., RawServer],
) -> None:
    # A resolver answering with the question in lower case: its answers are refused until
    # CASE_STRIKES of them show it does not echo; then 0x20 is off for it, for this run.
    def lower_case(query: dns.message.Message) -> bytes:
        return recase_question(txt_wire(query, "genuine"), bytes.lower)

    server = raw_server(lower_case)
    names = [f"q{i}.lower-case.example.jp" for i in range(3)]
    responses, stub = resolve_all(local(server.port, retries=CASE_STRIKES - 1), names)
    assert [[r.value for r in response.answer] for response in responses] == [
        [b"genuine"]
    ] * 3
    asked = [question for _, question in server.seen]
    assert all(mixed_case(question) for question in asked[:CASE_STRIKES])
    assert asked[CASE_STRIKES:] == [q.lower() for q in asked[CASE_STRIKES:]]
    assert len(asked) == CASE_STRIKES + 2  # after the fallback, one query each
    assert not stub.case[stub.servers[0]].enabled


def tc_answer(query: dns.message.Message) -> bytes:
    """TC=1 with the question echoed as asked: the client must ask again over TCP."""
    response = dns.message.make_response(query)
    response.flags |= dns.flags.TC
    return response.to_wire()


def wrong_id(query: dns.message.Message) -> bytes:
    query.id ^= 0x5A5A
    return txt_wire(query, "forged")


def other_question(query: dns.message.Message) -> bytes:
    other = dns.message.make_query("elsewhere.example.jp", "TXT")
    other.id = query.id
    return txt_wire(other, "forged")


def wrong_case(query: dns.message.Message) -> bytes:
    return recase_question(txt_wire(query, "forged"), bytes.swapcase)


@pytest.mark.parametrize("forge", [wrong_id, other_question, wrong_case])
def test_tcp_answer_to_another_query_is_rejected(
    raw_server: Callable[..., RawServer], forge: Reply
) -> None:
    server = raw_server(tc_answer, tcp_reply=forge)
    with pytest.raises(TempError, match="timeout"):
        resolve(local(server.port))


def test_tcp_answer_to_the_query_is_read(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(tc_answer, tcp_reply=txt_answer("over tcp"))
    assert [r.value for r in resolve(local(server.port)).answer] == [b"over tcp"]


def test_random_case_changes_letters_only() -> None:
    qname = encode_name("_dmarc.xn--wgv71a119e.example-1.jp")
    random = RandomBytes()
    variants = {random_case(qname, random) for _ in range(50)}
    assert len(variants) > 40  # 26 letters: about 2^26 spellings
    for variant in variants:
        assert variant.lower() == qname
        assert [b for b in variant if not chr(b).isalpha()] == [
            b for b in qname if not chr(b).isalpha()
        ]


def test_case_policy_cannot_be_turned_off_once_the_resolver_echoed() -> None:
    policy = CasePolicy("192.0.2.53:53")
    sent = b"\x00\x01\x00\x00" * 3 + b"\x03WwW\x02Jp\x00\x00\x10\x00\x01"
    sent_question = sent[12:]
    assert policy.accepts(sent_question, sent)  # an exact echo of a mixed-case question
    forged = sent[:12] + sent_question.swapcase()
    for _ in range(10 * CASE_STRIKES):
        assert not policy.accepts(sent_question, forged)
    assert policy.enabled


def test_case_policy_falls_back_after_strikes_without_an_echo() -> None:
    policy = CasePolicy("192.0.2.53:53")
    header = bytes(12)
    sent = b"\x03WwW\x02Jp\x00\x00\x10\x00\x01"
    lowered = header + sent.lower()
    verdicts = [policy.accepts(sent, lowered) for _ in range(CASE_STRIKES)]
    assert verdicts == [False] * (CASE_STRIKES - 1) + [True]
    assert not policy.enabled
    # From now on names are sent as given.
    assert policy.question(b"\x03WwW\x00", RandomBytes()) == b"\x03WwW\x00"
    assert policy.accepts(sent, header + sent.upper())
    assert not policy.accepts(sent, header + b"\x03xyz\x02jp\x00\x00\x10\x00\x01")


def test_a_busy_port_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("0.0.0.0", 0))
    taken = busy.getsockname()[1]
    free = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    free.bind(("0.0.0.0", 0))
    wanted = free.getsockname()[1]
    free.close()
    draws = iter([taken - 1024, wanted - 1024])
    monkeypatch.setattr("scanner.spoofing.secrets.randbelow", lambda _: next(draws))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        bind_random_port(sock, socket.AF_INET)
        assert sock.getsockname()[1] == wanted
    finally:
        sock.close()
        busy.close()


# --- dnsio over the stub ---------------------------------------------------------------------


def test_cname_chain_outcomes_through_dnsio(scan: Any) -> None:
    cross = scan(lambda ctx: query(ctx, "cross.srv.engine.test", "TXT"))
    assert (
        cross.outcome == "answer" and cross.canonical_name == "target.other.engine.test"
    )
    dangling = scan(lambda ctx: query(ctx, "dangling.srv.engine.test", "TXT"))
    assert dangling.outcome == "nxdomain"
    assert dangling.canonical_name == "missing.other.engine.test"
    ent = scan(lambda ctx: query(ctx, "b.ent.srv.engine.test", "TXT"))
    assert ent.outcome == "nodata"


def test_large_txt_set_arrives_whole_over_tcp(
    scan: Any, scan_options: ScanOptions
) -> None:
    small_udp = replace(scan_options, edns_payload=512)
    answer = scan(
        lambda ctx: query(ctx, "big.srv.engine.test", "TXT"), options=small_udp
    )
    assert sorted(answer.txt) == [b"a" * 200 + b"b" * 200, b"c" * 200 + b"d" * 200]


def test_underscore_names_of_a_silent_domain_fail_without_a_query(
    dns_server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = dns_server_factory()
    # Every query here times out: the root's NS the stub would ask before the last one
    # fails (docs/scanner-decisions.md 7.8) is not what this test counts.
    monkeypatch.setattr(StubResolver, "_check_if_silent", lambda _stub: None)

    async def main() -> tuple[str, int, int]:
        ctx = ScanContext.create(options_for(server, retries=0))
        for rdtype in ("TXT", "MX"):
            with pytest.raises(TempError):
                await query(ctx, "slow.engine.test", rdtype)
        before = server.queries
        with pytest.raises(TempError) as raised:
            await query(ctx, "selector1._domainkey.slow.engine.test", "TXT")
        asked = server.queries - before
        with pytest.raises(TempError):
            await query(
                ctx, "www.slow.engine.test", "TXT"
            )  # not an underscore name: asked
        ctx.close()
        return raised.value.reason, asked, server.queries - before

    reason, asked, total = asyncio.run(main())
    assert reason == "timeout"  # worded as the domain's own failure
    assert asked == 0
    assert total == 1


def test_cancelled_asker_does_not_strand_the_others(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory(mode="timeout")

    async def main() -> str:
        ctx = ScanContext.create(options_for(server, timeout=5.0, retries=0))
        first = asyncio.ensure_future(query(ctx, "x.engine.test", "TXT"))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(query(ctx, "x.engine.test", "TXT"))
        await asyncio.sleep(0.01)
        first.cancel()
        try:
            await asyncio.wait_for(second, 1.0)
        except TempError as error:
            return error.reason
        finally:
            ctx.close()
        return "answered"

    assert asyncio.run(main()) == "cancelled"
