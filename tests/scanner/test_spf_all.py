"""The effective ``all`` of an SPF record and what it says about the domain.

RFC 7208 4.7, 5.1 and 6.1: the terminal qualifier, through ``redirect=``, ``no_senders`` and the
warnings (docs/result-schema.md ``spf``). Scenarios: tests/zones/spf-cases.zone and spf-rules.zone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.dnsserver import DnsServer
from tests.scanner.helpers import SPF_CASES, SPF_RULES, spf, spf_eval, summary

# =============================================================================================
# The all qualifier, no_senders and warnings (RFC 7208 4.7, 5.1, 6.1)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # (state, effective all, lookups, void_lookups)
        ("all-fail", ("valid", "-all", 0, 0)),
        ("all-soft", ("valid", "~all", 0, 0)),
        ("all-neutral", ("valid", "?all", 0, 0)),
        ("all-plus", ("valid", "+all", 0, 0)),
        # RFC 7208 4.6.2: no qualifier is "+"; docs/scanner-decisions.md 1.6: keep "+all".
        ("all-bare", ("valid", "+all", 0, 0)),
        # RFC 7208 4.7: no all, no redirect -> neutral; contract: all null.
        ("all-missing", ("valid", None, 0, 0)),
        # RFC 7208 4.7: "v=spf1" alone is legal, neutral.
        ("sel-bare", ("valid", None, 0, 0)),
        ("syn-spaces-only", ("valid", None, 0, 0)),
        # RFC 7208 6.1: the effective all is the redirect target's; redirect counts (4.6.4).
        ("all-redirect", ("valid", "-all", 1, 0)),
        ("all-redirect-soft", ("valid", "~all", 1, 0)),
        ("all-redirect-noall", ("valid", None, 1, 0)),
        ("all-redirect-chain", ("valid", "~all", 2, 0)),
        # RFC 7208 5.1: redirect is ignored (not evaluated, not counted) when all is
        # present, whatever the order.
        ("all-and-redirect", ("valid", "~all", 0, 0)),
        ("redirect-and-all", ("valid", "-all", 0, 0)),
        # RFC 7208 5.2: an included +all does not change this record's all.
        ("all-include-plus", ("valid", "-all", 1, 0)),
        # RFC 7208 4.6.1, RFC 5234 2.3: mechanism names case-insensitive.
        ("all-mech-case", ("valid", "-all", 1, 0)),
        # RFC 7208 5.1: terms after all are never evaluated, so never looked up.
        ("all-after", ("valid", "-all", 0, 0)),
        # RFC 7208 6: modifier names are case-insensitive: REDIRECT= is a redirect.
        ("mod-case", ("valid", "-all", 1, 0)),
    ],
)
def test_all_qualifier_states(scan: Any, label: str, expected: tuple[Any, ...]) -> None:
    assert summary(scan, SPF_CASES(label)) == expected


@pytest.mark.parametrize(
    ("label", "warning"),
    [
        # docs/scanner-decisions.md 1.6, 1.7; docs/result-schema.md warnings: +all, ptr, no all,
        # redirect ignored because of all, terms after all, macro-dependent terms
        # (docs/scanner-decisions.md 1.4).
        ("all-plus", "plus-all"),
        ("all-bare", "plus-all"),
        ("all-include-plus", "plus-all"),
        ("all-missing", "no-all-defaults-to-neutral"),
        ("all-redirect-noall", "no-all-defaults-to-neutral"),
        ("all-and-redirect", "redirect-ignored-with-all"),
        ("redirect-and-all", "redirect-ignored-with-all"),
        ("all-after", "mechanisms-after-all"),
        ("syn-ptr", "ptr-used"),
        ("cnt-kinds", "ptr-used"),
        ("mac-exists", "macro-dependent-term"),
        ("mac-include", "macro-dependent-term"),
        ("all-neutral", "neutral-all"),
    ],
)
def test_warnings(scan: Any, label: str, warning: str) -> None:
    s = spf(scan, SPF_CASES(label))
    assert s["state"] == "valid"
    assert warning in s["warnings"]


def test_strict_record_has_no_warnings(scan: Any) -> None:
    # A clean "-all" record is legal and unremarkable: nothing to warn about.
    assert spf(scan, SPF_CASES("all-fail"))["warnings"] == []


@pytest.mark.parametrize(
    ("label", "no_senders"),
    [
        # docs/result-schema.md / docs/scanner-decisions.md 1.6: "v=spf1 -all" authorises nobody
        # (parked domains).
        ("all-parked", True),
        ("sel-upper", True),
        # RFC 7208 5.1: redirect ignored -> the record is just "-all".
        ("redirect-and-all", True),
        # RFC 7208 6.1: the effective record is the parked target's "-all".
        ("nosend-redir", True),
        # Records that list senders are not "no senders".
        ("all-fail", False),
        ("all-redirect", False),
        ("cnt-sum10", False),
    ],
)
def test_no_senders(scan: Any, label: str, no_senders: bool) -> None:
    assert spf(scan, SPF_CASES(label))["no_senders"] is no_senders


@pytest.mark.parametrize("label", ["sel-bare", "all-neutral-only"])
def test_neutral_record_is_not_locked_down(scan: Any, label: str) -> None:
    # docs/scanner-decisions.md 1.6: "v=spf1" with no terms "is valid syntax -> neutral:
    # published, but says nothing", and "?all" means "record says nothing about the rest";
    # no_senders exists to separate the "locked-down" parked practice ("v=spf1 -all", "the
    # strongest SPF", docs/result-schema.md) from the rest. A record that leaves everyone
    # neutral is not that.
    s = spf(scan, SPF_CASES(label))
    assert s["state"] == "valid"
    assert s["no_senders"] is False


# =============================================================================================
# The effective all through redirect (docs/scanner-decisions.md 1.6)
# =============================================================================================


def test_redirect_to_plus_all_is_plus_all(scan: Any, dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 1.6: "With redirect=, the effective all is the target's"; "for
    # +all keep +all" and warn (1.7).
    s = spf(scan, SPF_RULES("redir-plusall"))
    assert (s["state"], s["all"], s["lookups"], s["no_senders"]) == (
        "valid",
        "+all",
        1,
        False,
    )
    assert "plus-all" in s["warnings"]
    assert spf_eval(dns_server, SPF_RULES("redir-plusall"))["result"] == "pass"


def test_redirect_to_neutral_all(scan: Any, dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 1.6: ?all through redirect is "?all" (neutral).
    s = spf(scan, SPF_RULES("redir-neut"))
    assert (s["state"], s["all"]) == ("valid", "?all")
    assert "neutral-all" in s["warnings"]
    assert spf_eval(dns_server, SPF_RULES("redir-neut"))["result"] == "neutral"
    assert (
        spf_eval(dns_server, SPF_RULES("redir-neut"), "192.0.2.50")["result"] == "pass"
    )
    # RFC 7208 6.1: the target is evaluated in place of the record: its list applies.
    assert (
        spf_eval(dns_server, SPF_RULES("redir-neut"), "192.0.2.31")["result"] == "pass"
    )


def test_redirect_to_parked_record_from_a_sending_record(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.6: effective all -all; but the record lists a sender, so it is
    # not the "no host may use this domain" lock-down (no_senders false).
    s = spf(scan, SPF_RULES("redir-locked-ip"))
    assert (s["state"], s["all"], s["no_senders"]) == ("valid", "-all", False)
    assert (
        spf_eval(dns_server, SPF_RULES("redir-locked-ip"), "192.0.2.51")["result"]
        == "pass"
    )
    assert spf_eval(dns_server, SPF_RULES("redir-locked-ip"))["result"] == "fail"
