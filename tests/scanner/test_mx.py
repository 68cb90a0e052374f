"""MX, implicit MX and null MX through the loopback DNS server (tests/zones/mx.zone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scanner.mx import MxResult, check_mx, classify_mx, host_warnings
from tests.conftest import ScanRunner, options_for
from tests.scanner.helpers import DNS_CASES, DNS_RULES, scan_json
from tests.scanner.servers import RecordingServer


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


# =============================================================================================
# MX through the whole scan (RFC 5321 5.1, RFC 7505; dns-cases.zone)
# =============================================================================================


def test_null_mx(scan: ScanRunner) -> None:
    result = scan_json(scan, DNS_CASES("nullmx"))
    assert result["mx"]["state"] == "null_mx"
    assert result["mx"]["hosts"] == [{"preference": 0, "host": "."}]
    assert result["spf"]["no_senders"] is True


def test_null_mx_mixed_with_other_mx_is_not_null_mx(scan: ScanRunner) -> None:
    # RFC 7505 3: a domain with a null MX MUST NOT advertise any other MX;
    # docs/scanner-decisions.md 6.1: report invalid_null_mx. Mail still goes to mx.nullmix, so
    # the state is found.
    result = scan_json(scan, DNS_CASES("nullmix"))
    assert result["mx"]["state"] == "found"
    assert "invalid_null_mx" in result["mx"]["warnings"]
    assert result["mx"]["hosts"] == [
        {"preference": 0, "host": "."},
        {"preference": 10, "host": DNS_CASES("mx.nullmix")},
    ]


def test_mx_to_ip_literal_is_warned(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 6.1: MX targets must be host names (RFC 5321 5.1).
    result = scan_json(scan, DNS_CASES("mxip"))
    assert result["mx"]["state"] == "found"
    assert result["mx"]["hosts"] == [{"preference": 10, "host": "192.0.2.25"}]
    assert any("ip_literal" in warning for warning in result["mx"]["warnings"])


def test_mx_hosts_sorted_lower_case_without_root_dot(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 6.1 (sort by preference), 7.6 / RFC 4343 (names compare
    # case-insensitively, stored lower case), contract examples (no trailing dot).
    result = scan_json(scan, DNS_CASES("mxsort"))
    assert result["mx"]["state"] == "found"
    assert result["mx"]["hosts"] == [
        {"preference": 10, "host": DNS_CASES("mx-a.mxsort")},
        {"preference": 20, "host": DNS_CASES("mx-b.mxsort")},
        {"preference": 30, "host": "mx-c.example.net"},
    ]


def test_no_mx_with_address_is_implicit_mx(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 6.1 / RFC 5321 5.1: NODATA for MX, the name has A -> none,
    # implicit_mx true.
    for label in ("implicit", "aonly"):
        result = scan_json(scan, DNS_CASES(label))
        assert result["status"] == "ok"
        assert (result["mx"]["state"], result["mx"]["implicit_mx"]) == ("none", True)


# =============================================================================================
# Implicit MX from addresses (RFC 5321 5.1; dns-rules.zone)
# =============================================================================================


def test_implicit_mx_from_an_aaaa_record_alone(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 6.1: NODATA means implicit MX (RFC 5321 5.1): the domain itself
    # takes mail if it has A or AAAA; AAAA is enough.
    result = scan_json(scan, DNS_RULES("aaaaimpl"))
    assert (result["mx"]["state"], result["mx"]["implicit_mx"]) == ("none", True)
    assert result["mx"]["hosts"] == []


def test_implicit_mx_unknown_when_the_address_lookups_fail(
    scan: ScanRunner, recording_server: Callable[..., RecordingServer]
) -> None:
    # docs/scanner-decisions.md 6.1 with 0.1: MX answered NODATA (state none), but whether
    # A/AAAA would take mail is unknown when both lookups SERVFAIL: implicit_mx null, never
    # false, with reasons.
    server = recording_server(
        type_faults={
            (DNS_RULES("implfail"), "A"): "SERVFAIL",
            (DNS_RULES("implfail"), "AAAA"): "SERVFAIL",
        }
    )
    result = scan_json(scan, DNS_RULES("implfail"), options=options_for(server))
    assert result["status"] == "ok"
    assert (result["mx"]["state"], result["mx"]["implicit_mx"]) == ("none", None)
    assert len(result["mx"]["errors"]) == 2
    assert all("servfail" in error.lower() for error in result["mx"]["errors"])
