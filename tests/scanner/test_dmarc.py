"""check_dmarc against the loopback DNS server (tests/zones/jp-*.zone, tests/zones/dmarc*.zone).

Scenarios follow docs/scanner-decisions.md 4: record selection, the RFC 7489 PSL fall-back, the
RFC 9989 tree walk beside it, go.jp / lg.jp, DNS failures (never ``none``, never inherited),
report destination verification.
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.dmarc import DmarcResult, check_dmarc
from tests.conftest import ZONES_DIR, ScanRunner, options_for

CONTRACT_KEYS = {
    "state", "record", "p", "sp", "np", "pct", "t", "enforcement", "rua", "ruf", "inherited",
    "source_domain", "org_domain_psl", "org_domain_treewalk", "warnings",
}  # fmt: skip


@pytest.fixture
def dmarc(scan: ScanRunner) -> Any:
    """``dmarc("soumu.go.jp")`` -> the result's JSON object."""

    def run(domain: str) -> dict[str, Any]:
        result: DmarcResult = scan(lambda ctx: check_dmarc(domain, ctx))
        data = result.to_json()
        assert CONTRACT_KEYS <= data.keys()
        return data

    return run


# --- go.jp: own records, inheritance, policy strength ------------------------------------


def test_ministry_with_reject_is_valid_and_enforcing(dmarc: Any) -> None:
    data = dmarc("soumu.go.jp")
    assert data["state"] == "valid"
    assert (data["p"], data["sp"], data["np"]) == ("reject", "quarantine", "reject")
    assert (data["pct"], data["t"], data["enforcement"]) == (100, "n", "reject")
    assert data["inherited"] is False and data["source_domain"] == "soumu.go.jp"
    assert data["org_domain_psl"] == data["org_domain_treewalk"] == "soumu.go.jp"
    assert data["rua"] == ["mailto:dmarc-rua@soumu.go.jp"]
    assert data["ruf"] == ["mailto:dmarc-ruf@soumu.go.jp"]
    assert data["warnings"] == [] and data["errors"] == []


def test_existing_subdomain_inherits_sp_from_org_domain(dmarc: Any) -> None:
    data = dmarc("www.soumu.go.jp")
    assert (data["state"], data["inherited"], data["source_domain"]) == (
        "valid",
        True,
        "soumu.go.jp",
    )
    assert data["p"] == "reject"  # the record's p, as published
    assert data["policy_applied"] == "quarantine"  # sp, for an existing subdomain
    assert data["enforcement"] == "quarantine"
    assert data["treewalk"]["source_domain"] == "soumu.go.jp"


def test_nonexistent_subdomain_gets_np_from_org_domain(dmarc: Any) -> None:
    data = dmarc("nosuch.soumu.go.jp")
    assert (data["state"], data["inherited"]) == ("valid", True)
    assert (
        data["policy_applied"] == "reject"
    )  # np: the name is NXDOMAIN (RFC 9989 3.2.13)
    assert data["treewalk"]["policy_applied"] == "reject"


def test_kaiho_inherits_mlit_sp_none_as_monitoring(dmarc: Any) -> None:
    data = dmarc("kaiho.mlit.go.jp")
    assert (data["state"], data["inherited"], data["source_domain"]) == (
        "valid",
        True,
        "mlit.go.jp",
    )
    assert (data["p"], data["sp"], data["policy_applied"]) == (
        "quarantine",
        "none",
        "none",
    )
    assert data["enforcement"] == "monitoring"
    assert data["org_domain_psl"] == data["org_domain_treewalk"] == "mlit.go.jp"


def test_pct_50_is_partial_enforcement(dmarc: Any) -> None:
    data = dmarc("mhlw.go.jp")
    assert (data["p"], data["pct"], data["enforcement"]) == (
        "quarantine",
        50,
        "partial",
    )
    assert "pct_removed_in_rfc9989" in data["warnings"]


