"""Which TXT records are a domain's SPF record, and which are malformed.

Record selection (RFC 7208 3.3, 4.5), syntax (4.6, 5, 6, 12) and macros (7), judged on the
``spf`` object of the JSON contract (docs/result-schema.md). Scenarios: tests/zones/spf-cases.zone
and tests/zones/spf-rules.zone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.dnsserver import DnsServer
from tests.scanner.helpers import SPF_CASES, SPF_RULES, scan_json, spf, spf_eval

# =============================================================================================
# Record selection (RFC 7208 3.3, 4.5; docs/scanner-decisions.md 1.1)
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
        ("sel-others", "valid", "v=spf1 mx:mxh.spf-cases.test -all"),
        # RFC 7208 3.3, 3.4; docs/scanner-decisions.md 7.4: a TXT set over 512 octets (TCP) with
        # a split SPF.
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
    s = spf(scan, SPF_CASES(label))
    assert (s["state"], s["record"]) == (state, record)


@pytest.mark.parametrize("label", ["sel-two", "sel-two-case", "inc-two"])
def test_two_spf_records_are_permerror(scan: Any, label: str) -> None:
    # RFC 7208 4.5: more than one v=spf1 record (whatever their case, RFC 5234 2.3) is a
    # permerror, also when reached through an include (5.2). docs/scanner-decisions.md 1.1 item 6.
    assert spf(scan, SPF_CASES(label))["state"] == "permerror"


@pytest.mark.parametrize("label", ["sel-tab", "sel-cr", "sel-nonascii"])
def test_bad_characters_are_permerror(scan: Any, label: str) -> None:
    # RFC 7208 4.6.1 / 12: terms are separated by SP only; TAB, CR and non-ASCII bytes are
    # syntax errors (docs/scanner-decisions.md 1.1 item 7, 1.2; official cases
    # control-char-policy).
    assert spf(scan, SPF_CASES(label))["state"] == "permerror"


def test_nxdomain_apex_is_none_and_status_nxdomain(scan: Any) -> None:
    # RFC 7208 4.3: NXDOMAIN -> none; docs/result-schema.md: the domain itself is status nxdomain.
    data = scan_json(scan, f"nothere.{SPF_CASES}")
    assert data["status"] == "nxdomain"
    assert (data["spf"]["state"], data["spf"]["record"]) == ("none", None)


def test_input_with_trailing_dot_and_capitals_is_normalised(scan: Any) -> None:
    # docs/scanner-decisions.md 0.9 and 7.6: strip one trailing dot, lower-case; pyspf would
    # return none for "example.com." -- the scanner must find the record.
    data = scan_json(scan, "SEL-Upper.Spf-Cases.Test.")
    assert data["domain"] == f"sel-upper.{SPF_CASES}"
    assert (data["spf"]["state"], data["spf"]["all"]) == ("valid", "-all")


def test_record_has_no_raw_control_characters(scan: Any) -> None:
    # docs/result-schema.md, spf.record: "as published (control and non-ASCII characters
    # escaped)"; docs/scanner-decisions.md 10 "DNS content is hostile input: escape it everywhere".
    record = spf(scan, SPF_CASES("sel-cr"))["record"]
    assert record is not None
    assert not any(ord(char) < 0x20 or ord(char) == 0x7F for char in record), record


# =============================================================================================
# Macros (RFC 7208 7; docs/scanner-decisions.md 1.5)
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
    s = spf(scan, SPF_CASES(label))
    assert (s["state"], s["lookups"]) == (state, lookups)


# =============================================================================================
# Syntax (RFC 7208 4.6, 5, 6, 12)
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
    s = spf(scan, SPF_CASES(label))
    assert s["state"] == "permerror"
    assert s["errors"], s


@pytest.mark.parametrize(
    "label", ["syn-mod-unknown", "syn-ip6-ok", "syn-ip6-mapped", "syn-ptr"]
)
def test_legal_oddities_are_valid(scan: Any, label: str) -> None:
    # RFC 7208 6: unknown modifiers MUST be ignored; ip6 forms from RFC 4291 2.2; ptr is
    # legal though discouraged (5.5).
    s = spf(scan, SPF_CASES(label))
    assert (s["state"], s["all"]) == ("valid", "-all")


# =============================================================================================
# Strings of one RR join, separate RRs are separate records (RFC 7208 3.3, 4.5)
# =============================================================================================


def test_separate_rrs_are_not_joined(scan: Any, dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 0.3: "several TXT RRs are separate records"; RFC 7208 3.3 joins
    # the strings of ONE RR only. " -all" in its own RR is not part of the record (and not SPF
    # itself).
    s = spf(scan, SPF_RULES("rr-sep"))
    assert (s["state"], s["record"], s["all"]) == (
        "valid",
        "v=spf1 ip4:192.0.2.1",
        None,
    )
    assert "no-all-defaults-to-neutral" in s["warnings"]
    assert s["no_senders"] is False
    # RFC 7208 4.7: no match and no all -> neutral for a receiver too.
    assert spf_eval(dns_server, SPF_RULES("rr-sep"))["result"] == "neutral"


def test_two_rrs_with_equal_joined_text_are_two_records(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.1 item 6 / RFC 7208 4.5: "v=spf1 -all" and "v=spf1 " "-all"
    # are two RRs (different RDATA) that both select: more than one record -> permerror, never
    # deduped.
    s = spf(scan, SPF_RULES("two-same-text"))
    assert s["state"] == "permerror"
    assert s["errors"]
    assert s["no_senders"] is False
    assert spf_eval(dns_server, SPF_RULES("two-same-text"))["result"] == "permerror"


def test_bad_second_record_does_not_leave_the_good_one_selected(scan: Any) -> None:
    # docs/scanner-decisions.md 1.1 item 6: selection counts records by version tag before
    # parsing them; two v=spf1 records are a permerror even if one of them is broken.
    s = spf(scan, SPF_RULES("two-one-bad"))
    assert s["state"] == "permerror"
    assert any("2 SPF records" in error for error in s["errors"]), s["errors"]


@pytest.mark.parametrize("label", ["split-version", "split-empty"])
def test_strings_join_with_nothing_between(
    scan: Any, dns_server: DnsServer, label: str
) -> None:
    # docs/scanner-decisions.md 1.1 item 4 / RFC 7208 3.3: "v=" "spf1 -all" and "v=spf1 " ""
    # "-all" are "v=spf1 -all": the split may fall anywhere, empty strings add nothing.
    s = spf(scan, SPF_RULES(label))
    assert (s["state"], s["record"], s["all"], s["no_senders"]) == (
        "valid",
        "v=spf1 -all",
        "-all",
        True,
    )
    assert spf_eval(dns_server, SPF_RULES(label))["result"] == "fail"


def test_leading_space_is_no_record_for_a_receiver_either(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.1 item 5: a leading space means the text does not begin with
    # v=spf1.
    assert (
        spf(scan, SPF_RULES("lead-space"))["state"],
        spf_eval(dns_server, SPF_RULES("lead-space"))["result"],
    ) == (
        "none",
        "none",
    )


def test_record_longer_than_4096_octets_is_read_whole(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.1 item 4 / RFC 7208 3.3: all character-strings of the RR are
    # joined; a 4254-octet record (18 strings of 250) ends in "-all". Cutting it changes its
    # meaning (here: "no all", neutral) -- the record is legal, only over the 512 guidance
    # (3.4).
    s = spf(scan, SPF_RULES("big"))
    assert s["state"] == "valid"
    assert s["all"] == "-all"
    assert s["record"] is not None and len(s["record"]) == 4254
    assert "record-over-450-bytes" in s["warnings"]
    assert "no-all-defaults-to-neutral" not in s["warnings"]
    # A receiver reads the whole record: an unlisted client fails.
    assert spf_eval(dns_server, SPF_RULES("big"))["result"] == "fail"


@pytest.mark.parametrize(("label", "warned"), [("len450", False), ("len451", True)])
def test_record_size_warning_starts_above_450_octets(
    scan: Any, label: str, warned: bool
) -> None:
    # docs/scanner-decisions.md 1.7: "record > 450 bytes (close to the 512 guidance)"; the
    # 450-octet record is split over two strings, the joined length is what counts (RFC 7208
    # 3.3).
    s = spf(scan, SPF_RULES(label))
    assert (s["state"], s["all"]) == ("valid", "-all")
    assert len(s["record"]) == int(label[3:])
    assert ("record-over-450-bytes" in s["warnings"]) is warned


# =============================================================================================
# spf2.0 records are Sender ID, never SPF records (docs/scanner-decisions.md 5)
# =============================================================================================


def test_sender_id_records_beside_spf_do_not_count_as_spf(scan: Any) -> None:
    # docs/scanner-decisions.md 5: spf2.0 records are never SPF records (no multiple-records
    # permerror); they are reported as found, with their scopes, as historic.
    data = scan_json(scan, f"sid-beside.{SPF_RULES}")
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
    # docs/scanner-decisions.md 5 and 1.1 item 5: "spf2.0/..." is not an SPF v1 record: SPF
    # none; its "+all" says nothing about SPF's all.
    data = scan_json(scan, f"sid-only.{SPF_RULES}")
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
    assert spf_eval(dns_server, SPF_RULES("sid-only"), "192.0.2.1")["result"] == "none"


def test_upper_case_sender_id_beside_a_parked_spf(scan: Any) -> None:
    # docs/scanner-decisions.md 5 ("starting spf2.0/ (case-insensitive)") and 1.6 (v=spf1 -all
    # is the locked-down record): the Sender ID "+all" does not leak into SPF.
    data = scan_json(scan, f"sid-upper.{SPF_RULES}")
    s = data["spf"]
    assert (s["state"], s["all"], s["no_senders"]) == ("valid", "-all", True)
    assert "plus-all" not in s["warnings"]
    assert data["sender_id"]["state"] == "found"


def test_two_spf_records_beside_sender_id_are_still_permerror(scan: Any) -> None:
    # docs/scanner-decisions.md 1.1 item 6 with 5: the two v=spf1 records decide, the spf2.0 one
    # is apart.
    data = scan_json(scan, f"sid-twospf.{SPF_RULES}")
    assert data["spf"]["state"] == "permerror"
    assert data["sender_id"]["state"] == "found"


def test_v_spf1_inside_a_sender_id_record_is_not_spf(scan: Any) -> None:
    # docs/scanner-decisions.md 1.1 item 5: the record must BEGIN with "v=spf1".
    data = scan_json(scan, f"sid-embedded.{SPF_RULES}")
    assert (data["spf"]["state"], data["sender_id"]["state"]) == ("none", "found")


@pytest.mark.parametrize("label", ["inc-sid", "redir-sid"])
def test_include_or_redirect_to_a_sender_id_only_domain_is_permerror(
    scan: Any, dns_server: DnsServer, label: str
) -> None:
    # docs/scanner-decisions.md 1.3: include target "none -> permerror"; redirect "target
    # without an SPF record -> permerror"; docs/scanner-decisions.md 5: an spf2.0 record is no
    # SPF record.
    s = spf(scan, SPF_RULES(label))
    assert (s["state"], s["lookups"]) == ("permerror", 1)
    assert spf_eval(dns_server, SPF_RULES(label), "192.0.2.1")["result"] == "permerror"


# =============================================================================================
# Separators, modifiers, dual CIDR (RFC 7208 4.6.1, 5.6, 6)
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
    # docs/scanner-decisions.md 1.2: separators are only SP; an unknown mechanism or malformed
    # term is a syntax error -> permerror (RFC 7208 4.6.1, 12).
    s = spf(scan, SPF_RULES(label))
    assert s["state"] == "permerror"
    assert s["errors"]


def test_lf_separated_record_is_permerror_for_a_receiver(dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 1.2: official test "badip" (a "\n" between terms) -> permerror.
    assert (
        spf_eval(dns_server, SPF_RULES("ctl-lf"), "192.0.2.1")["result"] == "permerror"
    )


def test_equals_sign_after_colon_is_a_mechanism(scan: Any) -> None:
    # RFC 7208 12: "exists:foo=bar..." -- the ":" comes first, so it is the exists mechanism
    # (1 lookup, NXDOMAIN: 1 void), not a modifier.
    s = spf(scan, SPF_RULES("exists-eq"))
    assert (s["state"], s["all"], s["lookups"], s["void_lookups"]) == (
        "valid",
        "-all",
        1,
        1,
    )


def test_modifier_named_like_all_is_an_unknown_modifier(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.2: unknown modifiers MUST be ignored; "allfoo=bar" is name
    # "allfoo" (RFC 7208 12 name = ALPHA ...), so the record has no all at all -> neutral.
    s = spf(scan, SPF_RULES("allmod"))
    assert (s["state"], s["all"]) == ("valid", None)
    assert "unknown-modifier" in s["warnings"]
    assert spf_eval(dns_server, SPF_RULES("allmod"))["result"] == "neutral"


def test_unknown_modifier_may_repeat(scan: Any) -> None:
    # docs/scanner-decisions.md 1.2: only redirect and exp "MUST appear at most once"; RFC 7208 6:
    # "Unrecognized modifiers MUST be ignored no matter where, or how often, they appear".
    s = spf(scan, SPF_RULES("unk-mod-twice"))
    assert (s["state"], s["all"], s["no_senders"]) == ("valid", "-all", True)


def test_unknown_modifier_may_repeat_for_a_receiver(dns_server: DnsServer) -> None:
    # RFC 7208 6 (as above): spf-eval "evaluates SPF as a receiver would (RFC 7208)"; an
    # unlisted client of "v=spf1 foo=a foo=b -all" fails, it is not a permerror.
    assert spf_eval(dns_server, SPF_RULES("unk-mod-twice"))["result"] == "fail"


def test_unknown_modifiers_with_macros_cost_no_lookup(scan: Any) -> None:
    # docs/scanner-decisions.md 1.4: only include, a, mx, ptr, exists and redirect count; an
    # unknown modifier is ignored (1.2), whatever macros it holds.
    s = spf(scan, SPF_RULES("unk-mod-macro"))
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
    # docs/scanner-decisions.md 1.2 "Dual CIDR is /v4len//v6len (a, mx only)"; 1.3 a looks up A
    # for IPv4 clients and AAAA for IPv6 clients.
    assert spf_eval(dns_server, SPF_RULES("dual-cidr"), ip)["result"] == result


# =============================================================================================
# Macro syntax (RFC 7208 7.1)
# =============================================================================================


def test_p_macro_is_flagged(scan: Any) -> None:
    # docs/scanner-decisions.md 1.5: "%{p} is marked do not use" (RFC 7208 7.2); flag macro
    # dependence.
    s = spf(scan, SPF_RULES("mac-p"))
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
    # docs/scanner-decisions.md 1.5: "Any other % sequence is a syntax error -> permerror"; "c r
    # t only inside exp= text".
    assert spf(scan, SPF_RULES(label))["state"] == "permerror"


def test_exp_only_letter_in_exp_domain_is_permerror_for_a_receiver(
    dns_server: DnsServer,
) -> None:
    # docs/scanner-decisions.md 1.5 (c r t only inside exp= text), pyspf agrees.
    assert spf_eval(dns_server, SPF_RULES("mac-exp-r"))["result"] == "permerror"


@pytest.mark.parametrize(
    ("label", "lookups"), [("mac-all-delims", 1), ("mac-exp-ok", 0)]
)
def test_legal_macros(scan: Any, label: str, lookups: int) -> None:
    # docs/scanner-decisions.md 1.5: every delimiter ". - + , / _ =" after digits and r; a macro
    # in the exp= domain is legal and exp= costs no lookup (1.4).
    s = spf(scan, SPF_RULES(label))
    assert (s["state"], s["all"], s["lookups"]) == ("valid", "-all", lookups)
