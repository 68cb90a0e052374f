"""MX, implicit MX and null MX through the loopback DNS server (tests/zones/mx.zone)."""

from __future__ import annotations

from typing import Any

from scanner.mx import MxResult, check_mx, classify_mx, host_warnings


def mx(scan: Any, domain: str) -> MxResult:
    result: MxResult = scan(lambda ctx: check_mx(domain, ctx))
    return result


# --- pure ------------------------------------------------------------------------------------


def test_classify_null_mx_rules() -> None:
    assert classify_mx(((0, "."),)) == ("null_mx", ())
    assert classify_mx(((0, "."), (10, "mx.example.jp"))) == (
        "found",
        ("invalid_null_mx",),
    )
    assert classify_mx(((10, "."),)) == ("found", ("malformed_null_mx",))
    assert classify_mx(((10, "mx.example.jp"),)) == ("found", ())


def test_ip_literal_exchange_is_flagged() -> None:
    assert host_warnings("192.0.2.25") == ("mx_ip_literal: 192.0.2.25",)
    assert host_warnings("mx1.example.jp") == ()


# --- DNS -------------------------------------------------------------------------------------


def test_hosts_are_sorted_by_preference(scan: Any) -> None:
    result = mx(scan, "hosts.mx.test")
    assert result.state == "found" and result.warnings == ()
    assert result.to_json()["hosts"] == [
        {"preference": 10, "host": "mx1.hosts.mx.test"},
        {"preference": 20, "host": "mx2.hosts.mx.test"},
    ]


def test_null_mx_is_its_own_state(scan: Any) -> None:
    result = mx(scan, "null.mx.test")
    assert result.state == "null_mx"
    assert result.to_json()["hosts"] == [{"preference": 0, "host": "."}]


def test_null_mx_beside_other_mx_is_invalid(scan: Any) -> None:
    result = mx(scan, "nullplus.mx.test")
    assert result.state == "found" and "invalid_null_mx" in result.warnings


def test_root_exchange_with_nonzero_preference_is_malformed(scan: Any) -> None:
    result = mx(scan, "nullpref.mx.test")
    assert (result.state, result.warnings) == ("found", ("malformed_null_mx",))


def test_no_mx_with_an_address_is_implicit_mx(scan: Any) -> None:
    result = mx(scan, "implicit.mx.test")
    assert (result.state, result.implicit_mx) == ("none", True)


def test_no_mx_and_no_address_is_no_mail_host(scan: Any) -> None:
    result = mx(scan, "nomail.mx.test")
    assert (result.state, result.implicit_mx) == ("none", False)


def test_cname_exchange_is_warned(scan: Any) -> None:
    result = mx(scan, "cname.mx.test")
    assert result.state == "found"
    assert result.warnings == ("mx_cname: alias.cname.mx.test -> mx1.hosts.mx.test",)


def test_ip_literal_exchange_is_warned(scan: Any) -> None:
    result = mx(scan, "literal.mx.test")
    assert result.warnings == ("mx_ip_literal: 192.0.2.25",)


def test_missing_and_addressless_exchanges_are_warned(scan: Any) -> None:
    result = mx(scan, "missing.mx.test")
    assert result.warnings == (
        "mx_host_nxdomain: nohost.missing.mx.test",
        "mx_host_no_address: noaddr.missing.mx.test",
    )


def test_servfail_is_temperror_not_none(scan: Any) -> None:
    result = mx(scan, "servfail.mx.test")
    assert result.state == "temperror"
    assert result.errors == ("servfail: servfail.mx.test MX",)


def test_nonexistent_domain_has_no_mx_and_no_implicit_claim(scan: Any) -> None:
    result = mx(scan, "absent.mx.test")
    assert (result.state, result.implicit_mx, result.hosts) == ("none", None, ())
