"""Queries in flight follow the resolver (scanner.pacing); a failing domain has a time budget.

The adaptive limit is read from the run's controller (its recorded changes), never from how
long anything took; the cap from what the server saw at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

import dns.rcode

from scanner.context import ScanContext
from scanner.engine import RETRY_TIMEOUT_FACTOR, retry_options, scan_indexed
from scanner.options import ScanOptions
from scanner.pacing import BURST_MIN_FAILURES, WINDOW, Pacing
from scanner.result import DomainResult
from tests.conftest import options_for
from tests.dnsserver import DnsServer, parse_question
from tests.scanner.helpers import stable_json
from tests.scanner.servers import RecordingServer

ORIGIN = "pace.test"


def healthy_zone(count: int) -> str:
    """``count`` domains with SPF through a shared include, DMARC, MX and a DKIM key."""
    lines = [
        f"$ORIGIN {ORIGIN}.",
        f"@ SOA ns.{ORIGIN}. h.{ORIGIN}. 1 3600 600 86400 300",
        f"@ NS ns.{ORIGIN}.",
        "ns A 127.0.0.1",
        '_spf.prov TXT "v=spf1 ip4:198.51.100.0/24 -all"',
        "mx.prov A 192.0.2.1",
    ]
    for n in range(count):
        lines += [
            f'd{n} TXT "v=spf1 include:_spf.prov.{ORIGIN} ~all"',
            f"d{n} MX 10 mx.prov.{ORIGIN}.",
        ]
        if n % 2:
            lines.append(f'_dmarc.d{n} TXT "v=DMARC1; p=reject"')
        if n % 3 == 0:
            lines.append(f'selector1._domainkey.d{n} TXT "v=DKIM1; k=rsa; p="')
    return "\n".join(lines) + "\n"


def domains(count: int) -> list[str]:
    return [f"d{n}.{ORIGIN}" for n in range(count)]


def scan_with_context(
    items: list[str], options: ScanOptions
) -> tuple[list[DomainResult], ScanContext]:
    """Every result in input order, and the run's context (its controller) to inspect."""

    async def run() -> tuple[list[DomainResult], ScanContext]:
        ctx = ScanContext.create(options)
        try:
            found: dict[int, DomainResult] = {}
            async with aclosing(scan_indexed(enumerate(items), options, ctx)) as pairs:
                async for index, result in pairs:
                    found[index] = result
            return [found[index] for index in range(len(items))], ctx
        finally:
            ctx.close()

    return asyncio.run(run())


