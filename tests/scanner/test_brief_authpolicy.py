"""SPEC-BRIEF sentence-by-sentence pass, area "authpolicy": sections 0.5-0.7, 2 (DKIM), 3 (ADSP)
and 4 (DMARC), against the DESIGN.md contract and docs/result-schema.md.

Only what the earlier suites (test_dkim, test_adsp, test_dmarc*, test_audit_dkim,
test_audit_dmarc) leave open is pinned here. Three sources of DNS:

- ``tests/zones/brief-authpolicy.zone`` on the session-wide server: scenarios whose PSL
  organisational domain (``brief-authpolicy.test``) publishes nothing.
- ``JP_ZONES`` on a private server of this module: real public suffixes (``go.jp``, ``lg.jp``)
  and external report destinations, kept out of ``tests/zones`` so they change no one else's
  results.
- :class:`QuirkyServer`, a private server that misbehaves the way SPEC-BRIEF 2.6 describes:
  RFC 9824 compact denial, an ISP-style NXDOMAIN rewriter, an odd rcode, and (through a
  separate zone) NXDOMAIN for an empty non-terminal.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dns.rcode
import dns.rdataset
import dns.rdatatype
import jsonschema
import pytest

import scanner.selectors
from scanner.engine import check_domain
from scanner.names import psl_version
from scanner.options import ScanOptions
from scanner.selectors import DEFAULT_SELECTORS, TIER1_SELECTORS, TIER2_SELECTORS
from tests.conftest import options_for
from tests.dnsserver import CLASSIC_UDP_SIZE, DnsServer, Question, resolve

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "scanner" / "result-schema.json").read_text("utf-8"))
Z = "brief-authpolicy.test"  # origin of tests/zones/brief-authpolicy.zone
Q = "brief-authpolicy-quirk.test"  # QuirkyServer's zones
POL = "brief-authpolicy-pol.test"  # policy domains with external report destinations
DEST = "brief-authpolicy-dest.test"  # the report consumer
# A domain's ~55 DKIM probes go out at once: fault-free scenarios get a roomier timeout than
# the suite's 0.3 s (it never elapses when the server answers), as test_dkim.py does.
RELAXED_TIMEOUT = 0.9

KEY2048 = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjxJ6PKdRz+NJLljZKaqof5PiPw2ewpMF/8qr7Czq6A5J9vaB"
    "EwQh1D7ciUBvdIPOm3YqBb3xTjG7kTe6dtylj04D+0hIuYzO2GgPmg8MrQdfAX3zTeoDpXYjMUdQh4J6+5UNowz+d9HT"
    "nMlYc72Tswu8SbvcFGqhTPXfBHbeIs0ILZ1DUgpH1Tv3ZfPQ8f6VfBuKOHnggzPnZD/YntLHLDReN3lcolB8JU4tzeqG"
    "6Xb/KnMxf0l7s6vGpl8GXlPK1SyrJb/HJP7x2l2e7pS59jff1qQTLk8akUjyD18qDoEizvgQH6vZj4/a6E4AC/2LCdlS"
    "9QVQz9JZ9qO3MQvv3wIDAQAB"
)


def quoted(text: str) -> str:
    """A TXT RDATA in zone-file syntax, cut into character-strings of 250 octets."""
    return " ".join(f'"{text[i : i + 250]}"' for i in range(0, len(text), 250))


# =============================================================================================
# Servers and helpers
# =============================================================================================

JP_ZONES = (
    # lg.jp (SPEC-BRIEF 4.6): the city sends reports to the prefecture; the PSL puts both
    # under one organisational domain, briefx.lg.jp.
    """
$ORIGIN briefx.lg.jp.
@           SOA ns.briefx.lg.jp. h.briefx.lg.jp. 1 3600 600 86400 300
@           NS  ns.briefx.lg.jp.
city        A   192.0.2.60
_dmarc.city TXT "v=DMARC1; p=reject; rua=mailto:dmarc@pref.briefx.lg.jp"
pref        A   192.0.2.61
""",
    # go.jp ministries reporting to one CERT (SPEC-BRIEF 4.5, last sentence); no _dmarc.go.jp.
    """
$ORIGIN go.jp.
@                SOA ns.go.jp. h.go.jp. 1 3600 600 86400 300
@                NS  ns.go.jp.
briefmin         A   192.0.2.62
_dmarc.briefmin  TXT "v=DMARC1; p=reject; rua=mailto:dmarc@briefmin.go.jp,mailto:dmarc@briefcert.go.jp"
briefmin2        A   192.0.2.63
_dmarc.briefmin2 TXT "v=DMARC1; p=reject; rua=mailto:dmarc@briefcert.go.jp"
briefcert        A   192.0.2.64
briefmin.go.jp._report._dmarc.briefcert TXT "v=DMARC1"
""",
    f"""
