"""SPEC-BRIEF sentence-by-sentence pass for SPF (tests/zones/brief-spf.zone).

Covers SPEC-BRIEF section 0 items 2, 3 and 9, section 1 (1.1 to 1.8, including the pyspf facts
that ``python -m scanner spf-eval`` exposes) and section 5 where Sender ID meets SPF record
selection. Only scenarios the earlier suites (test_spf*.py, test_audit_spf.py) do not already
pin are here. Each test names its source. Static results are judged on the JSON contract
(``check_domain(...).to_json()``, validated against scanner/result-schema.json); receiver
results on the JSON line of the ``spf-eval`` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.rcode
import dns.rdatatype
import jsonschema
import pytest

from scanner import check_domain
from tests.conftest import options_for
from tests.dnsserver import DnsServer

ROOT = Path(__file__).resolve().parents[2]
Z = "brief-spf.test"
CLI_DNS = ["--timeout", "0.3", "--retries", "1"]
UNLISTED = "203.0.113.9"  # TEST-NET-3: listed by no record of this zone
SCHEMA = json.loads((ROOT / "scanner" / "result-schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
# RFC 8601 2.7.2 / RFC 7208 2.6: the words a receiver's spf result may take (SPEC-BRIEF 9).
AR_SPF_WORDS = {
    "none",
    "pass",
    "fail",
    "softfail",
    "neutral",
    "temperror",
    "permerror",
}


def scan_json(scan: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    data: dict[str, Any] = scan(lambda ctx: check_domain(name, ctx), **kwargs).to_json()
    errors = [error.message for error in VALIDATOR.iter_errors(data)]
    assert errors == [], errors
    return data


def spf(scan: Any, label: str, zone: str = Z, **kwargs: Any) -> dict[str, Any]:
    data = scan_json(scan, f"{label}.{zone}", **kwargs)
    spf_json: dict[str, Any] = data["spf"]
    return spf_json


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
    """``python -m scanner spf-eval DOMAIN IP --nameserver H:P`` (DESIGN.md interface)."""
    done = run_cli("spf-eval", domain, ip, "--nameserver", server.nameserver, *CLI_DNS)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # SPEC-BRIEF 1.8 / 9: strict mode, RFC 7208 names only ("hardfail", "ambiguous" never).
    assert data["result"] in AR_SPF_WORDS, data
    return data


def ev(server: DnsServer, label: str, ip: str = UNLISTED) -> dict[str, Any]:
    return spf_eval(server, f"{label}.{Z}", ip)


# =============================================================================================
# Section 0 item 3, 1.1 items 4-6: strings of one RR join, separate RRs are separate records
# =============================================================================================


def test_separate_rrs_are_not_joined(scan: Any, dns_server: DnsServer) -> None:
    # SPEC-BRIEF 0.3: "several TXT RRs are separate records"; RFC 7208 3.3 joins the strings
    # of ONE RR only. " -all" in its own RR is not part of the record (and not SPF itself).
    s = spf(scan, "rr-sep")
    assert (s["state"], s["record"], s["all"]) == (
        "valid",
        "v=spf1 ip4:192.0.2.1",
        None,
    )
    assert "no-all-defaults-to-neutral" in s["warnings"]
    assert s["no_senders"] is False
    # RFC 7208 4.7: no match and no all -> neutral for a receiver too.
    assert ev(dns_server, "rr-sep")["result"] == "neutral"


def test_two_rrs_with_equal_joined_text_are_two_records(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.1 item 6 / RFC 7208 4.5: "v=spf1 -all" and "v=spf1 " "-all" are two RRs
    # (different RDATA) that both select: more than one record -> permerror, never deduped.
    s = spf(scan, "two-same-text")
    assert s["state"] == "permerror"
    assert s["errors"]
    assert s["no_senders"] is False
    assert ev(dns_server, "two-same-text")["result"] == "permerror"


def test_bad_second_record_does_not_leave_the_good_one_selected(scan: Any) -> None:
    # SPEC-BRIEF 1.1 item 6: selection counts records by version tag before parsing them;
    # two v=spf1 records are a permerror even if one of them is broken.
    s = spf(scan, "two-one-bad")
    assert s["state"] == "permerror"
    assert any("2 SPF records" in error for error in s["errors"]), s["errors"]


@pytest.mark.parametrize("label", ["split-version", "split-empty"])
def test_strings_join_with_nothing_between(
    scan: Any, dns_server: DnsServer, label: str
) -> None:
    # SPEC-BRIEF 1.1 item 4 / RFC 7208 3.3: "v=" "spf1 -all" and "v=spf1 " "" "-all" are
    # "v=spf1 -all": the split may fall anywhere, empty strings add nothing.
    s = spf(scan, label)
    assert (s["state"], s["record"], s["all"], s["no_senders"]) == (
        "valid",
        "v=spf1 -all",
        "-all",
        True,
    )
    assert ev(dns_server, label)["result"] == "fail"


def test_leading_space_is_no_record_for_a_receiver_either(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.1 item 5: a leading space means the text does not begin with v=spf1.
    assert (
        spf(scan, "lead-space")["state"],
        ev(dns_server, "lead-space")["result"],
    ) == (
        "none",
        "none",
    )


def test_record_longer_than_4096_octets_is_read_whole(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.1 item 4 / RFC 7208 3.3: all character-strings of the RR are joined; a
    # 4254-octet record (18 strings of 250) ends in "-all". Cutting it changes its meaning
    # (here: "no all", neutral) -- the record is legal, only over the 512 guidance (3.4).
    s = spf(scan, "big")
    assert s["state"] == "valid"
    assert s["all"] == "-all"
    assert s["record"] is not None and len(s["record"]) == 4254
    assert "record-over-450-bytes" in s["warnings"]
    assert "no-all-defaults-to-neutral" not in s["warnings"]
    # A receiver reads the whole record: an unlisted client fails.
    assert ev(dns_server, "big")["result"] == "fail"


@pytest.mark.parametrize(("label", "warned"), [("len450", False), ("len451", True)])
def test_record_size_warning_starts_above_450_octets(
    scan: Any, label: str, warned: bool
) -> None:
    # SPEC-BRIEF 1.7: "record > 450 bytes (close to the 512 guidance)"; the 450-octet record
    # is split over two strings, the joined length is what counts (RFC 7208 3.3).
    s = spf(scan, label)
    assert (s["state"], s["all"]) == ("valid", "-all")
    assert len(s["record"]) == int(label[3:])
    assert ("record-over-450-bytes" in s["warnings"]) is warned


# =============================================================================================
# Section 5 with 1.1: spf2.0 records are Sender ID, never SPF records
# =============================================================================================


def test_sender_id_records_beside_spf_do_not_count_as_spf(scan: Any) -> None:
    # SPEC-BRIEF 5: spf2.0 records "never count as SPF records (do not trigger the multiple
    # v=spf1 permerror)"; they are reported as found, with their scopes, as historic.
    data = scan_json(scan, f"sid-beside.{Z}")
    s = data["spf"]
    assert (s["state"], s["record"], s["all"]) == (
        "valid",
        "v=spf1 ip4:192.0.2.1 ~all",
        "~all",
    )
    sid = data["sender_id"]
    assert sid["state"] == "found"
    assert sorted(sid["records"]) == [
        "spf2.0/mfrom ip4:192.0.2.0/24 -all",
        "spf2.0/pra ip4:192.0.2.0/24 -all",
    ]
    assert sorted(sid["scopes"]) == ["mfrom", "pra"]
    assert sid["historic"] is True


def test_sender_id_alone_is_no_spf(scan: Any, dns_server: DnsServer) -> None:
    # SPEC-BRIEF 5 and 1.1 item 5: "spf2.0/..." is not an SPF v1 record: SPF none; its
    # "+all" says nothing about SPF's all.
    data = scan_json(scan, f"sid-only.{Z}")
    assert data["status"] == "ok"
    s = data["spf"]
    assert (s["state"], s["record"], s["all"], s["warnings"]) == (
        "none",
        None,
        None,
        [],
    )
    assert data["sender_id"]["state"] == "found"
    assert data["sender_id"]["record"] == "spf2.0/mfrom,pra ip4:192.0.2.1 +all"
    assert ev(dns_server, "sid-only", "192.0.2.1")["result"] == "none"


def test_upper_case_sender_id_beside_a_parked_spf(scan: Any) -> None:
    # SPEC-BRIEF 5 ("starting spf2.0/ (case-insensitive)") and 1.6 (v=spf1 -all is the
    # locked-down record): the Sender ID "+all" does not leak into SPF.
    data = scan_json(scan, f"sid-upper.{Z}")
    s = data["spf"]
    assert (s["state"], s["all"], s["no_senders"]) == ("valid", "-all", True)
    assert "plus-all" not in s["warnings"]
    assert data["sender_id"]["state"] == "found"


def test_two_spf_records_beside_sender_id_are_still_permerror(scan: Any) -> None:
    # SPEC-BRIEF 1.1 item 6 with 5: the two v=spf1 records decide, the spf2.0 one is apart.
    data = scan_json(scan, f"sid-twospf.{Z}")
    assert data["spf"]["state"] == "permerror"
    assert data["sender_id"]["state"] == "found"


def test_v_spf1_inside_a_sender_id_record_is_not_spf(scan: Any) -> None:
    # SPEC-BRIEF 1.1 item 5: the record must BEGIN with "v=spf1".
    data = scan_json(scan, f"sid-embedded.{Z}")
    assert (data["spf"]["state"], data["sender_id"]["state"]) == ("none", "found")


@pytest.mark.parametrize("label", ["inc-sid", "redir-sid"])
def test_include_or_redirect_to_a_sender_id_only_domain_is_permerror(
    scan: Any, dns_server: DnsServer, label: str
) -> None:
    # SPEC-BRIEF 1.3: include target "none -> permerror"; redirect "target without an SPF
    # record -> permerror"; SPEC-BRIEF 5: an spf2.0 record is no SPF record.
    s = spf(scan, label)
    assert (s["state"], s["lookups"]) == ("permerror", 1)
    assert ev(dns_server, label, "192.0.2.1")["result"] == "permerror"


# =============================================================================================
# 1.1 items 1 and 3: malformed names, every RCODE other than NOERROR/NXDOMAIN
# =============================================================================================


def test_include_of_a_malformed_domain_is_permerror(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.1 item 1 (RFC 7208 4.3): a domain with a label over 63 octets gives "none"
    # without a query; SPEC-BRIEF 1.3: an include whose target is none is a permerror.
    s = spf(scan, "inc-longlabel")
    assert (s["state"], s["lookups"]) == ("permerror", 1)
    assert ev(dns_server, "inc-longlabel")["result"] == "permerror"


@pytest.mark.parametrize(
    "domain",
    [f"{'a' * 65}.{Z}", f"a..b.{Z}"],
)
def test_spf_eval_of_a_malformed_domain_is_none(
    dns_server: DnsServer, domain: str
) -> None:
    # SPEC-BRIEF 1.1 item 1 (malformed -> none) and 1.8 ("any other dnspython exception
    # escapes check() -- wrap every call"): no traceback, the RFC answer.
    assert spf_eval(dns_server, domain, UNLISTED)["result"] == "none"


def test_macro_expanding_to_a_malformed_name_does_not_crash(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.8 (wrap every call): exists:%{l}x7 expands to a 70-octet label for
    # "postmaster"; the lookup finds nothing, the record's -all decides.
    assert spf(scan, "mac-longlabel")["state"] == "valid"
    assert ev(dns_server, "mac-longlabel")["result"] == "fail"


RCODE_ZONE = """
$ORIGIN brief-spf-rcode.test.
@                 SOA   ns.brief-spf-rcode.test. h.brief-spf-rcode.test. 1 3600 600 86400 300
@                 NS    ns.brief-spf-rcode.test.
ns                A     127.0.0.1
rc-notimp         TXT   "v=spf1 -all"
rc-formerr        TXT   "v=spf1 -all"
rc-yxdomain       TXT   "v=spf1 -all"
rc-notauth        TXT   "v=spf1 -all"
rctxt-servfail    TXT   "v=spf1 -all"
rctxt-servfail    MX    10 mx.brief-spf-rcode.test.
mx                A     192.0.2.25
inc-notimp        TXT   "v=spf1 include:rc-notimp.brief-spf-rcode.test -all"
inc-formerr       TXT   "v=spf1 ip4:192.0.2.1 include:rc-formerr.brief-spf-rcode.test -all"
redir-yxdomain    TXT   "v=spf1 redirect=rc-yxdomain.brief-spf-rcode.test"
a-notauth         TXT   "v=spf1 a:rc-notauth.brief-spf-rcode.test -all"
"""
RCODES = {
    b"rc-notimp": dns.rcode.NOTIMP,
    b"rc-formerr": dns.rcode.FORMERR,
    b"rc-yxdomain": dns.rcode.YXDOMAIN,
    b"rc-notauth": dns.rcode.NOTAUTH,
}


class RcodeServer(DnsServer):
    """The zone server, answering names labelled ``rc-<rcode>`` with that RCODE (every
    type), and ``rctxt-servfail`` with SERVFAIL for TXT only (its MX answers)."""

    def answer(self, question: Any, tcp: bool) -> tuple[bytes | None, bool]:
        for label, rcode in RCODES.items():
            if label in question.key:
                return self.wire.rcode_only(question, rcode), True
        if b"rctxt-servfail" in question.key and question.rdtype == dns.rdatatype.TXT:
            return self.wire.rcode_only(question, dns.rcode.SERVFAIL), True
        return super().answer(question, tcp)


@pytest.fixture(scope="module")
def rcode_server() -> Any:
    with RcodeServer(None, [RCODE_ZONE]) as server:
        yield server


@pytest.mark.parametrize(
    "label", ["rc-notimp", "rc-formerr", "rc-yxdomain", "rc-notauth"]
)
def test_apex_answered_with_another_rcode_is_temperror(
    scan: Any, rcode_server: RcodeServer, label: str
) -> None:
    # SPEC-BRIEF 1.1 item 3: "SERVFAIL, REFUSED, any other RCODE, or timeout -> temperror";
    # 0.1 / 7.3: TXT and MX both failing -> status error, never "none".
    data = scan_json(
        scan, f"{label}.brief-spf-rcode.test", options=options_for(rcode_server)
    )
    assert data["status"] == "error"
    assert data["spf"]["state"] == "temperror"
    assert data["sender_id"]["state"] == "temperror"


def test_apex_txt_failure_with_mx_answering_is_temperror_status_ok(
    scan: Any, rcode_server: RcodeServer
) -> None:
    # SPEC-BRIEF 1.1 item 3 and DESIGN.md: temperror "is never reported as none"; the domain
    # exists (its MX answers), so status stays ok (docs/result-schema.md status).
    data = scan_json(
        scan, "rctxt-servfail.brief-spf-rcode.test", options=options_for(rcode_server)
    )
    assert data["status"] == "ok"
    assert data["mx"]["state"] == "found"
    assert (data["spf"]["state"], data["spf"]["record"]) == ("temperror", None)
    assert data["spf"]["errors"]
    assert data["sender_id"]["state"] == "temperror"


@pytest.mark.parametrize(
    "label", ["inc-notimp", "inc-formerr", "redir-yxdomain", "a-notauth"]
)
def test_other_rcodes_inside_the_tree_are_temperror(
    scan: Any, rcode_server: RcodeServer, label: str
) -> None:
    # SPEC-BRIEF 1.3: "DNS errors inside mechanisms: RCODE other than 0/3, or timeout ->
    # temperror for the whole check"; 7.2: temperror <- any DNS failure in the tree.
    s = spf(scan, label, "brief-spf-rcode.test", options=options_for(rcode_server))
    assert s["state"] == "temperror"
    assert s["errors"]
    assert (
        spf_eval(rcode_server, f"{label}.brief-spf-rcode.test", UNLISTED)["result"]
        == "temperror"
    )


# =============================================================================================
# 1.2 syntax
# =============================================================================================


@pytest.mark.parametrize(
    "label",
    [
        "ctl-lf",  # LF between terms: the official "badip" case (only SP separates terms)
        "ctl-nul",  # NUL byte inside the record
        "dash-allmod",  # "-allfoo=bar": a qualifier makes it a directive, and no mechanism
        "mx-badcidr6",  # mx//129: ip6-cidr-length is 0-128 (RFC 7208 5.6)
        "ptr-cidr",  # ptr takes no CIDR (RFC 7208 5.5 ABNF)
        "a-empty",  # "a:" with an empty domain-spec
    ],
)
def test_syntax_errors(scan: Any, label: str) -> None:
    # SPEC-BRIEF 1.2: separators are only SP; an unknown mechanism or malformed term is a
    # syntax error -> permerror (RFC 7208 4.6.1, 12).
    s = spf(scan, label)
    assert s["state"] == "permerror"
    assert s["errors"]


def test_lf_separated_record_is_permerror_for_a_receiver(dns_server: DnsServer) -> None:
    # SPEC-BRIEF 1.2: official test "badip" (a "\n" between terms) -> permerror.
    assert ev(dns_server, "ctl-lf", "192.0.2.1")["result"] == "permerror"


def test_equals_sign_after_colon_is_a_mechanism(scan: Any) -> None:
    # RFC 7208 12: "exists:foo=bar..." -- the ":" comes first, so it is the exists mechanism
    # (1 lookup, NXDOMAIN: 1 void), not a modifier.
    s = spf(scan, "exists-eq")
    assert (s["state"], s["all"], s["lookups"], s["void_lookups"]) == (
        "valid",
        "-all",
        1,
        1,
    )


def test_modifier_named_like_all_is_an_unknown_modifier(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.2: unknown modifiers MUST be ignored; "allfoo=bar" is name "allfoo" (RFC
    # 7208 12 name = ALPHA ...), so the record has no all at all -> neutral.
    s = spf(scan, "allmod")
    assert (s["state"], s["all"]) == ("valid", None)
    assert "unknown-modifier" in s["warnings"]
    assert ev(dns_server, "allmod")["result"] == "neutral"


def test_unknown_modifier_may_repeat(scan: Any) -> None:
    # SPEC-BRIEF 1.2: only redirect and exp "MUST appear at most once"; RFC 7208 6:
    # "Unrecognized modifiers MUST be ignored no matter where, or how often, they appear".
    s = spf(scan, "unk-mod-twice")
    assert (s["state"], s["all"], s["no_senders"]) == ("valid", "-all", True)


def test_unknown_modifier_may_repeat_for_a_receiver(dns_server: DnsServer) -> None:
    # RFC 7208 6 (as above): spf-eval "evaluates SPF as a receiver would (RFC 7208)"; an
    # unlisted client of "v=spf1 foo=a foo=b -all" fails, it is not a permerror.
    assert ev(dns_server, "unk-mod-twice")["result"] == "fail"


def test_unknown_modifiers_with_macros_cost_no_lookup(scan: Any) -> None:
    # SPEC-BRIEF 1.4: only include, a, mx, ptr, exists and redirect count; an unknown
    # modifier is ignored (1.2), whatever macros it holds.
    s = spf(scan, "unk-mod-macro")
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 0, 0)


@pytest.mark.parametrize(
    ("ip", "result"),
    [
        ("192.0.2.99", "pass"),  # h has A 192.0.2.10: /24 covers .99
        ("2001:db8::ffff", "pass"),  # h has AAAA 2001:db8::10: //64 covers it
        ("198.51.100.1", "fail"),
        ("2001:db8:1::1", "fail"),
    ],
)
def test_dual_cidr_applies_per_family(
    dns_server: DnsServer, ip: str, result: str
) -> None:
    # SPEC-BRIEF 1.2 "Dual CIDR is /v4len//v6len (a, mx only)"; 1.3 a looks up A for IPv4
    # clients and AAAA for IPv6 clients.
    assert ev(dns_server, "dual-cidr", ip)["result"] == result


# =============================================================================================
# 1.3 evaluation semantics, as a receiver (spf-eval) sees them
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
    # SPEC-BRIEF 1.2 qualifiers; 1.3 "left to right; the first match decides; the result is
    # its qualifier" (RFC 7208 4.6.2).
    got = ev(dns_server, "quals", ip)
    assert (got["result"], got["mechanism"]) == (result, mechanism)


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        # pass in the target -> the include matches
        ("192.0.2.30", "pass", "include:soft.brief-spf.test"),
        ("192.0.2.32", "pass", "include:tfail.brief-spf.test"),
        # softfail, neutral and fail in the targets -> no match; evaluation goes on
        ("192.0.2.33", "pass", "ip4:192.0.2.33"),
        (UNLISTED, "fail", "-all"),
    ],
)
def test_include_target_results_map_to_match_or_no_match(
    dns_server: DnsServer, ip: str, result: str, mechanism: str
) -> None:
    # SPEC-BRIEF 1.3 include table (RFC 7208 5.2): pass -> match; fail/softfail/neutral ->
    # no match.
    got = ev(dns_server, "inc-results", ip)
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
    # SPEC-BRIEF 1.3: "the result is its qualifier" holds for include too (RFC 7208 5.2).
    assert ev(dns_server, "inc-qual", ip)["result"] == result


@pytest.mark.parametrize(
    ("label", "result"), [("all-then-redir", "fail"), ("redir-then-all", "softfail")]
)
def test_redirect_beside_all_is_ignored_by_a_receiver(
    dns_server: DnsServer, label: str, result: str
) -> None:
    # SPEC-BRIEF 1.3: "Any redirect is ignored when the record has an all anywhere,
    # regardless of order" (RFC 7208 5.1); the target is "+all".
    assert ev(dns_server, label)["result"] == result


def test_ignored_redirect_is_not_an_eleventh_lookup(scan: Any) -> None:
    # SPEC-BRIEF 1.4: ten a: terms, then -all; the redirect beside all is never evaluated, so
    # the worst case is 10 -> valid.
    s = spf(scan, "ten-all-redir")
    assert (s["state"], s["all"], s["lookups"]) == ("valid", "-all", 10)
    assert "redirect-ignored-with-all" in s["warnings"]


def test_ignored_redirect_is_not_an_eleventh_lookup_for_a_receiver(
    dns_server: DnsServer,
) -> None:
    # RFC 7208 5.1 ("redirect MUST be ignored" when all is present) and 4.6.4 (the limit is on
    # terms evaluated): an unlisted client meets 10 terms and -all -> fail. The static scan
    # says valid/-all; spf-eval must agree (test_spf_eval's premise).
    got = ev(dns_server, "ten-all-redir")
    assert (got["result"], got["lookups"]) == ("fail", 10)


# =============================================================================================
# Section 0 item 2, 1.4, 1.8: worst case over the tree vs one receiver's path
# =============================================================================================


def test_terms_after_an_include_of_plus_all_still_count(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.4: "every term evaluated, every include ... followed"; 1.8: a fixed
    # non-sender IP "still stops at an include whose target has +all" (trustymail's trap).
    # Worst case 1 + 10 = 11 -> permerror; a receiver passes everyone at the first include.
    s = spf(scan, "inc-plus-eleven")
    assert (s["state"], s["all"], s["lookups"]) == ("permerror", "-all", 11)
    got = ev(dns_server, "inc-plus-eleven")
    assert (got["result"], got["lookups"]) == ("pass", 1)


def test_macro_terms_are_counted_but_never_void(scan: Any) -> None:
    # SPEC-BRIEF 1.4: macro targets: "count the term, do not query it, add a warning".
    s = spf(scan, "mac-nocount-void")
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 3, 0)
    assert "macro-dependent-term" in s["warnings"]


def test_voids_per_family_take_the_larger(scan: Any) -> None:
    # SPEC-BRIEF 1.4: a/mx voids differ by address family, exists always asks A (1.3):
    # IPv4 client: a:h6only + exists = 2; IPv6 client: a:h4only + exists = 2 -> 2, valid.
    s = spf(scan, "void-mixed")
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 3, 2)
    assert (s["void_lookups_ipv4"], s["void_lookups_ipv6"]) == (2, 2)


def test_trailing_dots_in_domain_specs(scan: Any) -> None:
    # SPEC-BRIEF 0.9 (trailing dots) with RFC 7208 7.1 domain-end "." toplabel ["."]: the
    # a, mx and exists targets with a final dot exist; nothing is void.
    s = spf(scan, "a-dot")
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 3, 0)


# =============================================================================================
# 1.5 macros
# =============================================================================================


def test_p_macro_is_flagged(scan: Any) -> None:
    # SPEC-BRIEF 1.5: "%{p} is marked do not use" (RFC 7208 7.2); flag macro dependence.
    s = spf(scan, "mac-p")
    assert (s["state"], s["lookups"]) == ("valid", 1)
    assert {"p-macro-used", "macro-dependent-term"} <= set(s["warnings"])


@pytest.mark.parametrize(
    "label",
    [
        "mac-bad-delim",  # ";" is not a delimiter
        "mac-empty",  # %{} has no letter
        "mac-trailing-pct",  # a lone % at the end
        "mac-digits-after",  # digits come before the delimiters
        "mac-exp-r",  # r is allowed only in the explanation TEXT, not the exp= domain
    ],
)
def test_bad_macros_are_permerror(scan: Any, label: str) -> None:
    # SPEC-BRIEF 1.5: "Any other % sequence is a syntax error -> permerror"; "c r t only
    # inside exp= text".
    assert spf(scan, label)["state"] == "permerror"


def test_exp_only_letter_in_exp_domain_is_permerror_for_a_receiver(
    dns_server: DnsServer,
) -> None:
    # SPEC-BRIEF 1.5 (c r t only inside exp= text), pyspf agrees.
    assert ev(dns_server, "mac-exp-r")["result"] == "permerror"


@pytest.mark.parametrize(
    ("label", "lookups"), [("mac-all-delims", 1), ("mac-exp-ok", 0)]
)
def test_legal_macros(scan: Any, label: str, lookups: int) -> None:
    # SPEC-BRIEF 1.5: every delimiter ". - + , / _ =" after digits and r; a macro in the
    # exp= domain is legal and exp= costs no lookup (1.4).
    s = spf(scan, label)
    assert (s["state"], s["all"], s["lookups"]) == ("valid", "-all", lookups)


# =============================================================================================
# 1.6 the effective all through redirect
# =============================================================================================


def test_redirect_to_plus_all_is_plus_all(scan: Any, dns_server: DnsServer) -> None:
    # SPEC-BRIEF 1.6: "With redirect=, the effective all is the target's"; "for +all keep
    # +all" and warn (1.7).
    s = spf(scan, "redir-plusall")
    assert (s["state"], s["all"], s["lookups"], s["no_senders"]) == (
        "valid",
        "+all",
        1,
        False,
    )
    assert "plus-all" in s["warnings"]
    assert ev(dns_server, "redir-plusall")["result"] == "pass"


def test_redirect_to_neutral_all(scan: Any, dns_server: DnsServer) -> None:
    # SPEC-BRIEF 1.6: ?all through redirect is "?all" (neutral).
    s = spf(scan, "redir-neut")
    assert (s["state"], s["all"]) == ("valid", "?all")
    assert "neutral-all" in s["warnings"]
    assert ev(dns_server, "redir-neut")["result"] == "neutral"
    assert ev(dns_server, "redir-neut", "192.0.2.50")["result"] == "pass"
    # RFC 7208 6.1: the target is evaluated in place of the record: its list applies.
    assert ev(dns_server, "redir-neut", "192.0.2.31")["result"] == "pass"


def test_redirect_to_parked_record_from_a_sending_record(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.6: effective all -all; but the record lists a sender, so it is not the
    # "no host may use this domain" lock-down (no_senders false).
    s = spf(scan, "redir-locked-ip")
    assert (s["state"], s["all"], s["no_senders"]) == ("valid", "-all", False)
    assert ev(dns_server, "redir-locked-ip", "192.0.2.51")["result"] == "pass"
    assert ev(dns_server, "redir-locked-ip")["result"] == "fail"


# =============================================================================================
# 1.8 pyspf facts exposed by spf-eval: void lookups per query, exp=, trailing dots
# =============================================================================================


def test_aaaa_only_mx_hosts_static_and_per_receiver(
    scan: Any, dns_server: DnsServer
) -> None:
    # SPEC-BRIEF 1.8 (verified example): "v=spf1 mx -all with three AAAA-only MX hosts is
    # permerror for an IPv4 client and fail for an IPv6 client" in pyspf, which counts voids
    # per DNS query. The per-term reading (1.4) is one void term; the scanner warns.
    s = spf(scan, "mx-aaaa-only")
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 1, 1)
    assert s["void_lookups_per_query"] == {"ipv4": 3, "ipv6": 0}
    assert "void-lookups-per-query-over-limit" in s["warnings"]
    v4 = ev(dns_server, "mx-aaaa-only", "192.0.2.9")
    assert (v4["result"], v4["void_lookups"]) == ("permerror", 3)
    assert ev(dns_server, "mx-aaaa-only", "2001:db8::99")["result"] == "fail"


def test_exp_text_is_the_fail_explanation(dns_server: DnsServer) -> None:
    # SPEC-BRIEF 1.8 "exp= causes an extra TXT query"; RFC 7208 6.2: the explanation string
    # is macro-expanded (%{i}, %{d}).
    got = ev(dns_server, "exp-fail")
    assert (got["result"], got["explanation"]) == (
        "fail",
        f"{UNLISTED} is not allowed to send for exp-fail.{Z}",
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
    # SPEC-BRIEF 1.3: "The original record's exp= does not carry over" (redirect); RFC 7208
    # 6.2: DNS errors, no record or several records at the exp domain -> proceed as if no
    # exp were given (never temperror); 5.2 note: an include's exp is not used.
    got = ev(dns_server, label)
    assert got["result"] == "fail"
    assert foreign not in got["explanation"]


def test_redirect_target_own_exp_is_used(dns_server: DnsServer) -> None:
    # RFC 7208 6.1/6.2: after redirect, the target's record (with its exp=) is the record.
    got = ev(dns_server, "exp-redir-own")
    assert (got["result"], got["explanation"]) == (
        "fail",
        f"target says no to {UNLISTED}",
    )


def test_exp_target_failure_is_no_concern_of_the_static_scan(scan: Any) -> None:
    # SPEC-BRIEF 1.4: exp does not count; 1.7: "exp= present (harmless)": its DNS failure is
    # neither an error nor a temperror.
    s = spf(scan, "exp-servfail")
    assert (s["state"], s["lookups"], s["errors"]) == ("valid", 0, [])
    assert "exp-present" in s["warnings"]


def test_spf_eval_strips_the_trailing_dot_before_pyspf(dns_server: DnsServer) -> None:
    # SPEC-BRIEF 0.9 / 1.8: pyspf returns none for "example.com."; strip it. The %{d}
    # expansion in the explanation shows the domain pyspf saw.
    got = spf_eval(dns_server, f"EXP-Fail.{Z}.", UNLISTED)
    assert (got["domain"], got["result"]) == (f"exp-fail.{Z}", "fail")
    assert got["explanation"].endswith(f"for exp-fail.{Z}")


# =============================================================================================
# 1.4 PTR names (private server with a reverse zone)
# =============================================================================================

PTR_ZONES = [
    """
