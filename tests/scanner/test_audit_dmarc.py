"""Independent audit of the DMARC check (SPEC-BRIEF 4, 0.4/0.6/0.7; DESIGN.md result key ``dmarc``).

Written from the RFCs and the brief, not from the existing DMARC fixtures. Two sources of DNS:

- ``tests/zones/audit-dmarc.zone`` (served by the session-wide ``dns_server``): every name in it
  has the organisational domain ``audit-dmarc.test`` (".test" is not in the PSL), whose apex
  publishes no DMARC record, so a scenario without a record of its own must come out ``none``.
- ``AUDIT_ZONES`` below, served by a private server of this module: scenarios that need their
  own organisational domain (inheritance, failures at the org domain), real public suffixes
  (``lg.jp``, ``go.jp``, ``ac.jp``) or external report destinations. They are kept out of
  ``tests/zones`` so that records at ``_dmarc.go.jp`` etc. cannot change anyone else's results.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.engine import check_domain
from scanner.options import ScanOptions
from tests.conftest import options_for
from tests.dnsserver import DnsServer

REPO = Path(__file__).resolve().parents[2]
Z = "audit-dmarc.test"  # origin of tests/zones/audit-dmarc.zone

AUDIT_ZONES = (
    # Organisational domain with p, sp and np (RFC 7489 6.6.3, RFC 9989 4.10.1).
    """
$ORIGIN audit-dmarc-org.test.
@            IN SOA ns.audit-dmarc-org.test. h.audit-dmarc-org.test. 1 3600 600 86400 300
@            IN NS  ns.audit-dmarc-org.test.
@            IN A   192.0.2.10
_dmarc       IN TXT "v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:agg@audit-dmarc-org.test"
sub          IN A   192.0.2.10
x.sub        IN A   192.0.2.10
own          IN A   192.0.2.10
_dmarc.own   IN TXT "v=DMARC1; p=none"
sfail        IN A   192.0.2.10
_dmarc.sfail IN TXT "v=DMARC1; p=none"
; @fault _dmarc.sfail servfail
tout         IN A   192.0.2.10
_dmarc.tout  IN TXT "v=DMARC1; p=none"
; @fault _dmarc.tout timeout
mid          IN A   192.0.2.10
_dmarc.mid   IN TXT "v=DMARC1; p=none"
leaf.mid     IN A   192.0.2.10
midn         IN A   192.0.2.10
_dmarc.midn  IN TXT "v=DMARC1; p=none; psd=n"
leaf.midn    IN A   192.0.2.10
walkfail     IN A   192.0.2.10
_dmarc.walkfail IN TXT "v=DMARC1; p=none; psd=n"
leaf.walkfail IN A  192.0.2.10
deep.ent     IN A   192.0.2.10
dang         IN A   192.0.2.10
_dmarc.dang  IN CNAME nowhere.audit-dmarc-org.test.
spfsub       IN A   192.0.2.10
_dmarc.spfsub IN TXT "v=spf1 -all"
vlowersub    IN A   192.0.2.10
_dmarc.vlowersub IN TXT "v=dmarc1; p=none"
twosub       IN A   192.0.2.10
_dmarc.twosub IN TXT "v=DMARC1; p=none"
_dmarc.twosub IN TXT "v=DMARC1; p=none; rua=mailto:agg@audit-dmarc-org.test"
; @fault _dmarc.walkfail servfail
""",
    # The organisational domain's _dmarc fails in DNS (SERVFAIL / timeout).
    """
$ORIGIN audit-dmarc-orgfail.test.
@      IN SOA ns.audit-dmarc-orgfail.test. h.audit-dmarc-orgfail.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-orgfail.test.
@      IN A   192.0.2.11
_dmarc IN TXT "v=DMARC1; p=reject"
sub    IN A   192.0.2.11
; @fault _dmarc servfail
""",
    """
$ORIGIN audit-dmarc-orgtout.test.
@      IN SOA ns.audit-dmarc-orgtout.test. h.audit-dmarc-orgtout.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-orgtout.test.
@      IN A   192.0.2.12
_dmarc IN TXT "v=DMARC1; p=reject"
sub    IN A   192.0.2.12
; @fault _dmarc timeout
""",
    # Two DMARC records at the organisational domain.
    """
$ORIGIN audit-dmarc-orgtwo.test.
@      IN SOA ns.audit-dmarc-orgtwo.test. h.audit-dmarc-orgtwo.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-orgtwo.test.
@      IN A   192.0.2.13
_dmarc IN TXT "v=DMARC1; p=reject"
_dmarc IN TXT "v=DMARC1; p=none"
sub    IN A   192.0.2.13
""",
    # An invalid sp at the organisational domain, no rua.
    """
$ORIGIN audit-dmarc-orgbadsp.test.
@      IN SOA ns.audit-dmarc-orgbadsp.test. h.audit-dmarc-orgbadsp.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-orgbadsp.test.
@      IN A   192.0.2.14
_dmarc IN TXT "v=DMARC1; p=reject; sp=bogus"
sub    IN A   192.0.2.14
""",
    # lg.jp (a public suffix): only the city publishes; the PSL org domain is auditdmarc.lg.jp.
    """
$ORIGIN auditdmarc.lg.jp.
@           IN SOA ns.auditdmarc.lg.jp. h.auditdmarc.lg.jp. 1 3600 600 86400 300
@           IN NS  ns.auditdmarc.lg.jp.
@           IN A   192.0.2.20
city        IN A   192.0.2.20
_dmarc.city IN TXT "v=DMARC1; p=reject; sp=quarantine"
mail.city   IN A   192.0.2.20
""",
    # lg.jp, both the "prefecture-level" name and the city publish.
    """
$ORIGIN auditdmarc2.lg.jp.
@           IN SOA ns.auditdmarc2.lg.jp. h.auditdmarc2.lg.jp. 1 3600 600 86400 300
@           IN NS  ns.auditdmarc2.lg.jp.
@           IN A   192.0.2.21
_dmarc      IN TXT "v=DMARC1; p=none"
city        IN A   192.0.2.21
_dmarc.city IN TXT "v=DMARC1; p=reject; sp=reject"
mail.city   IN A   192.0.2.21
""",
    # A record at _dmarc.go.jp WITHOUT psd=y (SPEC-BRIEF 4.3 "practical difference").
    """
$ORIGIN go.jp.
@          IN SOA ns.go.jp. h.go.jp. 1 3600 600 86400 300
@          IN NS  ns.go.jp.
_dmarc     IN TXT "v=DMARC1; p=reject"
auditdmarc IN A   192.0.2.22
""",
    # A PSD record (psd=y) at _dmarc.ac.jp (RFC 9989 4.10.2 step 2, 4.10.1).
    """
$ORIGIN ac.jp.
@          IN SOA ns.ac.jp. h.ac.jp. 1 3600 600 86400 300
@          IN NS  ns.ac.jp.
_dmarc     IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y"
auditdmarc IN A   192.0.2.23
""",
    # Inheritance of pct and of sp when p=none.
    """