$ORIGIN {POL}.
@                  SOA ns.{POL}. h.{POL}. 1 3600 600 86400 300
@                  NS  ns.{POL}.
ovr-same           A   192.0.2.70
_dmarc.ovr-same    TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
ovr-other          A   192.0.2.70
_dmarc.ovr-other   TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
multitxt           A   192.0.2.70
_dmarc.multitxt    TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
lowerv             A   192.0.2.70
_dmarc.lowerv      TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
notfirst           A   192.0.2.70
_dmarc.notfirst    TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
upper              A   192.0.2.70
_dmarc.upper       TXT "v=DMARC1; p=reject; rua=mailto:agg@RCPT.Brief-Authpolicy-Dest.TEST"
xn--eckwd4c7c      A   192.0.2.70
_dmarc.xn--eckwd4c7c TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
""",
    f"""
$ORIGIN {DEST}.
@    SOA ns.{DEST}. h.{DEST}. 1 3600 600 86400 300
@    NS  ns.{DEST}.
rcpt A   192.0.2.71
ovr-same.{POL}._report._dmarc.rcpt  TXT "v=DMARC1; rua=mailto:other@rcpt.{DEST}"
ovr-other.{POL}._report._dmarc.rcpt TXT "v=DMARC1; rua=mailto:x@elsewhere.brief-authpolicy-dest2.test"
multitxt.{POL}._report._dmarc.rcpt  TXT "site-verification=abc123"
multitxt.{POL}._report._dmarc.rcpt  TXT "v=DMARC1"
lowerv.{POL}._report._dmarc.rcpt    TXT "v=dmarc1"
notfirst.{POL}._report._dmarc.rcpt  TXT "rua=mailto:agg@rcpt.{DEST}; v=DMARC1"
upper.{POL}._report._dmarc.rcpt     TXT "v=DMARC1"
xn--eckwd4c7c.{POL}._report._dmarc.rcpt TXT "v=DMARC1"
""",
)

QUIRK_ZONES = (
    f"""
$ORIGIN {Q}.
@         SOA ns.{Q}. h.{Q}. 1 3600 600 86400 300
@         NS  ns.{Q}.
ns        A   192.0.2.53
mx        A   192.0.2.25
notimp    MX  10 mx.{Q}.
entbroken MX  10 mx.{Q}.
""",
    # SPEC-BRIEF 2.6 caveat 1: the selector lives in a zone of its own, so the server answers
    # NXDOMAIN for _domainkey.entbroken (an empty non-terminal), as flat DNS hosting does.
    f"""
$ORIGIN sel2026._domainkey.entbroken.{Q}.
@ TXT "v=DKIM1; k=rsa; p="
""",
    # Caveat 5: every name that does not exist under cd.<Q> is answered NOERROR/NODATA.
    f"""
$ORIGIN cd.{Q}.
@       SOA ns.{Q}. h.{Q}. 1 3600 600 86400 300
@       NS  ns.{Q}.
nokey   TXT "v=spf1 -all"
nokey   MX  10 mx.{Q}.
withkey MX  10 mx.{Q}.
google._domainkey.withkey TXT {quoted("v=DKIM1; k=rsa; p=" + KEY2048)}
""",
    # Caveat 6: an ISP-style resolver that answers A queries for nonexistent names.
    f"""
$ORIGIN rw.{Q}.
@       SOA ns.{Q}. h.{Q}. 1 3600 600 86400 300
@       NS  ns.{Q}.
nodkim  TXT "v=spf1 -all"
nodkim  MX  10 mx.{Q}.
""",
)

COMPACT_DENIAL = ("cd", *Q.split("."))
REWRITTEN = ("rw", *Q.split("."))
NOTIMP_NAME = ("_domainkey", "notimp", *Q.split("."))
REDIRECT_A = dns.rdataset.from_text("IN", "A", 300, "192.0.2.250")


def _under(key: tuple[bytes, ...], suffix: tuple[str, ...]) -> bool:
    labels = tuple(label.decode("ascii") for label in key)
    return labels[-len(suffix) :] == suffix


class QuirkyServer(DnsServer):
    """The zone-file server, with the broken behaviours of SPEC-BRIEF 2.6 caveats 5 and 6."""

    def answer(self, question: Question, tcp: bool) -> tuple[bytes | None, bool]:
        if tuple(label.decode("ascii") for label in question.key) == NOTIMP_NAME:
            return self.wire.rcode_only(question, dns.rcode.NOTIMP), True
        result = resolve(self.data, question.key, question.rdtype)
        if result.rcode == dns.rcode.NXDOMAIN:
            if _under(question.key, COMPACT_DENIAL):
                # RFC 9824 "black lies": NOERROR with no data for a name that does not exist.
                result.rcode = dns.rcode.NOERROR
            elif _under(question.key, REWRITTEN) and question.rdtype == dns.rdatatype.A:
                result.rcode = dns.rcode.NOERROR
                result.answer.append((None, REDIRECT_A))
                result.authority.clear()
        wire = self.wire.response(question, result)
        limit = max(CLASSIC_UDP_SIZE, question.payload or 0)
        if not tcp and len(wire) > limit:
            wire = self.wire.truncated(question)
        return wire, True


@pytest.fixture(scope="module")
def jp_server() -> Iterator[DnsServer]:
    with DnsServer(None, JP_ZONES) as server:
        yield server


@pytest.fixture(scope="module")
def quirk_server() -> Iterator[DnsServer]:
    with QuirkyServer(None, QUIRK_ZONES) as server:
        yield server


@pytest.fixture
def relaxed(dns_server: DnsServer) -> ScanOptions:
    return options_for(dns_server, timeout=RELAXED_TIMEOUT)


def full(
    scan: Any, domain: str, options: ScanOptions, selectors: Sequence[str] = ()
) -> dict[str, Any]:
    """The domain's whole JSON object, validated against scanner/result-schema.json."""
    result = scan(lambda ctx: check_domain(domain, ctx, selectors), options=options)
    data: dict[str, Any] = result.to_json()
    jsonschema.validate(data, SCHEMA)
    return data


