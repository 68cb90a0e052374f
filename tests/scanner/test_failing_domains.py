"""Domains that fail: deferred (``scan_indexed``'s ``defer``, ``check_domains_or_defer``), a
scan run's chunk handing back the domains that met a DNS failure or stalled instead of waiting
for them, for the run to retry together later (adoption.scans.runs); and retried with their
apex asked first (``ScanOptions.apex_first``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from scanner import ScanOptions, check_domains_or_defer, check_domains_sync
from tests.conftest import options_for

from .helpers import stable_json
from .servers import RecordingServer

ORIGIN = "defer.test"
SILENT_ZONE = """$ORIGIN quiet.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 -all"
_dmarc TXT "v=DMARC1; p=reject"
; @fault lame.quiet.test. timeout
"""
CHAIN_DEPTH = 20


def zone() -> str:
    """``chain``: SPF includes twenty deep, one lookup after another (slow while answers are
    held back); ``flaky``: every name's first query is dropped, the second answered."""
    lines = [
        f"$ORIGIN {ORIGIN}.",
        "$TTL 300",
        "@ SOA ns hostmaster 1 3600 600 86400 300",
        "@ NS ns",
        "ns A 127.0.0.1",
        f'chain TXT "v=spf1 include:c1.{ORIGIN} -all"',
        "; @fault flaky.defer.test. drop-first",
        'flaky TXT "v=spf1 -all"',
        f"flaky MX 10 mx.{ORIGIN}.",
    ]
    for depth in range(1, CHAIN_DEPTH + 1):
        inner = f"include:c{depth + 1}.{ORIGIN} " if depth < CHAIN_DEPTH else ""
        lines.append(f'c{depth} TXT "v=spf1 {inner}-all"')
    return "\n".join(lines) + "\n"


def asked_below(server: RecordingServer, domain: str) -> Counter[tuple[str, str]]:
    return Counter(
        (asked.name, asked.rdtype)
        for asked in server.log
        if asked.name == domain or asked.name.endswith("." + domain)
    )


def test_a_silent_domain_is_handed_back_after_one_unanswered_attempt(
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server()
    options = options_for(server, timeout=1.0, retries=2, retry_temperror=True)
    healthy = ["full.engine.test", *(f"w{i}.wild.engine.test" for i in range(12))]

    results = check_domains_or_defer(["slow.engine.test", *healthy], options)

    assert results[0] is None
    asked = asked_below(server, "slow.engine.test")
    # Kept waiting, each of these would have been asked three times, and once more by the
    # end-of-run retry.
    assert asked and set(asked.values()) == {1}
    whole = check_domains_sync(healthy, options)
    assert [stable_json(r) for r in results[1:]] == [stable_json(r) for r in whole]


def test_a_domain_that_met_a_failure_is_handed_back_without_the_retry_pass(
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server()
    options = options_for(server, retries=2, retry_temperror=True)

    results = check_domains_or_defer(["dead.engine.test", "full.engine.test"], options)

    assert results[0] is None
    assert results[1] is not None and results[1].status == "ok"
    asked = asked_below(server, "dead.engine.test")
    assert asked and set(asked.values()) == {1}  # SERVFAIL: no second attempt, no retry


def test_a_stalled_domain_is_waited_for_while_another_is_still_working(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # Every answer is held 100 ms: the chain's 21 lookups take over 2 s, while flaky's
    # dropped first queries stall it at 0.6 s and their second attempts are answered.
    server = recording_server(zone_texts=(zone(),), delay_ms=100)
    options = options_for(server, timeout=0.6, retries=2, retry_temperror=True)
    options = replace(options, selectors=())

    alone = check_domains_or_defer([f"flaky.{ORIGIN}"], options)
    together = check_domains_or_defer([f"flaky.{ORIGIN}", f"chain.{ORIGIN}"], options)

    assert alone == [None]  # nothing else to do: not waited for
    flaky, chain = together
    assert flaky is not None and flaky.spf is not None
    assert flaky.spf.state == "valid" and not flaky.has_temperror
    assert chain is not None and chain.status == "ok"


def test_apex_first_asks_a_silent_domain_nothing_below_its_apex(
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server(zone_texts=(SILENT_ZONE,))
    options = options_for(server, timeout=0.3, retries=1, retry_temperror=False)

    (everything_at_once,) = check_domains_sync(["lame.quiet.test"], options)
    at_once = asked_below(server, "lame.quiet.test")
    server.log.clear()
    (apex_first,) = check_domains_sync(
        ["lame.quiet.test"], replace(options, apex_first=True)
    )

    # Two attempts of the apex TXT and MX; the dozen other names of the first wave, the
    # random label included, are never asked once they have failed.
    assert asked_below(server, "lame.quiet.test") == {
        ("lame.quiet.test", "TXT"): 2,
        ("lame.quiet.test", "MX"): 2,
    }
    assert len(at_once) > 6
    assert apex_first.status == "error" and apex_first.wildcard is None
    assert stable_json(apex_first) == stable_json(everything_at_once)


def test_apex_first_gives_an_answering_domain_the_same_result(
    scan_options: ScanOptions,
) -> None:
    domains = ["full.engine.test", "dead.engine.test", "nxdomain.engine.test"]
    at_once = check_domains_sync(domains, scan_options)
    apex_first = check_domains_sync(domains, replace(scan_options, apex_first=True))
    assert [stable_json(r) for r in apex_first] == [stable_json(r) for r in at_once]
