"""The stub resolver and dnsio over it: retries, failover, TCP, forged answers, fast failure."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import dns.message
import dns.rcode
import pytest

from scanner.context import ScanContext
from scanner.dnsio import query
from scanner.errors import LocalFailure, TempError
from scanner.options import ScanOptions
from scanner.stub import FD_RESERVE, StubResolver, tcp_slots
from scanner.wire import TXT, encode_name
from tests.conftest import options_for
from tests.dnsserver import DnsServer

ServerFactory = Callable[..., DnsServer]
Reply = Callable[[dns.message.Message], bytes | None]


class RawServer:
    """A UDP socket answering with whatever ``reply`` builds, optionally from another port."""

    def __init__(self, reply: Reply, answer_from_other_port: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.1", 0))
        self.reply = reply
        self.answer_from_other_port = answer_from_other_port
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            answer = self.reply(dns.message.from_wire(data))
            if answer is not None:
                (self.other if self.answer_from_other_port else self.sock).sendto(
                    answer, peer
                )

    def stop(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()
        self.other.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(reply: Reply, answer_from_other_port: bool = False) -> RawServer:
        server = RawServer(reply, answer_from_other_port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def txt_answer(text: str = "genuine") -> Reply:
    def reply(query: dns.message.Message) -> bytes:
        response = dns.message.make_response(query)
        response.answer.append(
            dns.rrset.from_text(query.question[0].name, 60, "IN", "TXT", f'"{text}"')
        )
        return response.to_wire()

    return reply


def resolve(options: ScanOptions, name: str = "x.example.jp") -> Any:
    async def main() -> Any:
        stub = StubResolver(options)
        try:
            return await stub.resolve(encode_name(name), TXT)
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
    server = raw_server(txt_answer("forged"), answer_from_other_port=True)
    with pytest.raises(TempError) as raised:
        resolve(local(server.port))
    assert raised.value.reason == "timeout"


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
    # SPEC-BRIEF 0.10 / 7.1: EMFILE must end the run, never read as a DNS failure.
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
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory()

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
        first = asyncio.create_task(query(ctx, "x.engine.test", "TXT"))
        await asyncio.sleep(0)
        second = asyncio.create_task(query(ctx, "x.engine.test", "TXT"))
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