def test_testing_mode_t_y_is_monitoring_not_reject(dmarc: Any) -> None:
    data = dmarc("maff.go.jp")
    assert (data["p"], data["t"], data["enforcement"]) == ("reject", "y", "monitoring")


def test_hosted_dmarc_via_cname_is_followed_and_reported(dmarc: Any) -> None:
    data = dmarc("env.go.jp")
    assert (data["state"], data["p"], data["inherited"]) == ("valid", "reject", False)
    assert (
        data["source_domain"] == "env.go.jp"
    )  # the policy domain, not the provider's name
    assert data["cname_target"] == "env-go-jp.policy.hosted.dmarc.test"


def test_hosted_rua_verified_by_providers_wildcard(dmarc: Any) -> None:
    (destination,) = dmarc("env.go.jp")["external_destinations"]
    assert destination["status"] == "external_verified"
    assert (
        destination["authorized_by"] == "env.go.jp._report._dmarc.rua.hosted.dmarc.test"
    )


def test_dangling_cname_at_dmarc_is_none_with_a_warning(dmarc: Any) -> None:
    data = dmarc("cao.go.jp")
    assert data["state"] == "none"
    assert "dangling_cname:gone.hosted.dmarc.test" in data["warnings"]


def test_external_destinations_verified_unverified_and_dns_error(dmarc: Any) -> None:
    data = dmarc("meti.go.jp")
    status = {d["host"]: d["status"] for d in data["external_destinations"]}
    assert (
        status
        == {
            "meti.go.jp": "internal",
            "cert.hosted.dmarc.test": "external_verified",
            "nothing.hosted.dmarc.test": "external_unverified",
            "flaky.hosted.dmarc.test": "unverified_dns_error",
            "wrong.hosted.dmarc.test": "external_unverified",  # TXT there is SPF, not v=DMARC1
            # RFC 9990 4: its override names another host, so no report is sent at all.
            "override.hosted.dmarc.test": "external_unverified",
        }
    )
    assert "rua_external_unverified:nothing.hosted.dmarc.test" in data["warnings"]
    assert "rua_unverified_dns_error:flaky.hosted.dmarc.test" in data["warnings"]
    assert data["state"] == "valid"  # a destination problem never changes the state


def test_authorization_override_to_another_host_is_flagged(dmarc: Any) -> None:
    ruf = [d for d in dmarc("meti.go.jp")["external_destinations"] if d["tag"] == "ruf"]
    assert ruf[0]["detail"] == "override_other_host"


def test_external_destination_lookups_are_bounded(dmarc: Any) -> None:
    destinations = dmarc("manyhosts.dmarc.test")["external_destinations"]
    assert len(destinations) == 12
    not_checked = [d["host"] for d in destinations if d["detail"] == "not_checked"]
    assert not_checked == ["h11.example.jp", "h12.example.jp"]
    assert {d["status"] for d in destinations} == {"external_unverified"}


# --- DNS errors: temperror, never none, never inherited -------------------------------------


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("broken.soumu.go.jp", "servfail"),
        ("refused.soumu.go.jp", "refused"),
        ("slow.soumu.go.jp", "timeout"),
    ],
)
def test_dns_error_at_own_dmarc_is_temperror_and_not_inherited(
    dmarc: Any, domain: str, reason: str
) -> None:
    data = dmarc(domain)
    assert data["state"] == "temperror"
    assert data["inherited"] is False and data["source_domain"] is None
    assert data["record"] is None and data["p"] is None and data["enforcement"] is None
    assert data["errors"] == [f"dns_{reason}:_dmarc.{domain}"]
    assert data["treewalk"]["state"] == "temperror"  # the walk does not skip it either


def test_servfail_at_org_domain_dmarc_is_temperror_for_the_subdomain(
    dmarc: Any,
) -> None:
    data = dmarc("www.mext.go.jp")
    assert data["state"] == "temperror"
    assert data["errors"] == ["dns_servfail:_dmarc.mext.go.jp"]
    assert data["inherited"] is False


