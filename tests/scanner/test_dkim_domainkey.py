"""What ``_domainkey.<domain>`` says when no selector answers (RFC 8020), and its caveats.

Wildcards, revoked-key parking, ADSP and DomainKeys leftovers, compact denial (RFC 9824) and
NXDOMAIN rewriting make ``_domainkey`` exist without a key (docs/scanner-decisions.md 2.6); DNS
failures are ``temperror``. Scenarios: tests/zones/dkim-cases.zone, authpolicy-rules.zone and a
private server that misbehaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dns.rcode
import dns.rdataset
import dns.rdatatype
import pytest

from scanner.options import ScanOptions
from tests.conftest import options_for
from tests.dnsserver import CLASSIC_UDP_SIZE, DnsServer, Question, resolve
from tests.scanner.helpers import (
    POLICY_RULES,
    RELAXED_TIMEOUT,
    by_name,
    case_result,
    contract,
    dkim,
    dkim_of,
    scan_json,
    selector_names,
)

Q = "authpolicy-rules-quirk.test"  # QuirkyServer's zones


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
    # docs/scanner-decisions.md 2.6 caveat 1: the selector lives in a zone of its own, so the
    # server answers NXDOMAIN for _domainkey.entbroken (an empty non-terminal), as flat DNS
    # hosting does.
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
    """The zone-file server, with the broken behaviours of docs/scanner-decisions.md 2.6 caveats
    5 and 6."""

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
def quirk_server() -> Iterator[DnsServer]:
    with QuirkyServer(None, QUIRK_ZONES) as server:
        yield server


# =============================================================================================
# _domainkey existence (RFC 8020) and its false positives (docs/scanner-decisions.md 2.6)
# =============================================================================================


def test_no_domainkey_is_none(scan_options: ScanOptions) -> None:
    # RFC 8020 2 / docs/result-schema.md dkim: _domainkey NXDOMAIN -> nothing below it -> none.
    data = case_result(scan_options, "nodk")
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "none",
        "domainkey_nxdomain",
    )
    assert data["dkim"]["selectors"] == []
    assert data["adsp"] == {**data["adsp"], "state": "none", "policy": None}


def test_no_domainkey_skips_default_probes_but_asks_known(
    scan_options: ScanOptions,
) -> None:
    # docs/scanner-decisions.md 2.6: "where _domainkey.<domain> is NXDOMAIN, skip the probes";
    # only the known selectors are asked (result-schema.md). The zone makes
    # google/selector1/s1/default time out there: probing them anyway would turn this into a
    # temperror.
    dkim = dkim_of(scan_options, "nodkknown", ["custom"])
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "none",
        "domainkey_nxdomain",
        [],
    )


def test_domainkey_empty_non_terminal_is_domainkey_exists(
    scan_options: ScanOptions,
) -> None:
    # RFC 8020 2 / docs/result-schema.md: NOERROR/NODATA at _domainkey, no probed selector
    # answered.
    dkim = dkim_of(scan_options, "ent")
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "domainkey_nodata",
        [],
    )


@pytest.mark.parametrize("known", ["zz9", "ZZ9"])
def test_known_selector_not_in_default_list_is_found(
    scan_options: ScanOptions, known: str
) -> None:
    # docs/result-schema.md / docs/scanner-decisions.md 2.4: the registry's known selectors
    # raise the lower bound; DNS names are case-insensitive (RFC 4343).
    dkim = dkim_of(scan_options, "ent", [known])
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("zz9", "rsa", 1024, False, False)
    ]


def test_known_selector_with_dots(scan_options: ScanOptions) -> None:
    # RFC 6376 3.1: selectors may contain dots (sub-domain *("." sub-domain)).
    dkim = dkim_of(scan_options, "dotted", ["a.b"])
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("a.b", "rsa", 1024, False, False)
    ]


def test_zone_wildcard_is_not_adoption(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.6 caveat 2, 7.7: *.domain synthesises _domainkey and every
    # selector; result-schema.md wildcard_zone; wildcard answers are left out of selectors. An
    # SPF record synthesised at _adsp._domainkey is no ADSP record (no dkim= tag, RFC 5617
    # 4.2.1).
    data = case_result(scan_options, "wild")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "wildcard_zone",
        [],
    )
    assert data["wildcard"] is True
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("none", None)


def test_zone_wildcard_publishing_a_key_is_not_found(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.6 caveat 2: a wildcard higher in the zone answers every
    # selector, so the key says nothing about real signing; result-schema.md: answers identical
    # to a random selector's are left out, evidence wildcard_zone ("a wildcard higher in the
    # zone").
    data = case_result(scan_options, "wildkey")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "wildcard_zone",
        [],
    )
    assert data["wildcard"] is True


def test_parked_wildcard_revoked_key(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.6 caveat 3 (M3AAWG parked domains): *._domainkey "v=DKIM1; p=" is
    # locked-down, not adoption -> wildcard_revoked. The synthesised "v=DKIM1; p=" at
    # _adsp._domainkey is no ADSP record (RFC 5617 4.2.1: dkim= REQUIRED).
    data = case_result(scan_options, "parked")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "wildcard_revoked",
        [],
    )
    assert data["wildcard"] is False
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("none", None)


def test_wildcard_usable_key(scan_options: ScanOptions) -> None:
    # result-schema.md: wildcard_key -> domainkey_exists (a key for any selector is no proof
    # any selector signs mail); wildcard answers are left out of selectors.
    dkim = dkim_of(scan_options, "wildusable")
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "wildcard_key",
        [],
    )


def test_real_selector_beside_revoked_wildcard_is_found(
    scan_options: ScanOptions,
) -> None:
    # result-schema.md: a real selector's own key differs from the random selector's answer,
    # so it is listed and found; the wildcard's answers are left out.
    dkim = dkim_of(scan_options, "parkedsel")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("selector1", "rsa", 1024, False, False)
    ]


def test_adsp_only_makes_domainkey_exist(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.6 caveat 4 and 3: _adsp._domainkey makes _domainkey exist
    # without a key.
    data = case_result(scan_options, "adsponly")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "adsp_only",
        [],
    )
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("found", "all")


def test_domainkeys_policy_at_domainkey(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.6 caveat 4: a DomainKeys (RFC 4870) policy TXT at _domainkey
    # itself.
    dkim = dkim_of(scan_options, "dkpolicy")
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "domainkey_txt",
        [],
    )


# =============================================================================================
# DNS failures: temperror, never none; a usable key found elsewhere is still found
# =============================================================================================


def test_selector_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 0.1, 2.6 (MECSA counter-example), result-schema.md dns_error:
    # the failed probe could have held a key, so neither none nor domainkey_exists is known.
    dkim = dkim_of(scan_options, "selsf")
    assert (dkim["state"], dkim["evidence"]) == ("temperror", "dns_error")


def test_selector_timeout_is_temperror(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 0.1: a probe that times out is temperror, never none or nodata.
    dkim = dkim_of(scan_options, "tmoonly")
    assert (dkim["state"], dkim["evidence"]) == ("temperror", "dns_error")


def test_revoked_plus_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # Same rule: selector2 failed and might publish a usable key; "selector_revoked" would
    # claim every answered key is revoked while one selector is unknown.
    dkim = dkim_of(scan_options, "revsf")
    assert (dkim["state"], dkim["evidence"]) == ("temperror", "dns_error")


def test_usable_key_survives_other_probe_failures(scan_options: ScanOptions) -> None:
    # A usable key found elsewhere is still found (docs/scanner-decisions.md 2.5). google (probed first) times out,
    # selector2 SERVFAILs, s2048 (tier 2, late in the list) has a 2048-bit key.
    dkim = dkim_of(scan_options, "seltmo")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert contract(by_name(dkim)["s2048"]) == ("s2048", "rsa", 2048, False, False)


def test_domainkey_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 0.1, 7.1: SERVFAIL at _domainkey (and below) -> temperror, ADSP
    # too.
    data = case_result(scan_options, "dksf")
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "temperror",
        "dns_error",
    )
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("temperror", None)
    assert data["status"] == "ok"


# =============================================================================================
# The RFC 8020 inference, caveat by caveat, and the evidence values (docs/result-schema.md)
# =============================================================================================


def test_wildcard_with_only_an_address_voids_the_inference(
    scan: Any, relaxed: ScanOptions
) -> None:
    # Caveat 2: *.wilda (A only) makes _domainkey.wilda exist (NOERROR/NODATA); the random
    # label probe sees the wildcard, so this is wildcard_zone, never domainkey_nodata.
    data = scan_json(scan, f"wilda.{POLICY_RULES}", relaxed)
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
    data = scan_json(scan, f"wildreal.{POLICY_RULES}", relaxed)
    assert data["wildcard"] is True
    d = data["dkim"]
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert selector_names(d) == ["google"]


def test_cname_at_domainkey_to_a_missing_name_is_not_nxdomain_for_domainkey(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/scanner-decisions.md 2.6: only an NXDOMAIN *for _domainkey.<domain>* says nothing
    # exists below it (RFC 8020 2). Here _domainkey.cnamedk is a CNAME whose target does not
    # exist: the NXDOMAIN rcode describes the last name of the chain (RFC 6604 3),
    # _domainkey.cnamedk itself exists, and google._domainkey.cnamedk publishes a key. Skipping
    # the probes on this answer turns a published key into "none".
    d = dkim(scan, f"cnamedk.{POLICY_RULES}", relaxed)
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert selector_names(d) == ["google"]


def test_name_too_long_for_domainkey_is_none_invalid_name(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/result-schema.md evidence "invalid_name | none | The name could not be formed (too
    # long)": the 250-octet domain exists, but _domainkey.<domain> exceeds 255 wire octets.
    domain = ".".join(["a" * 63, "b" * 63, "c" * 63, "x" * 36, POLICY_RULES])
    assert len(domain) == 250
    data = scan_json(scan, domain, relaxed)
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
    data = scan_json(
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
    assert selector_names(d) == ["google"]


def test_nxdomain_rewriting_of_addresses_does_not_invent_dkim(
    scan: Any, quirk_server: DnsServer
) -> None:
    # Caveat 6: a resolver that rewrites NXDOMAIN into an address (ISP ad redirection) must
    # not make _domainkey or a wildcard appear: the inference asks TXT, which stays NXDOMAIN.
    data = scan_json(
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
    # docs/scanner-decisions.md 2.6: a timeout or any other DNS failure at _domainkey is
    # temperror, never "has DKIM" (as some checkers count it). NOTIMP at _domainkey is a DNS
    # failure: temperror (docs/result-schema.md).
    d = dkim(scan, f"notimp.{Q}", options_for(quirk_server, timeout=RELAXED_TIMEOUT))
    assert (d["state"], d["evidence"]) == ("temperror", "dns_error")
    assert f"notimp: _domainkey.notimp.{Q} TXT" in d["errors"]
