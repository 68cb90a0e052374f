"""External report destinations (RFC 7489 7.1, RFC 9990 4): who may receive a domain's reports.

docs/scanner-decisions.md 4.5. Scenarios on private servers (``org_server``, ``jp_server``).
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.options import ScanOptions
from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import dmarc, scan_json
from tests.scanner.servers import DEST, POL


def destinations(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(x["uri"], x["status"]) for x in d["external_destinations"]]


# =============================================================================================
# Authorised, unauthorised, wildcard-authorised and unconfirmed destinations
# =============================================================================================


def test_external_destination_authorised(scan: Any, org_options: ScanOptions) -> None:
    d = dmarc(scan, "ext-ok.dmarc-cases-pol.test", org_options)
    assert d["state"] == "valid"
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-dest.test", "external_verified")
    ]


def test_external_destination_not_authorised(
    scan: Any, org_options: ScanOptions
) -> None:
    d = dmarc(scan, "ext-no.dmarc-cases-pol.test", org_options)
    assert d["state"] == "valid"  # the policy itself is fine
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-dest.test", "external_unverified")
    ]


def test_external_destination_wildcard_authorisation(
    scan: Any, org_options: ScanOptions
) -> None:
    # RFC 9990 4: the report consumer may publish *._report._dmarc.<host>.
    d = dmarc(scan, "ext-wild.dmarc-cases-pol.test", org_options)
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-wdest.test", "external_verified")
    ]


def test_external_destination_dns_error(scan: Any, org_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 4.5 step 3: DNS error -> "cannot confirm", not "unauthorised";
    # the policy itself was read fine, so dmarc.state stays valid.
    d = dmarc(scan, "ext-fail.dmarc-cases-pol.test", org_options)
    assert d["state"] == "valid"
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-fdest.test", "unverified_dns_error")
    ]


def test_internal_destination(scan: Any, org_options: ScanOptions) -> None:
    d = dmarc(scan, "ext-int.dmarc-cases-pol.test", org_options)
    assert destinations(d) == [("mailto:agg@reports.dmarc-cases-pol.test", "internal")]


def test_authorisation_record_must_be_dmarc1(
    scan: Any, org_options: ScanOptions
) -> None:
    # docs/scanner-decisions.md 4.5 step 4: only TXT RRs starting with v=DMARC1 authorise.
    d = dmarc(scan, "ext-notdmarc.dmarc-cases-pol.test", org_options)
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-dest.test", "external_unverified")
    ]


# =============================================================================================
# Destination edge cases: inherited records, size suffixes, names too long
# =============================================================================================


def test_inherited_record_authorisation_uses_the_org_domain(
    scan: Any, org_options: ScanOptions
) -> None:
    # docs/scanner-decisions.md 4.5 step 2: <policy-domain> is where the record was found (the
    # org domain).
    d = dmarc(scan, "sub.dmarc-cases-pol2.test", org_options)
    assert d["inherited"] is True
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-dest.test", "external_verified")
    ]


def test_size_suffix_is_not_part_of_the_destination_host(
    scan: Any, org_options: ScanOptions
) -> None:
    d = dmarc(scan, "ext-size.dmarc-cases-pol.test", org_options)
    assert [x["host"] for x in d["external_destinations"]] == [
        "rcpt.dmarc-cases-dest.test"
    ]
    assert [x["status"] for x in d["external_destinations"]] == ["external_verified"]


def test_each_uri_is_judged_on_its_own(scan: Any, org_options: ScanOptions) -> None:
    d = dmarc(scan, "ext-mixed.dmarc-cases-pol.test", org_options)
    assert sorted(destinations(d)) == sorted(
        [
            ("mailto:a@rcpt.dmarc-cases-wdest.test", "external_verified"),
            ("mailto:b@other.dmarc-cases-dest.test", "external_unverified"),
            ("mailto:f@dmarc-cases-pol.test", "internal"),
        ]
    )


def test_authorisation_name_too_long(scan: Any, org_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 4.5 step 3: the name would exceed DNS limits -> not verified
    # (and no crash).
    domain = f"{'l' * 63}.{'m' * 63}.dmarc-cases-pol3.test"
    data = scan_json(scan, domain, org_options)
    assert data["status"] == "ok"
    d = data["dmarc"]
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert [x["status"] for x in d["external_destinations"]] == ["external_unverified"]


def test_wildcard_authorisation_shadowed_by_an_existing_node(
    scan: Any, org_options: ScanOptions
) -> None:
    # RFC 9990 4 step 5: the receiver queries the constructed name
    # "ext-shadow.dmarc-cases-pol.test._report._dmarc.rcpt.dmarc-cases-wdest2.test"; the
    # consumer's record for other.dmarc-cases-pol.test makes "dmarc-cases-pol.test._report..."
    # exist, so the wildcard does not apply below it (RFC 4592 3.3.1) -> NXDOMAIN -> "a positive
    # determination ... cannot be made" (step 7). Querying "*._report._dmarc.<host>" literally
    # would claim an authorisation no receiver can see.
    d = dmarc(scan, "ext-shadow.dmarc-cases-pol.test", org_options)
    assert destinations(d) == [
        ("mailto:agg@rcpt.dmarc-cases-wdest2.test", "external_unverified")
    ]


def test_too_long_authorisation_name_is_not_saved_by_a_wildcard(
    scan: Any, org_options: ScanOptions
) -> None:
    # RFC 9990 4 step 4: "If the length of the constructed name exceed DNS limits, a positive
    # determination of the external reporting relationship cannot be made; stop." The consumer's
    # wildcard cannot help: no receiver can ask a name that long.
    domain = f"{'l' * 63}.{'k' * 63}.dmarc-cases-pol3.test"
    d = dmarc(scan, domain, org_options)
    assert d["state"] == "valid"
    assert [x["status"] for x in d["external_destinations"]] == ["external_unverified"]


# =============================================================================================
# Verification step by step (RFC 9990 4), on go.jp and lg.jp names
# =============================================================================================


def test_city_reporting_to_its_prefecture_is_internal_under_the_psl(
    scan: Any, jp_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 4.6 (b): the PSL puts city.rulesx.lg.jp and pref.rulesx.lg.jp
    # under one organisational domain (rulesx.lg.jp), so RFC 7489 7.1 asks no authorisation.
    d = dmarc(scan, "city.rulesx.lg.jp", options_for(jp_server))
    assert d["state"] == "valid"
    assert destinations(d) == [("mailto:dmarc@pref.rulesx.lg.jp", "internal")]


def test_ministries_reporting_to_one_cert(scan: Any, jp_server: DnsServer) -> None:
    # docs/scanner-decisions.md 4.5: government domains sending rua to one CERT.
    # go.jp is a public suffix, so rulescert.go.jp is another organisation: the CERT must
    # publish <ministry>._report._dmarc.rulescert.go.jp (steps 1-4); the ministry's own is
    # internal.
    options = options_for(jp_server)
    one = dmarc(scan, "rulesmin.go.jp", options)
    assert destinations(one) == [
        ("mailto:dmarc@rulesmin.go.jp", "internal"),
        ("mailto:dmarc@rulescert.go.jp", "external_verified"),
    ]
    assert (
        one["external_destinations"][1]["authorized_by"]
        == "rulesmin.go.jp._report._dmarc.rulescert.go.jp"
    )
    two = dmarc(scan, "rulesmin2.go.jp", options)
    assert destinations(two) == [
        ("mailto:dmarc@rulescert.go.jp", "external_unverified")
    ]
    assert (
        two["state"] == "valid"
    )  # a destination problem never changes the policy state


def test_override_rua_on_the_same_host_is_verified(
    scan: Any, jp_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 4.5 step 6 / RFC 9990 4 step 9: a rua in the authorisation
    # record replaces the destination; on the same destination host that is allowed.
    d = dmarc(scan, f"ovr-same.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert (dest["status"], dest["detail"]) == ("external_verified", "override")


def test_override_rua_on_another_host_is_not_a_verified_destination(
    scan: Any, jp_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 4.5 step 6: the override "MUST use the same host". RFC 9990 4:
    # "if the confirming record includes a URI whose host is again different than the domain
    # publishing that override, the Mail Receiver generating the report MUST NOT generate a
    # report to either the original or the override URI" (RFC 7489 7.1 says the same). No report
    # goes there, so the destination is not verified.
    d = dmarc(scan, f"ovr-other.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert dest["detail"] == "override_other_host"
    assert dest["status"] == "external_unverified"


def test_one_dmarc1_record_among_other_txt_authorises(
    scan: Any, jp_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 4.5 step 4: keep the TXT RRs that start with v=DMARC1; at least
    # one -> authorised.
    d = dmarc(scan, f"multitxt.{POL}", options_for(jp_server))
    assert destinations(d) == [(f"mailto:agg@rcpt.{DEST}", "external_verified")]


@pytest.mark.parametrize("label", ["lowerv", "notfirst"])
def test_authorisation_needs_v_dmarc1_first_and_case_sensitive(
    scan: Any, jp_server: DnsServer, label: str
) -> None:
    # docs/scanner-decisions.md 4.5 step 4, RFC 9990 4 step 6: "v=DMARC1" is mandatory and MUST
    # appear first (the value is case-sensitive, RFC 9989 4.7): "v=dmarc1" and "rua=...;
    # v=DMARC1" do not authorise.
    d = dmarc(scan, f"{label}.{POL}", options_for(jp_server))
    assert destinations(d) == [(f"mailto:agg@rcpt.{DEST}", "external_unverified")]


def test_policy_domain_is_asked_as_an_a_label(scan: Any, jp_server: DnsServer) -> None:
    # docs/scanner-decisions.md 4.5 step 2: "<policy-domain> ... as an A-label".
    d = dmarc(scan, f"ドメイン.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert dest["status"] == "external_verified"
    assert dest["authorized_by"] == f"xn--eckwd4c7c.{POL}._report._dmarc.rcpt.{DEST}"


def test_destination_host_is_compared_and_asked_in_lower_case(
    scan: Any, jp_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 4.5 step 1: the URI host (DNS names are case-insensitive, RFC
    # 4343).
    d = dmarc(scan, f"upper.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert (dest["host"], dest["status"]) == (f"rcpt.{DEST}", "external_verified")
