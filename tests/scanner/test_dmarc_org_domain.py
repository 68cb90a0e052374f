"""The organisational domain and inherited policies: PSL (RFC 7489 3.2) and tree walk (RFC 9989 4.10).

Both are computed and kept (docs/scanner-decisions.md 4.3, 4.6); ``sp`` for existing and ``np``
for non-existent subdomains. Scenarios that need real public suffixes (``go.jp``, ``lg.jp``) or
a failing organisational domain are served by private servers (``org_server``, ``jp_server``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from scanner.names import psl_version
from scanner.options import ScanOptions
from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import DMARC_CASES, POLICY_RULES, dmarc, lowered, scan_json

# =============================================================================================
# Inheritance from the organisational domain (RFC 7489 3.2, 6.6.3; RFC 9989 4.10.1 sp/np)
# =============================================================================================


@pytest.mark.parametrize(
    "domain", ["sub.dmarc-cases-org.test", "x.sub.dmarc-cases-org.test"]
)
def test_existing_subdomain_inherits_sp(
    scan: Any, org_options: ScanOptions, domain: str
) -> None:
    # Org record "p=reject; sp=quarantine; np=none": an existing subdomain gets sp.
    d = dmarc(scan, domain, org_options)
    assert d["state"] == "valid"
    assert d["inherited"] is True
    assert d["source_domain"] == "dmarc-cases-org.test"
    assert (d["p"], d["sp"], d["np"]) == ("reject", "quarantine", "none")
    assert d["enforcement"] == "quarantine"
    assert d["org_domain_psl"] == "dmarc-cases-org.test"
    assert d["org_domain_treewalk"] == "dmarc-cases-org.test"


def test_nonexistent_subdomain_gets_np(scan: Any, org_options: ScanOptions) -> None:
    # RFC 9989 4.10.1: "the np tag (if any) if the Author Domain does not exist" (np=none).
    data = scan_json(scan, "ghost.dmarc-cases-org.test", org_options)
    assert data["status"] == "nxdomain"
    d = data["dmarc"]
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "dmarc-cases-org.test",
    )
    assert d["enforcement"] == "monitoring"


def test_org_domain_itself_uses_p(scan: Any, org_options: ScanOptions) -> None:
    d = dmarc(scan, "dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == ("valid", False, "reject")


def test_own_record_wins_over_org(scan: Any, org_options: ScanOptions) -> None:
    # RFC 7489 6.6.3 step 1 / RFC 9989 4.10.1: the author domain's record applies (p=none).
    # RFC 9989 4.10.2 step 3: records at own.<org> and <org>: fewest labels -> <org>.
    d = dmarc(scan, "own.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        False,
        "own.dmarc-cases-org.test",
    )
    assert d["enforcement"] == "monitoring"
    assert d["org_domain_treewalk"] == "dmarc-cases-org.test"


def test_intermediate_record_is_not_the_org_domain(
    scan: Any, org_options: ScanOptions
) -> None:
    # leaf.mid: records at mid.<org> (p=none) and <org>. RFC 7489: PSL org -> <org>'s sp.
    # RFC 9989 4.10.2 step 3: fewest labels -> <org> as well (not the closest record).
    d = dmarc(scan, "leaf.mid.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "dmarc-cases-org.test",
    )
    assert d["enforcement"] == "quarantine"
    assert d["org_domain_treewalk"] == "dmarc-cases-org.test"
    assert d["treewalk"]["source_domain"] == "dmarc-cases-org.test"


def test_psd_n_makes_an_intermediate_org_domain(
    scan: Any, org_options: ScanOptions
) -> None:
    # leaf.midn: _dmarc.midn has psd=n. RFC 9989 4.10 step 6 stops there, 4.10.2 step 1 makes
    # midn.<org> the org domain, its p=none applies. RFC 7489 still uses the PSL: <org>'s sp.
    d = dmarc(scan, "leaf.midn.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "dmarc-cases-org.test",
    )
    assert d["enforcement"] == "quarantine"
    assert d["org_domain_psl"] == "dmarc-cases-org.test"
    assert d["org_domain_treewalk"] == "midn.dmarc-cases-org.test"
    walk = d["treewalk"]
    assert (walk["source_domain"], walk["enforcement"]) == (
        "midn.dmarc-cases-org.test",
        "monitoring",
    )


def test_two_records_at_org_domain(scan: Any, org_options: ScanOptions) -> None:
    # RFC 7489 6.6.3 step 5: several records at the org domain end discovery; published but
    # unusable -> permerror (docs/scanner-decisions.md 4.1 multiple_records), never an applied
    # policy.
    d = dmarc(scan, "sub.dmarc-cases-orgtwo.test", org_options)
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_sp_at_org_domain(scan: Any, org_options: ScanOptions) -> None:
    # RFC 7489 6.6.3 step 6 / RFC 9989 4.10.1: org record with invalid sp and no rua -> no DMARC.
    d = dmarc(scan, "sub.dmarc-cases-orgbadsp.test", org_options)
    assert (d["state"], d["enforcement"]) == ("permerror", None)


# =============================================================================================
# PSL vs RFC 9989 tree walk (docs/scanner-decisions.md 4.3, 4.6)
# =============================================================================================


def test_lg_jp_city_own_record(scan: Any, org_options: ScanOptions) -> None:
    # lg.jp is a public suffix: PSL org = dmarccases.lg.jp; walk: only the city's record.
    d = dmarc(scan, "city.dmarccases.lg.jp", org_options)
    assert (d["state"], d["enforcement"], d["inherited"]) == ("valid", "reject", False)
    assert d["org_domain_psl"] == "dmarccases.lg.jp"
    assert d["org_domain_treewalk"] == "city.dmarccases.lg.jp"


def test_lg_jp_subdomain_of_city_differs_between_methods(
    scan: Any, org_options: ScanOptions
) -> None:
    # docs/scanner-decisions.md 4.6: RFC 7489 looks at _dmarc.dmarccases.lg.jp (nothing) ->
    # none; RFC 9989 finds the city's record -> city is the org domain, its sp=quarantine
    # applies.
    d = dmarc(scan, "mail.city.dmarccases.lg.jp", org_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == ("none", False, None)
    assert d["org_domain_psl"] == "dmarccases.lg.jp"
    assert d["org_domain_treewalk"] == "city.dmarccases.lg.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "city.dmarccases.lg.jp",
        "quarantine",
    )
    assert d["warnings"]  # docs/scanner-decisions.md 4.3: flag the disagreement


def test_lg_jp_treewalk_takes_fewest_labels(
    scan: Any, org_options: ScanOptions
) -> None:
    # Records at city.dmarccases2.lg.jp (reject) and dmarccases2.lg.jp (none). RFC 9989 4.10.2
    # step 3: fewest labels -> dmarccases2.lg.jp; same as the PSL here: p=none inherited.
    d = dmarc(scan, "mail.city.dmarccases2.lg.jp", org_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "dmarccases2.lg.jp",
    )
    assert d["enforcement"] == "monitoring"
    assert d["org_domain_treewalk"] == "dmarccases2.lg.jp"
    assert d["treewalk"]["source_domain"] == "dmarccases2.lg.jp"


def test_record_at_go_jp_without_psd(scan: Any, org_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 4.3: a record at _dmarc.go.jp without psd=y makes go.jp the 9989
    # org domain; the PSL keeps dmarccases.go.jp (which publishes nothing) -> RFC 7489 state
    # none.
    d = dmarc(scan, "dmarccases.go.jp", org_options)
    assert (d["state"], d["inherited"]) == ("none", False)
    assert d["org_domain_psl"] == "dmarccases.go.jp"
    assert d["org_domain_treewalk"] == "go.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "go.jp",
        "reject",
    )


def test_psd_record_with_psd_y(scan: Any, org_options: ScanOptions) -> None:
    # RFC 9989 4.10.2 step 2: psd=y at ac.jp -> org domain is one label below (dmarccases.ac.jp);
    # 4.10.1: no record there -> the PSD's record, existing subdomain -> sp=quarantine.
    d = dmarc(scan, "dmarccases.ac.jp", org_options)
    assert (d["state"], d["inherited"]) == ("none", False)
    assert d["org_domain_psl"] == "dmarccases.ac.jp"
    assert d["org_domain_treewalk"] == "dmarccases.ac.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "ac.jp",
        "quarantine",
    )


def test_psd_record_np_for_nonexistent(scan: Any, org_options: ScanOptions) -> None:
    # RFC 9989 4.10.1: a non-existent author domain under the PSD gets np=reject.
    data = scan_json(scan, "ghost.ac.jp", org_options)
    assert data["status"] == "nxdomain"
    walk = data["dmarc"]["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "ac.jp",
        "reject",
    )


def test_walk_jumps_from_nine_to_seven_labels(scan: Any) -> None:
    # RFC 9989 4.10 step 4: x >= 8 -> shorten to 7 labels; the 8-label record is never queried,
    # nothing else is found, so the starting domain is its own org domain (4.10.2 last para).
    start = f"a.b.c.d.e.f.deep9skip.{DMARC_CASES}"
    d = dmarc(scan, start)
    assert d["state"] == "none"
    assert d["org_domain_treewalk"] == start
    assert d["treewalk"]["state"] == "none"


def test_walk_finds_seven_label_record_from_nine(scan: Any) -> None:
    d = dmarc(scan, f"a.b.c.d.e.f.deep9hit.{DMARC_CASES}")
    assert d["state"] == "none"  # RFC 7489: PSL org dmarc-cases.test publishes nothing
    assert d["org_domain_treewalk"] == f"c.d.e.f.deep9hit.{DMARC_CASES}"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        f"c.d.e.f.deep9hit.{DMARC_CASES}",
        "quarantine",
    )


def test_walk_from_eight_labels_queries_seven(scan: Any) -> None:
    d = dmarc(scan, f"b.c.d.e.f.deep8.{DMARC_CASES}")
    assert d["org_domain_treewalk"] == f"c.d.e.f.deep8.{DMARC_CASES}"
    assert d["treewalk"]["source_domain"] == f"c.d.e.f.deep8.{DMARC_CASES}"


# =============================================================================================
# Inheritance edge cases: empty non-terminals, discarded records, walk failures
# =============================================================================================


def test_inherited_pct_gives_partial(scan: Any, org_options: ScanOptions) -> None:
    # Org "p=quarantine; pct=20": the subdomain's applied policy is quarantine at 20 %.
    d = dmarc(scan, "sub.dmarc-cases-org2.test", org_options)
    assert (d["state"], d["inherited"], d["pct"], d["enforcement"]) == (
        "valid",
        True,
        20,
        "partial",
    )


@pytest.mark.parametrize(
    ("domain", "enforcement"),
    [
        ("dmarc-cases-org3.test", "monitoring"),  # the org itself: p=none
        ("sub.dmarc-cases-org3.test", "reject"),  # existing subdomain: sp=reject
        (
            "ghost.dmarc-cases-org3.test",
            "reject",
        ),  # non-existent: no np -> sp (RFC 9989 4.7)
    ],
)
def test_sp_applies_to_subdomains_even_when_p_is_none(
    scan: Any, org_options: ScanOptions, domain: str, enforcement: str
) -> None:
    d = dmarc(scan, domain, org_options)
    assert (d["state"], d["enforcement"]) == ("valid", enforcement)


def test_dns_failure_inside_the_tree_walk(scan: Any, org_options: ScanOptions) -> None:
    # leaf.walkfail: RFC 7489 asks only _dmarc.leaf.walkfail and _dmarc.<org> (both answer):
    # inherited sp=quarantine. The RFC 9989 walk meets a SERVFAIL at _dmarc.walkfail (a psd=n
    # record that would have changed its answer): its outcome is unknown
    # (docs/scanner-decisions.md 7.2).
    d = dmarc(scan, "leaf.walkfail.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )
    assert d["treewalk"]["state"] == "temperror"
    assert (
        d["org_domain_treewalk"] != "dmarc-cases-org.test"
    )  # not a guess past the error
    assert "treewalk_dns_error" in d["warnings"]  # unknown, said so, not silently null


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        (
            "www.city.kawasaki.jp",
            "city.kawasaki.jp",
        ),  # PSL exception rule !city.kawasaki.jp
        ("x.y.kawasaki.jp", "x.y.kawasaki.jp"),  # PSL wildcard *.kawasaki.jp
        # the PSL's private section counts too (docs/scanner-decisions.md 4.6)
        ("www.scanner.github.io", "scanner.github.io"),
        ("www.soumu.go.jp", "soumu.go.jp"),
        ("mail.city.hiroshima.lg.jp", "hiroshima.lg.jp"),
    ],
)
def test_psl_org_domain(
    scan: Any, org_options: ScanOptions, domain: str, org: str
) -> None:
    # RFC 7489 3.2 with the whole bundled PSL. These names exist nowhere: state none.
    d = dmarc(scan, domain, org_options)
    assert (d["state"], d["org_domain_psl"]) == ("none", org)


def test_public_suffix_itself_has_a_string_org_domain(
    scan: Any, org_options: ScanOptions
) -> None:
    # go.jp is a public suffix with (here) its own record: the record applies to go.jp itself;
    # the schema requires org_domain_psl to be a string (docs/result-schema.md).
    d = dmarc(scan, "go.jp", org_options)
    assert (d["state"], d["enforcement"], d["inherited"]) == ("valid", "reject", False)
    assert d["org_domain_psl"] == "go.jp"


def test_empty_non_terminal_subdomain_exists_so_sp_applies(
    scan: Any, org_options: ScanOptions
) -> None:
    # ent.<org> has no records but deep.ent.<org> exists: NOERROR/NODATA, the name exists
    # (RFC 8020, RFC 9989 3.2.13) -> sp=quarantine, not np=none.
    d = dmarc(scan, "ent.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )


def test_non_dmarc_txt_at_subdomain_still_inherits(
    scan: Any, org_options: ScanOptions
) -> None:
    # RFC 7489 6.6.3 steps 2-3: non-DMARC records are discarded; the set is empty -> org domain.
    d = dmarc(scan, "spfsub.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )


def test_lowercase_version_at_subdomain_falls_back_to_org(
    scan: Any, org_options: ScanOptions
) -> None:
    # RFC 7489 6.6.3 steps 2-3 / RFC 9989 4.7 v: "v=dmarc1" is not a DMARC record and "MUST be
    # ignored"; the set is then empty and the org domain's policy applies.
    d = dmarc(scan, "vlowersub.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )


def test_two_records_at_subdomain_7489_vs_9989(
    scan: Any, org_options: ScanOptions
) -> None:
    # RFC 7489 6.6.3 step 5: discovery terminates (permerror, docs/scanner-decisions.md 4.1
    # multiple_records); RFC 9989 4.10 step 2: both discarded, the walk continues up to the
    # org's record.
    d = dmarc(scan, "twosub.dmarc-cases-org.test", org_options)
    assert (d["state"], d["enforcement"]) == ("permerror", None)
    assert "multiple_records" in d["errors"]
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "dmarc-cases-org.test",
        "quarantine",
    )


def test_walk_reaches_the_tld(scan: Any, org_options: ScanOptions) -> None:
    # RFC 9989 4.10 steps 5-7 run down to the TLD; psd=y there -> org = brand.dmarccasestld,
    # the PSD's p applies (no sp). RFC 7489: PSL default rule, brand.dmarccasestld has nothing.
    d = dmarc(scan, "brand.dmarccasestld", org_options)
    assert (d["state"], d["org_domain_psl"]) == ("none", "brand.dmarccasestld")
    assert d["org_domain_treewalk"] == "brand.dmarccasestld"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "dmarccasestld",
        "reject",
    )


def test_dangling_cname_at_subdomain_inherits(
    scan: Any, org_options: ScanOptions
) -> None:
    # _dmarc.dang is a CNAME to a name that does not exist: NXDOMAIN, no record
    # (docs/scanner-decisions.md 7.5) -> the org domain's sp applies; the dangling CNAME is
    # worth a warning.
    d = dmarc(scan, "dang.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )
    assert "dangling" in lowered(d["warnings"])


# =============================================================================================
# The psd tag in the RFC 9989 tree walk (RFC 9989 4.10.2)
# =============================================================================================


def test_explicit_psd_u_does_not_stop_the_walk(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.10 step 2 stops only on psd=n / psd=y; u is the default: the walk goes on and
    # 4.10.2 step 3 picks the record with the fewest labels. RFC 7489: own record applies.
    d = dmarc(scan, f"a.psdu.{POLICY_RULES}", relaxed)
    assert (d["state"], d["source_domain"], d["enforcement"]) == (
        "valid",
        f"a.psdu.{POLICY_RULES}",
        "reject",
    )
    assert d["org_domain_psl"] == POLICY_RULES
    assert d["org_domain_treewalk"] == f"psdu.{POLICY_RULES}"


def test_invalid_psd_value_is_the_default_u(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.8: an invalid value is discarded in favour of the default (u).
    d = dmarc(scan, f"a.psdinv.{POLICY_RULES}", relaxed)
    assert d["org_domain_treewalk"] == f"psdinv.{POLICY_RULES}"
    assert "psd_invalid" in d["warnings"]


def test_psd_y_at_the_starting_domain_stops_the_walk_there(
    scan: Any, relaxed: ScanOptions
) -> None:
    # RFC 9989 4.10 step 2: one record with psd=y at the start -> stop; 4.10.2 step 2 skips
    # the starting record, step 3 leaves it as the only record: its own org domain. The
    # record at _dmarc.psdself (no psd) is never reached.
    d = dmarc(scan, f"a.psdself.{POLICY_RULES}", relaxed)
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert d["org_domain_treewalk"] == f"a.psdself.{POLICY_RULES}"
    walk = d["treewalk"]
    assert (walk["source_domain"], walk["inherited"], walk["enforcement"]) == (
        f"a.psdself.{POLICY_RULES}",
        False,
        "reject",
    )


def test_walk_queries_the_jp_tld(scan: Any, dns_server_factory: Any) -> None:
    # docs/scanner-decisions.md 4.3 step 2: the walk goes down to the TLD ("_dmarc.jp is
    # queried"). A PSD record there (psd=y) makes the org domain one label below (rulesauth.jp)
    # and, as that publishes nothing, the PSD's sp applies to the existing subdomain (4.3 step
    # 3).
    server = dns_server_factory(
        zone_texts=[
            """
