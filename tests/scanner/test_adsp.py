"""ADSP (RFC 5617, historic): parsing and lookup (tests/zones/misc.zone)."""

from __future__ import annotations

from typing import Any

from scanner.adsp import AdspResult, check_adsp, parse_adsp


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
