"""DMARC records at ``_dmarc.<domain>``: selection, tags, policies and enforcement, failures.

RFC 7489 6.3, 6.6.3; RFC 9989 4.7, 4.8, 4.10.1; docs/result-schema.md ``dmarc``. Scenarios:
tests/zones/dmarc-cases.zone (organisational domain ``dmarc-cases.test``, no record of its own)
and tests/zones/authpolicy-rules.zone.
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.options import ScanOptions
from tests.scanner.helpers import DMARC_CASES, POLICY_RULES, dmarc, lowered, scan_json

# =============================================================================================
# Policies and enforcement (docs/result-schema.md `enforcement`)
# =============================================================================================


def test_reject_full_contract(scan: Any) -> None:
    # RFC 7489 6.3 / RFC 9989 4.7: own record, p=reject, no pct/t -> full enforcement.
    # RFC 9989 4.10.2 step 3: the only record found is the domain's own, so the tree-walk
    # organisational domain is the domain itself; the PSL one is dmarc-cases.test (RFC 7489 3.2).
    d = dmarc(scan, f"reject.{DMARC_CASES}")
    assert d["state"] == "valid"
    assert d["record"] == f"v=DMARC1; p=reject; rua=mailto:agg@reject.{DMARC_CASES}"
    assert (d["p"], d["sp"], d["np"]) == ("reject", None, None)
    assert d["enforcement"] == "reject"
    assert d["rua"] == [f"mailto:agg@reject.{DMARC_CASES}"] and d["ruf"] == []
    assert d["inherited"] is False
    assert d["source_domain"] == f"reject.{DMARC_CASES}"
    assert d["org_domain_psl"] == DMARC_CASES
    assert d["org_domain_treewalk"] == f"reject.{DMARC_CASES}"


@pytest.mark.parametrize(
    ("label", "p", "enforcement"),
    [("quarantine", "quarantine", "quarantine"), ("monitor", "none", "monitoring")],
)
def test_policy_values(scan: Any, label: str, p: str, enforcement: str) -> None:
    # RFC 7489 6.3 p values; docs/result-schema.md: p=none is "monitoring".
    d = dmarc(scan, f"{label}.{DMARC_CASES}")
    assert (d["state"], d["p"], d["enforcement"]) == ("valid", p, enforcement)


@pytest.mark.parametrize(
    ("label", "pct", "enforcement"),
    [("pct50", 50, "partial"), ("pct0", 0, "partial"), ("pct100", 100, "reject")],
)
def test_pct_published(scan: Any, label: str, pct: int, enforcement: str) -> None:
    # RFC 7489 6.3 pct (0-100); docs/result-schema.md: enforcement is reject/quarantine only
    # with pct 100 (or absent), "partial" when pct < 100. docs/scanner-decisions.md 0.7: report
    # pct as published.
    d = dmarc(scan, f"{label}.{DMARC_CASES}")
    assert (d["state"], d["pct"], d["enforcement"]) == ("valid", pct, enforcement)


@pytest.mark.parametrize(
    ("label", "enforcement"), [("pct150", "reject"), ("pctnan", "quarantine")]
)
def test_invalid_pct_is_ignored_not_fatal(
    scan: Any, label: str, enforcement: str
) -> None:
    # RFC 7489 6.3: "Syntax errors in the remainder of the record SHOULD be discarded in favor
    # of default values" (pct default 100); RFC 9989 4.8 the same as MUST (pct is not even a
    # tag there). The record stays valid; the bad pct is worth a warning.
    d = dmarc(scan, f"{label}.{DMARC_CASES}")
    assert d["state"] == "valid"
    assert d["pct"] in (100, None)  # never the out-of-range / non-numeric text
    assert d["enforcement"] == enforcement
    assert "pct" in lowered(d["warnings"])


def test_t_y_is_monitoring(scan: Any) -> None:
    # RFC 9989 4.7 "t=y": testing; docs/result-schema.md: "monitoring" for t=y.
    # docs/scanner-decisions.md 0.7.
    d = dmarc(scan, f"testy.{DMARC_CASES}")
    assert (d["state"], d["p"], d["t"], d["enforcement"]) == (
        "valid",
        "reject",
        "y",
        "monitoring",
    )


def test_t_n_keeps_enforcement(scan: Any) -> None:
    # RFC 9989 4.7: t=n is the default, the policy applies as written.
    d = dmarc(scan, f"testn.{DMARC_CASES}")
    assert (d["t"], d["enforcement"]) == ("n", "reject")


def test_sp_np_as_published_own_record_uses_p(scan: Any) -> None:
    # RFC 9989 4.10.1: for the author domain's own record the policy is p; sp/np are reported
    # as published (docs/result-schema.md).
    d = dmarc(scan, f"spnp.{DMARC_CASES}")
    assert (d["p"], d["sp"], d["np"]) == ("reject", "quarantine", "none")
    assert d["enforcement"] == "reject"


# =============================================================================================
# Missing / invalid p and sp (RFC 7489 6.6.3 step 6; RFC 9989 4.7, 4.10.1)
# =============================================================================================


def test_missing_p_with_valid_rua_acts_as_none(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6.1 / RFC 9989 4.10.1: no valid p but a valid rua -> act as p=none.
    d = dmarc(scan, f"nop-rua.{DMARC_CASES}")
    assert d["state"] == "valid"
    assert d["enforcement"] == "monitoring"
    # p holds the policy acted on (scanner/dmarc_parse.py DmarcRecord); the raw value is the
    # extra p_published. docs/result-schema.md describes `p` "as published".
    assert (d["p"], d.get("p_published")) == ("none", None)
    assert d["rua"] == [f"mailto:agg@nop-rua.{DMARC_CASES}"]


def test_missing_p_without_rua_is_permerror(scan: Any) -> None:
    # RFC 7489 6.3 ("v" and "p" MUST be present) and 6.6.3 step 6.2, RFC 9989 4.10.1: no valid p
    # and no valid rua -> no DMARC processing. docs/scanner-decisions.md 4.2: keep the raw
    # record and flag it; 7.2: published but unusable is permerror.
    d = dmarc(scan, f"nop-norua.{DMARC_CASES}")
    assert d["state"] == "permerror"
    assert d["record"] == "v=DMARC1; sp=reject"
    assert d["enforcement"] is None


def test_invalid_p_with_rua_acts_as_none(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6.1, RFC 9989 4.10.1 (MUST act as p=none).
    d = dmarc(scan, f"badp-rua.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "monitoring")
    assert (d["p"], d.get("p_published")) == ("none", "block")


def test_invalid_p_without_rua_is_permerror(scan: Any) -> None:
    # docs/scanner-decisions.md 7.2: "invalid p with no valid rua -> permerror".
    d = dmarc(scan, f"badp.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_sp_without_rua_is_permerror(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6: "does not contain a valid p tag, OR CONTAINS AN sp TAG THAT IS NOT
    # VALID" -> without a valid rua, no DMARC processing. RFC 9989 4.10.1 says the same for sp/np.
    d = dmarc(scan, f"badsp.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_sp_with_rua_acts_as_none(scan: Any) -> None:
    # Same rule, with a valid rua: act as if p=none was retrieved.
    d = dmarc(scan, f"badsp-rua.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "monitoring")
    assert d["sp"] is None
    assert (d["p"], d.get("p_published")) == ("none", "reject")


def test_tag_names_are_case_sensitive(scan: Any) -> None:
    # RFC 6376 3.2 (tag-list syntax used by RFC 7489 6.3 / RFC 9989 4.7): "P=reject" is an
    # unknown tag, ignored; no p + valid rua -> p=none. docs/scanner-decisions.md 4.2: warn,
    # never count reject.
    d = dmarc(scan, f"tagcase.{DMARC_CASES}")
    assert (d["state"], d["p"], d["enforcement"]) == ("valid", "none", "monitoring")
    assert d.get("p_published") is None
    assert d["warnings"]


def test_policy_values_are_case_insensitive(scan: Any) -> None:
    # RFC 7489 6.4 / RFC 9989 4.8 ABNF: dmarc-request = "none" / "quarantine" / "reject";
    # quoted ABNF strings are case-insensitive (RFC 5234 2.3; only v uses %s"DMARC1").
    d = dmarc(scan, f"valcase.{DMARC_CASES}")
    assert (d["state"], d["p"], d["sp"], d["enforcement"]) == (
        "valid",
        "reject",
        "quarantine",
        "reject",
    )


def test_duplicate_tag_invalidates_record(scan: Any) -> None:
    # RFC 6376 3.2: "if a tag name does occur more than once, the entire tag-list is invalid";
    # RFC 7489 6.3 uses that tag-list syntax. A broken published record -> permerror.
    d = dmarc(scan, f"dup.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


# =============================================================================================
# Record selection (RFC 7489 6.6.3 steps 1-5; RFC 9989 4.7 v, 4.10 step 2)
# =============================================================================================


@pytest.mark.parametrize("label", ["vlower", "vnotfirst", "v10"])
def test_not_a_dmarc1_record_is_never_applied(scan: Any, label: str) -> None:
    # RFC 9989 4.7 v: "If the tag is not the first in the list, or the tag is absent, or the
    # value is not "DMARC1", then the entire record MUST be ignored" (case-sensitive). The
    # scanner may flag (docs/scanner-decisions.md 7.2) "v not first" as permerror; either way nothing applies.
    d = dmarc(scan, f"{label}.{DMARC_CASES}")
    assert d["state"] in ("none", "permerror")
    assert (d["p"], d["enforcement"], d["inherited"]) == (None, None, False)


def test_spf_record_at_dmarc_is_none(scan: Any) -> None:
    # docs/scanner-decisions.md 0.4 / 4.1: filter by v=DMARC1; an SPF record at _dmarc is no
    # DMARC record.
    d = dmarc(scan, f"spfonly.{DMARC_CASES}")
    assert (d["state"], d["record"], d["p"], d["enforcement"]) == (
        "none",
        None,
        None,
        None,
    )


def test_two_dmarc_records_is_permerror(scan: Any) -> None:
    # RFC 7489 6.6.3 step 5; RFC 9989 4.10 step 2; docs/scanner-decisions.md 4.1: permerror,
    # multiple_records.
    d = dmarc(scan, f"two.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)
    assert "multiple" in lowered(d.get("errors", []) + d["warnings"])


def test_other_txt_beside_one_dmarc_record(scan: Any) -> None:
    # RFC 7489 6.6.3 step 2: non-DMARC TXT RRs are discarded, one DMARC record remains.
    d = dmarc(scan, f"mixed.{DMARC_CASES}")
    assert (d["state"], d["record"], d["enforcement"]) == (
        "valid",
        "v=DMARC1; p=reject",
        "reject",
    )


def test_character_strings_are_concatenated(scan: Any) -> None:
    # RFC 9989 4.5 / docs/scanner-decisions.md 0.3: join the strings of one RR with nothing in
    # between.
    d = dmarc(scan, f"split.{DMARC_CASES}")
    assert d["record"] == f"v=DMARC1; p=quarantine; rua=mailto:agg@split.{DMARC_CASES}"
    assert (d["state"], d["p"], d["enforcement"]) == (
        "valid",
        "quarantine",
        "quarantine",
    )
    assert d["rua"] == [f"mailto:agg@split.{DMARC_CASES}"]


def test_whitespace_around_equals_and_separators(scan: Any) -> None:
    # RFC 7489 6.4 / RFC 9989 4.8: equals = *WSP "=" *WSP, dmarc-sep = *WSP ";" *WSP, optional
    # trailing separator.
    d = dmarc(scan, f"spaces.{DMARC_CASES}")
    assert (d["state"], d["p"], d["sp"], d["enforcement"]) == (
        "valid",
        "reject",
        "none",
        "reject",
    )


def test_nodata_at_dmarc_is_none(scan: Any) -> None:
    # RFC 7489 6.6.3: NOERROR without TXT = empty set -> org domain (no record there) -> none.
    d = dmarc(scan, f"nodata.{DMARC_CASES}")
    assert (d["state"], d["inherited"], d["source_domain"]) == ("none", False, None)


def test_nonexistent_domain_has_no_dmarc(scan: Any) -> None:
    # The name does not exist and the org domain publishes nothing.
    data = scan_json(scan, f"ghost.{DMARC_CASES}")
    assert data["status"] == "nxdomain"
    assert data["dmarc"]["state"] == "none"


# =============================================================================================
# Alignment, unknown tags, report URIs (RFC 7489 6.3; RFC 9989 4.7, 4.8, C.4/C.5)
# =============================================================================================


def test_strict_alignment(scan: Any) -> None:
    d = dmarc(scan, f"align.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert (d.get("adkim"), d.get("aspf")) == ("s", "s")


def test_invalid_alignment_values_fall_back_to_default(scan: Any) -> None:
    # RFC 9989 4.8: syntax errors in the remainder MUST be discarded in favour of defaults ("r").
    d = dmarc(scan, f"alignbad.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert (d.get("adkim"), d.get("aspf")) == ("r", "r")


def test_unknown_and_removed_tags_are_ignored(scan: Any) -> None:
    # RFC 9989 4.7: unknown tags MUST be ignored; rf/ri removed (C.5) but harmless.
    d = dmarc(scan, f"unknown.{DMARC_CASES}")
    assert (d["state"], d["p"], d["enforcement"]) == (
        "valid",
        "quarantine",
        "quarantine",
    )
    assert d["ruf"] == [f"mailto:f@unknown.{DMARC_CASES}"]


def test_several_report_uris_with_size_suffix(scan: Any) -> None:
    # RFC 7489 6.4 dmarc-urilist (WSP allowed around ","), "!size" suffix; RFC 9989 4.8 keeps
    # it as obsolete syntax to ignore. Two URIs each, no stray whitespace.
    d = dmarc(scan, f"multirua.{DMARC_CASES}")
    assert d["state"] == "valid"
    assert len(d["rua"]) == 2 and len(d["ruf"]) == 2
    assert d["rua"][0] == f"mailto:a@multirua.{DMARC_CASES}"
    assert d["rua"][1].startswith(f"mailto:b@multirua.{DMARC_CASES}")
    assert d["ruf"][0].startswith(f"mailto:f@multirua.{DMARC_CASES}")
    assert d["ruf"][1] == f"mailto:g@multirua.{DMARC_CASES}"


# =============================================================================================
# CNAME, wildcards (docs/scanner-decisions.md 4.1, 7.5, 7.7)
# =============================================================================================


def test_cname_at_dmarc_to_provider(scan: Any) -> None:
    # docs/scanner-decisions.md 4.1 / 7.5: hosted DMARC via CNAME is followed; the policy domain
    # stays ours.
    d = dmarc(scan, f"cname.{DMARC_CASES}")
    assert (d["state"], d["p"], d["inherited"]) == ("valid", "quarantine", False)
    assert d["source_domain"] == f"cname.{DMARC_CASES}"


def test_dangling_cname_at_dmarc_is_none(scan: Any) -> None:
    # docs/scanner-decisions.md 7.5: NXDOMAIN at the end of the chain -> no record (not a DNS
    # error).
    d = dmarc(scan, f"dangling.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("none", None)


def test_wildcard_answering_with_spf_is_none(scan: Any) -> None:
    # docs/scanner-decisions.md 0.4 / 7.7: *.wild answers _dmarc.wild with the SPF record: not
    # DMARC.
    d = dmarc(scan, f"wild.{DMARC_CASES}")
    assert (d["state"], d["record"], d["enforcement"]) == ("none", None, None)


def test_wildcard_answering_with_dmarc_is_a_record(scan: Any) -> None:
    # A wildcard that synthesises a DMARC record is what DNS says is at _dmarc.wilddm.
    d = dmarc(scan, f"wilddm.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")


# =============================================================================================
# DNS failures: temperror, never a fallback to the parent (docs/scanner-decisions.md 4.1, 7.2)
# =============================================================================================


@pytest.mark.parametrize("label", ["sfail", "tout", "refused"])
def test_dns_failure_at_dmarc_is_temperror(scan: Any, label: str) -> None:
    # docs/scanner-decisions.md 4.1: "A DNS error at _dmarc.<domain> is temperror: never fall
    # back to the parent".
    d = dmarc(scan, f"{label}.{DMARC_CASES}")
    assert d["state"] == "temperror"
    assert (d["p"], d["enforcement"], d["inherited"]) == (None, None, False)


def test_failure_at_own_dmarc_does_not_inherit_org_policy(
    scan: Any, org_options: ScanOptions
) -> None:
    # The org domain publishes p=reject; _dmarc.sfail SERVFAILs: temperror, not inherited.
    d = dmarc(scan, "sfail.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "temperror",
        False,
        None,
    )


def test_timeout_at_own_dmarc_does_not_inherit_org_policy(
    scan: Any, org_options: ScanOptions
) -> None:
    d = dmarc(scan, "tout.dmarc-cases-org.test", org_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "temperror",
        False,
        None,
    )


@pytest.mark.parametrize(
    "domain", ["sub.dmarc-cases-orgfail.test", "sub.dmarc-cases-orgtout.test"]
)
def test_failure_at_org_dmarc_during_inheritance_is_temperror(
    scan: Any, org_options: ScanOptions, domain: str
) -> None:
    # _dmarc.sub is NXDOMAIN, _dmarc.<org> SERVFAILs / times out: the applicable policy is
    # unknown -> temperror, never none (docs/scanner-decisions.md 0.1, 7.2 "during the tree walk").
    d = dmarc(scan, domain, org_options)
    assert d["state"] == "temperror"
    assert d["enforcement"] is None


# =============================================================================================
# Record edge cases: separators, URIs, transport, IDN
# =============================================================================================


def test_pct_below_100_with_p_none_is_monitoring(scan: Any) -> None:
    # docs/result-schema.md: "monitoring" for p=none; pct only makes enforcement "partial".
    d = dmarc(scan, f"pctnone.{DMARC_CASES}")
    assert (d["state"], d["pct"], d["enforcement"]) == ("valid", 50, "monitoring")


def test_tab_is_whitespace(scan: Any) -> None:
    # RFC 5234 WSP = SP / HTAB; dmarc-sep = *WSP ";" *WSP.
    d = dmarc(scan, f"tab.{DMARC_CASES}")
    assert (d["state"], d["p"], d["sp"], d["enforcement"]) == (
        "valid",
        "reject",
        "quarantine",
        "reject",
    )


def test_missing_p_with_only_an_invalid_rua_is_permerror(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6 / RFC 9989 4.10.1: "at least one SYNTACTICALLY VALID reporting URI";
    # "agg@host" has no scheme, so it is no URI (RFC 3986 3) -> no DMARC processing.
    d = dmarc(scan, f"nop-badrua.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_version_only_is_permerror(scan: Any) -> None:
    d = dmarc(scan, f"vonly.{DMARC_CASES}")
    assert (d["state"], d["record"], d["enforcement"]) == (
        "permerror",
        "v=DMARC1",
        None,
    )


@pytest.mark.parametrize(("label", "p"), [("big", "reject"), ("trunc", "quarantine")])
def test_truncated_answer_is_retried_over_tcp(scan: Any, label: str, p: str) -> None:
    # docs/scanner-decisions.md 7.4: TC=1 over UDP -> TCP; never a temperror or a missing record.
    d = dmarc(scan, f"{label}.{DMARC_CASES}")
    assert (d["state"], d["p"]) == ("valid", p)


def test_lost_first_packet_is_retried(scan: Any) -> None:
    # One lost UDP answer within the retry budget must not become a temperror.
    d = dmarc(scan, f"drop.{DMARC_CASES}")
    assert (d["state"], d["p"]) == ("valid", "quarantine")


def test_cname_to_failing_target_is_temperror(scan: Any) -> None:
    # docs/scanner-decisions.md 7.5 + 0.1: the chain's target SERVFAILs -> temperror, not none.
    d = dmarc(scan, f"cnamefail.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("temperror", None)


def test_cname_to_spf_record_is_none(scan: Any) -> None:
    d = dmarc(scan, f"cnamespf.{DMARC_CASES}")
    assert (d["state"], d["record"]) == ("none", None)


def test_idn_input_uses_the_a_label(scan: Any) -> None:
    # docs/result-schema.md: domain is the A-label; the _dmarc lookup must use it
    # (docs/scanner-decisions.md 7.6).
    data = scan_json(scan, f"ドメイン.{DMARC_CASES}")
    assert data["domain"] == f"xn--eckwd4c7c.{DMARC_CASES}"
    d = data["dmarc"]
    assert (d["state"], d["enforcement"], d["source_domain"]) == (
        "valid",
        "reject",
        f"xn--eckwd4c7c.{DMARC_CASES}",
    )


def test_missing_separator_after_version(scan: Any) -> None:
    # RFC 9989 4.8: dmarc-record = dmarc-version *(dmarc-sep dmarc-tag): "v=DMARC1 p=reject" has
    # v = "DMARC1 p=reject", not "DMARC1" -> the record is ignored (or flagged); never reject.
    d = dmarc(scan, f"nosep.{DMARC_CASES}")
    assert d["state"] in ("none", "permerror")
    assert d["enforcement"] is None


def test_missing_p_with_one_valid_rua_among_invalid(scan: Any) -> None:
    # RFC 9989 4.10.1: "at least one syntactically valid reporting URI" -> p=none.
    d = dmarc(scan, f"nop-mixrua.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "monitoring")
    assert f"mailto:agg@nop-mixrua.{DMARC_CASES}" in d["rua"]


def test_t_value_is_case_insensitive(scan: Any) -> None:
    # RFC 9989 4.8: dmarc-yorn = "y" / "n" (case-insensitive ABNF literals, RFC 5234 2.3).
    d = dmarc(scan, f"tcase.{DMARC_CASES}")
    assert (d["state"], d["t"], d["enforcement"]) == ("valid", "y", "monitoring")


def test_trailing_separator_and_spaces(scan: Any) -> None:
    # dmarc-sep = *WSP ";" *WSP, optional at the end.
    d = dmarc(scan, f"trailing.{DMARC_CASES}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")


# =============================================================================================
# Tags, defaults, and what RFC 9989 changed that reaches the result (RFC 9989 4.7, C.5)
# =============================================================================================


def test_defaults_of_an_own_record(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 7489 6.3 pct default 100; RFC 9989 4.7 t default n; adkim/aspf default r; sp/np null.
    d = dmarc(scan, f"defaults.{POLICY_RULES}", relaxed)
    assert (d["state"], d["p"], d["sp"], d["np"]) == ("valid", "reject", None, None)
    assert (d["pct"], d["t"], d["enforcement"]) == (100, "n", "reject")
    assert (d["adkim"], d["aspf"]) == ("r", "r")


def test_invalid_np_without_rua_is_permerror(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.10.1: "contains an sp or np tag that is not valid" and no valid rua ->
    # no DMARC processing: published but unusable (permerror), never "reject".
    d = dmarc(scan, f"npbad.{POLICY_RULES}", relaxed)
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_np_with_rua_acts_as_p_none(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.10.1: with a syntactically valid rua the receiver MUST act as if p=none.
    d = dmarc(scan, f"npbadrua.{POLICY_RULES}", relaxed)
    assert (d["state"], d["p"], d["np"], d["enforcement"]) == (
        "valid",
        "none",
        None,
        "monitoring",
    )
    assert d["p_published"] == "reject"


def test_invalid_t_value_falls_back_to_n(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.8: syntax errors in the remainder MUST be discarded in favour of defaults
    # (t=n): the policy is enforced as written, with a warning.
    d = dmarc(scan, f"tbad.{POLICY_RULES}", relaxed)
    assert (d["state"], d["t"], d["enforcement"]) == ("valid", "n", "reject")
    assert "t_invalid" in d["warnings"]


def test_removed_and_obsolete_syntax_is_reported_not_fatal(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/scanner-decisions.md 4.2 / 4.4: pct removed (still parsed, <100 = partial for 7489
    # receivers, with a warning), the !size suffix obsolete (ignored), rf/ri removed, unknown
    # tags ignored.
    d = dmarc(scan, f"notes44.{POLICY_RULES}", relaxed)
    assert (d["state"], d["p"], d["pct"], d["enforcement"]) == (
        "valid",
        "quarantine",
        50,
        "partial",
    )
    assert d["rua"] == [f"mailto:agg@notes44.{POLICY_RULES}"]
    for warning in (
        "pct_removed_in_rfc9989",
        "rua_size_suffix_obsolete",
        "unknown_tag:foo",
    ):
        assert warning in d["warnings"]


def test_pct_zero_and_t_y_are_both_reported(scan: Any, relaxed: ScanOptions) -> None:
    # docs/scanner-decisions.md 0.7: "t=y replaces pct=0. Report both." Neither is enforcement.
    d = dmarc(scan, f"pctt.{POLICY_RULES}", relaxed)
    assert (d["state"], d["p"], d["pct"], d["t"]) == ("valid", "reject", 0, "y")
    assert d["enforcement"] in ("monitoring", "partial")
