"""Independent black-box audit of the SPF check (tests/zones/audit-spf.zone).

Expectations come from RFC 7208, shared/SPEC-BRIEF.md (sections 0 and 1) and the result
contract (shared/DESIGN.md, docs/result-schema.md), written before reading the scanner's own
SPF tests. Every scenario is scanned through the public entry point ``check_domain`` (or the
CLI) and judged on the JSON contract's ``spf`` object.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner import check_domain
from tests.conftest import options_for
from tests.dnsserver import DnsServer

ROOT = Path(__file__).resolve().parents[2]
Z = "audit-spf.test"
CLI_TIMEOUT = ["--timeout", "0.3", "--retries", "1"]


def scan_json(scan: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    result = scan(lambda ctx: check_domain(name, ctx), **kwargs)
    data: dict[str, Any] = result.to_json()
    return data


def spf(scan: Any, label: str) -> dict[str, Any]:
    data = scan_json(scan, f"{label}.{Z}")
    assert data["domain"] == f"{label}.{Z}"
    spf_json: dict[str, Any] = data["spf"]
    return spf_json


def summary(scan: Any, label: str) -> tuple[Any, ...]:
    s = spf(scan, label)
    return (s["state"], s["all"], s["lookups"], s["void_lookups"])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spf_eval(server: DnsServer, domain: str, ip: str) -> dict[str, Any]:
    done = run_cli(
        "spf-eval", domain, ip, "--nameserver", server.nameserver, *CLI_TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


# =============================================================================================
# 1. Record selection (RFC 7208 3.3, 4.5; SPEC-BRIEF 1.1; section 0 item 3)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "state", "record"),
    [
        # RFC 5234 2.3: ABNF literals are case-insensitive, "V=SPF1" is an SPF record.
        ("sel-upper", "valid", "V=SPF1 -all"),
        # RFC 7208 4.5: "v=spf10" is not version "v=spf1" followed by SP or end.
        ("sel-spf10", "none", None),
        # RFC 7208 4.5: "v=spf1-all" is not an SPF record.
        ("sel-nospace", "none", None),
        # RFC 7208 3.3: strings joined with nothing between: "v=spf1" "-all" -> v=spf1-all.
        ("sel-split-nosep", "none", None),
        # RFC 7208 3.3: one RR of two strings is one record, joined without a separator.
        ("sel-split", "valid", "v=spf1 ip4:192.0.2.1 -all"),
        # RFC 7208 3.3: a split in the middle of a term (and of "all") joins back.
        ("sel-split-mid", "valid", "v=spf1 ip4:192.0.2.1 -all"),
        # RFC 7208 4.5: a leading space means the record does not begin with v=spf1.
        ("sel-lead-space", "none", None),
        # RFC 7208 4.5: version followed by TAB is not "v=spf1" + SP: not SPF at all.
        ("sel-tab-first", "none", None),
        # RFC 7208 12 ABNF: several SP between terms and trailing SP are legal.
        ("sel-trail-space", "valid", "v=spf1 ip4:192.0.2.1  -all "),
        # RFC 7208 4.5: non-SPF TXT (tokens, spf2.0/pra, v=spf10) beside one SPF record.
        ("sel-others", "valid", "v=spf1 mx:mxh.audit-spf.test -all"),
        # RFC 7208 3.3, 3.4; SPEC-BRIEF 7.4: a TXT set over 512 octets (TCP) with a split SPF.
        (
            "sel-big",
            "valid",
            "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip4:203.0.113.0/24 ip6:2001:db8::/32 -all",
        ),
        # RFC 7208 4.3: NOERROR without TXT -> none.
        ("sel-txt-nodata", "none", None),
        # RFC 7208 3.1: only TXT is used; a type-99 record alone is no SPF record.
        ("only99", "none", None),
        ("legacy99", "valid", "v=spf1 ip4:192.0.2.1 -all"),
        # RFC 7208 4.3 + RFC 1034 3.6.2: the TXT lookup follows a CNAME at the checked name.
        ("sel-cname", "valid", "v=spf1 ip4:192.0.2.0/24 -all"),
    ],
)
def test_record_selection(
    scan: Any, label: str, state: str, record: str | None
) -> None:
    s = spf(scan, label)
    assert (s["state"], s["record"]) == (state, record)


@pytest.mark.parametrize("label", ["sel-two", "sel-two-case", "inc-two"])
def test_two_spf_records_are_permerror(scan: Any, label: str) -> None:
    # RFC 7208 4.5: more than one v=spf1 record (whatever their case, RFC 5234 2.3) is a
    # permerror, also when reached through an include (5.2). SPEC-BRIEF 1.1 item 6.
    assert spf(scan, label)["state"] == "permerror"


@pytest.mark.parametrize("label", ["sel-tab", "sel-cr", "sel-nonascii"])
def test_bad_characters_are_permerror(scan: Any, label: str) -> None:
    # RFC 7208 4.6.1 / 12: terms are separated by SP only; TAB, CR and non-ASCII bytes are
    # syntax errors (SPEC-BRIEF 1.1 item 7, 1.2; official cases control-char-policy).
    assert spf(scan, label)["state"] == "permerror"


def test_nxdomain_apex_is_none_and_status_nxdomain(scan: Any) -> None:
    # RFC 7208 4.3: NXDOMAIN -> none; DESIGN.md: the domain itself is status nxdomain.
    data = scan_json(scan, f"nothere.{Z}")
    assert data["status"] == "nxdomain"
    assert (data["spf"]["state"], data["spf"]["record"]) == ("none", None)


def test_input_with_trailing_dot_and_capitals_is_normalised(scan: Any) -> None:
    # SPEC-BRIEF section 0 item 9 and 7.6: strip one trailing dot, lower-case; pyspf would
    # return none for "example.com." -- the scanner must find the record.
    data = scan_json(scan, "SEL-Upper.Audit-SPF.Test.")
    assert data["domain"] == f"sel-upper.{Z}"
    assert (data["spf"]["state"], data["spf"]["all"]) == ("valid", "-all")


def test_record_has_no_raw_control_characters(scan: Any) -> None:
    # docs/result-schema.md, spf.record: "as published (control and non-ASCII characters
    # escaped)"; DESIGN.md "DNS content is hostile input: escape it everywhere".
    record = spf(scan, "sel-cr")["record"]
    assert record is not None
    assert not any(ord(char) < 0x20 or ord(char) == 0x7F for char in record), record


# =============================================================================================
# 2. The all qualifier (RFC 7208 4.7, 5.1, 6.1; SPEC-BRIEF 1.6; DESIGN.md spf.all)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # (state, effective all, lookups, void_lookups)
        ("all-fail", ("valid", "-all", 0, 0)),
        ("all-soft", ("valid", "~all", 0, 0)),
        ("all-neutral", ("valid", "?all", 0, 0)),
        ("all-plus", ("valid", "+all", 0, 0)),
        # RFC 7208 4.6.2: no qualifier is "+"; SPEC-BRIEF 1.6: keep "+all".
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
    assert summary(scan, label) == expected


@pytest.mark.parametrize(
    ("label", "warning"),
    [
        # SPEC-BRIEF 1.6, 1.7; docs/result-schema.md warnings: +all, ptr, no all, redirect
        # ignored because of all, terms after all, macro-dependent terms (SPEC-BRIEF 1.4).
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
    s = spf(scan, label)
    assert s["state"] == "valid"
    assert warning in s["warnings"]


def test_strict_record_has_no_warnings(scan: Any) -> None:
    # A clean "-all" record is legal and unremarkable: nothing to warn about.
    assert spf(scan, "all-fail")["warnings"] == []


@pytest.mark.parametrize(
    ("label", "no_senders"),
    [
        # DESIGN.md / SPEC-BRIEF 1.6: "v=spf1 -all" authorises nobody (parked domains).
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
    assert spf(scan, label)["no_senders"] is no_senders


@pytest.mark.parametrize("label", ["sel-bare", "all-neutral-only"])
def test_neutral_record_is_not_locked_down(scan: Any, label: str) -> None:
    # SPEC-BRIEF 1.6: "v=spf1" with no terms "is valid syntax -> neutral: published, but says
    # nothing", and "?all" means "record says nothing about the rest"; no_senders exists to
    # separate the "locked-down" parked practice ("v=spf1 -all", "the strongest SPF",
    # docs/result-schema.md) from the rest. A record that leaves everyone neutral is not that.
    s = spf(scan, label)
    assert s["state"] == "valid"
    assert s["no_senders"] is False


# =============================================================================================
# 3. Worst-case lookup counting (RFC 7208 4.6.4; SPEC-BRIEF 0 item 2, 1.4)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # Root 2 includes + branch A 4 + branch B 5 = 11: each branch alone is under 10,
        # the whole tree is over -> permerror (SPEC-BRIEF 1.4 worst case over the tree).
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
    assert summary(scan, label) == expected


def test_tree_is_kept_past_the_limit(scan: Any) -> None:
    # docs/result-schema.md: "The walk continues past 10 (within a hard bound) so the tree
    # shows which include breaks the limit" -- both branches of the sum-11 tree are there.
    tree = spf(scan, "cnt-sum11")["include_tree"]
    assert tree["domain"] == f"cnt-sum11.{Z}"
    children = [child["domain"] for child in tree["children"]]
    assert children == [f"cnt-b1.{Z}", f"cnt-b2.{Z}"]
    assert [c["domain"] for c in tree["children"][1]["children"]] == [f"leaf.{Z}"]
    twelve = spf(scan, "cnt-twelve")["include_tree"]
    assert [c["domain"] for c in twelve["children"]] == [f"leaf.{Z}"] * 12


def test_fan_out_bomb_is_bounded(scan: Any) -> None:
    # DESIGN.md "bound every loop": 10 includes per level over 5 levels (10^5 paths) must
    # end quickly as a permerror with a bounded tree.
    s = spf(scan, "bomb0")
    assert s["state"] == "permerror"
    assert s["lookups"] > 10

    def nodes(node: dict[str, Any]) -> int:
        return 1 + sum(nodes(child) for child in node["children"])

    assert nodes(s["include_tree"]) < 1000


# =============================================================================================
# 4. Void lookups (RFC 7208 4.6.4; SPEC-BRIEF 1.4)
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
    s = spf(scan, label)
    assert (
        s["state"],
        s["void_lookups"],
        s["void_lookups_ipv4"],
        s["void_lookups_ipv6"],
    ) == expected


# =============================================================================================
# 5. include / redirect targets, loops (RFC 7208 5.2, 6.1, 4.6.4)
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
    s = spf(scan, label)
    assert s["state"] == "permerror"
    assert s["errors"], s


@pytest.mark.parametrize("label", ["loop-a", "loop-self", "loop-redir-a"])
def test_loops_are_permerror(scan: Any, label: str) -> None:
    # SPEC-BRIEF 1.4: loops exhaust the 10-term limit -> permerror; the walk is bounded.
    s = spf(scan, label)
    assert s["state"] == "permerror"


@pytest.mark.parametrize("label", ["loop-a", "loop-self", "loop-redir-a"])
def test_loop_worst_case_lookups_exceed_the_limit(scan: Any, label: str) -> None:
    # RFC 7208 4.6.4 / SPEC-BRIEF 1.4: a loop is a permerror *because* evaluation exhausts
    # the 10-term limit; DESIGN.md: spf.lookups is the worst-case count and "over 10 is
    # permerror". The worst case of a loop is unbounded, so lookups must be over 10, not
    # the 1 or 2 terms seen before the walk noticed the cycle.
    s = spf(scan, label)
    assert s["lookups"] > 10, (s["lookups"], s["errors"])


# =============================================================================================
# 6. DNS failures anywhere in the tree (RFC 7208 2.6.6, 4.4, 5; SPEC-BRIEF 0 item 1, 7.2)
# =============================================================================================


@pytest.mark.parametrize(
    "label",
    [
        "fail-inc-timeout",  # include target times out -> temperror, never none
        "fail-inc-servfail",  # include target SERVFAIL
        "fail-redir-refused",  # redirect target REFUSED
        "fail-a-servfail",  # a: target SERVFAIL (RFC 7208 5: RCODE not 0/3 -> temperror)
        "inc-cname-servfail",  # include target is a CNAME into a SERVFAILing name
    ],
)
def test_dns_failure_in_tree_is_temperror(scan: Any, label: str) -> None:
    s = spf(scan, label)
    assert s["state"] == "temperror"
    assert s["errors"], s


def test_apex_servfail_is_temperror_not_none(scan: Any) -> None:
    # SPEC-BRIEF 0 item 1, 7.3: apex TXT and MX both fail -> status error, spf temperror.
    data = scan_json(scan, f"apex-servfail.{Z}")
    assert data["status"] == "error"
    assert data["spf"]["state"] == "temperror"


def test_permerror_beats_temperror_and_both_are_listed(scan: Any) -> None:
    # docs/result-schema.md spf.state: one branch SERVFAIL, another without SPF ->
    # permerror (a retry cannot change it), and the DNS failure is still in errors.
    s = spf(scan, "fail-and-perm")
    assert s["state"] == "permerror"
    assert len(s["errors"]) == 2
    assert any("tgt-servfail" in error for error in s["errors"])
    assert any("nospf" in error for error in s["errors"])


@pytest.mark.parametrize("label", ["fail-redir-ignored", "fail-after-all"])
def test_failures_in_terms_never_evaluated_do_not_matter(scan: Any, label: str) -> None:
    # RFC 7208 5.1: a redirect beside all, and terms after all, are never evaluated, so a
    # receiver never meets their DNS failure.
    s = spf(scan, label)
    assert (s["state"], s["lookups"], s["errors"]) == ("valid", 0, [])


def test_truncated_include_answer_is_fetched_over_tcp(scan: Any) -> None:
    # RFC 7766 / SPEC-BRIEF 7.4: TC=1 over UDP -> retry over TCP, not an error.
    assert summary(scan, "inc-trunc") == ("valid", "-all", 1, 0)


def test_dropped_first_query_is_retried(scan: Any, dns_server_factory: Any) -> None:
    # SPEC-BRIEF 8.4 retries: one lost UDP answer with retries left is not a temperror.
    # A private server of this zone alone: drop-first state is per server (conftest).
    zone = ROOT / "tests" / "zones" / "audit-spf.zone"
    server = dns_server_factory(zone_texts=[zone.read_text(encoding="utf-8")])
    s = scan_json(scan, f"inc-dropfirst.{Z}", options=options_for(server))["spf"]
    assert (s["state"], s["lookups"]) == ("valid", 1)


# =============================================================================================
# 7. MX name limit (RFC 7208 4.6.4)
# =============================================================================================


def test_mx_with_eleven_names_is_permerror(scan: Any) -> None:
    # RFC 7208 4.6.4: an mx term must not look up more than 10 exchange addresses ->
    # permerror; the mx term itself is still one lookup.
    s = spf(scan, "mx-eleven")
    assert (s["state"], s["lookups"]) == ("permerror", 1)


# =============================================================================================
# 8. Macros (RFC 7208 7; SPEC-BRIEF 1.4, 1.5)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "state", "lookups"),
    [
        # Counted, not queried, valid: exists:%{i}._spf.%{d} style services.
        ("mac-exists", "valid", 1),
        ("mac-include", "valid", 1),
        # %%, %_, %- escapes and r/digit transformers are legal.
        ("mac-escapes", "valid", 1),
        ("syn-upper-macro", "valid", 1),
        # Unknown letter, unterminated macro, bad escape, c/r/t outside exp, digit 0.
        ("mac-bad-letter", "permerror", 0),
        ("mac-unterminated", "permerror", 0),
        ("mac-bad-escape", "permerror", 0),
        ("mac-exp-only", "permerror", 0),
        ("syn-d0-macro", "permerror", 0),
    ],
)
def test_macros(scan: Any, label: str, state: str, lookups: int) -> None:
    s = spf(scan, label)
    assert (s["state"], s["lookups"]) == (state, lookups)


# =============================================================================================
# 9. Syntax (RFC 7208 4.6, 5, 6, 12; SPEC-BRIEF 1.2)
# =============================================================================================


@pytest.mark.parametrize(
    "label",
    [
        "syn-unknown",  # unknown mechanism foo:
        "syn-cidr4",  # ip4 /33
        "syn-cidr6",  # ip6 /129
        "syn-ip4-host",  # ip4: with a host name
        "syn-ip4-short",  # ip4:192.0.2
        "syn-ip4-leading0",  # dec-octet has no leading zero
        "syn-cidr-leading0",  # ip4-cidr-length has no leading zero
        "syn-ip4-dual",  # ip4 takes no dual CIDR
        "syn-ip6-v4",  # an IPv4 address is not an ip6-network
        "syn-after-all",  # 4.6: whole record checked, an error after all still counts
        "syn-a-badcidr",  # a:/33
        "syn-a-numeric",  # a:192.0.2.1 -- toplabel cannot be all digits (7.1)
        "syn-include-nodot",  # include:localhost -- not a valid domain-end
        "syn-include-empty",  # include:
        "syn-include-cidr",  # include takes no CIDR
        "syn-exists-bare",  # exists needs a domain
        "syn-ptr-empty",  # ptr: with nothing
        "syn-empty-cidr",  # ip4:x/
        "syn-comma",  # commas are not separators
        "syn-double-qual",  # +-all
        "syn-all-arg",  # all:foo
        "syn-modifier-qual",  # qualifiers apply to mechanisms only
        "syn-mod-dup-redir",  # 6: redirect twice
        "mod-dup-case",  # 6: redirect twice, different case
        "syn-mod-dup-exp",  # 6: exp twice
        "syn-mod-empty-redir",  # redirect= with no domain
        "syn-exp-empty",  # exp= with no domain
        "mod-bad-macro",  # unknown-modifier value is a macro-string (12): %{x} invalid
        "mod-bad-name",  # modifier name starts with ALPHA; not a mechanism either
    ],
)
def test_syntax_errors_are_permerror(scan: Any, label: str) -> None:
    s = spf(scan, label)
    assert s["state"] == "permerror"
    assert s["errors"], s


@pytest.mark.parametrize(
    "label", ["syn-mod-unknown", "syn-ip6-ok", "syn-ip6-mapped", "syn-ptr"]
)
def test_legal_oddities_are_valid(scan: Any, label: str) -> None:
    # RFC 7208 6: unknown modifiers MUST be ignored; ip6 forms from RFC 4291 2.2; ptr is
    # legal though discouraged (5.5).
    s = spf(scan, label)
    assert (s["state"], s["all"]) == ("valid", "-all")


# =============================================================================================
# 10. The CLI: check --json and spf-eval (DESIGN.md public interface; SPEC-BRIEF 0 item 2)
# =============================================================================================


def test_cli_check_json(dns_server: DnsServer) -> None:
    done = run_cli(
        "check",
        "--json",
        "--nameserver",
        dns_server.nameserver,
        *CLI_TIMEOUT,
        f"cnt-sum11.{Z}",
        f"sel-split.{Z}",
        f"fail-inc-timeout.{Z}",
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    got = [
        (r["domain"], r["spf"]["state"], r["spf"]["all"], r["spf"]["lookups"])
        for r in rows
    ]
    assert got == [
        (f"cnt-sum11.{Z}", "permerror", "-all", 11),
        (f"sel-split.{Z}", "valid", "-all", 0),
        (f"fail-inc-timeout.{Z}", "temperror", "-all", 1),
    ]


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
        # SPEC-BRIEF 0 item 2 / 1.8: path dependence -- the sum-11 record passes a sender
        # matched by the first ip4 and is a permerror for one that matches nothing.
        ("cnt-sum11", "192.0.2.7", "pass"),
        ("cnt-sum11", "203.0.113.5", "permerror"),
        # RFC 7208 5.2: include target timing out -> temperror.
        ("fail-inc-timeout", "203.0.113.5", "temperror"),
        # RFC 7208 5.7: exists asks A also for IPv6 clients -> 3 voids for IPv6 only.
        ("void-exists-a", "2001:db8::99", "permerror"),
        ("void-exists-a", "192.0.2.99", "fail"),
        # SPEC-BRIEF 0 item 9: a trailing dot must not turn a record into none.
        ("all-fail.", "203.0.113.5", "fail"),
        ("ALL-SOFT", "203.0.113.5", "softfail"),
    ],
)
def test_spf_eval(dns_server: DnsServer, domain: str, ip: str, result: str) -> None:
    # "all-fail." -> "all-fail.audit-spf.test." (the input keeps its trailing dot)
    name = f"{domain}{Z}." if domain.endswith(".") else f"{domain}.{Z}"
    got = spf_eval(dns_server, name, ip)
    assert got["result"] == result, got