def test_servfail_at_own_dmarc_of_an_org_domain_is_temperror(dmarc: Any) -> None:
    assert dmarc("mext.go.jp")["state"] == "temperror"


def test_cname_loop_at_dmarc_is_temperror(dmarc: Any) -> None:
    data = dmarc("loop.dmarc.test")
    assert data["state"] == "temperror"


def test_whole_server_failing_gives_temperror_not_none(
    scan: ScanRunner, dns_server_factory: Any
) -> None:
    server = dns_server_factory(mode="servfail")
    result = scan(
        lambda ctx: check_dmarc("soumu.go.jp", ctx), options=options_for(server)
    )
    assert result.state == "temperror"
    assert result.to_json()["org_domain_treewalk"] is None


# --- lg.jp: PSL and tree walk disagree -------------------------------------------------------


def test_lg_jp_subdomain_no_policy_under_psl_but_city_policy_under_tree_walk(
    dmarc: Any,
) -> None:
    data = dmarc("mail.city.hiroshima.lg.jp")
    assert data["state"] == "none"  # RFC 7489 looked at _dmarc.hiroshima.lg.jp
    assert data["org_domain_psl"] == "hiroshima.lg.jp"
    assert data["org_domain_treewalk"] == "city.hiroshima.lg.jp"
    walk = data["treewalk"]
    assert (walk["state"], walk["inherited"], walk["source_domain"]) == (
        "valid", True, "city.hiroshima.lg.jp",
    )  # fmt: skip
    assert walk["policy_applied"] == "quarantine"  # the city's sp
    assert {"org_domain_mismatch", "policy_source_mismatch"} <= set(data["warnings"])


def test_city_and_prefecture_share_one_psl_org_domain_but_not_a_tree_walk_one(
    dmarc: Any,
) -> None:
    city, pref = dmarc("city.hiroshima.lg.jp"), dmarc("pref.hiroshima.lg.jp")
    assert city["state"] == pref["state"] == "valid"
    assert (city["p"], pref["p"]) == ("reject", "none")
    assert city["org_domain_psl"] == pref["org_domain_psl"] == "hiroshima.lg.jp"
    assert (city["org_domain_treewalk"], pref["org_domain_treewalk"]) == (
        "city.hiroshima.lg.jp", "pref.hiroshima.lg.jp",
    )  # fmt: skip
    assert "org_domain_mismatch" in city["warnings"]
    assert (
        "policy_source_mismatch" not in city["warnings"]
    )  # both use the city's own record


def test_prefecture_subdomain_inherits_only_under_tree_walk(dmarc: Any) -> None:
    data = dmarc("www.pref.hiroshima.lg.jp")
    assert data["state"] == "none"
    assert data["treewalk"]["source_domain"] == "pref.hiroshima.lg.jp"
    assert data["treewalk"]["enforcement"] == "monitoring"


def test_record_at_go_jp_without_psd_makes_go_jp_the_tree_walk_org_domain(
    scan: ScanRunner, dns_server_factory: Any
) -> None:
    server = dns_server_factory(
        zones_dir=ZONES_DIR,
        zone_texts=['$ORIGIN go.jp.\n_dmarc TXT "v=DMARC1; p=none"\n'],
    )
    result = scan(
        lambda ctx: check_dmarc("soumu.go.jp", ctx), options=options_for(server)
    )
    data = result.to_json()
    assert (data["state"], data["source_domain"], data["p"]) == (
        "valid",
        "soumu.go.jp",
        "reject",
    )
    assert data["org_domain_psl"] == "soumu.go.jp"
    assert (
        data["org_domain_treewalk"] == "go.jp"
    )  # relaxed alignment would span all of go.jp
    assert "org_domain_mismatch" in data["warnings"]


PSD_GO_JP = '$ORIGIN go.jp.\n_dmarc TXT "v=DMARC1; p=reject; sp=quarantine; psd=y"\nkantei A 192.0.2.98\n'


