"""What a receiver concludes for one sender: ``python -m scanner spf-eval DOMAIN IP``.

RFC 7208 4.6.2 (first match), 5.2 (include results), 6.1 (redirect), 6.2 (exp=), and the pyspf
behaviours the command exposes (docs/scanner-decisions.md 1.8). Scenarios:
tests/zones/spf-cases.zone and spf-rules.zone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.dnsserver import DnsServer
from tests.scanner.helpers import SPF_CASES, SPF_RULES, UNLISTED, spf, spf_eval

# =============================================================================================
# Results by sender, through spf-eval (spf-cases.zone)
# =============================================================================================


@pytest.mark.parametrize(
    ("domain", "ip", "result"),
    [
        # RFC 7208 4.6.2 / 2.6: the qualifier of the matching term is the result.
        ("sel-split", "192.0.2.1", "pass"),
        ("sel-split", "203.0.113.5", "fail"),
        ("all-soft", "203.0.113.5", "softfail"),
        ("all-neutral", "203.0.113.5", "neutral"),
        # RFC 7208 4.7: no match, no redirect -> neutral.
        ("all-missing", "203.0.113.5", "neutral"),
        # RFC 7208 6.1: redirect target decides.
        ("all-redirect", "192.0.2.20", "pass"),
        ("all-redirect", "203.0.113.5", "fail"),
        # docs/scanner-decisions.md 0.2 / 1.8: path dependence -- the sum-11 record passes a sender
        # matched by the first ip4 and is a permerror for one that matches nothing.
        ("cnt-sum11", "192.0.2.7", "pass"),
        ("cnt-sum11", "203.0.113.5", "permerror"),
        # RFC 7208 5.2: include target timing out -> temperror.
        ("fail-inc-timeout", "203.0.113.5", "temperror"),
        # RFC 7208 5.7: exists asks A also for IPv6 clients -> 3 voids for IPv6 only.
        ("void-exists-a", "2001:db8::99", "permerror"),
        ("void-exists-a", "192.0.2.99", "fail"),
        # docs/scanner-decisions.md 0.9: a trailing dot must not turn a record into none.
        ("all-fail.", "203.0.113.5", "fail"),
        ("ALL-SOFT", "203.0.113.5", "softfail"),
    ],
)
def test_spf_eval(dns_server: DnsServer, domain: str, ip: str, result: str) -> None:
    # "all-fail." -> "all-fail.spf-cases.test." (the input keeps its trailing dot)
    name = f"{domain}{SPF_CASES}." if domain.endswith(".") else f"{domain}.{SPF_CASES}"
    got = spf_eval(dns_server, name, ip)
    assert got["result"] == result, got


# =============================================================================================
# Evaluation semantics, as a receiver sees them (RFC 7208 4.6.2, 5.2, 5.1)
# =============================================================================================


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        ("192.0.2.1", "fail", "-ip4:192.0.2.1"),
        ("192.0.2.2", "softfail", "~ip4:192.0.2.2"),
        ("192.0.2.3", "neutral", "?ip4:192.0.2.3"),
        ("192.0.2.4", "pass", "+ip4:192.0.2.4"),
        ("192.0.2.5", "pass", "ip4:192.0.2.5"),  # no qualifier is "+"
        (UNLISTED, "fail", "-all"),
    ],
)
def test_first_match_gives_its_qualifier(
    dns_server: DnsServer, ip: str, result: str, mechanism: str
) -> None:
    # docs/scanner-decisions.md 1.2 qualifiers; 1.3: left to right, the first match decides, and
    # the result is its qualifier (RFC 7208 4.6.2).
    got = spf_eval(dns_server, SPF_RULES("quals"), ip)
    assert (got["result"], got["mechanism"]) == (result, mechanism)


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        # pass in the target -> the include matches
        ("192.0.2.30", "pass", "include:soft.spf-rules.test"),
        ("192.0.2.32", "pass", "include:tfail.spf-rules.test"),
        # softfail, neutral and fail in the targets -> no match; evaluation goes on
        ("192.0.2.33", "pass", "ip4:192.0.2.33"),
        (UNLISTED, "fail", "-all"),
    ],
)
def test_include_target_results_map_to_match_or_no_match(
    dns_server: DnsServer, ip: str, result: str, mechanism: str
) -> None:
    # docs/scanner-decisions.md 1.3 include table (RFC 7208 5.2): pass -> match;
    # fail/softfail/neutral -> no match.
    got = spf_eval(dns_server, SPF_RULES("inc-results"), ip)
    assert (got["result"], got["mechanism"]) == (result, mechanism)


@pytest.mark.parametrize(
    ("ip", "result"),
    [
        ("192.0.2.32", "fail"),  # -include matched
        ("192.0.2.30", "softfail"),  # ~include matched
        ("192.0.2.31", "neutral"),  # ?include matched
        (UNLISTED, "softfail"),  # nothing matched: ~all
    ],
)
def test_include_qualifier_is_the_result_of_a_match(
    dns_server: DnsServer, ip: str, result: str
) -> None:
    # docs/scanner-decisions.md 1.3: "the result is its qualifier" holds for include too (RFC
    # 7208 5.2).
    assert spf_eval(dns_server, SPF_RULES("inc-qual"), ip)["result"] == result


@pytest.mark.parametrize(
    ("label", "result"), [("all-then-redir", "fail"), ("redir-then-all", "softfail")]
)
def test_redirect_beside_all_is_ignored_by_a_receiver(
    dns_server: DnsServer, label: str, result: str
) -> None:
    # docs/scanner-decisions.md 1.3: all makes any redirect ignored, wherever it stands (RFC 7208
    # 5.1); the target is "+all".
    assert spf_eval(dns_server, SPF_RULES(label))["result"] == result


def test_ignored_redirect_is_not_an_eleventh_lookup(scan: Any) -> None:
    # docs/scanner-decisions.md 1.4: ten a: terms, then -all; the redirect beside all is never
    # evaluated, so the worst case is 10 -> valid.
    s = spf(scan, SPF_RULES("ten-all-redir"))
    assert (s["state"], s["all"], s["lookups"]) == ("valid", "-all", 10)
    assert "redirect-ignored-with-all" in s["warnings"]


def test_ignored_redirect_is_not_an_eleventh_lookup_for_a_receiver(
    dns_server: DnsServer,
) -> None:
    # RFC 7208 5.1 ("redirect MUST be ignored" when all is present) and 4.6.4 (the limit is on
    # terms evaluated): an unlisted client meets 10 terms and -all -> fail. The static scan
    # says valid/-all; spf-eval must agree (test_spf_eval's premise).
    got = spf_eval(dns_server, SPF_RULES("ten-all-redir"))
    assert (got["result"], got["lookups"]) == ("fail", 10)


# =============================================================================================
# pyspf behaviours spf-eval exposes: void lookups per query, exp=, trailing dots
# =============================================================================================


def test_aaaa_only_mx_hosts_static_and_per_receiver(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.8: v=spf1 mx -all with three AAAA-only MX hosts is permerror
    # for an IPv4 client and fail for an IPv6 client in pyspf, which counts voids per DNS query.
    # The per-term reading (1.4) is one void term; the scanner warns.
    s = spf(scan, SPF_RULES("mx-aaaa-only"))
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 1, 1)
    assert s["void_lookups_per_query"] == {"ipv4": 3, "ipv6": 0}
    assert "void-lookups-per-query-over-limit" in s["warnings"]
    v4 = spf_eval(dns_server, SPF_RULES("mx-aaaa-only"), "192.0.2.9")
    assert (v4["result"], v4["void_lookups"]) == ("permerror", 3)
    assert (
        spf_eval(dns_server, SPF_RULES("mx-aaaa-only"), "2001:db8::99")["result"]
        == "fail"
    )


def test_exp_text_is_the_fail_explanation(dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 1.8 "exp= causes an extra TXT query"; RFC 7208 6.2: the
    # explanation string is macro-expanded (%{i}, %{d}).
    got = spf_eval(dns_server, SPF_RULES("exp-fail"))
    assert (got["result"], got["explanation"]) == (
        "fail",
        f"{UNLISTED} is not allowed to send for exp-fail.{SPF_RULES}",
    )


@pytest.mark.parametrize(
    ("label", "foreign"),
    [
        ("exp-servfail", "never read"),  # DNS error fetching exp: ignored
        ("exp-missing", "not allowed"),  # no TXT at the exp domain
        ("exp-multi", "explanation"),  # two TXT RRs: ignored
        ("exp-redir", "not allowed"),  # the original record's exp does not carry over
        ("exp-inc", "target says no"),  # an included record's exp is never used
    ],
)
def test_exp_problems_never_change_the_result(
    dns_server: DnsServer, label: str, foreign: str
) -> None:
    # docs/scanner-decisions.md 1.3: "The original record's exp= does not carry over"
    # (redirect); RFC 7208 6.2: DNS errors, no record or several records at the exp domain ->
    # proceed as if no exp were given (never temperror); 5.2 note: an include's exp is not used.
    got = spf_eval(dns_server, SPF_RULES(label))
    assert got["result"] == "fail"
    assert foreign not in got["explanation"]


def test_redirect_target_own_exp_is_used(dns_server: DnsServer) -> None:
    # RFC 7208 6.1/6.2: after redirect, the target's record (with its exp=) is the record.
    got = spf_eval(dns_server, SPF_RULES("exp-redir-own"))
    assert (got["result"], got["explanation"]) == (
        "fail",
        f"target says no to {UNLISTED}",
    )


def test_exp_target_failure_is_no_concern_of_the_static_scan(scan: Any) -> None:
    # docs/scanner-decisions.md 1.4: exp does not count; 1.7: "exp= present (harmless)": its DNS
    # failure is neither an error nor a temperror.
    s = spf(scan, SPF_RULES("exp-servfail"))
    assert (s["state"], s["lookups"], s["errors"]) == ("valid", 0, [])
    assert "exp-present" in s["warnings"]


def test_spf_eval_strips_the_trailing_dot_before_pyspf(dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 0.9 / 1.8: pyspf returns none for "example.com."; strip it. The
    # %{d} expansion in the explanation shows the domain pyspf saw.
    got = spf_eval(dns_server, f"EXP-Fail.{SPF_RULES}.", UNLISTED)
    assert (got["domain"], got["result"]) == (f"exp-fail.{SPF_RULES}", "fail")
    assert got["explanation"].endswith(f"for exp-fail.{SPF_RULES}")