$ORIGIN jp.
@               SOA ns.jp. h.jp. 1 3600 600 86400 300
@               NS  ns.jp.
_dmarc          TXT "v=DMARC1; p=reject; sp=quarantine; psd=y"
rulesauth       A   192.0.2.90
mail.rulesauth  A   192.0.2.90
"""
        ]
    )
    d = dmarc(scan, "mail.rulesauth.jp", options_for(server))
    assert (d["state"], d["inherited"]) == (
        "none",
        False,
    )  # RFC 7489: PSL org publishes nothing
    assert d["org_domain_psl"] == d["org_domain_treewalk"] == "rulesauth.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["inherited"]) == (
        "valid",
        "jp",
        True,
    )
    assert walk["enforcement"] == "quarantine"


def test_record_at_go_jp_takes_over_a_ministry_subdomain_under_rfc9989(
    scan: Any, dns_server_factory: Any
) -> None:
    # docs/scanner-decisions.md 4.3 "practical difference": a record at _dmarc.go.jp without
    # psd=y makes go.jp the org domain of everything below. For mail.rulesmin.go.jp (no record
    # of its own) RFC 7489 applies the ministry's sp=reject; the RFC 9989 walk applies go.jp's
    # p=none instead. Both are reported and the disagreement is flagged (RFC 9989 Appendix C.3).
    server = dns_server_factory(
        zone_texts=[
            """
