"""MTA-STS, TLS-RPT and BIMI TXT records (tests/zones/misc.zone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scanner.engine import check_domains_sync
from scanner.extras import (
    ExtraResult,
    check_bimi,
    check_mta_sts,
    check_tls_rpt,
    parse_bimi,
    parse_mta_sts,
    parse_tls_rpt,
)
from tests.conftest import ScanRunner, options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import DNS_CASES, DNS_RULES, scan_json, validated
from tests.scanner.servers import RecordingServer


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


# A zone under a real public suffix (co.jp, PSL), so the organizational domain of a
# sub-domain is a name we control: BIMI and DMARC inheritance, and failures at the org level.
BRAND_ZONES = (
    """
$ORIGIN brand-cases.co.jp.
@                     SOA ns.brand-cases.co.jp. hostmaster.brand-cases.co.jp. 1 3600 600 86400 300
@                     NS  ns.brand-cases.co.jp.
@                     TXT "v=spf1 -all"
_dmarc                TXT "v=DMARC1; p=reject"
default._bimi         TXT "v=BIMI1; l=https://brand-cases.co.jp/logo.svg"
news                  TXT "v=spf1 -all"
optout                TXT "v=spf1 -all"
default._bimi.optout  TXT "v=BIMI1; l=;"
dmfail                TXT "v=spf1 -all"
; @fault _dmarc.dmfail servfail
_dmarc.dmfail         TXT "v=DMARC1; p=none"
bimifail              TXT "v=spf1 -all"
; @fault _bimi.bimifail servfail
dup                   TXT "v=spf1 -all"
default._bimi.dup     TXT "v=BIMI1; l=https://brand-cases.co.jp/dup-1.svg"
default._bimi.dup     TXT "v=BIMI1; l=https://brand-cases.co.jp/dup-2.svg"
wildsub               TXT "v=spf1 -all"
*.wildsub             TXT "v=spf1 -all"
""",
    """