$ORIGIN audit-dmarc-org2.test.
@      IN SOA ns.audit-dmarc-org2.test. h.audit-dmarc-org2.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-org2.test.
@      IN A   192.0.2.15
_dmarc IN TXT "v=DMARC1; p=quarantine; pct=20"
sub    IN A   192.0.2.15
""",
    """
$ORIGIN audit-dmarc-org3.test.
@      IN SOA ns.audit-dmarc-org3.test. h.audit-dmarc-org3.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-org3.test.
@      IN A   192.0.2.16
_dmarc IN TXT "v=DMARC1; p=none; sp=reject"
sub    IN A   192.0.2.16
""",
    # An inherited record reporting to an external destination (the policy domain is the org).
    """
$ORIGIN audit-dmarc-pol2.test.
@      IN SOA ns.audit-dmarc-pol2.test. h.audit-dmarc-pol2.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-pol2.test.
@      IN A   192.0.2.31
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-dest.test"
sub    IN A   192.0.2.31
""",
    # A policy domain whose authorisation name would exceed 253 octets.
    """
$ORIGIN audit-dmarc-pol3.test.
@      IN SOA ns.audit-dmarc-pol3.test. h.audit-dmarc-pol3.test. 1 3600 600 86400 300
@      IN NS  ns.audit-dmarc-pol3.test.
lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm        IN A   192.0.2.32
_dmarc.lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm IN TXT "v=DMARC1; p=reject; rua=mailto:agg@lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.audit-dmarc-dest.test"
lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk        IN A   192.0.2.32
_dmarc.lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk IN TXT "v=DMARC1; p=reject; rua=mailto:agg@ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.pppppppppppppppppppppppppppppppppppppppp.audit-dmarc-wdest3.test"
""",
    # A PSD record at a (fictitious) TLD: the walk must go down to the TLD (RFC 9989 4.10).
    """
$ORIGIN auditdmarctld.
@      IN SOA ns.auditdmarctld. h.auditdmarctld. 1 3600 600 86400 300
@      IN NS  ns.auditdmarctld.
_dmarc IN TXT "v=DMARC1; p=reject; psd=y"
brand  IN A   192.0.2.24
""",
    # Policy domains sending reports elsewhere (RFC 7489 7.1, RFC 9990 4).
    """
$ORIGIN audit-dmarc-pol.test.
@                   IN SOA ns.audit-dmarc-pol.test. h.audit-dmarc-pol.test. 1 3600 600 86400 300
@                   IN NS  ns.audit-dmarc-pol.test.
@                   IN A   192.0.2.30
ext-ok              IN A   192.0.2.30
_dmarc.ext-ok       IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-dest.test"
ext-no              IN A   192.0.2.30
_dmarc.ext-no       IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-dest.test"
ext-wild            IN A   192.0.2.30
_dmarc.ext-wild     IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-wdest.test"
ext-fail            IN A   192.0.2.30
_dmarc.ext-fail     IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-fdest.test"
ext-int             IN A   192.0.2.30
_dmarc.ext-int      IN TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.audit-dmarc-pol.test"
ext-notdmarc        IN A   192.0.2.30
_dmarc.ext-notdmarc IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-dest.test"
ext-size            IN A   192.0.2.30
_dmarc.ext-size     IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-dest.test!10m"
ext-shadow          IN A   192.0.2.30
_dmarc.ext-shadow   IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.audit-dmarc-wdest2.test"
ext-mixed           IN A   192.0.2.30
_dmarc.ext-mixed    IN TXT "v=DMARC1; p=reject; rua=mailto:a@rcpt.audit-dmarc-wdest.test,mailto:b@other.audit-dmarc-dest.test; ruf=mailto:f@audit-dmarc-pol.test"
""",
    """
$ORIGIN audit-dmarc-dest.test.
@    IN SOA ns.audit-dmarc-dest.test. h.audit-dmarc-dest.test. 1 3600 600 86400 300
@    IN NS  ns.audit-dmarc-dest.test.
rcpt IN A   192.0.2.40
ext-ok.audit-dmarc-pol.test._report._dmarc.rcpt       IN TXT "v=DMARC1"
ext-notdmarc.audit-dmarc-pol.test._report._dmarc.rcpt IN TXT "v=spf1 -all"
ext-size.audit-dmarc-pol.test._report._dmarc.rcpt     IN TXT "v=DMARC1"
audit-dmarc-pol2.test._report._dmarc.rcpt             IN TXT "v=DMARC1"
other IN A 192.0.2.40
""",
    """
$ORIGIN audit-dmarc-wdest.test.
@                        IN SOA ns.audit-dmarc-wdest.test. h.audit-dmarc-wdest.test. 1 3600 600 86400 300
@                        IN NS  ns.audit-dmarc-wdest.test.
rcpt                     IN A   192.0.2.41
*._report._dmarc.rcpt    IN TXT "v=DMARC1;"
""",
    # A wildcard authorisation shadowed by a specific record that shares the policy domain's
    # parent: "ext-shadow.audit-dmarc-pol.test._report._dmarc.rcpt..." is NXDOMAIN (RFC 4592
    # 3.3.1: its closest encloser "audit-dmarc-pol.test._report._dmarc.rcpt..." exists).
    """
$ORIGIN audit-dmarc-wdest2.test.
@                     IN SOA ns.audit-dmarc-wdest2.test. h.audit-dmarc-wdest2.test. 1 3600 600 86400 300
@                     IN NS  ns.audit-dmarc-wdest2.test.
rcpt                  IN A   192.0.2.43
*._report._dmarc.rcpt IN TXT "v=DMARC1"
other.audit-dmarc-pol.test._report._dmarc.rcpt IN TXT "v=DMARC1"
""",
    # A wildcard authorisation under a long host name.
    """
$ORIGIN audit-dmarc-wdest3.test.
@    IN SOA ns.audit-dmarc-wdest3.test. h.audit-dmarc-wdest3.test. 1 3600 600 86400 300
@    IN NS  ns.audit-dmarc-wdest3.test.
ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.pppppppppppppppppppppppppppppppppppppppp                  IN A   192.0.2.44
*._report._dmarc.ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.pppppppppppppppppppppppppppppppppppppppp IN TXT "v=DMARC1"
""",
    """