def test_psd_y_at_go_jp_keeps_the_ministry_as_org_domain(
    scan: ScanRunner, dns_server_factory: Any
) -> None:
    server = dns_server_factory(zones_dir=ZONES_DIR, zone_texts=[PSD_GO_JP])
    data = scan(
        lambda ctx: check_dmarc("www.soumu.go.jp", ctx), options=options_for(server)
    ).to_json()
    assert data["org_domain_treewalk"] == data["org_domain_psl"] == "soumu.go.jp"
    assert data["treewalk"]["source_domain"] == "soumu.go.jp"  # not the PSD's record


def test_psd_policy_at_go_jp_covers_a_ministry_without_a_record_only_under_rfc9989(
    scan: ScanRunner, dns_server_factory: Any
) -> None:
    server = dns_server_factory(zones_dir=ZONES_DIR, zone_texts=[PSD_GO_JP])
    data = scan(
        lambda ctx: check_dmarc("kantei.go.jp", ctx), options=options_for(server)
    ).to_json()
    assert (
        data["state"] == "none"
    )  # RFC 7489: the PSL org domain is kantei.go.jp itself
    walk = data["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["org_domain"]) == (
        "valid",
        "go.jp",
        "kantei.go.jp",
    )
    assert walk["policy_applied"] == "quarantine"


def test_psd_record_is_not_used_after_a_dns_error_below_it(
    scan: ScanRunner, dns_server_factory: Any
) -> None:
    server = dns_server_factory(zones_dir=ZONES_DIR, zone_texts=[PSD_GO_JP])
    result = scan(
        lambda ctx: check_dmarc("www.mext.go.jp", ctx), options=options_for(server)
    )
    # mext's own _dmarc fails, so even a PSD record above it must not be used.
    assert result.state == "temperror"
    assert result.to_json()["treewalk"]["state"] == "temperror"


def test_dns_error_above_the_own_record_leaves_tree_walk_org_domain_unknown(
    scan: ScanRunner, dns_server_factory: Any
) -> None:
    server = dns_server_factory(
        zones_dir=ZONES_DIR,
        zone_texts=[
            "$ORIGIN go.jp.\nplaceholder A 192.0.2.99\n; @fault _dmarc.go.jp. servfail\n"
        ],
    )
    data = scan(
        lambda ctx: check_dmarc("soumu.go.jp", ctx), options=options_for(server)
    ).to_json()
    assert (data["state"], data["p"], data["org_domain_psl"]) == (
        "valid",
        "reject",
        "soumu.go.jp",
    )
    assert data["org_domain_treewalk"] is None
    assert data["treewalk"]["errors"] == [
        "org_domain_unknown:dns_servfail:_dmarc.go.jp"
    ]


# --- record selection and syntax (tests/zones/dmarc-records.zone) ----------------------------


def test_multiple_records_is_permerror(dmarc: Any) -> None:
    data = dmarc("multi.dmarc.test")
    assert data["state"] == "permerror"
    assert data["errors"] == ["multiple_records"]
    assert data["record"] is None and len(data["records"]) == 2


def test_multiple_records_rfc9989_walk_continues_to_the_parent(dmarc: Any) -> None:
    data = dmarc("multi.org.dmarc.test")
    assert data["state"] == "permerror" and data["errors"] == ["multiple_records"]
    walk = data["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["inherited"]) == (
        "valid",
        "org.dmarc.test",
        True,
    )
    assert walk["policy_applied"] == "quarantine"


def test_spf_record_at_dmarc_from_a_wildcard_is_not_dmarc(dmarc: Any) -> None:
    data = dmarc("wild.dmarc.test")
    assert data["state"] == "none" and data["record"] is None
    assert "spf_record_at_dmarc" in data["warnings"]


def test_dmarc_cname_to_apex_is_not_dmarc(dmarc: Any) -> None:
    data = dmarc("redirect.dmarc.test")
    assert data["state"] == "none"
    assert {"spf_record_at_dmarc", "non_dmarc_txt_at_dmarc"} <= set(data["warnings"])
    assert data["cname_target"] == "redirect.dmarc.test"