$ORIGIN brokenbrand-cases.co.jp.
@                     SOA ns.brokenbrand-cases.co.jp. h.brokenbrand-cases.co.jp. 1 3600 600 86400 300
@                     NS  ns.brokenbrand-cases.co.jp.
@                     TXT "v=spf1 -all"
; @fault _bimi servfail
default._bimi         TXT "v=BIMI1; l=https://brokenbrand-cases.co.jp/logo.svg"
shop                  TXT "v=spf1 -all"
""",
)


@pytest.fixture
def brand_server(dns_server_factory: Callable[..., DnsServer]) -> DnsServer:
    return dns_server_factory(zone_texts=BRAND_ZONES)


# =============================================================================================
# MTA-STS, TLS-RPT, BIMI through the whole scan (docs/scanner-decisions.md 6.2-6.4)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "state", "record"),
    [
        ("sts-ok", "found", "v=STSv1; id=20240501T120000;"),
        ("sts-id32", "found", "v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345"),
        # RFC 8461 3.1: id is 1*32(ALPHA / DIGIT); invalid record -> no MTA-STS
        ("sts-longid", "none", None),
        ("sts-badid", "none", None),
        ("sts-noid", "none", None),
        # "If the number of resulting records is not one ... no available MTA-STS policy"
        ("sts-two", "none", None),
        # records not beginning "v=STSv1;" are discarded first
        ("sts-mixed", "found", "v=STSv1; id=mixed1"),
        ("sts-lower", "none", None),
        # one RR, two character-strings: concatenated (RFC 7208 3.3 style, RFC 1035 3.3.14)
        ("sts-split", "found", "v=STSv1; id=split20240501"),
        # sts-extension fields are allowed
        ("sts-ext", "found", "v=STSv1;id=ext1;future=value"),
    ],
)
def test_mta_sts_record_rules(
    scan: ScanRunner, label: str, state: str, record: str | None
) -> None:
    result = scan_json(scan, DNS_CASES(label))
    assert result["mta_sts"]["state"] == state
    if record is not None:
        assert result["mta_sts"]["record"] == record


@pytest.mark.parametrize(
    ("label", "state"),
    [
        ("rpt-ok", "found"),
        ("rpt-https", "found"),
        ("rpt-multi", "found"),
        # RFC 8460 3: rua is REQUIRED
        ("rpt-norua", "none"),
        # rua must hold at least one URI (tlsrpt-rua = "rua=" tlsrpt-uri ...)
        ("rpt-emptyrua", "none"),
        ("rpt-baduri", "none"),
        # not exactly one v=TLSRPTv1 record -> no TLS-RPT
        ("rpt-two", "none"),
        ("rpt-mixed", "found"),
        # "v=TLSRPTv10" does not begin with "v=TLSRPTv1;"
        ("rpt-v10", "none"),
    ],
)
def test_tls_rpt_record_rules(scan: ScanRunner, label: str, state: str) -> None:
    result = scan_json(scan, DNS_CASES(label))
    assert result["tls_rpt"]["state"] == state


@pytest.mark.parametrize(
    ("label", "state"),
    [
        ("bimi-ok", "found"),
        # no v=BIMI1 first: "the entire retrieved record MUST be ignored" (draft 4.3)
        ("bimi-nov", "none"),
        ("bimi-mixed", "found"),
    ],
)
def test_bimi_record_rules(scan: ScanRunner, label: str, state: str) -> None:
    result = scan_json(scan, DNS_CASES(label))
    assert result["bimi"]["state"] == state


def test_bimi_declination_is_flagged(scan: ScanRunner) -> None:
    # draft-brand-indicators-for-message-identification-10 4.3.1: empty l= and a= is "an
    # explicit refusal to participate ... distinct from not publishing a BIMI record", so a
    # published record (found) that must be told apart from a logo: declined true.
    result = scan_json(scan, DNS_CASES("bimi-decline"))
    assert result["bimi"]["state"] == "found"
    assert result["bimi"]["declined"] is True
    assert result["bimi"]["l"] is None


def test_bimi_and_dmarc_inherited_from_the_org_domain(
    scan: ScanRunner, brand_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 6.4: BIMI falls back to the org domain's record (co.jp is a
    # public suffix, so news.brand-cases.co.jp inherits from brand-cases.co.jp); DMARC likewise
    # (4.1).
    options = options_for(brand_server)
    apex = scan_json(scan, "brand-cases.co.jp", options=options)
    assert apex["bimi"]["state"] == "found"
    news = scan_json(scan, "news.brand-cases.co.jp", options=options)
    assert news["status"] == "ok"
    assert news["bimi"]["state"] == "found"
    assert news["bimi"]["record"] == "v=BIMI1; l=https://brand-cases.co.jp/logo.svg"
    assert (news["dmarc"]["state"], news["dmarc"]["inherited"]) == ("valid", True)


def test_bimi_declination_blocks_inheritance(
    scan: ScanRunner, brand_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 6.4: the fallback is taken only "when the author domain has
    # none"; the draft (4.3.1): a declination lets a subdomain opt out of its org domain's
    # Indicator.
    result = scan_json(
        scan, "optout.brand-cases.co.jp", options=options_for(brand_server)
    )
    assert result["bimi"]["record"] == "v=BIMI1; l=;"
    assert result["bimi"]["declined"] is True
    assert result["bimi"]["inherited"] is False


def test_bimi_several_records_end_discovery_without_fallback(
    scan: ScanRunner, brand_server: DnsServer
) -> None:
    # BIMI draft-10 7.2: the org domain is asked only "if the set is now empty"; two
    # v=BIMI1 records at the author domain -> "Assertion Record Discovery terminates".
    result = scan_json(scan, "dup.brand-cases.co.jp", options=options_for(brand_server))
    assert result["bimi"]["state"] == "none"
    assert result["bimi"]["inherited"] is not True


def test_bimi_wildcard_answer_without_version_falls_back_to_org(
    scan: ScanRunner, brand_server: DnsServer
) -> None:
    # BIMI draft-10 7.2 steps 4 and 6: records without v=BIMI1 are discarded, the set is empty,
    # so the org domain's record applies (docs/scanner-decisions.md 0.4: filter by version tag).
    result = scan_json(
        scan, "wildsub.brand-cases.co.jp", options=options_for(brand_server)
    )
    assert result["wildcard"] is True
    assert (result["bimi"]["state"], result["bimi"]["inherited"]) == ("found", True)
    assert result["bimi"]["record"] == "v=BIMI1; l=https://brand-cases.co.jp/logo.svg"


def test_failures_are_not_replaced_by_the_org_domain(
    scan: ScanRunner, brand_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 4.1: "A DNS error at _dmarc.<domain> is temperror: never fall
    # back to the parent on an error"; the same holds for default._bimi
    # (docs/scanner-decisions.md 7.2, result-schema).
    options = options_for(brand_server)
    dmfail = scan_json(scan, "dmfail.brand-cases.co.jp", options=options)
    assert dmfail["status"] == "ok"
    assert (dmfail["dmarc"]["state"], dmfail["dmarc"]["inherited"]) == (
        "temperror",
        False,
    )
    assert dmfail["dmarc"]["p"] is None
    bimifail = scan_json(scan, "bimifail.brand-cases.co.jp", options=options)
    assert bimifail["bimi"]["state"] == "temperror"


def test_org_domain_failure_during_bimi_fallback_is_temperror(
    scan: ScanRunner, brand_server: DnsServer
) -> None:
    # shop has no BIMI record; the org domain's default._bimi SERVFAILs: unknown, not none.
    result = scan_json(
        scan, "shop.brokenbrand-cases.co.jp", options=options_for(brand_server)
    )
    assert result["status"] == "ok"
    assert result["bimi"]["state"] == "temperror"


# =============================================================================================
# TLS-RPT rua schemes and version tag (RFC 8460 3)
# =============================================================================================


@pytest.mark.parametrize("label", ["rpt-http", "rpt-case"])
def test_tls_rpt_needs_https_or_mailto_and_the_exact_version(
    scan: ScanRunner, label: str
) -> None:
    # docs/scanner-decisions.md 6.3: "rua= (mailto: or https:) REQUIRED" (an http: URI is
    # neither); records beginning v=TLSRPTv1 are kept (RFC 8460 3: %s"v=TLSRPTv1",
    # case-sensitive).
    result = scan_json(scan, DNS_RULES(label))
    assert result["tls_rpt"]["state"] == "none"
    assert result["tls_rpt"]["rua"] is None


# =============================================================================================
# URLs in records are never followed (docs/scanner-decisions.md 6.2, 6.4)
# =============================================================================================


def test_urls_in_records_are_not_followed(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 6.2 "The HTTPS fetch is not DNS ... report TXT presence only",
    # 6.4 "TXT presence and tags only, no URL fetching"; docs/scanner-decisions.md 10 "never
    # follow it anywhere but DNS". Fetching the MTA-STS policy, the BIMI logo or VMC would first
    # resolve their hosts.
    server = recording_server()
    (result,) = check_domains_sync([DNS_RULES("urls")], options_for(server))
    data = validated(result.to_json())
    assert (
        data["mta_sts"]["state"],
        data["tls_rpt"]["state"],
        data["bimi"]["state"],
    ) == (
        "found",
        "found",
        "found",
    )
    hosts = {
        f"{label}.urls.{DNS_RULES}" for label in ("mta-sts", "logo", "vmc", "reports")
    }
    assert [a.name for a in server.log if a.name in hosts] == []
