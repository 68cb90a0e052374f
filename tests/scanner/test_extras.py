"""MTA-STS, TLS-RPT and BIMI TXT records (tests/zones/misc.zone)."""

from __future__ import annotations

from typing import Any

from scanner.extras import (
    ExtraResult,
    check_bimi,
    check_mta_sts,
    check_tls_rpt,
    parse_bimi,
    parse_mta_sts,
    parse_tls_rpt,
)


def run(scan: Any, check: Any, domain: str) -> ExtraResult:
    result: ExtraResult = scan(lambda ctx: check(domain, ctx))
    return result


# --- pure ------------------------------------------------------------------------------------


def test_parse_mta_sts_id_rules() -> None:
    assert parse_mta_sts("v=STSv1; id=20240101T000000Z;").fields == {
        "id": "20240101T000000Z"
    }
    assert parse_mta_sts("v=STSv1; id=" + "a" * 33).error == "bad_id"
    assert parse_mta_sts("v=STSv1; id=abc; id=def").error == "duplicate_field: id"
    assert (
        parse_mta_sts("v=STSv1; id=abc; bad field=1").error == "bad_field: bad field=1"
    )


def test_parse_tls_rpt_keeps_mailto_and_https() -> None:
    parsed = parse_tls_rpt(
        "v=TLSRPTv1; rua=mailto:a@example.jp, https://r.example.jp/x"
    )
    assert parsed.fields == {"rua": ["mailto:a@example.jp", "https://r.example.jp/x"]}
    assert parse_tls_rpt("v=TLSRPTv1;rua=mailto:a@example.jp,ftp://x").warnings == (
        "ignored_rua_uri",
    )


def test_parse_extension_values_are_checked() -> None:
    assert parse_mta_sts("v=STSv1; id=abc; ext=a=b").error == "bad_field: ext"
    assert (
        parse_tls_rpt("v=TLSRPTv1; rua=mailto:a@x.jp; ext=a=b").error
        == "bad_field: ext"
    )
    assert parse_tls_rpt("v=TLSRPTv1; rua=https://x.jp/r?a=b").error is None


def test_parse_bimi_declination() -> None:
    assert parse_bimi("v=BIMI1; l=; a=;").fields["declined"] is True
    assert parse_bimi("v=BIMI1;").fields["declined"] is True
    assert parse_bimi("l=https://x/logo.svg; v=BIMI1").error == "bad_version"


# --- MTA-STS (RFC 8461 3.1) ------------------------------------------------------------------


def test_mta_sts_found_with_id(scan: Any) -> None:
    result = run(scan, check_mta_sts, "sts.misc.test")
    assert (result.state, result.to_json()["id"]) == ("found", "20240101T000000")


def test_mta_sts_two_records_is_none(scan: Any) -> None:
    result = run(scan, check_mta_sts, "sts-two.misc.test")
    assert (result.state, result.warnings) == ("none", ("multiple_records",))


def test_mta_sts_bad_or_missing_id_is_none_with_a_warning(scan: Any) -> None:
    bad = run(scan, check_mta_sts, "sts-badid.misc.test")
    assert (bad.state, bad.warnings) == ("none", ("invalid_record: bad_id",))
    missing = run(scan, check_mta_sts, "sts-noid.misc.test")
    assert missing.warnings == ("invalid_record: missing_id",)


def test_mta_sts_version_is_case_sensitive(scan: Any) -> None:
    result = run(scan, check_mta_sts, "sts-lower.misc.test")
    assert (result.state, result.warnings) == ("none", ("ignored_other_txt",))


def test_mta_sts_is_picked_out_of_other_txt(scan: Any) -> None:
    result = run(scan, check_mta_sts, "sts-mixed.misc.test")
    assert (result.state, result.to_json()["id"]) == ("found", "abc123")


def test_mta_sts_cname_to_a_provider_is_followed(scan: Any) -> None:
    result = run(scan, check_mta_sts, "sts-cname.misc.test")
    assert (result.state, result.to_json()["id"]) == ("found", "provider2024")


def test_apex_redirect_hosting_is_not_mta_sts_or_tls_rpt(scan: Any) -> None:
    for check in (check_mta_sts, check_tls_rpt):
        result = run(scan, check, "redirect.misc.test")
        assert (result.state, result.warnings) == ("none", ("ignored_other_txt",))


def test_mta_sts_servfail_is_temperror_not_none(scan: Any) -> None:
    assert run(scan, check_mta_sts, "sts-servfail.misc.test").state == "temperror"


# --- TLS-RPT (RFC 8460 3) --------------------------------------------------------------------


def test_tls_rpt_found_with_rua(scan: Any) -> None:
    result = run(scan, check_tls_rpt, "tlsrpt.misc.test")
    assert result.state == "found"
    assert result.to_json()["rua"] == [
        "mailto:tls-reports@misc.test",
        "https://reports.misc.test/tlsrpt",
    ]


def test_tls_rpt_without_usable_rua_is_none(scan: Any) -> None:
    assert run(scan, check_tls_rpt, "tlsrpt-norua.misc.test").warnings == (
        "invalid_record: missing_rua",
    )
    assert run(scan, check_tls_rpt, "tlsrpt-badrua.misc.test").warnings == (
        "invalid_record: bad_rua",
    )


def test_tls_rpt_two_records_is_none(scan: Any) -> None:
    result = run(scan, check_tls_rpt, "tlsrpt-two.misc.test")
    assert (result.state, result.warnings) == ("none", ("multiple_records",))


# --- BIMI ------------------------------------------------------------------------------------


def test_bimi_found_with_logo_and_authority(scan: Any) -> None:
    data = run(scan, check_bimi, "bimi.misc.test").to_json()
    assert data["state"] == "found" and data["inherited"] is False
    assert data["l"] == "https://bimi.misc.test/logo.svg"
    assert data["a"] == "https://bimi.misc.test/vmc.pem"


def test_bimi_declination_record(scan: Any) -> None:
    data = run(scan, check_bimi, "bimi-declined.misc.test").to_json()
    assert (data["state"], data["declined"]) == ("found", True)


def test_bimi_http_logo_is_warned(scan: Any) -> None:
    assert run(scan, check_bimi, "bimi-http.misc.test").warnings == ("l_not_https",)


def test_bimi_invalid_record_is_none_and_not_inherited(scan: Any) -> None:
    result = run(scan, check_bimi, "bimi-bad.misc.test")
    assert (result.state, result.warnings) == (
        "none",
        ("invalid_record: duplicate_tag",),
    )


def test_bimi_falls_back_to_the_organizational_domain(scan: Any) -> None:
    data = run(scan, check_bimi, "bimi-child.misc.test").to_json()
    assert (data["state"], data["inherited"], data["source_domain"]) == (
        "found",
        True,
        "misc.test",
    )


def test_bimi_none_when_neither_domain_has_one(scan: Any) -> None:
    assert run(scan, check_bimi, "hosts.mx.test").state == "none"


def test_bimi_servfail_is_temperror_and_not_inherited(scan: Any) -> None:
    result = run(scan, check_bimi, "bimi-servfail.misc.test")
    assert result.state == "temperror" and result.source_domain is None