def test_dmarc_record_beside_spf_record_is_used(dmarc: Any) -> None:
    data = dmarc("mixed.dmarc.test")
    assert (data["state"], data["p"]) == ("valid", "quarantine")
    assert "spf_record_at_dmarc" in data["warnings"]


def test_uppercase_p_tag_is_not_a_reject_policy(dmarc: Any) -> None:
    data = dmarc("upper.dmarc.test")
    assert data["state"] == "permerror"
    assert data["p"] is None and data["enforcement"] is None
    assert data["errors"] == ["p_missing"]
    assert "tag_name_case:P" in data["warnings"]


def test_uppercase_p_tag_with_rua_counts_as_monitoring(dmarc: Any) -> None:
    data = dmarc("upper-rua.dmarc.test")
    assert (data["state"], data["p"], data["enforcement"]) == (
        "valid",
        "none",
        "monitoring",
    )
    assert "tag_name_case:P" in data["warnings"]


def test_invalid_p_with_rua_is_p_none(dmarc: Any) -> None:
    data = dmarc("badp.dmarc.test")
    assert (data["state"], data["p"], data["p_published"]) == ("valid", "none", "rejet")
    assert "p_invalid_treated_as_none" in data["warnings"]


def test_invalid_p_without_rua_is_permerror(dmarc: Any) -> None:
    data = dmarc("badp-norua.dmarc.test")
    assert (data["state"], data["errors"]) == ("permerror", ["p_invalid"])
    assert data["record"] == "v=DMARC1; p=rejet"


def test_missing_p_with_rua_is_p_none(dmarc: Any) -> None:
    data = dmarc("nop.dmarc.test")
    assert (data["state"], data["p"]) == ("valid", "none")
    assert "p_missing_treated_as_none" in data["warnings"]


def test_missing_p_without_rua_is_flagged(dmarc: Any) -> None:
    data = dmarc("nop-norua.dmarc.test")
    assert (data["state"], data["errors"]) == ("permerror", ["p_missing"])
    assert "p_missing_rfc9989_4_7_reads_none" in data["warnings"]


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("vcase.dmarc.test", "version_tag_case"),
        ("vorder.dmarc.test", "version_not_first"),
        ("nosemi.dmarc.test", "missing_semicolon"),
    ],
)
def test_dmarc_lookalikes_are_permerror(dmarc: Any, domain: str, problem: str) -> None:
    data = dmarc(domain)
    assert (data["state"], data["errors"]) == ("permerror", [problem])
    assert data["p"] is None and len(data["records"]) == 1


def test_duplicate_tag_is_permerror(dmarc: Any) -> None:
    assert dmarc("dup.dmarc.test")["errors"] == ["duplicate_tag:p"]


def test_non_ascii_record_is_permerror_with_visible_text(dmarc: Any) -> None:
    data = dmarc("nonascii.dmarc.test")
    assert (data["state"], data["errors"]) == ("permerror", ["non_ascii"])
    assert "例" in data["record"]


def test_every_tag_is_reported(dmarc: Any) -> None:
    data = dmarc("full.dmarc.test")
    assert (data["p"], data["sp"], data["np"]) == ("reject", "none", "quarantine")
    assert (data["adkim"], data["aspf"], data["fo"], data["psd"]) == (
        "s",
        "s",
        "0:d",
        "n",
    )
    assert data["rua"] == ["mailto:a@full.dmarc.test"]  # the !10m suffix is obsolete
    assert "rua_size_suffix_obsolete" in data["warnings"]


def test_long_record_in_several_strings_over_tcp(dmarc: Any) -> None:
    data = dmarc("long.dmarc.test")
    assert (data["state"], data["p"]) == ("valid", "reject")
    assert len(data["rua"]) == 7 and data["ruf"] == [
        "mailto:failure-reports@long.dmarc.test"
    ]


# --- RFC 9989 tree walk over DNS (tests/zones/dmarc-walk.zone, dmarc-psd.zone) ---------------


