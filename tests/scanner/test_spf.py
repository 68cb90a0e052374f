"""check_spf against the loopback DNS server and tests/zones/spf-*.zone (RFC 7208).

Each scenario domain is named in the zone files; the counts asserted here are the static
worst case the contract asks for (docs/result-schema.md, docs/scanner-decisions.md 1.4: every
include/redirect followed, each term counted once per occurrence, void lookups per client
address family).
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.spf import SpfResult, check_spf
from tests.conftest import ScanRunner


@pytest.fixture
def spf(scan: ScanRunner) -> Any:
    def run(label: str) -> SpfResult:
        result: SpfResult = scan(lambda ctx: check_spf(f"{label}.spf.test", ctx))
        return result

    return run


def child_domains(tree: dict[str, Any]) -> list[str]:
    return [child["domain"] for child in tree["children"]]


# --- the terminal all and what it means -----------------------------------------------------


@pytest.mark.parametrize(
    ("label", "effective_all"),
    [
        ("strict", "-all"),
        ("softfail", "~all"),
        ("neutral", "?all"),
        ("passall", "+all"),
        ("bareall", "+all"),
    ],
)
def test_effective_all_is_the_published_qualifier(
    spf: Any, label: str, effective_all: str
) -> None:
    result = spf(label)
    assert result.state == "valid"
    assert result.all == effective_all
    assert result.errors == ()


def test_plus_all_is_kept_as_plus_all_and_warned(spf: Any) -> None:
    result = spf("passall")
    assert result.all == "+all"
    assert "plus-all" in result.warnings
    assert result.no_senders is False


def test_no_all_is_null_with_neutral_warning(spf: Any) -> None:
    result = spf("noall")
    assert result.state == "valid"
    assert result.all is None
    assert "no-all-defaults-to-neutral" in result.warnings


def test_question_all_is_warned_as_neutral(spf: Any) -> None:
    assert "neutral-all" in spf("neutral").warnings


def test_minus_all_alone_means_no_senders(spf: Any) -> None:
    result = spf("locked")
    assert (result.state, result.all, result.no_senders, result.lookups) == (
        "valid",
        "-all",
        True,
        0,
    )


def test_authorising_nobody_without_locking_down_is_not_no_senders(spf: Any) -> None:
    # "v=spf1 -ip4:192.0.2.1 ~all": nobody passes, but everyone else only softfails;
    # no_senders is the lock-down, v=spf1 -all (docs/result-schema.md).
    assert spf("fail-only").no_senders is False


def test_record_listing_hosts_has_senders(spf: Any) -> None:
    assert spf("strict").no_senders is False
    assert spf("softfail").no_senders is False


def test_include_of_a_locked_record_authorises_nobody(spf: Any) -> None:
    assert spf("inc-locked").no_senders is True


def test_include_of_plus_all_authorises_everybody_and_warns(spf: Any) -> None:
    result = spf("inc-plusall")
    assert result.all == "-all"
    assert result.no_senders is False
    assert "plus-all" in result.warnings


# --- record selection ------------------------------------------------------------------------


def test_case_insensitive_version_and_terms(spf: Any) -> None:
    result = spf("upper")
    assert (result.state, result.all) == ("valid", "-all")


def test_two_spaces_and_trailing_space_are_fine(spf: Any) -> None:
    assert spf("twospaces").state == "valid"


def test_split_strings_are_one_record(spf: Any) -> None:
    result = spf("split")
    assert result.state == "valid"
    assert result.record == "v=spf1 ip4:192.0.2.1 -all"


def test_strings_glued_into_spf1_dash_all_are_not_a_record(spf: Any) -> None:
    assert spf("glued").state == "none"


def test_multiple_records_are_permerror_and_both_kept(spf: Any) -> None:
    result = spf("multiple")
    assert result.state == "permerror"
    assert sorted(result.records) == ["v=spf1 -all", "v=spf1 ~all"]
    assert "more than one" in result.errors[0]


def test_sender_id_record_beside_spf_is_ignored(spf: Any) -> None:
    result = spf("senderid")
    assert result.state == "valid"
    assert result.record == "v=spf1 ip4:192.0.2.1 -all"


@pytest.mark.parametrize("label", ["onlysenderid", "spf10", "notxt", "othertxt"])
def test_no_spf1_record_is_none(spf: Any, label: str) -> None:
    result = spf(label)
    assert result.state == "none"
    assert result.nxdomain is False


def test_apex_nxdomain_is_none_and_flagged(spf: Any) -> None:
    result = spf("does-not-exist")
    assert result.state == "none"
    assert result.nxdomain is True


def test_syntax_error_is_permerror_keeping_the_record(spf: Any) -> None:
    result = spf("syntax")
    assert result.state == "permerror"
    assert result.record == "v=spf1 ip4:192.0.2.1 -all moo"
    assert "'moo' is not an SPF mechanism" in result.errors[0]
    assert (
        result.include_tree is not None
        and result.include_tree["error"] == result.errors[0]
    )


def test_non_ascii_record_is_permerror_with_readable_copy(spf: Any) -> None:
    result = spf("nonascii")
    assert result.state == "permerror"
    assert result.record == "v=spf1 a:\ufeffgarbage.spf.test -all"
    assert "ASCII" in result.errors[0]


def test_non_ascii_in_other_txt_records_is_none_of_our_business(spf: Any) -> None:
    assert spf("nonascii-other").state == "valid"


def test_control_character_between_terms_is_permerror(spf: Any) -> None:
    assert spf("ctrl").state == "permerror"


# --- redirect ---------------------------------------------------------------------------------


def test_redirect_chain_gives_the_targets_all_and_counts_each_redirect(
    spf: Any,
) -> None:
    result = spf("redir1")
    assert (result.state, result.all, result.lookups) == ("valid", "-all", 2)
    tree = result.include_tree
    assert tree is not None
    assert child_domains(tree) == ["redir2.spf.test"]
    assert child_domains(tree["children"][0]) == ["redir3.spf.test"]
    assert tree["children"][0]["via"] == "redirect"
    assert tree["subtree_lookups"] == 2


def test_redirect_is_ignored_when_all_is_present(spf: Any) -> None:
    result = spf("redir-ignored")
    assert (result.state, result.all, result.lookups) == ("valid", "~all", 0)
    assert "redirect-ignored-with-all" in result.warnings
    assert result.include_tree is not None and result.include_tree["children"] == []


def test_redirect_to_domain_without_spf_is_permerror(spf: Any) -> None:
    result = spf("redir-none")
    assert result.state == "permerror"
    assert "othertxt.spf.test has no SPF record" in result.errors[0]


def test_redirect_loop_is_permerror(spf: Any) -> None:
    result = spf("redir-loop")
    assert result.state == "permerror"
    assert "loop" in result.errors[0]
    # Unbounded worst case: the count says "over 10" (a lower bound), never a small number.
    assert (result.lookups, result.lookups_truncated) == (11, True)


def test_redirect_to_record_without_all_is_neutral_by_default(spf: Any) -> None:
    result = spf("redir-noall")
    assert (result.state, result.all) == ("valid", None)
    assert "no-all-defaults-to-neutral" in result.warnings
    assert any("noall.spf.test" in detail for _, detail in result.warning_details)


def test_redirect_to_macro_target_is_counted_not_queried(spf: Any) -> None:
    result = spf("redir-macro")
    assert (result.state, result.lookups, result.all) == ("valid", 1, None)
    assert "macro-dependent-term" in result.warnings
    assert "no-all-defaults-to-neutral" not in result.warnings  # unknown, not "no all"
    assert result.include_tree is not None
    assert (
        result.include_tree["children"][0]["skipped"]
        == "macro-dependent target, not queried"
    )


# --- include ----------------------------------------------------------------------------------


def test_include_tree_is_nested_json(spf: Any) -> None:
    result = spf("inc")
    assert (result.state, result.lookups) == ("valid", 2)
    tree = result.include_tree
    assert tree is not None
    assert tree["domain"] == "inc.spf.test" and tree["via"] == "apex"
    assert (
        tree["record"] == "v=spf1 include:strict.spf.test include:neutral.spf.test -all"
    )
    assert child_domains(tree) == ["strict.spf.test", "neutral.spf.test"]
    first = tree["children"][0]
    assert first["term"] == "include:strict.spf.test"
    assert first["record"] == "v=spf1 ip4:192.0.2.0/24 -all"
    assert (first["lookups"], first["void"], first["children"], first["error"]) == (
        0,
        0,
        [],
        None,
    )


def test_include_loop_is_permerror(spf: Any) -> None:
    result = spf("inc-loop-a")
    assert result.state == "permerror"
    assert (
        "inc-loop-a.spf.test -> inc-loop-b.spf.test -> inc-loop-a.spf.test"
        in result.errors[0]
    )
    assert result.lookups > 10 and result.lookups_truncated


def test_dangling_include_is_permerror_and_a_void_lookup(spf: Any) -> None:
    result = spf("dangling")
    assert result.state == "permerror"
    assert "gone.spf.test does not exist" in result.errors[0]
    assert result.void_lookups == 1


@pytest.mark.parametrize("label", ["inc-nospf", "inc-nodata"])
def test_include_target_without_spf_is_permerror(spf: Any, label: str) -> None:
    result = spf(label)
    assert result.state == "permerror"
    assert "has no SPF record" in result.errors[0]
    assert result.include_tree is not None
    assert result.include_tree["children"][0]["error"] == result.errors[0]


@pytest.mark.parametrize(
    ("label", "problem"),
    [("inc-badchild", "'moo'"), ("inc-multichild", "more than one")],
)
def test_broken_include_target_is_permerror(spf: Any, label: str, problem: str) -> None:
    result = spf(label)
    assert result.state == "permerror"
    assert problem in result.errors[0]


def test_cname_include_target_is_followed(spf: Any) -> None:
    result = spf("inc-cname")
    assert result.state == "valid"
    assert result.include_tree is not None
    child = result.include_tree["children"][0]
    assert (child["domain"], child["canonical_name"]) == (
        "alias.spf.test",
        "strict.spf.test",
    )
    assert child["record"] == "v=spf1 ip4:192.0.2.0/24 -all"


def test_include_of_redirecting_record_counts_the_whole_chain(spf: Any) -> None:
    result = spf("inc-redirchild")
    assert (result.state, result.lookups, result.all) == ("valid", 3, "-all")


# --- macros -----------------------------------------------------------------------------------


def test_macro_terms_are_counted_not_queried(spf: Any) -> None:
    result = spf("macro")
    assert (result.state, result.lookups) == ("valid", 2)
    assert "macro-dependent-term" in result.warnings
    assert result.include_tree is not None
    assert result.include_tree["children"][0]["domain"] == "%{l}.users.spf.test"


def test_invalid_macro_is_permerror(spf: Any) -> None:
    result = spf("badmacro")
    assert result.state == "permerror"
    assert "unknown macro letter 'q'" in result.errors[0]


# --- processing limits: lookups -------------------------------------------------------------


def test_eleven_lookups_through_nested_includes_is_permerror(spf: Any) -> None:
    result = spf("eleven")
    assert (result.state, result.lookups) == ("permerror", 11)
    assert result.limit_exceeded_at == "mx:mxhost.spf.test in l-b.spf.test"
    assert "11 DNS-querying terms > 10" in result.errors[0]
    tree = result.include_tree
    assert tree is not None
    assert [c["subtree_lookups"] for c in tree["children"]] == [6, 3]


def test_exactly_ten_lookups_is_valid(spf: Any) -> None:
    result = spf("ten")
    assert (result.state, result.lookups) == ("valid", 10)


def test_same_include_twice_counts_twice(spf: Any) -> None:
    result = spf("twice")
    assert (result.state, result.lookups) == ("valid", 10)
    assert result.include_tree is not None
    assert child_domains(result.include_tree) == ["shared.spf.test", "shared.spf.test"]


def test_same_include_three_times_is_over_the_limit(spf: Any) -> None:
    result = spf("thrice")
    assert (result.state, result.lookups) == ("permerror", 15)
    assert result.limit_exceeded_at == "include:shared.spf.test in thrice.spf.test"


def test_walk_continues_past_the_limit_to_show_the_breaking_include(spf: Any) -> None:
    result = spf("many")
    assert (result.state, result.lookups, result.lookups_truncated) == (
        "permerror",
        14,
        False,
    )
    assert result.include_tree is not None
    assert len(result.include_tree["children"]) == 14
    assert all(
        c["record"] == "v=spf1 ip4:192.0.2.50 -all"
        for c in result.include_tree["children"]
    )
    assert result.limit_exceeded_at == "include:i11.many.spf.test in many.spf.test"


def test_walk_is_bounded_and_says_the_count_is_a_lower_bound(spf: Any) -> None:
    result = spf("huge")
    assert result.state == "permerror"
    assert result.lookups_truncated is True
    assert 40 < result.lookups <= 55
    assert result.errors[0].startswith("at least ")
    assert result.include_tree is not None
    assert result.include_tree["children"][-1]["skipped"].startswith("not walked")


# --- processing limits: void lookups and MX names ---------------------------------------------


def test_two_void_lookups_are_allowed(spf: Any) -> None:
    result = spf("void2")
    assert (result.state, result.void_lookups) == ("valid", 2)


def test_three_void_lookups_are_permerror(spf: Any) -> None:
    result = spf("void3")
    assert (result.state, result.void_lookups) == ("permerror", 3)
    assert "3 void lookups > 2" in result.errors[0]


def test_void_lookups_are_counted_per_address_family(spf: Any) -> None:
    result = spf("void-v6")
    assert result.state == "permerror"
    assert (
        result.void_lookups_ipv4,
        result.void_lookups_ipv6,
        result.void_lookups,
    ) == (0, 3, 3)
    assert "IPv6 clients 3" in result.errors[0]
    ok = spf("void-v6-ok")
    assert (ok.state, ok.void_lookups_ipv4, ok.void_lookups_ipv6) == ("valid", 0, 2)


def test_void_lookup_inside_include_is_warned(spf: Any) -> None:
    result = spf("void-inc")
    assert (result.state, result.void_lookups) == ("valid", 1)
    assert "void-lookup-in-include" in result.warnings
    assert result.include_tree is not None
    assert result.include_tree["children"][0]["void"] == 1


def test_more_than_ten_mx_names_is_permerror(spf: Any) -> None:
    result = spf("mx11")
    assert result.state == "permerror"
    assert "11 MX names > 10" in result.errors[0]


def test_ten_mx_names_are_valid_but_heavy(spf: Any) -> None:
    result = spf("mx10")
    assert (result.state, result.lookups) == ("valid", 1)
    assert "mx-heavy" in result.warnings


def test_null_mx_is_not_a_void_lookup(spf: Any) -> None:
    result = spf("mx-null")
    assert (result.state, result.void_lookups) == ("valid", 0)


def test_missing_mx_is_a_void_lookup_for_both_families(spf: Any) -> None:
    result = spf("mx-none")
    assert (result.void_lookups_ipv4, result.void_lookups_ipv6) == (1, 1)


def test_mx_hosts_without_aaaa_are_one_void_term_but_several_void_queries(
    spf: Any,
) -> None:
    result = spf("mx-v4only")
    assert (result.state, result.void_lookups_ipv4, result.void_lookups_ipv6) == (
        "valid",
        0,
        1,
    )
    assert result.void_lookups_per_query == {"ipv4": 0, "ipv6": 3}
    assert "void-lookups-per-query-over-limit" in result.warnings


# --- warnings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("warn-ptr", "ptr-used"),
        ("warn-exp", "exp-present"),
        ("warn-after", "mechanisms-after-all"),
        ("warn-hostbits", "ip4-host-bits"),
        ("warn-hostbits", "ip6-host-bits"),
        ("warn-unknownmod", "unknown-modifier"),
        ("warn-long", "record-over-450-bytes"),
        ("warn-long", "txt-set-over-512-bytes"),
    ],
)
def test_warning_is_reported(spf: Any, label: str, code: str) -> None:
    result = spf(label)
    assert result.state == "valid"
    assert code in result.warnings
    assert any(c == code and label in detail for c, detail in result.warning_details)


def test_ptr_counts_as_a_lookup(spf: Any) -> None:
    assert spf("warn-ptr").lookups == 1


def test_terms_after_all_are_neither_counted_nor_followed(spf: Any) -> None:
    result = spf("warn-after")
    assert result.lookups == 0
    assert result.include_tree is not None and result.include_tree["children"] == []


def test_clean_record_has_no_warnings(spf: Any) -> None:
    assert spf("strict").warnings == ()


# --- DNS failures: temperror, never none -------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "reason"),
    [("broken", "servfail"), ("slow", "timeout"), ("refusing", "refused")],
)
def test_apex_dns_failure_is_temperror_not_none(
    spf: Any, label: str, reason: str
) -> None:
    result = spf(label)
    assert result.state == "temperror"
    assert f"DNS {reason}" in result.errors[0]


def test_servfail_inside_an_include_is_temperror(spf: Any) -> None:
    result = spf("inc-servfail")
    assert result.state == "temperror"
    assert (
        "servfail for include:broken.spf.test in inc-servfail.spf.test"
        in result.errors[0]
    )
    assert result.include_tree is not None
    assert result.include_tree["children"][0]["error"] == result.errors[0]


def test_servfail_in_a_mechanism_lookup_is_temperror(spf: Any) -> None:
    result = spf("a-servfail")
    assert result.state == "temperror"
    assert "a:broken.spf.test" in result.errors[0]


def test_timeout_inside_an_include_is_temperror(spf: Any) -> None:
    assert spf("inc-timeout").state == "temperror"


def test_permerror_elsewhere_outranks_a_failed_branch(spf: Any) -> None:
    result = spf("mixed")
    assert result.state == "permerror"
    assert any("has no SPF record" in e for e in result.errors)
    assert any("servfail" in e for e in result.errors)


def test_truncated_udp_answer_is_retried_over_tcp(spf: Any) -> None:
    assert spf("tcponly").state == "valid"


def test_huge_txt_set_arrives_over_tcp_and_is_warned(spf: Any) -> None:
    result = spf("bigtxt")
    assert (result.state, result.all) == ("valid", "-all")
    assert "txt-set-over-512-bytes" in result.warnings


def test_result_json_has_the_contract_keys(spf: Any) -> None:
    data = spf("inc").to_json()
    contract = {
        "state",
        "record",
        "all",
        "lookups",
        "void_lookups",
        "no_senders",
        "include_tree",
        "errors",
        "warnings",
    }
    assert contract <= set(data)
    assert data["include_tree"]["children"][1]["domain"] == "neutral.spf.test"


def test_trailing_dot_and_case_are_normalised(scan: ScanRunner) -> None:
    result: SpfResult = scan(lambda ctx: check_spf("Strict.SPF.test.", ctx))
    assert (result.state, result.all) == ("valid", "-all")
