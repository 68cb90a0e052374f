"""ADSP (RFC 5617, historic): parsing and lookup (tests/zones/misc.zone)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.adsp import AdspResult, check_adsp, parse_adsp
from scanner.options import ScanOptions
from tests.scanner.helpers import POLICY_RULES, case_result, dkim_of, scan_json


def adsp(scan: Any, domain: str) -> AdspResult:
    result: AdspResult = scan(lambda ctx: check_adsp(domain, ctx))
    return result


def test_parse_the_three_policies() -> None:
    assert parse_adsp("dkim=unknown").policy == "unknown"
    assert parse_adsp("dkim=all").policy == "all"
    assert parse_adsp(" dkim = DISCARDABLE ; x=1 ;").policy == "discardable"


def test_parse_unrecognised_value_is_unknown_with_a_warning() -> None:
    record = parse_adsp("dkim=sometimes")
    assert (record.policy, record.warnings) == ("unknown", ("unrecognised_dkim_value",))


def test_parse_record_without_dkim_tag_is_invalid() -> None:
    record = parse_adsp("t=y")
    assert (record.policy, record.errors) == (None, ("missing_dkim_tag",))


def test_found_all_is_historic(scan: Any) -> None:
    data = adsp(scan, "adsp-all.misc.test").to_json()
    assert (data["state"], data["policy"], data["historic"]) == ("found", "all", True)


def test_found_discardable(scan: Any) -> None:
    result = adsp(scan, "adsp-discardable.misc.test")
    assert (result.state, result.policy) == ("found", "discardable")


def test_odd_value_counts_as_unknown(scan: Any) -> None:
    result = adsp(scan, "adsp-odd.misc.test")
    assert (result.state, result.policy) == ("found", "unknown")


def test_multiple_records_have_no_policy(scan: Any) -> None:
    result = adsp(scan, "adsp-multi.misc.test")
    assert (result.state, result.policy, result.errors) == (
        "found",
        None,
        ("multiple_records",),
    )
    assert len(result.records) == 2 and result.to_json()["valid"] is False


def test_duplicate_tag_record_has_no_policy(scan: Any) -> None:
    result = adsp(scan, "adsp-broken.misc.test")
    assert (result.policy, result.errors) == (None, ("duplicate_tag",))


def test_no_record_is_none(scan: Any) -> None:
    result = adsp(scan, "adsp-none.misc.test")
    assert (result.state, result.policy) == ("none", None)


def test_wildcard_spf_copy_is_not_an_adsp_record(scan: Any) -> None:
    result = adsp(scan, "adsp-wild.misc.test")
    assert (result.state, result.warnings) == ("none", ("ignored_non_adsp_txt",))


def test_servfail_is_temperror_not_none(scan: Any) -> None:
    result = adsp(scan, "adsp-servfail.misc.test")
    assert result.state == "temperror" and result.errors[0].startswith("servfail")


# =============================================================================================
# ADSP through the whole scan (dkim-cases.zone)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "policy"),
    [
        ("adspdisc", "discardable"),  # RFC 5617 4.2.1, *WSP around "=" allowed
        ("adspunk", "unknown"),  # RFC 5617 4.2.1
        # RFC 5617 4.2.1 / docs/scanner-decisions.md 3: other values = unknown
        ("adspbogus", "unknown"),
        # RFC 5617 4.2.1 ABNF quoted values are case-insensitive (RFC 5234 2.3); the two
        # character-strings "dk" "im=ALL" are one record (RFC 6376 3.6.2.2, RFC 5617 4.1).
        ("adspcase", "all"),
    ],
)
def test_adsp_policy(scan_options: ScanOptions, label: str, policy: str) -> None:
    adsp = case_result(scan_options, label)["adsp"]
    assert (adsp["state"], adsp["policy"]) == ("found", policy)


def test_adsp_beside_a_key_does_not_hide_the_key(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.6 caveat 4 concerns _domainkey-only inferences: with a real
    # key, found.
    dkim = dkim_of(scan_options, "adspdisc")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")


def test_multiple_adsp_records_have_no_policy(scan_options: ScanOptions) -> None:
    # RFC 5617 4.3: more than one record -> result undefined; docs/scanner-decisions.md 3:
    # several records have no policy, rather than a guessed one: something is published (found),
    # no policy is picked.
    adsp = case_result(scan_options, "adspmulti")["adsp"]
    assert (adsp["state"], adsp["policy"]) == ("found", None)


def test_adsp_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 0.1: DNS failure is temperror; the DKIM key beside it is still
    # found.
    data = case_result(scan_options, "adspsf")
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("temperror", None)
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "found",
        "selector_key",
    )


# =============================================================================================
# ADSP tags and values (RFC 5617 4.2.1; authpolicy-rules.zone)
# =============================================================================================


def test_adsp_unknown_tags_are_ignored(scan: Any, relaxed: ScanOptions) -> None:
    # docs/scanner-decisions.md 3 "Unknown tags ignored" (RFC 5617 4.2.1); historic, in its own
    # column.
    data = scan_json(scan, f"adspx.{POLICY_RULES}", relaxed)
    a = data["adsp"]
    assert (a["state"], a["policy"]) == ("found", "discardable")
    assert a["historic"] is True
    # docs/scanner-decisions.md 3 / 2.6 caveat 4: its presence makes _domainkey exist without a
    # key.
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "domainkey_exists",
        "adsp_only",
    )


def test_adsp_value_is_case_insensitive_and_spaces_allowed(
    scan: Any, relaxed: ScanOptions
) -> None:
    # RFC 5617 4.2.1 ABNF: "all" is a quoted (case-insensitive) literal; *WSP around "=".
    a = scan_json(scan, f"adspval.{POLICY_RULES}", relaxed)["adsp"]
    assert (a["state"], a["policy"]) == ("found", "all")


def test_adsp_tag_name_is_case_sensitive(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 5617 4.2.1: the tag is %x64.6b.69.6d ("dkim", case-sensitive, the DKIM tag-list of
    # RFC 6376 3.2): "DKIM=all" carries no dkim= tag, so there is no ADSP policy - never "all".
    a = scan_json(scan, f"adspcase.{POLICY_RULES}", relaxed)["adsp"]
    assert a["policy"] is None
    assert a["state"] != "temperror"


def test_nonexistent_domain_has_no_adsp_and_no_dkim(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/scanner-decisions.md 3: the dkim-adsp result "nxdomain" is a message verdict; a
    # DNS-only scan never reports pass/fail/nxdomain as a state (docs/result-schema.md): status
    # nxdomain, adsp none.
    data = scan_json(scan, f"ghost.{POLICY_RULES}", relaxed)
    assert data["status"] == "nxdomain"
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("none", None)
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "none",
        "domainkey_nxdomain",
    )