def test_psl_and_walk_disagree_under_an_unlisted_organization(dmarc: Any) -> None:
    data = dmarc("www.org.dmarc.test")
    assert data["state"] == "none" and data["org_domain_psl"] == "dmarc.test"
    assert data["org_domain_treewalk"] == "org.dmarc.test"
    assert data["treewalk"]["policy_applied"] == "quarantine"


def test_walk_nonexistent_subdomain_gets_np(dmarc: Any) -> None:
    walk = dmarc("nosuch.org.dmarc.test")["treewalk"]
    assert (walk["source_domain"], walk["policy_applied"]) == (
        "org.dmarc.test",
        "reject",
    )


def test_servfail_at_own_dmarc_walk_does_not_reach_the_parent(dmarc: Any) -> None:
    data = dmarc("sf.org.dmarc.test")
    assert data["state"] == "temperror"
    assert data["treewalk"]["state"] == "temperror"
    assert data["treewalk"]["source_domain"] is None


def test_psd_n_department_is_its_own_org_domain(dmarc: Any) -> None:
    data = dmarc("x.dept.org.dmarc.test")
    assert data["org_domain_treewalk"] == "dept.org.dmarc.test"
    walk = data["treewalk"]
    assert (walk["source_domain"], walk["policy_applied"]) == (
        "dept.org.dmarc.test",
        "quarantine",
    )


def test_thirteen_label_walk_skips_to_seven_labels(dmarc: Any) -> None:
    domain = "b.c.d.e.f.g.h.i.j.k.org.dmarc.test"
    assert len(domain.split(".")) == 13
    data = dmarc(domain)
    # _dmarc.g.h.i.j.k (8 labels, psd=n) is never queried; org.dmarc.test has fewest labels.
    assert data["org_domain_treewalk"] == "org.dmarc.test"
    assert data["treewalk"]["source_domain"] == "org.dmarc.test"
    assert data["treewalk"]["policy_applied"] == "quarantine"


def test_psd_record_applies_to_an_organization_without_its_own(dmarc: Any) -> None:
    data = dmarc("mail.giant.psd.dmarc.test")
    assert data["org_domain_treewalk"] == "giant.psd.dmarc.test"
    walk = data["treewalk"]
    assert (walk["source_domain"], walk["policy_applied"]) == (
        "psd.dmarc.test",
        "quarantine",
    )


def test_psd_record_is_not_used_when_the_organization_publishes(dmarc: Any) -> None:
    data = dmarc("mail.giant2.psd.dmarc.test")
    assert data["org_domain_treewalk"] == "giant2.psd.dmarc.test"
    walk = data["treewalk"]
    assert (walk["source_domain"], walk["policy_applied"]) == (
        "giant2.psd.dmarc.test",
        "none",
    )


# --- shape -----------------------------------------------------------------------------------


def test_none_result_has_null_policy_fields(dmarc: Any) -> None:
    data = dmarc("ns1.dmarc.test")
    assert data["state"] == "none"
    assert [
        data[k] for k in ("record", "p", "sp", "np", "pct", "t", "enforcement")
    ] == [None] * 7
    assert (data["rua"], data["ruf"], data["inherited"]) == ([], [], False)
    assert data["org_domain_treewalk"] == "ns1.dmarc.test"  # RFC 9989 4.10.2: itself
    assert (
        data["warnings"] == []
    )  # no record anywhere: the org domains' difference is moot


def test_contract_keys_come_first_in_design_order(dmarc: Any) -> None:
    keys = list(dmarc("soumu.go.jp"))
    assert keys[:9] == [
        "state",
        "record",
        "p",
        "sp",
        "np",
        "pct",
        "t",
        "enforcement",
        "rua",
    ]


def test_input_with_trailing_dot_and_upper_case_is_accepted(scan: ScanRunner) -> None:
    result = scan(lambda ctx: check_dmarc("SOUMU.go.jp.", ctx))
    assert result.state == "valid" and result.domain == "soumu.go.jp"