$ORIGIN audit-dmarc-fdest.test.
@    IN SOA ns.audit-dmarc-fdest.test. h.audit-dmarc-fdest.test. 1 3600 600 86400 300
@    IN NS  ns.audit-dmarc-fdest.test.
rcpt IN A   192.0.2.42
ext-fail.audit-dmarc-pol.test._report._dmarc.rcpt IN TXT "v=DMARC1"
; @fault _report._dmarc.rcpt servfail
""",
)


@pytest.fixture(scope="module")
def audit_server() -> Iterator[DnsServer]:
    with DnsServer(None, AUDIT_ZONES) as server:
        yield server


@pytest.fixture
def audit_options(audit_server: DnsServer) -> ScanOptions:
    return options_for(audit_server)


def full(scan: Any, domain: str, options: ScanOptions | None = None) -> dict[str, Any]:
    """The whole JSON object of one domain, as ``python -m scanner check --json`` prints it."""
    result = scan(lambda ctx: check_domain(domain, ctx), options=options)
    data: dict[str, Any] = result.to_json()
    return data


def dmarc(scan: Any, domain: str, options: ScanOptions | None = None) -> dict[str, Any]:
    data: dict[str, Any] = full(scan, domain, options)["dmarc"]
    return data


def text(items: list[str]) -> str:
    return " ".join(items).lower()


# =============================================================================================
# Policies, enforcement (DESIGN.md "enforcement"; SPEC-BRIEF 4.2 contract note)
# =============================================================================================


def test_reject_full_contract(scan: Any) -> None:
    # RFC 7489 6.3 / RFC 9989 4.7: own record, p=reject, no pct/t -> full enforcement.
    # RFC 9989 4.10.2 step 3: the only record found is the domain's own, so the tree-walk
    # organisational domain is the domain itself; the PSL one is audit-dmarc.test (RFC 7489 3.2).
    d = dmarc(scan, f"reject.{Z}")
    assert d["state"] == "valid"
    assert d["record"] == f"v=DMARC1; p=reject; rua=mailto:agg@reject.{Z}"
    assert (d["p"], d["sp"], d["np"]) == ("reject", None, None)
    assert d["enforcement"] == "reject"
    assert d["rua"] == [f"mailto:agg@reject.{Z}"] and d["ruf"] == []
    assert d["inherited"] is False
    assert d["source_domain"] == f"reject.{Z}"
    assert d["org_domain_psl"] == Z
    assert d["org_domain_treewalk"] == f"reject.{Z}"


@pytest.mark.parametrize(
    ("label", "p", "enforcement"),
    [("quarantine", "quarantine", "quarantine"), ("monitor", "none", "monitoring")],
)
def test_policy_values(scan: Any, label: str, p: str, enforcement: str) -> None:
    # RFC 7489 6.3 p values; DESIGN.md: p=none is "monitoring".
    d = dmarc(scan, f"{label}.{Z}")
    assert (d["state"], d["p"], d["enforcement"]) == ("valid", p, enforcement)


@pytest.mark.parametrize(
    ("label", "pct", "enforcement"),
    [("pct50", 50, "partial"), ("pct0", 0, "partial"), ("pct100", 100, "reject")],
)
def test_pct_published(scan: Any, label: str, pct: int, enforcement: str) -> None:
    # RFC 7489 6.3 pct (0-100); docs/result-schema.md: enforcement is reject/quarantine only
    # with pct 100 (or absent), "partial" when pct < 100. SPEC-BRIEF 0.7: report pct as published.
    d = dmarc(scan, f"{label}.{Z}")
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
    d = dmarc(scan, f"{label}.{Z}")
    assert d["state"] == "valid"
    assert d["pct"] in (100, None)  # never the out-of-range / non-numeric text
    assert d["enforcement"] == enforcement
    assert "pct" in text(d["warnings"])


def test_t_y_is_monitoring(scan: Any) -> None:
    # RFC 9989 4.7 "t=y": testing; docs/result-schema.md: "monitoring" for t=y. SPEC-BRIEF 0.7.
    d = dmarc(scan, f"testy.{Z}")
    assert (d["state"], d["p"], d["t"], d["enforcement"]) == (
        "valid",
        "reject",
        "y",
        "monitoring",
    )


def test_t_n_keeps_enforcement(scan: Any) -> None:
    # RFC 9989 4.7: t=n is the default, the policy applies as written.
    d = dmarc(scan, f"testn.{Z}")
    assert (d["t"], d["enforcement"]) == ("n", "reject")


def test_sp_np_as_published_own_record_uses_p(scan: Any) -> None:
    # RFC 9989 4.10.1: for the author domain's own record the policy is p; sp/np are reported
    # as published (docs/result-schema.md).
    d = dmarc(scan, f"spnp.{Z}")
    assert (d["p"], d["sp"], d["np"]) == ("reject", "quarantine", "none")
    assert d["enforcement"] == "reject"


# =============================================================================================
# Missing / invalid p and sp (RFC 7489 6.6.3 step 6; RFC 9989 4.7, 4.10.1; SPEC-BRIEF 4.2, 7.2)
# =============================================================================================


def test_missing_p_with_valid_rua_acts_as_none(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6.1 / RFC 9989 4.10.1: no valid p but a valid rua -> act as p=none.
    d = dmarc(scan, f"nop-rua.{Z}")
    assert d["state"] == "valid"
    assert d["enforcement"] == "monitoring"
    # p holds the policy acted on (scanner/dmarc_parse.py DmarcRecord); the raw value is the
    # extra p_published. docs/result-schema.md says "as published": see the audit report.
    assert (d["p"], d.get("p_published")) == ("none", None)
    assert d["rua"] == [f"mailto:agg@nop-rua.{Z}"]


def test_missing_p_without_rua_is_permerror(scan: Any) -> None:
    # RFC 7489 6.3 ("v" and "p" MUST be present) and 6.6.3 step 6.2, RFC 9989 4.10.1: no valid
    # p and no valid rua -> no DMARC processing. SPEC-BRIEF 4.2: keep the raw record and flag it;
    # 7.2: published but unusable is permerror.
    d = dmarc(scan, f"nop-norua.{Z}")
    assert d["state"] == "permerror"
    assert d["record"] == "v=DMARC1; sp=reject"
    assert d["enforcement"] is None


def test_invalid_p_with_rua_acts_as_none(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6.1, RFC 9989 4.10.1 (MUST act as p=none).
    d = dmarc(scan, f"badp-rua.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "monitoring")
    assert (d["p"], d.get("p_published")) == ("none", "block")


def test_invalid_p_without_rua_is_permerror(scan: Any) -> None:
    # SPEC-BRIEF 7.2: "invalid p with no valid rua -> permerror".
    d = dmarc(scan, f"badp.{Z}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_sp_without_rua_is_permerror(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6: "does not contain a valid p tag, OR CONTAINS AN sp TAG THAT IS NOT
    # VALID" -> without a valid rua, no DMARC processing. RFC 9989 4.10.1 says the same for sp/np.
    d = dmarc(scan, f"badsp.{Z}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_sp_with_rua_acts_as_none(scan: Any) -> None:
    # Same rule, with a valid rua: act as if p=none was retrieved.
    d = dmarc(scan, f"badsp-rua.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "monitoring")
    assert d["sp"] is None
    assert (d["p"], d.get("p_published")) == ("none", "reject")


def test_tag_names_are_case_sensitive(scan: Any) -> None:
    # RFC 6376 3.2 (tag-list syntax used by RFC 7489 6.3 / RFC 9989 4.7): "P=reject" is an
    # unknown tag, ignored; no p + valid rua -> p=none. SPEC-BRIEF 4.2: warn, never count reject.
    d = dmarc(scan, f"tagcase.{Z}")
    assert (d["state"], d["p"], d["enforcement"]) == ("valid", "none", "monitoring")
    assert d.get("p_published") is None
    assert d["warnings"]


def test_policy_values_are_case_insensitive(scan: Any) -> None:
    # RFC 7489 6.4 / RFC 9989 4.8 ABNF: dmarc-request = "none" / "quarantine" / "reject";
    # quoted ABNF strings are case-insensitive (RFC 5234 2.3; only v uses %s"DMARC1").
    d = dmarc(scan, f"valcase.{Z}")
    assert (d["state"], d["p"], d["sp"], d["enforcement"]) == (
        "valid",
        "reject",
        "quarantine",
        "reject",
    )


def test_duplicate_tag_invalidates_record(scan: Any) -> None:
    # RFC 6376 3.2: "if a tag name does occur more than once, the entire tag-list is invalid";
    # RFC 7489 6.3 uses that tag-list syntax. A broken published record -> permerror.
    d = dmarc(scan, f"dup.{Z}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


# =============================================================================================
# Record selection (RFC 7489 6.6.3 steps 1-5; RFC 9989 4.7 v, 4.10 step 2; SPEC-BRIEF 4.1, 0.4)
# =============================================================================================


@pytest.mark.parametrize("label", ["vlower", "vnotfirst", "v10"])
def test_not_a_dmarc1_record_is_never_applied(scan: Any, label: str) -> None:
    # RFC 9989 4.7 v: "If the tag is not the first in the list, or the tag is absent, or the
    # value is not "DMARC1", then the entire record MUST be ignored" (case-sensitive). The
    # brief (7.2) lets a scanner flag "v not first" as permerror; either way nothing applies.
    d = dmarc(scan, f"{label}.{Z}")
    assert d["state"] in ("none", "permerror")
    assert (d["p"], d["enforcement"], d["inherited"]) == (None, None, False)


def test_spf_record_at_dmarc_is_none(scan: Any) -> None:
    # SPEC-BRIEF 0.4 / 4.1: filter by v=DMARC1; an SPF record at _dmarc is no DMARC record.
    d = dmarc(scan, f"spfonly.{Z}")
    assert (d["state"], d["record"], d["p"], d["enforcement"]) == (
        "none",
        None,
        None,
        None,
    )


def test_two_dmarc_records_is_permerror(scan: Any) -> None:
    # RFC 7489 6.6.3 step 5; RFC 9989 4.10 step 2; SPEC-BRIEF 4.1: permerror, multiple_records.
    d = dmarc(scan, f"two.{Z}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)
    assert "multiple" in text(d.get("errors", []) + d["warnings"])


def test_other_txt_beside_one_dmarc_record(scan: Any) -> None:
    # RFC 7489 6.6.3 step 2: non-DMARC TXT RRs are discarded, one DMARC record remains.
    d = dmarc(scan, f"mixed.{Z}")
    assert (d["state"], d["record"], d["enforcement"]) == (
        "valid",
        "v=DMARC1; p=reject",
        "reject",
    )


def test_character_strings_are_concatenated(scan: Any) -> None:
    # RFC 9989 4.5 / SPEC-BRIEF 0.3: join the strings of one RR with nothing in between.
    d = dmarc(scan, f"split.{Z}")
    assert d["record"] == f"v=DMARC1; p=quarantine; rua=mailto:agg@split.{Z}"
    assert (d["state"], d["p"], d["enforcement"]) == (
        "valid",
        "quarantine",
        "quarantine",
    )
    assert d["rua"] == [f"mailto:agg@split.{Z}"]


def test_whitespace_around_equals_and_separators(scan: Any) -> None:
    # RFC 7489 6.4 / RFC 9989 4.8: equals = *WSP "=" *WSP, dmarc-sep = *WSP ";" *WSP, optional
    # trailing separator.
    d = dmarc(scan, f"spaces.{Z}")
    assert (d["state"], d["p"], d["sp"], d["enforcement"]) == (
        "valid",
        "reject",
        "none",
        "reject",
    )


def test_nodata_at_dmarc_is_none(scan: Any) -> None:
    # RFC 7489 6.6.3: NOERROR without TXT = empty set -> org domain (no record there) -> none.
    d = dmarc(scan, f"nodata.{Z}")
    assert (d["state"], d["inherited"], d["source_domain"]) == ("none", False, None)


def test_nonexistent_domain_has_no_dmarc(scan: Any) -> None:
    # The name does not exist and the org domain publishes nothing.
    data = full(scan, f"ghost.{Z}")
    assert data["status"] == "nxdomain"
    assert data["dmarc"]["state"] == "none"


# =============================================================================================
# Alignment, unknown tags, report URIs (RFC 7489 6.3; RFC 9989 4.7, 4.8, C.4/C.5)
# =============================================================================================


def test_strict_alignment(scan: Any) -> None:
    d = dmarc(scan, f"align.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert (d.get("adkim"), d.get("aspf")) == ("s", "s")


def test_invalid_alignment_values_fall_back_to_default(scan: Any) -> None:
    # RFC 9989 4.8: syntax errors in the remainder MUST be discarded in favour of defaults ("r").
    d = dmarc(scan, f"alignbad.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert (d.get("adkim"), d.get("aspf")) == ("r", "r")


def test_unknown_and_removed_tags_are_ignored(scan: Any) -> None:
    # RFC 9989 4.7: unknown tags MUST be ignored; rf/ri removed (C.5) but harmless.
    d = dmarc(scan, f"unknown.{Z}")
    assert (d["state"], d["p"], d["enforcement"]) == (
        "valid",
        "quarantine",
        "quarantine",
    )
    assert d["ruf"] == [f"mailto:f@unknown.{Z}"]


def test_several_report_uris_with_size_suffix(scan: Any) -> None:
    # RFC 7489 6.4 dmarc-urilist (WSP allowed around ","), "!size" suffix; RFC 9989 4.8 keeps
    # it as obsolete syntax to ignore. Two URIs each, no stray whitespace.
    d = dmarc(scan, f"multirua.{Z}")
    assert d["state"] == "valid"
    assert len(d["rua"]) == 2 and len(d["ruf"]) == 2
    assert d["rua"][0] == f"mailto:a@multirua.{Z}"
    assert d["rua"][1].startswith(f"mailto:b@multirua.{Z}")
    assert d["ruf"][0].startswith(f"mailto:f@multirua.{Z}")
    assert d["ruf"][1] == f"mailto:g@multirua.{Z}"


# =============================================================================================
# CNAME, wildcards (SPEC-BRIEF 4.1, 7.5, 7.7, 0.4)
# =============================================================================================


def test_cname_at_dmarc_to_provider(scan: Any) -> None:
    # SPEC-BRIEF 4.1 / 7.5: hosted DMARC via CNAME is followed; the policy domain stays ours.
    d = dmarc(scan, f"cname.{Z}")
    assert (d["state"], d["p"], d["inherited"]) == ("valid", "quarantine", False)
    assert d["source_domain"] == f"cname.{Z}"


def test_dangling_cname_at_dmarc_is_none(scan: Any) -> None:
    # SPEC-BRIEF 7.5: NXDOMAIN at the end of the chain -> no record (not a DNS error).
    d = dmarc(scan, f"dangling.{Z}")
    assert (d["state"], d["enforcement"]) == ("none", None)


def test_wildcard_answering_with_spf_is_none(scan: Any) -> None:
    # SPEC-BRIEF 0.4 / 7.7: *.wild answers _dmarc.wild with the SPF record: not DMARC.
    d = dmarc(scan, f"wild.{Z}")
    assert (d["state"], d["record"], d["enforcement"]) == ("none", None, None)


def test_wildcard_answering_with_dmarc_is_a_record(scan: Any) -> None:
    # A wildcard that synthesises a DMARC record is what DNS says is at _dmarc.wilddm.
    d = dmarc(scan, f"wilddm.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")


# =============================================================================================
# DNS failures (DESIGN.md temperror; SPEC-BRIEF 0.1, 4.1, 7.2)
# =============================================================================================


@pytest.mark.parametrize("label", ["sfail", "tout", "refused"])
def test_dns_failure_at_dmarc_is_temperror(scan: Any, label: str) -> None:
    # DESIGN.md: "A DNS error at _dmarc.<domain> is temperror: never fall back to the parent".
    d = dmarc(scan, f"{label}.{Z}")
    assert d["state"] == "temperror"
    assert (d["p"], d["enforcement"], d["inherited"]) == (None, None, False)


def test_failure_at_own_dmarc_does_not_inherit_org_policy(
    scan: Any, audit_options: ScanOptions
) -> None:
    # The org domain publishes p=reject; _dmarc.sfail SERVFAILs: temperror, not inherited.
    d = dmarc(scan, "sfail.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "temperror",
        False,
        None,
    )


def test_timeout_at_own_dmarc_does_not_inherit_org_policy(
    scan: Any, audit_options: ScanOptions
) -> None:
    d = dmarc(scan, "tout.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "temperror",
        False,
        None,
    )


@pytest.mark.parametrize(
    "domain", ["sub.audit-dmarc-orgfail.test", "sub.audit-dmarc-orgtout.test"]
)
def test_failure_at_org_dmarc_during_inheritance_is_temperror(
    scan: Any, audit_options: ScanOptions, domain: str
) -> None:
    # _dmarc.sub is NXDOMAIN, _dmarc.<org> SERVFAILs / times out: the applicable policy is
    # unknown -> temperror, never none (SPEC-BRIEF 0.1, 7.2 "during the tree walk").
    d = dmarc(scan, domain, audit_options)
    assert d["state"] == "temperror"
    assert d["enforcement"] is None


# =============================================================================================
# Organisational-domain inheritance (RFC 7489 3.2, 6.6.3; RFC 9989 4.10.1 sp/np)
# =============================================================================================


@pytest.mark.parametrize(
    "domain", ["sub.audit-dmarc-org.test", "x.sub.audit-dmarc-org.test"]
)
def test_existing_subdomain_inherits_sp(
    scan: Any, audit_options: ScanOptions, domain: str
) -> None:
    # Org record "p=reject; sp=quarantine; np=none": an existing subdomain gets sp.
    d = dmarc(scan, domain, audit_options)
    assert d["state"] == "valid"
    assert d["inherited"] is True
    assert d["source_domain"] == "audit-dmarc-org.test"
    assert (d["p"], d["sp"], d["np"]) == ("reject", "quarantine", "none")
    assert d["enforcement"] == "quarantine"
    assert d["org_domain_psl"] == "audit-dmarc-org.test"
    assert d["org_domain_treewalk"] == "audit-dmarc-org.test"


def test_nonexistent_subdomain_gets_np(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 9989 4.10.1: "the np tag (if any) if the Author Domain does not exist" (np=none).
    data = full(scan, "ghost.audit-dmarc-org.test", audit_options)
    assert data["status"] == "nxdomain"
    d = data["dmarc"]
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "audit-dmarc-org.test",
    )
    assert d["enforcement"] == "monitoring"


def test_org_domain_itself_uses_p(scan: Any, audit_options: ScanOptions) -> None:
    d = dmarc(scan, "audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == ("valid", False, "reject")


def test_own_record_wins_over_org(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 7489 6.6.3 step 1 / RFC 9989 4.10.1: the author domain's record applies (p=none).
    # RFC 9989 4.10.2 step 3: records at own.<org> and <org>: fewest labels -> <org>.
    d = dmarc(scan, "own.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        False,
        "own.audit-dmarc-org.test",
    )
    assert d["enforcement"] == "monitoring"
    assert d["org_domain_treewalk"] == "audit-dmarc-org.test"


def test_intermediate_record_is_not_the_org_domain(
    scan: Any, audit_options: ScanOptions
) -> None:
    # leaf.mid: records at mid.<org> (p=none) and <org>. RFC 7489: PSL org -> <org>'s sp.
    # RFC 9989 4.10.2 step 3: fewest labels -> <org> as well (not the closest record).
    d = dmarc(scan, "leaf.mid.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "audit-dmarc-org.test",
    )
    assert d["enforcement"] == "quarantine"
    assert d["org_domain_treewalk"] == "audit-dmarc-org.test"
    assert d["treewalk"]["source_domain"] == "audit-dmarc-org.test"


def test_psd_n_makes_an_intermediate_org_domain(
    scan: Any, audit_options: ScanOptions
) -> None:
    # leaf.midn: _dmarc.midn has psd=n. RFC 9989 4.10 step 6 stops there, 4.10.2 step 1 makes
    # midn.<org> the org domain, its p=none applies. RFC 7489 still uses the PSL: <org>'s sp.
    d = dmarc(scan, "leaf.midn.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "audit-dmarc-org.test",
    )
    assert d["enforcement"] == "quarantine"
    assert d["org_domain_psl"] == "audit-dmarc-org.test"
    assert d["org_domain_treewalk"] == "midn.audit-dmarc-org.test"
    walk = d["treewalk"]
    assert (walk["source_domain"], walk["enforcement"]) == (
        "midn.audit-dmarc-org.test",
        "monitoring",
    )


def test_two_records_at_org_domain(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 7489 6.6.3 step 5: several records at the org domain end discovery; published but
    # unusable -> permerror (SPEC-BRIEF 4.1 multiple_records), never an applied policy.
    d = dmarc(scan, "sub.audit-dmarc-orgtwo.test", audit_options)
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_sp_at_org_domain(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 7489 6.6.3 step 6 / RFC 9989 4.10.1: org record with invalid sp and no rua -> no DMARC.
    d = dmarc(scan, "sub.audit-dmarc-orgbadsp.test", audit_options)
    assert (d["state"], d["enforcement"]) == ("permerror", None)


# =============================================================================================
# PSL vs RFC 9989 tree walk (SPEC-BRIEF 0.6, 4.3, 4.6)
# =============================================================================================


def test_lg_jp_city_own_record(scan: Any, audit_options: ScanOptions) -> None:
    # lg.jp is a public suffix: PSL org = auditdmarc.lg.jp; walk: only the city's record.
    d = dmarc(scan, "city.auditdmarc.lg.jp", audit_options)
    assert (d["state"], d["enforcement"], d["inherited"]) == ("valid", "reject", False)
    assert d["org_domain_psl"] == "auditdmarc.lg.jp"
    assert d["org_domain_treewalk"] == "city.auditdmarc.lg.jp"


def test_lg_jp_subdomain_of_city_differs_between_methods(
    scan: Any, audit_options: ScanOptions
) -> None:
    # SPEC-BRIEF 4.6: RFC 7489 looks at _dmarc.auditdmarc.lg.jp (nothing) -> none; RFC 9989
    # finds the city's record -> city is the org domain, its sp=quarantine applies.
    d = dmarc(scan, "mail.city.auditdmarc.lg.jp", audit_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == ("none", False, None)
    assert d["org_domain_psl"] == "auditdmarc.lg.jp"
    assert d["org_domain_treewalk"] == "city.auditdmarc.lg.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "city.auditdmarc.lg.jp",
        "quarantine",
    )
    assert d["warnings"]  # SPEC-BRIEF 4.3: flag the disagreement


def test_lg_jp_treewalk_takes_fewest_labels(
    scan: Any, audit_options: ScanOptions
) -> None:
    # Records at city.auditdmarc2.lg.jp (reject) and auditdmarc2.lg.jp (none). RFC 9989 4.10.2
    # step 3: fewest labels -> auditdmarc2.lg.jp; same as the PSL here: p=none inherited.
    d = dmarc(scan, "mail.city.auditdmarc2.lg.jp", audit_options)
    assert (d["state"], d["inherited"], d["source_domain"]) == (
        "valid",
        True,
        "auditdmarc2.lg.jp",
    )
    assert d["enforcement"] == "monitoring"
    assert d["org_domain_treewalk"] == "auditdmarc2.lg.jp"
    assert d["treewalk"]["source_domain"] == "auditdmarc2.lg.jp"


def test_record_at_go_jp_without_psd(scan: Any, audit_options: ScanOptions) -> None:
    # SPEC-BRIEF 4.3: a record at _dmarc.go.jp without psd=y makes go.jp the 9989 org domain;
    # the PSL keeps auditdmarc.go.jp (which publishes nothing) -> RFC 7489 state none.
    d = dmarc(scan, "auditdmarc.go.jp", audit_options)
    assert (d["state"], d["inherited"]) == ("none", False)
    assert d["org_domain_psl"] == "auditdmarc.go.jp"
    assert d["org_domain_treewalk"] == "go.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "go.jp",
        "reject",
    )


def test_psd_record_with_psd_y(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 9989 4.10.2 step 2: psd=y at ac.jp -> org domain is one label below (auditdmarc.ac.jp);
    # 4.10.1: no record there -> the PSD's record, existing subdomain -> sp=quarantine.
    d = dmarc(scan, "auditdmarc.ac.jp", audit_options)
    assert (d["state"], d["inherited"]) == ("none", False)
    assert d["org_domain_psl"] == "auditdmarc.ac.jp"
    assert d["org_domain_treewalk"] == "auditdmarc.ac.jp"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "ac.jp",
        "quarantine",
    )


def test_psd_record_np_for_nonexistent(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 9989 4.10.1: a non-existent author domain under the PSD gets np=reject.
    data = full(scan, "ghost.ac.jp", audit_options)
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
    start = f"a.b.c.d.e.f.deep9skip.{Z}"
    d = dmarc(scan, start)
    assert d["state"] == "none"
    assert d["org_domain_treewalk"] == start
    assert d["treewalk"]["state"] == "none"


def test_walk_finds_seven_label_record_from_nine(scan: Any) -> None:
    d = dmarc(scan, f"a.b.c.d.e.f.deep9hit.{Z}")
    assert d["state"] == "none"  # RFC 7489: PSL org audit-dmarc.test publishes nothing
    assert d["org_domain_treewalk"] == f"c.d.e.f.deep9hit.{Z}"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        f"c.d.e.f.deep9hit.{Z}",
        "quarantine",
    )


def test_walk_from_eight_labels_queries_seven(scan: Any) -> None:
    d = dmarc(scan, f"b.c.d.e.f.deep8.{Z}")
    assert d["org_domain_treewalk"] == f"c.d.e.f.deep8.{Z}"
    assert d["treewalk"]["source_domain"] == f"c.d.e.f.deep8.{Z}"


# =============================================================================================
# External report destinations (RFC 7489 7.1; RFC 9990 4; SPEC-BRIEF 4.5)
# =============================================================================================


def destinations(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(x["uri"], x["status"]) for x in d["external_destinations"]]


def test_external_destination_authorised(scan: Any, audit_options: ScanOptions) -> None:
    d = dmarc(scan, "ext-ok.audit-dmarc-pol.test", audit_options)
    assert d["state"] == "valid"
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-dest.test", "external_verified")
    ]


def test_external_destination_not_authorised(
    scan: Any, audit_options: ScanOptions
) -> None:
    d = dmarc(scan, "ext-no.audit-dmarc-pol.test", audit_options)
    assert d["state"] == "valid"  # the policy itself is fine
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-dest.test", "external_unverified")
    ]


def test_external_destination_wildcard_authorisation(
    scan: Any, audit_options: ScanOptions
) -> None:
    # RFC 9990 4: the report consumer may publish *._report._dmarc.<host>.
    d = dmarc(scan, "ext-wild.audit-dmarc-pol.test", audit_options)
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-wdest.test", "external_verified")
    ]


def test_external_destination_dns_error(scan: Any, audit_options: ScanOptions) -> None:
    # SPEC-BRIEF 4.5 step 3: DNS error -> "cannot confirm", not "unauthorised"; the policy
    # itself was read fine, so dmarc.state stays valid.
    d = dmarc(scan, "ext-fail.audit-dmarc-pol.test", audit_options)
    assert d["state"] == "valid"
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-fdest.test", "unverified_dns_error")
    ]


def test_internal_destination(scan: Any, audit_options: ScanOptions) -> None:
    d = dmarc(scan, "ext-int.audit-dmarc-pol.test", audit_options)
    assert destinations(d) == [("mailto:agg@reports.audit-dmarc-pol.test", "internal")]


def test_authorisation_record_must_be_dmarc1(
    scan: Any, audit_options: ScanOptions
) -> None:
    # SPEC-BRIEF 4.5 step 4: only TXT RRs starting with v=DMARC1 authorise.
    d = dmarc(scan, "ext-notdmarc.audit-dmarc-pol.test", audit_options)
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-dest.test", "external_unverified")
    ]


# =============================================================================================
# The CLI prints the same contract (DESIGN.md "python -m scanner check --json")
# =============================================================================================


def test_cli_json_lines(dns_server: DnsServer) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "check",
            "--json",
            "--nameserver",
            dns_server.nameserver,
            f"PCT50.{Z}.",
            f"spfonly.{Z}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [x["domain"] for x in lines] == [f"pct50.{Z}", f"spfonly.{Z}"]
    first, second = lines[0]["dmarc"], lines[1]["dmarc"]
    assert (first["state"], first["p"], first["pct"], first["enforcement"]) == (
        "valid",
        "reject",
        50,
        "partial",
    )
    assert (second["state"], second["record"]) == ("none", None)


# =============================================================================================
# More edge cases
# =============================================================================================


def test_pct_below_100_with_p_none_is_monitoring(scan: Any) -> None:
    # docs/result-schema.md: "monitoring" for p=none; pct only makes enforcement "partial".
    d = dmarc(scan, f"pctnone.{Z}")
    assert (d["state"], d["pct"], d["enforcement"]) == ("valid", 50, "monitoring")


def test_tab_is_whitespace(scan: Any) -> None:
    # RFC 5234 WSP = SP / HTAB; dmarc-sep = *WSP ";" *WSP.
    d = dmarc(scan, f"tab.{Z}")
    assert (d["state"], d["p"], d["sp"], d["enforcement"]) == (
        "valid",
        "reject",
        "quarantine",
        "reject",
    )


def test_missing_p_with_only_an_invalid_rua_is_permerror(scan: Any) -> None:
    # RFC 7489 6.6.3 step 6 / RFC 9989 4.10.1: "at least one SYNTACTICALLY VALID reporting URI";
    # "agg@host" has no scheme, so it is no URI (RFC 3986 3) -> no DMARC processing.
    d = dmarc(scan, f"nop-badrua.{Z}")
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_version_only_is_permerror(scan: Any) -> None:
    d = dmarc(scan, f"vonly.{Z}")
    assert (d["state"], d["record"], d["enforcement"]) == (
        "permerror",
        "v=DMARC1",
        None,
    )


@pytest.mark.parametrize(("label", "p"), [("big", "reject"), ("trunc", "quarantine")])
def test_truncated_answer_is_retried_over_tcp(scan: Any, label: str, p: str) -> None:
    # SPEC-BRIEF 7.4: TC=1 over UDP -> TCP; never a temperror or a missing record.
    d = dmarc(scan, f"{label}.{Z}")
    assert (d["state"], d["p"]) == ("valid", p)


def test_lost_first_packet_is_retried(scan: Any) -> None:
    # One lost UDP answer within the retry budget must not become a temperror.
    d = dmarc(scan, f"drop.{Z}")
    assert (d["state"], d["p"]) == ("valid", "quarantine")


def test_cname_to_failing_target_is_temperror(scan: Any) -> None:
    # SPEC-BRIEF 7.5 + 0.1: the chain's target SERVFAILs -> temperror, not none.
    d = dmarc(scan, f"cnamefail.{Z}")
    assert (d["state"], d["enforcement"]) == ("temperror", None)


def test_cname_to_spf_record_is_none(scan: Any) -> None:
    d = dmarc(scan, f"cnamespf.{Z}")
    assert (d["state"], d["record"]) == ("none", None)


def test_idn_input_uses_the_a_label(scan: Any) -> None:
    # DESIGN.md: domain is the A-label; the _dmarc lookup must use it (SPEC-BRIEF 7.6).
    data = full(scan, f"ドメイン.{Z}")
    assert data["domain"] == f"xn--eckwd4c7c.{Z}"
    d = data["dmarc"]
    assert (d["state"], d["enforcement"], d["source_domain"]) == (
        "valid",
        "reject",
        f"xn--eckwd4c7c.{Z}",
    )


def test_inherited_pct_gives_partial(scan: Any, audit_options: ScanOptions) -> None:
    # Org "p=quarantine; pct=20": the subdomain's applied policy is quarantine at 20 %.
    d = dmarc(scan, "sub.audit-dmarc-org2.test", audit_options)
    assert (d["state"], d["inherited"], d["pct"], d["enforcement"]) == (
        "valid",
        True,
        20,
        "partial",
    )


@pytest.mark.parametrize(
    ("domain", "enforcement"),
    [
        ("audit-dmarc-org3.test", "monitoring"),  # the org itself: p=none
        ("sub.audit-dmarc-org3.test", "reject"),  # existing subdomain: sp=reject
        (
            "ghost.audit-dmarc-org3.test",
            "reject",
        ),  # non-existent: no np -> sp (RFC 9989 4.7)
    ],
)
def test_sp_applies_to_subdomains_even_when_p_is_none(
    scan: Any, audit_options: ScanOptions, domain: str, enforcement: str
) -> None:
    d = dmarc(scan, domain, audit_options)
    assert (d["state"], d["enforcement"]) == ("valid", enforcement)


def test_dns_failure_inside_the_tree_walk(
    scan: Any, audit_options: ScanOptions
) -> None:
    # leaf.walkfail: RFC 7489 asks only _dmarc.leaf.walkfail and _dmarc.<org> (both answer):
    # inherited sp=quarantine. The RFC 9989 walk meets a SERVFAIL at _dmarc.walkfail (a psd=n
    # record that would have changed its answer): its outcome is unknown (SPEC-BRIEF 7.2).
    d = dmarc(scan, "leaf.walkfail.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )
    assert d["treewalk"]["state"] == "temperror"
    assert (
        d["org_domain_treewalk"] != "audit-dmarc-org.test"
    )  # not a guess past the error
    assert "treewalk_dns_error" in d["warnings"]  # unknown, said so, not silently null


def test_inherited_record_authorisation_uses_the_org_domain(
    scan: Any, audit_options: ScanOptions
) -> None:
    # SPEC-BRIEF 4.5 step 2: <policy-domain> is where the record was found (the org domain).
    d = dmarc(scan, "sub.audit-dmarc-pol2.test", audit_options)
    assert d["inherited"] is True
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-dest.test", "external_verified")
    ]


def test_size_suffix_is_not_part_of_the_destination_host(
    scan: Any, audit_options: ScanOptions
) -> None:
    d = dmarc(scan, "ext-size.audit-dmarc-pol.test", audit_options)
    assert [x["host"] for x in d["external_destinations"]] == [
        "rcpt.audit-dmarc-dest.test"
    ]
    assert [x["status"] for x in d["external_destinations"]] == ["external_verified"]


def test_each_uri_is_judged_on_its_own(scan: Any, audit_options: ScanOptions) -> None:
    d = dmarc(scan, "ext-mixed.audit-dmarc-pol.test", audit_options)
    assert sorted(destinations(d)) == sorted(
        [
            ("mailto:a@rcpt.audit-dmarc-wdest.test", "external_verified"),
            ("mailto:b@other.audit-dmarc-dest.test", "external_unverified"),
            ("mailto:f@audit-dmarc-pol.test", "internal"),
        ]
    )


def test_authorisation_name_too_long(scan: Any, audit_options: ScanOptions) -> None:
    # SPEC-BRIEF 4.5 step 3: the name would exceed DNS limits -> not verified (and no crash).
    domain = f"{'l' * 63}.{'m' * 63}.audit-dmarc-pol3.test"
    data = full(scan, domain, audit_options)
    assert data["status"] == "ok"
    d = data["dmarc"]
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert [x["status"] for x in d["external_destinations"]] == ["external_unverified"]


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        (
            "www.city.kawasaki.jp",
            "city.kawasaki.jp",
        ),  # PSL exception rule !city.kawasaki.jp
        ("x.y.kawasaki.jp", "x.y.kawasaki.jp"),  # PSL wildcard *.kawasaki.jp
        ("www.audit.github.io", "audit.github.io"),  # private section (SPEC-BRIEF 4.6)
        ("www.soumu.go.jp", "soumu.go.jp"),
        ("mail.city.hiroshima.lg.jp", "hiroshima.lg.jp"),
    ],
)
def test_psl_org_domain(
    scan: Any, audit_options: ScanOptions, domain: str, org: str
) -> None:
    # RFC 7489 3.2 with the whole bundled PSL. These names exist nowhere: state none.
    d = dmarc(scan, domain, audit_options)
    assert (d["state"], d["org_domain_psl"]) == ("none", org)


def test_public_suffix_itself_has_a_string_org_domain(
    scan: Any, audit_options: ScanOptions
) -> None:
    # go.jp is a public suffix with (here) its own record: the record applies to go.jp itself;
    # the schema requires org_domain_psl to be a string (docs/result-schema.md).
    d = dmarc(scan, "go.jp", audit_options)
    assert (d["state"], d["enforcement"], d["inherited"]) == ("valid", "reject", False)
    assert d["org_domain_psl"] == "go.jp"


def test_missing_separator_after_version(scan: Any) -> None:
    # RFC 9989 4.8: dmarc-record = dmarc-version *(dmarc-sep dmarc-tag): "v=DMARC1 p=reject" has
    # v = "DMARC1 p=reject", not "DMARC1" -> the record is ignored (or flagged); never reject.
    d = dmarc(scan, f"nosep.{Z}")
    assert d["state"] in ("none", "permerror")
    assert d["enforcement"] is None


def test_missing_p_with_one_valid_rua_among_invalid(scan: Any) -> None:
    # RFC 9989 4.10.1: "at least one syntactically valid reporting URI" -> p=none.
    d = dmarc(scan, f"nop-mixrua.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "monitoring")
    assert f"mailto:agg@nop-mixrua.{Z}" in d["rua"]


def test_t_value_is_case_insensitive(scan: Any) -> None:
    # RFC 9989 4.8: dmarc-yorn = "y" / "n" (case-insensitive ABNF literals, RFC 5234 2.3).
    d = dmarc(scan, f"tcase.{Z}")
    assert (d["state"], d["t"], d["enforcement"]) == ("valid", "y", "monitoring")


def test_trailing_separator_and_spaces(scan: Any) -> None:
    # dmarc-sep = *WSP ";" *WSP, optional at the end.
    d = dmarc(scan, f"trailing.{Z}")
    assert (d["state"], d["enforcement"]) == ("valid", "reject")


def test_empty_non_terminal_subdomain_exists_so_sp_applies(
    scan: Any, audit_options: ScanOptions
) -> None:
    # ent.<org> has no records but deep.ent.<org> exists: NOERROR/NODATA, the name exists
    # (RFC 8020, RFC 9989 3.2.13) -> sp=quarantine, not np=none.
    d = dmarc(scan, "ent.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )


def test_non_dmarc_txt_at_subdomain_still_inherits(
    scan: Any, audit_options: ScanOptions
) -> None:
    # RFC 7489 6.6.3 steps 2-3: non-DMARC records are discarded; the set is empty -> org domain.
    d = dmarc(scan, "spfsub.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )


def test_lowercase_version_at_subdomain_falls_back_to_org(
    scan: Any, audit_options: ScanOptions
) -> None:
    # RFC 7489 6.6.3 steps 2-3 / RFC 9989 4.7 v: "v=dmarc1" is not a DMARC record and "MUST be
    # ignored"; the set is then empty and the org domain's policy applies.
    d = dmarc(scan, "vlowersub.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )


def test_two_records_at_subdomain_7489_vs_9989(
    scan: Any, audit_options: ScanOptions
) -> None:
    # RFC 7489 6.6.3 step 5: discovery terminates (permerror, SPEC-BRIEF 4.1 multiple_records);
    # RFC 9989 4.10 step 2: both discarded, the walk continues up to the org's record.
    d = dmarc(scan, "twosub.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["enforcement"]) == ("permerror", None)
    assert "multiple_records" in d["errors"]
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "audit-dmarc-org.test",
        "quarantine",
    )


def test_walk_reaches_the_tld(scan: Any, audit_options: ScanOptions) -> None:
    # RFC 9989 4.10 steps 5-7 run down to the TLD; psd=y there -> org = brand.auditdmarctld,
    # the PSD's p applies (no sp). RFC 7489: PSL default rule, brand.auditdmarctld has nothing.
    d = dmarc(scan, "brand.auditdmarctld", audit_options)
    assert (d["state"], d["org_domain_psl"]) == ("none", "brand.auditdmarctld")
    assert d["org_domain_treewalk"] == "brand.auditdmarctld"
    walk = d["treewalk"]
    assert (walk["state"], walk["source_domain"], walk["enforcement"]) == (
        "valid",
        "auditdmarctld",
        "reject",
    )


def test_wildcard_authorisation_shadowed_by_an_existing_node(
    scan: Any, audit_options: ScanOptions
) -> None:
    # RFC 9990 4 step 5: the receiver queries the constructed name
    # "ext-shadow.audit-dmarc-pol.test._report._dmarc.rcpt.audit-dmarc-wdest2.test"; the
    # consumer's record for other.audit-dmarc-pol.test makes "audit-dmarc-pol.test._report..."
    # exist, so the wildcard does not apply below it (RFC 4592 3.3.1) -> NXDOMAIN -> "a positive
    # determination ... cannot be made" (step 7). Querying "*._report._dmarc.<host>" literally
    # would claim an authorisation no receiver can see.
    d = dmarc(scan, "ext-shadow.audit-dmarc-pol.test", audit_options)
    assert destinations(d) == [
        ("mailto:agg@rcpt.audit-dmarc-wdest2.test", "external_unverified")
    ]


def test_too_long_authorisation_name_is_not_saved_by_a_wildcard(
    scan: Any, audit_options: ScanOptions
) -> None:
    # RFC 9990 4 step 4: "If the length of the constructed name exceed DNS limits, a positive
    # determination of the external reporting relationship cannot be made; stop." The consumer's
    # wildcard cannot help: no receiver can ask a name that long.
    domain = f"{'l' * 63}.{'k' * 63}.audit-dmarc-pol3.test"
    d = dmarc(scan, domain, audit_options)
    assert d["state"] == "valid"
    assert [x["status"] for x in d["external_destinations"]] == ["external_unverified"]


def test_dangling_cname_at_subdomain_inherits(
    scan: Any, audit_options: ScanOptions
) -> None:
    # _dmarc.dang is a CNAME to a name that does not exist: NXDOMAIN, no record (SPEC-BRIEF
    # 7.5) -> the org domain's sp applies; the dangling CNAME is worth a warning.
    d = dmarc(scan, "dang.audit-dmarc-org.test", audit_options)
    assert (d["state"], d["inherited"], d["enforcement"]) == (
        "valid",
        True,
        "quarantine",
    )
    assert "dangling" in text(d["warnings"])