class BurstServer(DnsServer):
    """Answers the first ``healthy`` queries, then SERVFAIL to every query (an overloaded or
    rate-limiting resolver)."""

    def __init__(self, healthy: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.healthy = healthy

    def handle_wire(self, wire: bytes, tcp: bool) -> bytes | None:
        if self.queries < self.healthy:
            return super().handle_wire(wire, tcp)
        self.queries += 1
        question = parse_question(wire)
        if question is None:
            return None
        return self.wire.rcode_only(question, dns.rcode.SERVFAIL)


# =============================================================================================
# The controller on its own (no network)
# =============================================================================================


def run_in_loop(body: Callable[[], None]) -> None:
    async def main() -> None:
        body()

    asyncio.run(main())


def test_one_lame_domains_timeouts_do_not_lower_the_limit() -> None:
    # A never-answering domain fails about ten queries at once: below a burst.
    def body() -> None:
        pacing = Pacing(200, 400)
        for _ in range(100):
            pacing.answered(0.001)
        for _ in range(BURST_MIN_FAILURES - 1):
            pacing.failed("timeout", 0.0)
        assert (pacing.limit, pacing.history) == (200, [])

    run_in_loop(body)


def test_timeouts_beside_answers_are_a_burst_timeouts_alone_are_silence() -> None:
    # An overloaded resolver drops some queries and answers others: back off. A resolver
    # that stopped answering, or a batch of silent domains, answers nothing: fewer queries in
    # flight would only make each wait its lifetime in turn.
    def body() -> None:
        loaded, silent = Pacing(200, 400), Pacing(200, 400)
        for _ in range(WINDOW // 2):
            loaded.answered(0.001)
        for _ in range(WINDOW):
            loaded.failed("timeout", 0.0)
            silent.failed("timeout", 0.0)
        assert [(c.limit, c.reason) for c in loaded.history] == [(100, "timeout")]
        assert (silent.limit, silent.history) == (200, [])

    run_in_loop(body)


def test_a_burst_lowers_the_limit_once_not_once_per_failure() -> None:
    # Failures of attempts sent before the decrease belong to the same burst (RFC 5681 3.1:
    # one decrease per window); a failure sent after it may count towards the next.
    def body() -> None:
        pacing = Pacing(200, 400)
        sent_before = asyncio.get_running_loop().time()
        for _ in range(3 * BURST_MIN_FAILURES):
            pacing.failed("servfail", sent_before)
        assert [(c.limit, c.reason) for c in pacing.history] == [(100, "servfail")]

    run_in_loop(body)


def test_a_saturated_run_reaches_the_cap_after_two_windows_while_latency_holds() -> (
    None
):
    # A short list behind a slow resolver must not spend its run climbing: each window of
    # `limit` good answers (queries waiting for a slot, answer time steady) adds half the start.
    def body() -> None:
        pacing = Pacing(200, 400)
        for _ in range(2):
            while pacing.try_acquire():  # every slot taken; the next query has to wait
                pass
            for _ in range(pacing.limit):
                pacing.release()
                pacing.answered(0.020)
        assert [(c.limit, c.reason) for c in pacing.history] == [
            (300, "raise"),
            (400, "raise"),
        ]

    run_in_loop(body)


def test_nxdomain_and_nodata_are_good_answers_notimp_is_not_a_burst() -> None:
    def body() -> None:
        pacing = Pacing(50, 50)
        for _ in range(4 * BURST_MIN_FAILURES):
            pacing.failed("notimp", 0.0)
        assert pacing.history == []

    run_in_loop(body)


def test_fixed_pacing_never_moves() -> None:
    def body() -> None:
        pacing = Pacing(50, 400, adaptive=False)
        for _ in range(4 * BURST_MIN_FAILURES):
            pacing.failed("servfail", 1e9)
        assert (pacing.limit, pacing.history) == (50, [])

    run_in_loop(body)


# =============================================================================================
# Against the loopback server
# =============================================================================================


def test_servfail_bursts_make_the_concurrency_drop() -> None:
    server = BurstServer(healthy=40, zone_texts=(healthy_zone(30),))
    with server:
        options = options_for(server, concurrency=64, adaptive=True)
        results, ctx = scan_with_context(domains(30), options)
    drops = [change for change in ctx.pacing.history if change.reason == "servfail"]
    assert drops and drops[0].limit == 32
    assert ctx.pacing.limit < 64
    # The domains asked after the burst began are temperror, never none.
    assert "error" in {result.status for result in results}


def test_concurrency_rises_while_latency_holds_and_never_passes_the_cap(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # Every answer 30 ms late but steady: the limit may rise from 4, never above 10.
    server = recording_server(zone_texts=(healthy_zone(40),), delay_ms=30)
    options = options_for(
        server, concurrency=4, max_concurrency=10, timeout=2.0, adaptive=True
    )
    results, ctx = scan_with_context(domains(40), options)
    assert {result.status for result in results} == {"ok"}
    assert [change.reason for change in ctx.pacing.history][:1] == ["raise"]
    assert max(change.limit for change in ctx.pacing.history) == 10
    assert 4 < server.max_held <= 10
    assert ctx.pacing.max_in_flight <= 10


def test_the_operators_cap_bounds_queries_in_flight_from_the_start(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # A cap below the starting value wins at once.
    server = recording_server(zone_texts=(healthy_zone(12),), delay_ms=30)
    options = options_for(
        server, concurrency=200, max_concurrency=3, timeout=2.0, adaptive=True
    )
    results, ctx = scan_with_context(domains(12), options)
    assert {result.status for result in results} == {"ok"}
    assert 0 < server.max_held <= 3
    assert ctx.pacing.start == 3


def test_adaptive_concurrency_changes_no_result_on_a_healthy_server(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    server = dns_server_factory(zone_texts=[healthy_zone(40)], delay_ms=5)
    fixed = options_for(server, concurrency=4, adaptive=False, timeout=2.0)
    adaptive = options_for(
        server, concurrency=4, max_concurrency=64, timeout=2.0, adaptive=True
    )
    fixed_results, fixed_ctx = scan_with_context(domains(40), fixed)
    adaptive_results, adaptive_ctx = scan_with_context(domains(40), adaptive)
    assert fixed_ctx.pacing.history == [] and adaptive_ctx.pacing.history != []
    assert [stable_json(r) for r in adaptive_results] == [
        stable_json(r) for r in fixed_results
    ]


# =============================================================================================
# A failing domain's time budget (scanner.budget)
# =============================================================================================

# chain's SPF walks hop1 -> hop2 -> hop3 -> hop4; every hop also includes a name that never
# answers, and the walk reads a hop's includes together, so each level waits out one timeout.
DEAD = "".join(
    f'dead{n} TXT "v=spf1 -all"\n; @fault dead{n}.budget.test. timeout\n'
    for n in range(1, 5)
)
BUDGET_ZONE = f"""
$ORIGIN budget.test.
@       SOA ns.budget.test. h.budget.test. 1 3600 600 86400 300
@       NS  ns.budget.test.
ns      A   127.0.0.1
chain   TXT "v=spf1 include:hop1.budget.test -all"
chain   MX  10 mx.budget.test.
hop1    TXT "v=spf1 include:dead1.budget.test include:hop2.budget.test -all"
hop2    TXT "v=spf1 include:dead2.budget.test include:hop3.budget.test -all"
hop3    TXT "v=spf1 include:dead3.budget.test include:hop4.budget.test -all"
hop4    TXT "v=spf1 include:dead4.budget.test -all"
mx      A   192.0.2.1
silent  TXT "v=spf1 -all"
; @fault silent.budget.test. timeout
{DEAD}
"""


def test_a_never_answering_domain_and_a_timeout_chain_do_not_hold_the_others(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # One attempt of 0.3 s per query, 0.45 s per failing domain: chain's first dead include
    # fails at 0.3 s, the second level ends by 0.45 s (asked and cut, or not asked), and the
    # third level is never asked (without the budget the walk would wait out all four).
    server = recording_server(zone_texts=(BUDGET_ZONE, healthy_zone(10)))
    options = options_for(server, timeout=0.3, retries=0, domain_budget=0.45)
    items = ["silent.budget.test", "chain.budget.test", *domains(10)]
    results, ctx = scan_with_context(items, options)
    silent, chain, *healthy = results
    assert silent.status == "error" and silent.spf is not None
    assert silent.spf.state == "temperror"
    assert chain.status == "ok" and chain.spf is not None
    assert chain.spf.state == "temperror"
    assert [(r.status, r.spf.state if r.spf else None) for r in healthy] == [
        ("ok", "valid")
    ] * 10
    assert server.asked("dead1.budget.test")
    assert not server.asked("dead3.budget.test")
    assert not server.asked("dead4.budget.test")
    assert ctx.counters["over_budget"] >= 1


def test_a_healthy_slow_domain_is_never_cut_short(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # The budget applies only once a query of the domain failed: answers slower than the
    # whole budget still make a full result.
    server = recording_server(zone_texts=(healthy_zone(3),), delay_ms=60)
    options = options_for(server, timeout=2.0, domain_budget=0.05)
    results, ctx = scan_with_context(domains(3), options)
    assert [(r.status, r.spf.state if r.spf else None) for r in results] == [
        ("ok", "valid")
    ] * 3
    assert ctx.counters["over_budget"] == 0


def test_the_end_of_run_retry_is_bounded_by_one_doubled_attempt() -> None:
    options = ScanOptions(nameservers=(("127.0.0.1", 53),), timeout=0.5, retries=2)
    slower = retry_options(options)
    assert slower.timeout == options.timeout * RETRY_TIMEOUT_FACTOR
    assert slower.retries == 0
    assert slower.budget == slower.timeout
    assert not slower.adaptive and slower.concurrency == options.concurrency


def test_after_a_burst_the_limit_recovers_to_the_starting_value() -> None:
    # A lame zone timing out at the resolver makes one burst; the run must not stay slow.
    def body() -> None:
        pacing = Pacing(64, 128)
        for _ in range(2 * BURST_MIN_FAILURES):
            pacing.failed("servfail", 0.0)
        assert pacing.limit == 32
        for _ in range(32):
            pacing.answered(0.01)
        assert [(c.limit, c.reason) for c in pacing.history] == [
            (32, "servfail"),
            (64, "recover"),
        ]

    run_in_loop(body)


def test_the_end_of_run_retry_keeps_the_first_pass_bound_fixed(
    recording_server: Callable[..., RecordingServer], monkeypatch: Any
) -> None:
    # The retry pass holds only failing domains: their SERVFAILs are a burst by the
    # controller's rule, but they say nothing about the resolver. Adapting to them took the
    # retry of 50 lame domains of a 10,000-domain scan down to 4 queries in flight (minutes).
    lame = "".join(
        f'lame{n} TXT "v=spf1 -all"\n; @fault lame{n}.retry.test. servfail\n'
        for n in range(BURST_MIN_FAILURES)
    )
    zone = (
        "$ORIGIN retry.test.\n@ SOA ns.retry.test. h.retry.test. 1 3600 600 86400 300\n"
        f"@ NS ns.retry.test.\nns A 127.0.0.1\n{lame}"
    )
    server = recording_server(zone_texts=(zone, healthy_zone(20)))
    created: list[ScanContext] = []
    original = ScanContext.create

    def record(options: ScanOptions) -> ScanContext:
        ctx = original(options)
        created.append(ctx)
        return ctx

    monkeypatch.setattr(ScanContext, "create", staticmethod(record))
    options = options_for(
        server, concurrency=64, timeout=0.5, retries=0, retry_temperror=True
    )
    assert options.adaptive  # the default
    items = [f"lame{n}.retry.test" for n in range(BURST_MIN_FAILURES)] + domains(20)
    results, first = scan_with_context(items, options)
    assert [r.status for r in results[:BURST_MIN_FAILURES]] == ["error"] * (
        BURST_MIN_FAILURES
    )
    retry = [ctx for ctx in created if ctx is not first]
    assert len(retry) == 1, "the retry pass has a context of its own"
    failures = retry[0].counters["temperror"]
    assert failures >= BURST_MIN_FAILURES  # enough to make a burst, had it adapted
    assert first.pacing.history, "the lame domains made the first pass back off"
    assert retry[0].pacing.limit == options.concurrency
    assert retry[0].pacing.history == []
    assert not retry[0].pacing.adaptive
