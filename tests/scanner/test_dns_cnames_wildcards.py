"""CNAME chains, dangling CNAMEs, wildcards and compact denial (RFC 1034 3.6.2, RFC 4592, RFC 9824).

Every lookup is filtered by its version tag, so a wildcard or a "redirect-to-apex" DNS host that
answers ``_dmarc`` with the apex records publishes nothing (docs/scanner-decisions.md 0.4, 7.5,
7.7). Scenarios: tests/zones/dns-cases.zone and dns-rules.zone.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.result import PROTOCOLS
from tests.conftest import ScanRunner, options_for
from tests.scanner.helpers import ALL_TEMPERROR, DNS_CASES, DNS_RULES, scan_json, states
from tests.scanner.servers import RecordingServer

# =============================================================================================
# CNAME chains, dangling CNAMEs, wildcards (dns-cases.zone)
# =============================================================================================


def test_cname_chain_at_the_apex_is_followed(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.5: the resolver follows the chain; the data is the target's.
    result = scan_json(scan, DNS_CASES("apexcn"))
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "valid"
    assert result["spf"]["record"] == "v=spf1 ip4:192.0.2.8 -all"
    assert result["mx"]["state"] == "found"
    assert result["mx"]["hosts"] == [{"preference": 10, "host": DNS_CASES("mx.apexcn")}]
    assert result["dmarc"]["state"] == "valid"


def test_cname_chain_at_dmarc_and_mta_sts_is_followed(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 4.1, 7.5: hosted DMARC / MTA-STS through CNAMEs is the domain's
    # own record.
    result = scan_json(scan, DNS_CASES("dmcn"))
    assert result["dmarc"]["state"] == "valid"
    assert result["dmarc"]["p"] == "quarantine"
    assert result["dmarc"]["inherited"] is False
    assert result["dmarc"]["rua"] == ["mailto:agg@reports.dns-cases.test"]
    assert result["mta_sts"]["state"] == "found"
    assert result["mta_sts"]["record"] == "v=STSv1; id=hosted20240501"


def test_cname_loop_at_dmarc_is_temperror(scan: ScanRunner) -> None:
    # A CNAME loop reaches a stub as SERVFAIL (docs/scanner-decisions.md 7.1 table): temperror,
    # never none, and no fallback to the organizational domain (docs/result-schema.md).
    result = scan_json(scan, DNS_CASES("dmloop"))
    assert result["status"] == "ok"
    assert result["dmarc"]["state"] == "temperror"
    assert result["dmarc"]["inherited"] is False
    assert result["spf"]["state"] == "valid"


def test_cname_loop_at_the_apex_is_status_error(scan: ScanRunner) -> None:
    # Apex TXT and MX both SERVFAIL -> status error, every protocol temperror (result-schema).
    result = scan_json(scan, DNS_CASES("aloop"))
    assert result["status"] == "error"
    assert states(result) == ALL_TEMPERROR


def test_dangling_cname_at_dmarc_and_mta_sts_is_none(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.5: CNAME to a nonexistent target is NXDOMAIN (with the CNAME):
    # the record does not exist -> none, not temperror.
    result = scan_json(scan, DNS_CASES("dmdangle"))
    assert result["status"] == "ok"
    assert result["dmarc"]["state"] == "none"
    assert result["mta_sts"]["state"] == "none"
    assert result["spf"]["state"] == "valid"


def test_dangling_cname_at_mta_sts_is_reported(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.5: CNAMEs are common at _dmarc and _mta-sts; a CNAME to a
    # nonexistent target: 'report "dangling CNAME"' (DMARC does, as dangling_cname:<target>).
    result = scan_json(scan, DNS_CASES("dmdangle"))
    assert any("dangling" in w for w in result["dmarc"]["warnings"])
    assert any("dangling" in w for w in result["mta_sts"]["warnings"]), result[
        "mta_sts"
    ]


def test_dangling_cname_at_the_apex_is_not_an_error(scan: ScanRunner) -> None:
    # The apex answers NXDOMAIN through a dangling CNAME: nothing is published, nothing is
    # temperror (docs/scanner-decisions.md 7.1/7.5); the registry keepers should hear of it
    # (nxdomain).
    result = scan_json(scan, DNS_CASES("apexdangle"))
    assert result["status"] == "nxdomain"
    assert states(result) == dict.fromkeys(PROTOCOLS, "none")


def test_wildcard_copying_apex_txt_is_filtered_by_version_tags(
    scan: ScanRunner,
) -> None:
    # docs/scanner-decisions.md 0.4, 7.7: *.wild answers _dmarc, _mta-sts, _smtp._tls,
    # default._bimi and _adsp._domainkey with the apex TXT set; none of them carries the right
    # version tag.
    result = scan_json(scan, DNS_CASES("wild"))
    assert result["status"] == "ok"
    assert result["wildcard"] is True
    assert result["spf"]["state"] == "valid"
    assert states(result) | {"spf": None, "dkim": None} == {
        "spf": None,
        "dmarc": "none",
        "dkim": None,
        "adsp": "none",
        "mx": "found",
        "sender_id": "none",
        "mta_sts": "none",
        "tls_rpt": "none",
        "bimi": "none",
    }
    assert result["dkim"]["state"] != "found"
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert result[name]["record"] is None, name


def test_empty_non_terminal_apex_exists(scan: ScanRunner) -> None:
    # RFC 8020 / docs/scanner-decisions.md 7.1: NOERROR/NODATA at the apex (only _dmarc below
    # it) means the name exists: status ok, SPF and MX none, DMARC valid.
    result = scan_json(scan, DNS_CASES("emptynt"))
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "none"
    assert result["mx"]["state"] == "none"
    assert result["mx"]["implicit_mx"] is False
    assert result["dmarc"]["state"] == "valid"


# =============================================================================================
# A dangling CNAME is NXDOMAIN with the chain in the answer (docs/scanner-decisions.md 7.5)
# =============================================================================================


def test_dangling_cname_at_tls_rpt_and_bimi_is_none_and_reported(
    scan: ScanRunner,
) -> None:
    # docs/scanner-decisions.md 7.5: a CNAME to a nonexistent target is NXDOMAIN with the
    # chain in the answer, reported as a dangling CNAME; the tests above pin _dmarc/_mta-sts.
    result = scan_json(scan, DNS_RULES("dangle"))
    assert result["status"] == "ok"
    assert (result["tls_rpt"]["state"], result["bimi"]["state"]) == ("none", "none")
    assert result["tls_rpt"]["warnings"] == [
        "dangling_cname:_gone._hosted.dns-rules.test"
    ]
    assert "dangling_cname:_gone2._hosted.dns-rules.test" in result["bimi"]["warnings"]


# =============================================================================================
# CNAMEs to the apex, wildcards, compact denial (dns-rules.zone)
# =============================================================================================


def test_redirect_to_apex_hosting_is_filtered_by_version_tags(
    scan: ScanRunner,
) -> None:
    # docs/scanner-decisions.md 0.4: a "redirect-to-apex" DNS host answers _dmarc, _mta-sts,
    # _smtp._tls with the apex records (here CNAMEs to the apex: SPF + a verification token).
    # "Always filter by the version tag": none of them is DMARC, MTA-STS, TLS-RPT or BIMI.
    result = scan_json(scan, DNS_RULES("r2a"))
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "valid"
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert (result[name]["state"], result[name]["record"]) == ("none", None), name
    assert result["dmarc"]["p"] is None
    assert result["dmarc"]["enforcement"] is None


def test_wildcard_with_other_types_only_is_still_a_wildcard(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.7: the random-label probe sets wildcard: true when *.<domain>
    # answers; a wildcard holding only an A record answers TXT with NOERROR/NODATA: the name
    # exists. "which downgrades all existence inferences (2.6)": _domainkey exists only by
    # wildcard.
    result = scan_json(scan, DNS_RULES("wildany"))
    assert result["wildcard"] is True
    assert (result["dkim"]["state"], result["dkim"]["evidence"]) == (
        "domainkey_exists",
        "wildcard_zone",
    )


def test_wildcard_only_below_domainkey_is_not_a_zone_wildcard(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.7: the probe is <rand16>.<domain>; *._domainkey answers
    # nothing there, so the domain is not a wildcard domain (its DKIM evidence says what it is:
    # 2.6 caveat 3).
    result = scan_json(scan, DNS_RULES("dkwild"))
    assert result["wildcard"] is False
    assert result["dkim"]["evidence"] == "wildcard_revoked"
    assert result["dkim"]["state"] != "found"


def test_compact_denial_is_a_wildcard_not_dkim_evidence(
    scan: ScanRunner, recording_server: Callable[..., RecordingServer]
) -> None:
    # docs/scanner-decisions.md 2.6 caveat 5 and 7.7: an online-signing server answering
    # nonexistent names with NOERROR/NODATA ("black lies", RFC 9824) makes _domainkey "exist".
    # "Detect with the same random-label probe": wildcard true, and the RFC 8020 inference is
    # not reported as evidence of a key (domainkey_nodata).
    server = recording_server(compact_denial=(DNS_RULES("blacklie"),))
    result = scan_json(scan, DNS_RULES("blacklie"), options=options_for(server))
    assert result["status"] == "ok"
    assert result["wildcard"] is True
    assert result["dkim"]["state"] != "found"
    assert result["dkim"]["evidence"] == "wildcard_zone"
    assert (result["dmarc"]["state"], result["mta_sts"]["state"]) == ("none", "none")