def dkim(
    scan: Any, domain: str, options: ScanOptions, selectors: Sequence[str] = ()
) -> dict[str, Any]:
    data: dict[str, Any] = full(scan, domain, options, selectors)["dkim"]
    return data


def dmarc(scan: Any, domain: str, options: ScanOptions) -> dict[str, Any]:
    data: dict[str, Any] = full(scan, domain, options)["dmarc"]
    return data


def names(dkim_json: dict[str, Any]) -> list[str]:
    return [entry["selector"] for entry in dkim_json["selectors"]]


def destinations(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(x["uri"], x["status"]) for x in d["external_destinations"]]


# =============================================================================================
# SPEC-BRIEF 2.5: the probe list, its order and its provenance (scanner.selectors)
# =============================================================================================

BRIEF_TIER1 = (
    "google", "selector1", "selector2", "k1", "s1", "s2", "default", "mail", "dkim",
    "fm1", "fm2", "fm3", "everlytickey1", "everlytickey2", "eversrv", "mxvault", "amazonses",
)  # fmt: skip
BRIEF_TIER2 = (
    "k2", "k3", "mandrill", "smtp", "mx", "email", "key1", "key2", "dkim1", "dkim2", "sig1",
    "cm", "pm", "zoho", "zmail", "protonmail", "protonmail2", "protonmail3", "hs1", "hs2",
    "mailjet", "sendgrid", "sparkpost", "mailgun", "krs", "smtpapi", "s1024", "s2048",
    "20230601", "20221208", "20210112", "20161025",
)  # fmt: skip


def test_probe_list_is_the_briefs_list_in_the_briefs_order() -> None:
    # SPEC-BRIEF 2.5 "Probe in this order": tier 1 as listed, then tier 2 as listed.
    assert TIER1_SELECTORS == BRIEF_TIER1
    assert TIER2_SELECTORS == BRIEF_TIER2
    assert DEFAULT_SELECTORS == BRIEF_TIER1 + BRIEF_TIER2


def test_probe_list_carries_its_provenance() -> None:
    # SPEC-BRIEF 2.5 "(with provenance)": tier 1 is exactly DomainDetective's GuessSelectors();
    # tier 2 attribution is by convention, not verified; 2.4 DNS adoption is a lower bound.
    source = inspect.getsource(scanner.selectors)
    for fact in ("EvotecIT/DomainDetective", "DKIMSelectors.cs", "GuessSelectors"):
        assert fact in source
    assert "not verified" in source
    assert "lower bound" in source


def test_probes_do_not_stop_at_the_first_key_and_keep_probe_order(
    scan: Any, relaxed: ScanOptions
) -> None:
    # SPEC-BRIEF 2.5 "stop nothing early (several providers per domain are common)": keys at
    # the first tier-1, the last tier-1 and the last tier-2 selector are all reported, in the
    # probe order, and every default selector was asked.
    d = dkim(scan, f"tiers.{Z}", relaxed)
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert names(d) == ["google", "amazonses", "20161025"]
    assert [e["key_bits"] for e in d["selectors"]] == [2048, 1024, 2048]
    assert d["probed"] == len(BRIEF_TIER1 + BRIEF_TIER2)