$ORIGIN brief-spf-ptr.test.
@          SOA   ns.brief-spf-ptr.test. h.brief-spf-ptr.test. 1 3600 600 86400 300
@          NS    ns.brief-spf-ptr.test.
ns         A     127.0.0.1
ptr-eval   TXT   "v=spf1 ptr -all"
good.ptr-eval A  192.0.2.77
"""
    + "".join(f"n{i}.ptr-eval A 198.51.100.{i}\n" for i in range(1, 13)),
    """
$ORIGIN 2.0.192.in-addr.arpa.
@          SOA   ns.brief-spf-ptr.test. h.brief-spf-ptr.test. 1 3600 600 86400 300
@          NS    ns.brief-spf-ptr.test.
77         PTR   good.ptr-eval.brief-spf-ptr.test.
"""
    + "".join(f"78 PTR n{i}.ptr-eval.brief-spf-ptr.test.\n" for i in range(1, 13)),
]


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
    # SPEC-BRIEF 1.4: ptr is one DNS-querying term; "PTR names: at most 10 validated; extras
    # ignored (no error)"; 1.7 "ptr used" warning.
    server = dns_server_factory(zone_texts=PTR_ZONES)
    s = spf(scan, "ptr-eval", "brief-spf-ptr.test", options=options_for(server))
    assert (s["state"], s["lookups"], s["void_lookups"]) == ("valid", 1, 0)
    assert "ptr-used" in s["warnings"]
    assert spf_eval(server, "ptr-eval.brief-spf-ptr.test", ip)["result"] == result


# =============================================================================================
# DESIGN.md public interface: check --json on a few of these scenarios
# =============================================================================================


def test_cli_check_json_lines(dns_server: DnsServer) -> None:
    # DESIGN.md: one JSON object per line, in input order, the contract keys as named.
    names = ["sid-beside", "rr-sep", "two-same-text", "inc-plus-eleven"]
    done = run_cli(
        "check",
        "--json",
        "--nameserver",
        dns_server.nameserver,
        *CLI_DNS,
        *(f"{label}.{Z}" for label in names),
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    got = [
        (
            row["domain"],
            row["spf"]["state"],
            row["spf"]["all"],
            row["spf"]["lookups"],
            row["sender_id"]["state"],
        )
        for row in rows
    ]
    assert got == [
        (f"sid-beside.{Z}", "valid", "~all", 0, "found"),
        (f"rr-sep.{Z}", "valid", None, 0, "none"),
        (f"two-same-text.{Z}", "permerror", None, 0, "none"),
        (f"inc-plus-eleven.{Z}", "permerror", "-all", 11, "none"),
    ]