$ORIGIN go.jp.
@               SOA ns.go.jp. h.go.jp. 1 3600 600 86400 300
@               NS  ns.go.jp.
_dmarc          TXT "v=DMARC1; p=none"
rulesmin        A   192.0.2.91
_dmarc.rulesmin TXT "v=DMARC1; p=reject; sp=reject"
mail.rulesmin   A   192.0.2.91
"""
        ]
    )
    d = dmarc(scan, "mail.rulesmin.go.jp", options_for(server))
    assert (d["state"], d["inherited"], d["source_domain"], d["enforcement"]) == (
        "valid",
        True,
        "rulesmin.go.jp",
        "reject",
    )
    assert (d["org_domain_psl"], d["org_domain_treewalk"]) == (
        "rulesmin.go.jp",
        "go.jp",
    )
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["inherited"]) == (
        "valid",
        "go.jp",
        True,
    )
    assert walk["enforcement"] == "monitoring"
    assert {"org_domain_mismatch", "policy_source_mismatch"} <= set(d["warnings"])


# =============================================================================================
# PSL organisational domains (publicsuffixlist, whole list) and its version
# =============================================================================================


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("www.rulesco.co.jp", "rulesco.co.jp"),
        ("mail.rulesne.ne.jp", "rulesne.ne.jp"),
        ("www.rulesor.or.jp", "rulesor.or.jp"),
        ("www.rulesgr.gr.jp", "rulesgr.gr.jp"),
        ("www.rulesad.ad.jp", "rulesad.ad.jp"),
        ("a.b.rulesed.ed.jp", "rulesed.ed.jp"),
        ("www.u-rules.ac.jp", "u-rules.ac.jp"),
        ("www.metro.tokyo.jp", "metro.tokyo.jp"),  # prefecture names are suffixes
        ("www.city.shinjuku.lg.jp", "shinjuku.lg.jp"),  # docs/scanner-decisions.md 4.6
        ("www.rules.東京.jp", "rules.xn--1lqs71d.jp"),  # IDN suffix, A-label in and out
    ],
)
def test_psl_organisational_domains_under_jp(
    scan: Any, jp_server: DnsServer, domain: str, org: str
) -> None:
    # docs/scanner-decisions.md 4.6: the jp section lists jp, the organisational-type names and
    # prefecture names as public suffixes; org domain = public suffix plus one label (RFC 7489
    # 3.2).
    data = scan_json(scan, domain, options_for(jp_server))
    assert data["dmarc"]["org_domain_psl"] == org
    assert data["dmarc"]["state"] == "none"


def test_psl_version_is_recorded_in_each_result(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/scanner-decisions.md 4.6: "record the PSL version in each scan" (docs: psl_version
    # extra).
    data = scan_json(scan, f"defaults.{POLICY_RULES}", relaxed)
    assert data["psl_version"] == psl_version()
    assert re.match(r"20\d\d-\d\d-\d\d", data["psl_version"])
