"""SPF processing limits counted over the whole include/redirect tree (RFC 7208 4.6.4).

A scanner has no sender, so ``lookups`` and ``void_lookups`` are the worst case over every term
(docs/scanner-decisions.md 1.4); loops, include/redirect targets, MX and PTR names.
Scenarios: tests/zones/spf-cases.zone and spf-rules.zone, PTR zones on a private server.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import SPF_CASES, SPF_RULES, spf, spf_eval, summary

PTR_ZONES = [
    """
$ORIGIN spf-rules-ptr.test.
@          SOA   ns.spf-rules-ptr.test. h.spf-rules-ptr.test. 1 3600 600 86400 300
@          NS    ns.spf-rules-ptr.test.
ns         A     127.0.0.1
ptr-eval   TXT   "v=spf1 ptr -all"
good.ptr-eval A  192.0.2.77
"""
    + "".join(f"n{i}.ptr-eval A 198.51.100.{i}\n" for i in range(1, 13)),
    """
$ORIGIN 2.0.192.in-addr.arpa.
@          SOA   ns.spf-rules-ptr.test. h.spf-rules-ptr.test. 1 3600 600 86400 300
@          NS    ns.spf-rules-ptr.test.
77         PTR   good.ptr-eval.spf-rules-ptr.test.
"""
    + "".join(f"78 PTR n{i}.ptr-eval.spf-rules-ptr.test.\n" for i in range(1, 13)),
]


# =============================================================================================
# Worst-case lookup counting (RFC 7208 4.6.4; docs/scanner-decisions.md 1.4)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # Root 2 includes + branch A 4 + branch B 5 = 11: each branch alone is under 10, the
        # whole tree is over -> permerror (docs/scanner-decisions.md 1.4 worst case over the
        # tree).
        ("cnt-sum11", ("permerror", "-all", 11, 0)),
        # The same shape with exactly 10: at the limit is still valid ("> 10").
        ("cnt-sum10", ("valid", "-all", 10, 0)),
        # ip4, ip6, all, exp= do not count.
        ("cnt-zero", ("valid", "-all", 0, 0)),
        # a, mx, ptr, include, exists each count once.
        ("cnt-kinds", ("valid", "-all", 5, 0)),
        # 9 terms + redirect (1) + the target's a (1) = 11.
        ("cnt-redir11", ("permerror", "-all", 11, 0)),
        # Same 9 terms with -all: the redirect is ignored and not counted (RFC 7208 5.1).
        ("cnt-redir-ign", ("valid", "-all", 9, 0)),
        # The same include twice is evaluated twice: 2 * (1 + 5) = 12.
        ("cnt-twice", ("permerror", "-all", 12, 0)),
        # Twelve includes of a leaf.
        ("cnt-twelve", ("permerror", "-all", 12, 0)),
        # A 10-deep include chain is 10; one more level on top is 11.
        ("cnt-deep", ("valid", "-all", 10, 0)),
        ("cnt-deep11", ("permerror", "-all", 11, 0)),
        # An include through a CNAME and one with a trailing dot (RFC 7208 7.1 domain-end).
        ("cnt-cname-dot", ("valid", "-all", 2, 0)),
        # include (1) whose target redirects (1) = 2.
        ("cnt-inc-redir", ("valid", "-all", 2, 0)),
        # One mx term is one lookup, its 10 exchanges are the MX-name limit, not terms.
        ("mx-ten", ("valid", "-all", 1, 0)),
        # Dual CIDR forms are legal (RFC 7208 5.6); the bare a and mx on a name without
        # A/AAAA/MX are two void lookups.
        ("syn-a-cidr", ("valid", "-all", 3, 2)),
        ("syn-mx-dual", ("valid", "-all", 1, 0)),
    ],
)
def test_worst_case_lookups(scan: Any, label: str, expected: tuple[Any, ...]) -> None:
    assert summary(scan, SPF_CASES(label)) == expected


def test_tree_is_kept_past_the_limit(scan: Any) -> None:
    # docs/result-schema.md: "The walk continues past 10 (within a hard bound) so the tree
    # shows which include breaks the limit" -- both branches of the sum-11 tree are there.
    tree = spf(scan, SPF_CASES("cnt-sum11"))["include_tree"]
    assert tree["domain"] == f"cnt-sum11.{SPF_CASES}"
    children = [child["domain"] for child in tree["children"]]
    assert children == [f"cnt-b1.{SPF_CASES}", f"cnt-b2.{SPF_CASES}"]
    assert [c["domain"] for c in tree["children"][1]["children"]] == [
        f"leaf.{SPF_CASES}"
    ]
    twelve = spf(scan, SPF_CASES("cnt-twelve"))["include_tree"]
    assert [c["domain"] for c in twelve["children"]] == [f"leaf.{SPF_CASES}"] * 12


def test_fan_out_bomb_is_bounded(scan: Any) -> None:
    # docs/scanner-decisions.md 10 "bound every loop": 10 includes per level over 5 levels (10^5
    # paths) must end quickly as a permerror with a bounded tree.
    s = spf(scan, SPF_CASES("bomb0"))
    assert s["state"] == "permerror"
    assert s["lookups"] > 10

    def nodes(node: dict[str, Any]) -> int:
        return 1 + sum(nodes(child) for child in node["children"])

    assert nodes(s["include_tree"]) < 1000


# =============================================================================================
# Void lookups (RFC 7208 4.6.4)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # (state, void_lookups, void IPv4 client, void IPv6 client)
        # Two NXDOMAIN a: terms: at the limit, valid.
        ("void-two", ("valid", 2, 2, 2)),
        # NXDOMAIN a:, NODATA mx:, NXDOMAIN exists: -> 3 -> permerror.
        ("void-three", ("permerror", 3, 3, 3)),
        # Voids inside an include count toward the whole evaluation.
        ("void-in-include", ("permerror", 3, 3, 3)),
        # a: names with only AAAA are void for IPv4 clients: worst case 3.
        ("void-v6only", ("permerror", 3, 3, 0)),
        # exists always asks A (RFC 7208 5.7), even for IPv6 clients: IPv6 case 3.
        ("void-exists-a", ("permerror", 3, 2, 3)),
        # a/mx without domain-spec are the *current* domain's (RFC 7208 4.8): the three
        # included "v=spf1 a" targets have no address (3), the root's own a has no AAAA.
        ("void-implicit", ("permerror", 4, 3, 4)),
        # The same void include three times: every occurrence is evaluated.
        ("void-repeat", ("permerror", 3, 3, 3)),
    ],
)
def test_void_lookups(scan: Any, label: str, expected: tuple[Any, ...]) -> None:
    s = spf(scan, SPF_CASES(label))
    assert (
        s["state"],
        s["void_lookups"],
        s["void_lookups_ipv4"],
        s["void_lookups_ipv6"],
    ) == expected


# =============================================================================================
# include / redirect targets, loops (RFC 7208 5.2, 6.1, 4.6.4)
# =============================================================================================


@pytest.mark.parametrize(
    "label",
    [
        "inc-nospf",  # 5.2: include target has TXT but no SPF -> none -> permerror
        "inc-nx",  # 5.2: include target NXDOMAIN -> none -> permerror
        "inc-nodata",  # 5.2: include target without any TXT -> permerror
        "inc-dangling",  # 5.2: include target is a CNAME to nothing -> permerror
        "inc-syntax",  # 5.2: include target with a syntax error -> permerror
        "redir-nospf",  # 6.1: redirect target without SPF -> permerror
        "redir-nx",  # 6.1: redirect target NXDOMAIN -> permerror
        "redir-syntax",  # 6.1: redirect target malformed -> permerror
    ],
)
def test_targets_without_usable_spf_are_permerror(scan: Any, label: str) -> None:
    s = spf(scan, SPF_CASES(label))
    assert s["state"] == "permerror"
    assert s["errors"], s


@pytest.mark.parametrize("label", ["loop-a", "loop-self", "loop-redir-a"])
def test_loops_are_permerror(scan: Any, label: str) -> None:
    # docs/scanner-decisions.md 1.4: loops exhaust the 10-term limit -> permerror; the walk is
    # bounded.
    s = spf(scan, SPF_CASES(label))
    assert s["state"] == "permerror"


@pytest.mark.parametrize("label", ["loop-a", "loop-self", "loop-redir-a"])
def test_loop_worst_case_lookups_exceed_the_limit(scan: Any, label: str) -> None:
    # RFC 7208 4.6.4 / docs/scanner-decisions.md 1.4: a loop is a permerror *because* evaluation
    # exhausts the 10-term limit; docs/result-schema.md: spf.lookups is the worst-case count and
    # "over 10 is permerror". The worst case of a loop is unbounded, so lookups must be over 10,
    # not the 1 or 2 terms seen before the walk noticed the cycle.
    s = spf(scan, SPF_CASES(label))
    assert s["lookups"] > 10, (s["lookups"], s["errors"])


# =============================================================================================
# MX name limit (RFC 7208 4.6.4)
# =============================================================================================


def test_mx_with_eleven_names_is_permerror(scan: Any) -> None:
    # RFC 7208 4.6.4: an mx term must not look up more than 10 exchange addresses ->
    # permerror; the mx term itself is still one lookup.
    s = spf(scan, SPF_CASES("mx-eleven"))
    assert (s["state"], s["lookups"]) == ("permerror", 1)


# =============================================================================================
# Worst case over the tree vs one receiver's path (docs/scanner-decisions.md 0.2, 1.4)
# =============================================================================================


def test_terms_after_an_include_of_plus_all_still_count(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.4: "every term evaluated, every include ... followed"; 1.8: a
    # fixed non-sender IP "still stops at an include whose target has +all" (trustymail's trap).
    # Worst case 1 + 10 = 11 -> permerror; a receiver passes everyone at the first include.
    s = spf(scan, SPF_RULES("inc-plus-eleven"))
    assert (s["state"], s["all"], s["lookups"]) == ("permerror", "-all", 11)
    got = spf_eval(dns_server, SPF_RULES("inc-plus-eleven"))
    assert (got["result"], got["lookups"]) == ("pass", 1)


def test_macro_terms_are_counted_but_never_void(scan: Any) -> None:
    # docs/scanner-decisions.md 1.4: macro targets: "count the term, do not query it, add a
    # warning".
    s = spf(scan, SPF_RULES("mac-nocount-void"))
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 3, 0)
    assert "macro-dependent-term" in s["warnings"]


def test_voids_per_family_take_the_larger(scan: Any) -> None:
    # docs/scanner-decisions.md 1.4: a/mx voids differ by address family, exists always asks A
    # (1.3): IPv4 client: a:h6only + exists = 2; IPv6 client: a:h4only + exists = 2 -> 2, valid.
    s = spf(scan, SPF_RULES("void-mixed"))
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 3, 2)
    assert (s["void_lookups_ipv4"], s["void_lookups_ipv6"]) == (2, 2)


def test_trailing_dots_in_domain_specs(scan: Any) -> None:
    # docs/scanner-decisions.md 0.9 (trailing dots) with RFC 7208 7.1 domain-end "." toplabel
    # ["."]: the a, mx and exists targets with a final dot exist; nothing is void.
    s = spf(scan, SPF_RULES("a-dot"))
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 3, 0)


# =============================================================================================
# PTR names (private server with a reverse zone)
# =============================================================================================


@pytest.mark.parametrize(
    ("ip", "result"),
    [
        ("192.0.2.77", "pass"),  # validated PTR name below the domain
        (
            "192.0.2.78",
            "fail",
        ),  # 12 PTR names, none validates: extras ignored, no error
        ("192.0.2.79", "fail"),  # no PTR at all
    ],
)
def test_ptr_is_static_one_lookup_and_receivers_cap_names(
    scan: Any, dns_server_factory: Any, ip: str, result: str
) -> None:
    # docs/scanner-decisions.md 1.4: ptr is one DNS-querying term; PTR names: at most 10
    # validated, extras ignored (no error); 1.7 ptr-used warning.
    server = dns_server_factory(zone_texts=PTR_ZONES)
    s = spf(scan, "ptr-eval.spf-rules-ptr.test", options=options_for(server))
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 1, 0)
    assert "ptr-used" in s["warnings"]
    assert spf_eval(server, "ptr-eval.spf-rules-ptr.test", ip)["result"] == result