def test_cli_known_selectors_are_probed_first_then_the_list(
    dns_server: DnsServer,
) -> None:
    # DESIGN.md `--selectors a,b`: the domain's known selectors plus the documented list;
    # SPEC-BRIEF 2.4: the known selectors are how the registry raises the lower bound.
    out = subprocess.run(
        [
            sys.executable, "-m", "scanner", "check", "--json",
            "--nameserver", dns_server.nameserver, "--selectors", "own2024",
            f"ownsel.{Z}", f"tiers.{Z}",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [x["domain"] for x in lines] == [f"ownsel.{Z}", f"tiers.{Z}"]
    for line in lines:
        jsonschema.validate(line, SCHEMA)
    own, tiers = lines[0]["dkim"], lines[1]["dkim"]
    assert names(own) == ["own2024", "s1"]
    assert own["state"] == "found"
    assert tiers["probed"] == len(DEFAULT_SELECTORS) + 1


# =============================================================================================
# SPEC-BRIEF 2.2 / 2.3: key records and key sizes
# =============================================================================================


def test_key_record_without_v_tag_is_a_key(scan: Any, relaxed: ScanOptions) -> None:
    # SPEC-BRIEF 2.2 / RFC 6376 3.6.1: v= is RECOMMENDED, not required.
    d = dkim(scan, f"nov.{Z}", relaxed)
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    [entry] = d["selectors"]
    assert (entry["selector"], entry["key_type"], entry["key_bits"]) == (
        "selector1",
        "rsa",
        2048,
    )


def test_rsa_key_over_4096_bits_is_found_with_a_warning(
    scan: Any, relaxed: ScanOptions
) -> None:
    # SPEC-BRIEF 2.3: report modulus bits; ">= 2048 ok; > 4096 may not verify everywhere".
    d = dkim(scan, f"big.{Z}", relaxed)
    assert d["state"] == "found"
    [entry] = d["selectors"]
    assert (entry["key_type"], entry["key_bits"], entry["key_class"]) == (
        "rsa",
        5120,
        "ok",
    )
    assert entry["usable"] is True
    assert "rsa_over_4096" in entry["warnings"]


@pytest.mark.parametrize(
    ("label", "error"), [("quotes", "bad_base64"), ("cut", "bad_rsa_key")]
)
def test_keys_broken_by_dns_uis_are_parse_failures(
    scan: Any, relaxed: ScanOptions, label: str, error: str
) -> None:
    # SPEC-BRIEF 2.3: "keys broken by DNS UIs (quotes or spaces inside, truncated) show up as
    # parse failures": published, not usable, no invented size (docs: selector_unusable).
    d = dkim(scan, f"{label}.{Z}", relaxed)
    assert (d["state"], d["evidence"]) == ("domainkey_exists", "selector_unusable")
    [entry] = d["selectors"]
    assert (entry["selector"], entry["usable"], entry["key_bits"]) == (
        "selector1",
        False,
        None,
    )
    assert entry["errors"] == [error]


# =============================================================================================
# SPEC-BRIEF 0.5 / 2.6: the RFC 8020 inference and its caveats; docs evidence values
# =============================================================================================


def test_wildcard_with_only_an_address_voids_the_inference(
    scan: Any, relaxed: ScanOptions
) -> None:
    # Caveat 2: *.wilda (A only) makes _domainkey.wilda exist (NOERROR/NODATA); the random
    # label probe sees the wildcard, so this is wildcard_zone, never domainkey_nodata.
    data = full(scan, f"wilda.{Z}", relaxed)
    assert data["wildcard"] is True
    d = data["dkim"]
    assert (d["state"], d["evidence"], d["selectors"]) == (
        "domainkey_exists",
        "wildcard_zone",
        [],
    )


def test_zone_wildcard_does_not_hide_a_real_selector(
    scan: Any, relaxed: ScanOptions
) -> None:
    # Caveat 2 only voids the *existence* inference: a key of its own at google._domainkey is a
    # key (the other selectors are NXDOMAIN below the real _domainkey node, RFC 4592 3.3.1).
    data = full(scan, f"wildreal.{Z}", relaxed)
    assert data["wildcard"] is True
    d = data["dkim"]
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert names(d) == ["google"]


def test_cname_at_domainkey_to_a_missing_name_is_not_nxdomain_for_domainkey(
    scan: Any, relaxed: ScanOptions
) -> None:
    # SPEC-BRIEF 2.6: only an NXDOMAIN *for _domainkey.<domain>* says nothing exists below it
    # (RFC 8020 2). Here _domainkey.cnamedk is a CNAME whose target does not exist: the
    # NXDOMAIN rcode describes the last name of the chain (RFC 6604 3), _domainkey.cnamedk
    # itself exists, and google._domainkey.cnamedk publishes a key. Skipping the probes on
    # this answer turns a published key into "none".
    d = dkim(scan, f"cnamedk.{Z}", relaxed)
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert names(d) == ["google"]


def test_name_too_long_for_domainkey_is_none_invalid_name(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/result-schema.md evidence "invalid_name | none | The name could not be formed (too
    # long)": the 250-octet domain exists, but _domainkey.<domain> exceeds 255 wire octets.
    domain = ".".join(["a" * 63, "b" * 63, "c" * 63, "x" * 36, Z])
    assert len(domain) == 250
    data = full(scan, domain, relaxed)
    assert data["status"] == "ok"
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == ("none", "invalid_name")
    assert data["adsp"]["state"] == "none"
    assert data["dmarc"]["state"] == "none"  # _dmarc.<domain> is over 253 octets too


def test_known_revoked_selector_behind_nxdomain_domainkey(
    scan: Any, quirk_server: DnsServer
) -> None:
    # Caveat 1: the server answers NXDOMAIN for the empty non-terminal _domainkey.entbroken;
    # the registry's known selector is probed regardless and answers a revoked key: something
    # is published (not none), it is no adoption, and the server's RFC 8020 violation is kept.
    d = dkim(scan, f"entbroken.{Q}", options_for(quirk_server), ["sel2026"])
    assert (d["state"], d["evidence"]) == ("domainkey_exists", "selector_revoked")
    assert d["rfc8020_violation"] is True
    [entry] = d["selectors"]
    assert (entry["selector"], entry["revoked"], entry["usable"]) == (
        "sel2026",
        True,
        False,
    )


def test_compact_denial_is_not_domainkey_nodata(
    scan: Any, quirk_server: DnsServer
) -> None:
    # Caveat 5 (RFC 9824): the server says NOERROR/NODATA for every name that does not exist,
    # so _domainkey "exists". The random-label probe catches it (scanner/wildcard.py): the
    # inference is void (wildcard_zone), never "probably DKIM" (domainkey_nodata).
    data = full(
        scan, f"nokey.cd.{Q}", options_for(quirk_server, timeout=RELAXED_TIMEOUT)
    )
    assert data["wildcard"] is True
    d = data["dkim"]
    assert (d["state"], d["evidence"], d["selectors"]) == (
        "domainkey_exists",
        "wildcard_zone",
        [],
    )


def test_compact_denial_does_not_hide_a_real_key(
    scan: Any, quirk_server: DnsServer
) -> None:
    d = dkim(
        scan, f"withkey.cd.{Q}", options_for(quirk_server, timeout=RELAXED_TIMEOUT)
    )
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert names(d) == ["google"]


def test_nxdomain_rewriting_of_addresses_does_not_invent_dkim(
    scan: Any, quirk_server: DnsServer
) -> None:
    # Caveat 6: a resolver that rewrites NXDOMAIN into an address (ISP ad redirection) must
    # not make _domainkey or a wildcard appear: the inference asks TXT, which stays NXDOMAIN.
    data = full(
        scan, f"nodkim.rw.{Q}", options_for(quirk_server, timeout=RELAXED_TIMEOUT)
    )
    assert data["wildcard"] is False
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "none",
        "domainkey_nxdomain",
    )


def test_odd_rcode_at_domainkey_is_temperror_not_has_dkim(
    scan: Any, quirk_server: DnsServer
) -> None:
    # SPEC-BRIEF 2.6 last paragraph: MECSA-st counts timeouts "and any exception" as has DKIM
    # - do not copy that. NOTIMP at _domainkey is a DNS failure: temperror (DESIGN.md).
    d = dkim(scan, f"notimp.{Q}", options_for(quirk_server, timeout=RELAXED_TIMEOUT))
    assert (d["state"], d["evidence"]) == ("temperror", "dns_error")
    assert f"notimp: _domainkey.notimp.{Q} TXT" in d["errors"]


# =============================================================================================
# SPEC-BRIEF 3: ADSP
# =============================================================================================


def test_adsp_unknown_tags_are_ignored(scan: Any, relaxed: ScanOptions) -> None:
    # SPEC-BRIEF 3 "Unknown tags ignored" (RFC 5617 4.2.1); historic, in its own column.
    data = full(scan, f"adspx.{Z}", relaxed)
    a = data["adsp"]
    assert (a["state"], a["policy"]) == ("found", "discardable")
    assert a["historic"] is True
    # SPEC-BRIEF 3 / 2.6 caveat 4: its presence makes _domainkey exist without a key.
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "domainkey_exists",
        "adsp_only",
    )


def test_adsp_value_is_case_insensitive_and_spaces_allowed(
    scan: Any, relaxed: ScanOptions
) -> None:
    # RFC 5617 4.2.1 ABNF: "all" is a quoted (case-insensitive) literal; *WSP around "=".
    a = full(scan, f"adspval.{Z}", relaxed)["adsp"]
    assert (a["state"], a["policy"]) == ("found", "all")


def test_adsp_tag_name_is_case_sensitive(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 5617 4.2.1: the tag is %x64.6b.69.6d ("dkim", case-sensitive, the DKIM tag-list of
    # RFC 6376 3.2): "DKIM=all" carries no dkim= tag, so there is no ADSP policy - never "all".
    a = full(scan, f"adspcase.{Z}", relaxed)["adsp"]
    assert a["policy"] is None
    assert a["state"] != "temperror"


def test_nonexistent_domain_has_no_adsp_and_no_dkim(
    scan: Any, relaxed: ScanOptions
) -> None:
    # SPEC-BRIEF 3: the dkim-adsp result "nxdomain" is a message verdict; a DNS-only scan
    # never reports pass/fail/nxdomain as a state (DESIGN.md): status nxdomain, adsp none.
    data = full(scan, f"ghost.{Z}", relaxed)
    assert data["status"] == "nxdomain"
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("none", None)
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "none",
        "domainkey_nxdomain",
    )


# =============================================================================================
# SPEC-BRIEF 4.2 / 4.4 / 0.7: tags, defaults, RFC 9989 status notes that reach the result
# =============================================================================================


def test_defaults_of_an_own_record(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 7489 6.3 pct default 100; RFC 9989 4.7 t default n; adkim/aspf default r; sp/np null.
    d = dmarc(scan, f"defaults.{Z}", relaxed)
    assert (d["state"], d["p"], d["sp"], d["np"]) == ("valid", "reject", None, None)
    assert (d["pct"], d["t"], d["enforcement"]) == (100, "n", "reject")
    assert (d["adkim"], d["aspf"]) == ("r", "r")


def test_invalid_np_without_rua_is_permerror(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.10.1: "contains an sp or np tag that is not valid" and no valid rua ->
    # no DMARC processing: published but unusable (permerror), never "reject".
    d = dmarc(scan, f"npbad.{Z}", relaxed)
    assert (d["state"], d["enforcement"]) == ("permerror", None)


def test_invalid_np_with_rua_acts_as_p_none(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.10.1: with a syntactically valid rua the receiver MUST act as if p=none.
    d = dmarc(scan, f"npbadrua.{Z}", relaxed)
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
    d = dmarc(scan, f"tbad.{Z}", relaxed)
    assert (d["state"], d["t"], d["enforcement"]) == ("valid", "n", "reject")
    assert "t_invalid" in d["warnings"]


def test_removed_and_obsolete_syntax_is_reported_not_fatal(
    scan: Any, relaxed: ScanOptions
) -> None:
    # SPEC-BRIEF 4.2 / 4.4: pct removed (still parsed, <100 = partial for 7489 receivers, with
    # a warning), the !size suffix obsolete (ignored), rf/ri removed, unknown tags ignored.
    d = dmarc(scan, f"notes44.{Z}", relaxed)
    assert (d["state"], d["p"], d["pct"], d["enforcement"]) == (
        "valid",
        "quarantine",
        50,
        "partial",
    )
    assert d["rua"] == [f"mailto:agg@notes44.{Z}"]
    for warning in (
        "pct_removed_in_rfc9989",
        "rua_size_suffix_obsolete",
        "unknown_tag:foo",
    ):
        assert warning in d["warnings"]


def test_pct_zero_and_t_y_are_both_reported(scan: Any, relaxed: ScanOptions) -> None:
    # SPEC-BRIEF 0.7: "t=y replaces pct=0. Report both." Neither is enforcement.
    d = dmarc(scan, f"pctt.{Z}", relaxed)
    assert (d["state"], d["p"], d["pct"], d["t"]) == ("valid", "reject", 0, "y")
    assert d["enforcement"] in ("monitoring", "partial")


# =============================================================================================
# SPEC-BRIEF 4.3: the psd tag in the RFC 9989 tree walk
# =============================================================================================


def test_explicit_psd_u_does_not_stop_the_walk(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.10 step 2 stops only on psd=n / psd=y; u is the default: the walk goes on and
    # 4.10.2 step 3 picks the record with the fewest labels. RFC 7489: own record applies.
    d = dmarc(scan, f"a.psdu.{Z}", relaxed)
    assert (d["state"], d["source_domain"], d["enforcement"]) == (
        "valid",
        f"a.psdu.{Z}",
        "reject",
    )
    assert d["org_domain_psl"] == Z
    assert d["org_domain_treewalk"] == f"psdu.{Z}"


def test_invalid_psd_value_is_the_default_u(scan: Any, relaxed: ScanOptions) -> None:
    # RFC 9989 4.8: an invalid value is discarded in favour of the default (u).
    d = dmarc(scan, f"a.psdinv.{Z}", relaxed)
    assert d["org_domain_treewalk"] == f"psdinv.{Z}"
    assert "psd_invalid" in d["warnings"]


def test_psd_y_at_the_starting_domain_stops_the_walk_there(
    scan: Any, relaxed: ScanOptions
) -> None:
    # RFC 9989 4.10 step 2: one record with psd=y at the start -> stop; 4.10.2 step 2 skips
    # the starting record, step 3 leaves it as the only record: its own org domain. The
    # record at _dmarc.psdself (no psd) is never reached.
    d = dmarc(scan, f"a.psdself.{Z}", relaxed)
    assert (d["state"], d["enforcement"]) == ("valid", "reject")
    assert d["org_domain_treewalk"] == f"a.psdself.{Z}"
    walk = d["treewalk"]
    assert (walk["source_domain"], walk["inherited"], walk["enforcement"]) == (
        f"a.psdself.{Z}",
        False,
        "reject",
    )


def test_walk_queries_the_jp_tld(scan: Any, dns_server_factory: Any) -> None:
    # SPEC-BRIEF 4.3 step 2: the walk goes down to the TLD ("_dmarc.jp is queried"). A PSD
    # record there (psd=y) makes the org domain one label below (briefauth.jp) and, as that
    # publishes nothing, the PSD's sp applies to the existing subdomain (4.3 step 3).
    server = dns_server_factory(
        zone_texts=[
            """
$ORIGIN jp.
@               SOA ns.jp. h.jp. 1 3600 600 86400 300
@               NS  ns.jp.
_dmarc          TXT "v=DMARC1; p=reject; sp=quarantine; psd=y"
briefauth       A   192.0.2.90
mail.briefauth  A   192.0.2.90
"""
        ]
    )
    d = dmarc(scan, "mail.briefauth.jp", options_for(server))
    assert (d["state"], d["inherited"]) == (
        "none",
        False,
    )  # RFC 7489: PSL org publishes nothing
    assert d["org_domain_psl"] == d["org_domain_treewalk"] == "briefauth.jp"
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
    # SPEC-BRIEF 4.3 "practical difference": a record at _dmarc.go.jp without psd=y makes go.jp
    # the org domain of everything below. For mail.briefmin.go.jp (no record of its own) RFC
    # 7489 applies the ministry's sp=reject; the RFC 9989 walk applies go.jp's p=none instead.
    # Both are reported and the disagreement is flagged (RFC 9989 Appendix C.3).
    server = dns_server_factory(
        zone_texts=[
            """
$ORIGIN go.jp.
@               SOA ns.go.jp. h.go.jp. 1 3600 600 86400 300
@               NS  ns.go.jp.
_dmarc          TXT "v=DMARC1; p=none"
briefmin        A   192.0.2.91
_dmarc.briefmin TXT "v=DMARC1; p=reject; sp=reject"
mail.briefmin   A   192.0.2.91
"""
        ]
    )
    d = dmarc(scan, "mail.briefmin.go.jp", options_for(server))
    assert (d["state"], d["inherited"], d["source_domain"], d["enforcement"]) == (
        "valid",
        True,
        "briefmin.go.jp",
        "reject",
    )
    assert (d["org_domain_psl"], d["org_domain_treewalk"]) == (
        "briefmin.go.jp",
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
# SPEC-BRIEF 4.6: PSL organisational domains (publicsuffixlist, whole list) and its version
# =============================================================================================


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("www.briefco.co.jp", "briefco.co.jp"),
        ("mail.briefne.ne.jp", "briefne.ne.jp"),
        ("www.briefor.or.jp", "briefor.or.jp"),
        ("www.briefgr.gr.jp", "briefgr.gr.jp"),
        ("www.briefad.ad.jp", "briefad.ad.jp"),
        ("a.b.briefed.ed.jp", "briefed.ed.jp"),
        ("www.u-brief.ac.jp", "u-brief.ac.jp"),
        ("www.metro.tokyo.jp", "metro.tokyo.jp"),  # prefecture names are suffixes
        ("www.city.shinjuku.lg.jp", "shinjuku.lg.jp"),  # the brief's verified example
        ("www.brief.東京.jp", "brief.xn--1lqs71d.jp"),  # IDN suffix, A-label in and out
    ],
)
def test_psl_organisational_domains_under_jp(
    scan: Any, jp_server: DnsServer, domain: str, org: str
) -> None:
    # SPEC-BRIEF 4.6: the jp section lists jp, the organisational-type names and prefecture
    # names as public suffixes; org domain = public suffix plus one label (RFC 7489 3.2).
    data = full(scan, domain, options_for(jp_server))
    assert data["dmarc"]["org_domain_psl"] == org
    assert data["dmarc"]["state"] == "none"


def test_psl_version_is_recorded_in_each_result(
    scan: Any, relaxed: ScanOptions
) -> None:
    # SPEC-BRIEF 4.6: "record the PSL version in each scan" (docs: psl_version extra).
    data = full(scan, f"defaults.{Z}", relaxed)
    assert data["psl_version"] == psl_version()
    assert re.match(r"20\d\d-\d\d-\d\d", data["psl_version"])


# =============================================================================================
# SPEC-BRIEF 4.5: external report destination verification
# =============================================================================================


def test_city_reporting_to_its_prefecture_is_internal_under_the_psl(
    scan: Any, jp_server: DnsServer
) -> None:
    # SPEC-BRIEF 4.6 (b): the PSL puts city.briefx.lg.jp and pref.briefx.lg.jp under one
    # organisational domain (briefx.lg.jp), so RFC 7489 7.1 asks no authorisation.
    d = dmarc(scan, "city.briefx.lg.jp", options_for(jp_server))
    assert d["state"] == "valid"
    assert destinations(d) == [("mailto:dmarc@pref.briefx.lg.jp", "internal")]


def test_ministries_reporting_to_one_cert(scan: Any, jp_server: DnsServer) -> None:
    # SPEC-BRIEF 4.5 last sentence: government domains sending rua to one CERT. go.jp is a
    # public suffix, so briefcert.go.jp is another organisation: the CERT must publish
    # <ministry>._report._dmarc.briefcert.go.jp (steps 1-4); the ministry's own is internal.
    options = options_for(jp_server)
    one = dmarc(scan, "briefmin.go.jp", options)
    assert destinations(one) == [
        ("mailto:dmarc@briefmin.go.jp", "internal"),
        ("mailto:dmarc@briefcert.go.jp", "external_verified"),
    ]
    assert (
        one["external_destinations"][1]["authorized_by"]
        == "briefmin.go.jp._report._dmarc.briefcert.go.jp"
    )
    two = dmarc(scan, "briefmin2.go.jp", options)
    assert destinations(two) == [
        ("mailto:dmarc@briefcert.go.jp", "external_unverified")
    ]
    assert (
        two["state"] == "valid"
    )  # a destination problem never changes the policy state


def test_override_rua_on_the_same_host_is_verified(
    scan: Any, jp_server: DnsServer
) -> None:
    # SPEC-BRIEF 4.5 step 6 / RFC 9990 4 step 9: a rua in the authorisation record replaces
    # the destination; on the same destination host that is allowed.
    d = dmarc(scan, f"ovr-same.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert (dest["status"], dest["detail"]) == ("external_verified", "override")


def test_override_rua_on_another_host_is_not_a_verified_destination(
    scan: Any, jp_server: DnsServer
) -> None:
    # SPEC-BRIEF 4.5 step 6: the override "MUST use the same host". RFC 9990 4: "if the
    # confirming record includes a URI whose host is again different than the domain
    # publishing that override, the Mail Receiver generating the report MUST NOT generate a
    # report to either the original or the override URI" (RFC 7489 7.1 says the same). No
    # report goes there, so the destination is not verified.
    d = dmarc(scan, f"ovr-other.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert dest["detail"] == "override_other_host"
    assert dest["status"] == "external_unverified"


def test_one_dmarc1_record_among_other_txt_authorises(
    scan: Any, jp_server: DnsServer
) -> None:
    # SPEC-BRIEF 4.5 step 4: keep the TXT RRs that start with v=DMARC1; at least one -> authorised.
    d = dmarc(scan, f"multitxt.{POL}", options_for(jp_server))
    assert destinations(d) == [(f"mailto:agg@rcpt.{DEST}", "external_verified")]


@pytest.mark.parametrize("label", ["lowerv", "notfirst"])
def test_authorisation_needs_v_dmarc1_first_and_case_sensitive(
    scan: Any, jp_server: DnsServer, label: str
) -> None:
    # SPEC-BRIEF 4.5 step 4, RFC 9990 4 step 6: "v=DMARC1" is mandatory and MUST appear first
    # (the value is case-sensitive, RFC 9989 4.7): "v=dmarc1" and "rua=...; v=DMARC1" do not
    # authorise.
    d = dmarc(scan, f"{label}.{POL}", options_for(jp_server))
    assert destinations(d) == [(f"mailto:agg@rcpt.{DEST}", "external_unverified")]


def test_policy_domain_is_asked_as_an_a_label(scan: Any, jp_server: DnsServer) -> None:
    # SPEC-BRIEF 4.5 step 2: "<policy-domain> ... as an A-label".
    d = dmarc(scan, f"ドメイン.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert dest["status"] == "external_verified"
    assert dest["authorized_by"] == f"xn--eckwd4c7c.{POL}._report._dmarc.rcpt.{DEST}"


def test_destination_host_is_compared_and_asked_in_lower_case(
    scan: Any, jp_server: DnsServer
) -> None:
    # SPEC-BRIEF 4.5 step 1: the URI host (DNS names are case-insensitive, RFC 4343).
    d = dmarc(scan, f"upper.{POL}", options_for(jp_server))
    [dest] = d["external_destinations"]
    assert (dest["host"], dest["status"]) == (f"rcpt.{DEST}", "external_verified")
