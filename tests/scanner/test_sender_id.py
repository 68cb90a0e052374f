"""Sender ID (RFC 4406/4407, historic): spf2.0 records at the apex (tests/zones/misc.zone)."""

from __future__ import annotations

from typing import Any

from scanner.sender_id import SenderIdResult, check_sender_id, parse_sender_id


def sender_id(scan: Any, domain: str) -> SenderIdResult:
    result: SenderIdResult = scan(lambda ctx: check_sender_id(domain, ctx))
    return result


def test_parse_scopes_in_any_case() -> None:
    assert parse_sender_id(b"spf2.0/mfrom,pra -all").scopes == ("mfrom", "pra")
    assert parse_sender_id(b"SPF2.0/PRA -all").scopes == ("pra",)


def test_parse_unknown_scope_is_a_warning() -> None:
    record = parse_sender_id(b"spf2.0/pra,helo -all")
    assert record.scopes == ("pra", "helo")
    assert record.warnings == ("unknown_scope: helo",)


def test_found_beside_spf_with_scopes(scan: Any) -> None:
    data = sender_id(scan, "sid.misc.test").to_json()
    assert (data["state"], data["scopes"], data["historic"]) == (
        "found",
        ["mfrom", "pra"],
        True,
    )
    assert data["record"] == "spf2.0/mfrom,pra ip4:192.0.2.0/24 -all"
    assert data["records"] == [data["record"]]  # the v=spf1 record is not Sender ID


def test_upper_case_prefix_is_found(scan: Any) -> None:
    result = sender_id(scan, "sid-upper.misc.test")
    assert result.state == "found" and result.scopes == ("pra",)


def test_two_records_for_one_scope_are_an_error(scan: Any) -> None:
    result = sender_id(scan, "sid-multi.misc.test")
    assert result.state == "found"
    assert result.errors == ("multiple_records_for_scope",)


def test_spf_only_domain_has_no_sender_id(scan: Any) -> None:
    assert sender_id(scan, "sid-none.misc.test").state == "none"


def test_spf2_without_slash_is_not_sender_id(scan: Any) -> None:
    assert sender_id(scan, "sid-prefix.misc.test").state == "none"


def test_servfail_is_temperror_not_none(scan: Any) -> None:
    result = sender_id(scan, "sid-servfail.misc.test")
    assert result.state == "temperror"
    assert result.errors == ("servfail: sid-servfail.misc.test TXT",)
