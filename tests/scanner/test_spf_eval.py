"""pyspf as the reference evaluator (scanner.spf_eval), cross-checked against our static analysis.

The static scan has no client IP; pyspf has one. Where the two must agree: a client matched by
nothing gets the result named by our effective ``all``; a record we call permerror worst case
gives permerror to a client that no term matches; a DNS failure is temperror for both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dns.resolver
import pytest
import spf as pyspf

from scanner.options import ScanOptions
from scanner.spf import SpfResult, check_spf
from scanner.spf_eval import (
    TIME_LIMIT_REACHED,
    SpfEvaluation,
    evaluate_spf,
    make_lookup,
    make_sync_resolver,
)
from tests.conftest import ScanRunner, options_for
from tests.dnsserver import DnsServer

UNLISTED_V4 = "203.0.113.9"  # TEST-NET-3: listed by no record in the spf zones
UNLISTED_V6 = "2001:db8:ffff::9"
# The result a client matched by no term gets, for each effective all (RFC 7208 4.7, 5.1).
RESULT_OF_ALL = {
    "-all": "fail",
    "~all": "softfail",
    "?all": "neutral",
    "+all": "pass",
    None: "neutral",
}


@pytest.fixture
def ours(scan: ScanRunner) -> Any:
    def run(label: str) -> SpfResult:
        result: SpfResult = scan(lambda ctx: check_spf(f"{label}.spf.test", ctx))
        return result

    return run


def evaluate(label: str, ip: str, options: ScanOptions) -> str:
    return evaluate_spf(f"{label}.spf.test", ip, options).result


@pytest.mark.parametrize(
    "label",
    [
        "strict", "softfail", "neutral", "passall", "bareall", "noall", "empty", "locked",
        "fail-only", "upper", "split", "senderid", "redir1", "redir-ignored", "redir-noall",
        "inc", "inc-cname", "inc-locked", "inc-redirchild", "twice", "ten", "void2", "mx10",
        "mx-null", "warn-after", "warn-exp", "warn-hostbits",
    ],
)  # fmt: skip
def test_unlisted_client_gets_the_result_of_our_effective_all(
    ours: Any, scan_options: ScanOptions, label: str
) -> None:
    static = ours(label)
    assert static.state == "valid"
    assert evaluate(label, UNLISTED_V4, scan_options) == RESULT_OF_ALL[static.all]


@pytest.mark.parametrize(
    "label",
    [
        "eleven", "thrice", "many", "huge", "void3", "mx11", "dangling", "inc-nospf",
        "inc-nodata", "redir-none", "inc-loop-a", "redir-loop", "multiple", "syntax",
        "nonascii", "ctrl", "inc-badchild", "inc-multichild", "badmacro",
    ],
)  # fmt: skip
def test_our_permerror_is_pyspf_permerror_for_an_unlisted_client(
    ours: Any, scan_options: ScanOptions, label: str
) -> None:
    assert ours(label).state == "permerror"
    assert evaluate(label, UNLISTED_V4, scan_options) == "permerror"


def test_permerror_behind_a_failed_branch_is_ours_and_temperror_for_pyspf(
    ours: Any, scan_options: ScanOptions
) -> None:
    """pyspf stops at the first failing include; the static scan reports the permerror a
    retry cannot fix (see scanner.spf), keeping the DNS failure in ``errors``."""
    static = ours("mixed")
    assert static.state == "permerror"
    assert any("servfail" in error for error in static.errors)
    assert evaluate("mixed", UNLISTED_V4, scan_options) == "temperror"


def test_lookup_limit_is_path_dependent_for_pyspf(
    ours: Any, scan_options: ScanOptions
) -> None:
    """A listed sender passes before the 11th term; everyone else gets permerror."""
    assert ours("pathdep").state == "permerror"
    assert evaluate("pathdep", "192.0.2.1", scan_options) == "pass"
    assert evaluate("pathdep", UNLISTED_V4, scan_options) == "permerror"


def test_pyspf_counts_the_same_lookups_as_our_worst_case(
    scan_options: ScanOptions,
) -> None:
    assert evaluate_spf("ten.spf.test", UNLISTED_V4, scan_options).lookups == 10
    over = evaluate_spf("eleven.spf.test", UNLISTED_V4, scan_options)
    assert (over.result, over.lookups) == ("permerror", 11)
    assert "Too many DNS lookups" in over.explanation


def test_per_family_voids_match_pyspf_for_each_client_family(
    ours: Any, scan_options: ScanOptions
) -> None:
    static = ours("void-v6")
    assert (static.void_lookups_ipv4, static.void_lookups_ipv6) == (0, 3)
    assert evaluate("void-v6", "192.0.2.99", scan_options) == "fail"
    assert evaluate("void-v6", UNLISTED_V6, scan_options) == "permerror"


def test_pyspf_counts_void_mx_hosts_per_query(
    ours: Any, scan_options: ScanOptions
) -> None:
    """Our warning says pyspf-style receivers permerror IPv6 clients here; pyspf agrees."""
    assert "void-lookups-per-query-over-limit" in ours("mx-v4only").warnings
    assert evaluate("mx-v4only", UNLISTED_V6, scan_options) == "permerror"
    assert evaluate("mx-v4only", "192.0.2.122", scan_options) == "pass"


@pytest.mark.parametrize(
    ("label", "ip"),
    [
        ("softfail", "192.0.2.10"),
        ("softfail", "2001:db8::11"),
        ("inc", "192.0.2.77"),
        ("redir1", "192.0.2.2"),
        ("mx10", "192.0.2.135"),
    ],
)
def test_listed_clients_pass(scan_options: ScanOptions, label: str, ip: str) -> None:
    assert evaluate(label, ip, scan_options) == "pass"


@pytest.mark.parametrize("label", ["inc-servfail", "a-servfail", "broken", "refusing"])
def test_dns_failure_is_temperror_for_both(
    ours: Any, scan_options: ScanOptions, label: str
) -> None:
    assert ours(label).state == "temperror"
    assert evaluate(label, UNLISTED_V4, scan_options) == "temperror"


@pytest.mark.parametrize("label", ["glued", "othertxt", "does-not-exist"])
def test_no_record_is_none_for_both(
    ours: Any, scan_options: ScanOptions, label: str
) -> None:
    assert ours(label).state == "none"
    assert evaluate(label, UNLISTED_V4, scan_options) == "none"


def test_trailing_dot_and_case_are_normalised(scan_options: ScanOptions) -> None:
    evaluation = evaluate_spf("Strict.SPF.test.", "192.0.2.5", scan_options)
    assert (evaluation.domain, evaluation.result) == ("strict.spf.test", "pass")
    assert evaluation.to_json()["mechanism"] == "ip4:192.0.2.0/24"


def test_ipv4_mapped_client_is_treated_as_ipv4(scan_options: ScanOptions) -> None:
    assert evaluate("strict", "::ffff:192.0.2.5", scan_options) == "pass"


def test_invalid_ip_is_a_value_error(scan_options: ScanOptions) -> None:
    with pytest.raises(ValueError):
        evaluate_spf("strict.spf.test", "192.0.2.300", scan_options)


def test_evaluations_leave_pyspf_s_module_global_alone(
    scan_options: ScanOptions,
) -> None:
    installed = pyspf.DNSLookup
    evaluate("strict", UNLISTED_V4, scan_options)
    evaluate("inc-servfail", UNLISTED_V4, scan_options)
    assert pyspf.DNSLookup is installed


def test_a_slow_evaluation_does_not_hold_up_another(
    scan_options: ScanOptions, dns_server_factory: Callable[..., DnsServer]
) -> None:
    """No lock: while one evaluation waits on a silent resolver, another one finishes."""
    silent = dns_server_factory(mode="timeout")
    slow_options = options_for(silent, timeout=5.0, retries=0)
    slow: list[SpfEvaluation] = []
    thread = threading.Thread(
        target=lambda: slow.append(
            evaluate_spf("strict.spf.test", UNLISTED_V4, slow_options, time_limit=3.0)
        )
    )
    thread.start()
    deadline = time.monotonic() + 30
    while silent.queries < 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # polls the server's counter, bounded by the deadline
    fast = evaluate("strict", "192.0.2.5", scan_options)
    slow_still_waiting = thread.is_alive()
    thread.join()
    assert (fast, slow_still_waiting) == ("pass", True)
    assert slow[0].result == "temperror"
    assert TIME_LIMIT_REACHED in slow[0].explanation


def test_the_time_limit_cuts_a_lookup_the_resolver_would_wait_longer_for(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    silent = dns_server_factory(mode="timeout")
    evaluation = evaluate_spf(
        "strict.spf.test",
        UNLISTED_V4,
        options_for(silent, timeout=5.0, retries=2),
        time_limit=0.3,
    )
    assert evaluation.result == "temperror"
    assert TIME_LIMIT_REACHED in evaluation.explanation
    assert (
        silent.queries == 1
    )  # one attempt, cut short; three of five seconds were allowed


def test_later_lookups_get_only_what_is_left_of_the_limit(
    scan_options: ScanOptions,
) -> None:
    """The record answers at once; the include behind it never does."""
    capped = evaluate_spf(
        "inc-timeout.spf.test", UNLISTED_V4, scan_options, time_limit=0.2
    )
    assert capped.result == "temperror"
    assert TIME_LIMIT_REACHED in capped.explanation
    uncapped = evaluate_spf("inc-timeout.spf.test", UNLISTED_V4, scan_options)
    assert uncapped.result == "temperror"
    assert TIME_LIMIT_REACHED not in uncapped.explanation


def test_concurrent_evaluations_give_the_sequential_results(
    scan_options: ScanOptions,
) -> None:
    cases = [
        ("strict", "192.0.2.5"),
        ("softfail", UNLISTED_V4),
        ("eleven", UNLISTED_V4),
        ("inc-servfail", UNLISTED_V4),
    ] * 4
    expected = [evaluate(label, ip, scan_options) for label, ip in cases]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(
            pool.map(lambda case: evaluate(case[0], case[1], scan_options), cases)
        )
    assert got == expected
    assert set(expected) == {"pass", "softfail", "permerror", "temperror"}


def test_lookup_maps_outcomes_to_pyspf_shapes(scan_options: ScanOptions) -> None:
    lookup = make_lookup(make_sync_resolver(scan_options))
    assert lookup("strict.spf.test", "TXT", True, 1) == [
        (("strict.spf.test", "TXT"), (b"v=spf1 ip4:192.0.2.0/24 -all",))
    ]
    assert lookup("split.spf.test", "TXT", True, 1)[0][1] == (
        b"v=spf1 ip4:192.0.2.1",
        b" -all",
    )
    assert lookup("mxhost.spf.test", "MX", True, 1) == [
        (("mxhost.spf.test", "MX"), (10, "host1.spf.test."))
    ]
    assert lookup("host1.spf.test", "AAAA", True, 1) == [
        (("host1.spf.test", "AAAA"), "2001:db8::101")
    ]
    assert lookup("gone.spf.test", "TXT", True, 1) == []  # NXDOMAIN
    assert lookup("notxt.spf.test", "TXT", True, 1) == []  # NODATA
    with pytest.raises(pyspf.TempError):
        lookup("broken.spf.test", "TXT", True, 1)
    with pytest.raises(pyspf.TempError):
        lookup("slow.spf.test", "TXT", True, 1)


def test_sync_resolver_uses_the_scan_options(scan_options: ScanOptions) -> None:
    resolver = make_sync_resolver(scan_options)
    assert isinstance(resolver, dns.resolver.Resolver)
    host, port = scan_options.nameservers[0]
    assert [(ns.address, ns.port) for ns in resolver.nameservers] == [(host, port)]
    assert (resolver.timeout, resolver.lifetime, resolver.edns, resolver.payload) == (
        scan_options.timeout,
        scan_options.lifetime,
        0,
        scan_options.edns_payload,
    )
