"""Independent audit: DKIM, ADSP and Sender ID through the JSON result contract.

Scenarios live in tests/zones/audit-dkim.zone (``$ORIGIN audit-dkim.test.``), one sub-domain
each; the keys there are real keys made with the ``cryptography`` package (RSA 512/1024/2048/
4096 SubjectPublicKeyInfo, RSA 2048 bare PKCS#1, Ed25519 raw). Expectations come from
SPEC-BRIEF sections 0 item 5, 2, 3 and 5, DESIGN.md "The scanner result contract" and
docs/result-schema.md (``dkim``, ``adsp``, ``sender_id``), and the RFCs they cite; each test
names its source. Every result is also validated against scanner/result-schema.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner import check_domains_sync
from scanner.options import ScanOptions
from tests.dnsserver import DnsServer

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "scanner" / "result-schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
ZONE = "audit-dkim.test"
CONTRACT_KEYS = ("selector", "key_type", "key_bits", "testing", "revoked")


def d(label: str) -> str:
    return f"{label}.{ZONE}"


def run(options: ScanOptions, label: str, known: Sequence[str] = ()) -> dict[str, Any]:
    """Scan one domain (with the registry's known selectors); the schema-checked JSON object."""
    [result] = check_domains_sync([(d(label), list(known))], options)
    data: dict[str, Any] = result.to_json()
    errors = [error.message for error in VALIDATOR.iter_errors(data)]
    assert errors == [], errors
    return data


def dkim_of(
    options: ScanOptions, label: str, known: Sequence[str] = ()
) -> dict[str, Any]:
    dkim: dict[str, Any] = run(options, label, known)["dkim"]
    return dkim


def contract(selector: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(selector[key] for key in CONTRACT_KEYS)


def by_name(dkim: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["selector"]: entry for entry in dkim["selectors"]}


# =============================================================================================
# Usable keys: state found, evidence selector_key, key facts read from the key itself
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # SPEC-BRIEF 2.3: RSA bits from the DER SubjectPublicKeyInfo; 1024 is weak but usable
        # (RFC 8301 3.2: verifiers MUST NOT accept < 1024, so 1024 itself is accepted).
        ("rsa1024", ("selector1", "rsa", 1024, False, False)),
        # RFC 6376 3.6.2.2 / SPEC-BRIEF 0.3, 2.3: the strings of one TXT RR are concatenated
        # with nothing added, even when the split falls inside "v=DKIM1".
        ("rsa2048", ("google", "rsa", 2048, False, False)),
        # RFC 8463 3 / SPEC-BRIEF 2.3: Ed25519 p= is the raw 32-byte key -> 256 bits;
        # RFC 6376 3.6.1: t=s is not the testing flag.
        ("ed25519", ("s1", "ed25519", 256, False, False)),
        # SPEC-BRIEF 2.3, 7.4: a 4096-bit key, the answer is > 512 octets (TC, then TCP).
        ("rsa4096", ("default", "rsa", 4096, False, False)),
        # RFC 6376 3.6.1 (k=rsa: an RSAPublicKey) / SPEC-BRIEF 2.3: bare PKCS#1 is accepted.
        ("pkcs1", ("mail", "rsa", 2048, False, False)),
        # RFC 6376 3.2: FWS allowed around "=" and ";", unknown tags ignored; 3.6.1: the base64
        # of p= may contain whitespace, stripped before decoding.
        ("wsp", ("dkim", "rsa", 1024, False, False)),
        # RFC 8301 3.1: h=sha1:sha256 still lists sha256, so the key can verify signatures.
        ("sha1sha256", ("fm1", "rsa", 1024, False, False)),
    ],
)
def test_usable_key_is_found_with_facts_from_the_key(
    scan_options: ScanOptions, label: str, expected: tuple[Any, ...]
) -> None:
    dkim = dkim_of(scan_options, label)
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [contract(entry) for entry in dkim["selectors"]] == [expected]
    assert dkim["selectors"][0]["usable"] is True


def test_testing_key_is_found_and_flagged(scan_options: ScanOptions) -> None:
    # RFC 6376 3.6.1 t=y (testing) with s=email (the e-mail service is listed);
    # result-schema.md: `testing` is reported per selector, the key itself is usable.
    dkim = dkim_of(scan_options, "testing")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("k1", "rsa", 1024, True, False)
    ]


def test_two_providers_are_both_listed(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.5: "stop nothing early (several providers per domain are common)".
    dkim = dkim_of(scan_options, "two")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert {name: contract(e) for name, e in by_name(dkim).items()} == {
        "google": ("google", "rsa", 2048, False, False),
        "selector1": ("selector1", "rsa", 1024, False, False),
    }


def test_selector_cname_to_provider_is_followed(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.1, 7.5: selectors are often CNAMEs to a provider's zone; follow the CNAME.
    dkim = dkim_of(scan_options, "cname")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("selector1", "rsa", 2048, False, False)
    ]


# =============================================================================================
# Revoked, multiple, dangling: something is published, nothing usable
# =============================================================================================


def test_empty_p_is_revoked(scan_options: ScanOptions) -> None:
    # RFC 6376 3.6.1: an empty p= means the key has been revoked; result-schema.md:
    # selector_revoked -> domainkey_exists.
    dkim = dkim_of(scan_options, "revoked")
    assert (dkim["state"], dkim["evidence"]) == ("domainkey_exists", "selector_revoked")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("selector1", "rsa", None, False, True)
    ]
    assert dkim["selectors"][0]["usable"] is False


def test_whitespace_only_p_is_revoked(scan_options: ScanOptions) -> None:
    # RFC 6376 3.6.1: whitespace in p= is ignored, so "p= " is the empty (revoked) key.
    dkim = dkim_of(scan_options, "blankp")
    assert (dkim["state"], dkim["evidence"]) == ("domainkey_exists", "selector_revoked")
    assert [contract(entry) for entry in dkim["selectors"]] == [
        ("selector1", "rsa", None, False, True)
    ]


def test_revoked_beside_a_usable_key_is_found(scan_options: ScanOptions) -> None:
    # result-schema.md: found when a probed selector publishes a usable key; every selector
    # that published something of its own is listed.
    dkim = dkim_of(scan_options, "revokedplus")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    selectors = by_name(dkim)
    assert contract(selectors["selector1"]) == ("selector1", "rsa", None, False, True)
    assert contract(selectors["selector2"]) == ("selector2", "rsa", 1024, False, False)
    assert set(selectors) == {"selector1", "selector2"}


def test_two_key_records_at_one_selector_are_unusable(
    scan_options: ScanOptions,
) -> None:
    # RFC 6376 3.6.2.2: several key records -> results undefined; SPEC-BRIEF 2.2:
    # multiple_key_records, not a key; result-schema.md: key_type null when no single key
    # record was read.
    dkim = dkim_of(scan_options, "multi")
    assert (dkim["state"], dkim["evidence"]) == (
        "domainkey_exists",
        "selector_unusable",
    )
    [entry] = dkim["selectors"]
    assert (entry["selector"], entry["key_type"], entry["usable"]) == (
        "s1",
        None,
        False,
    )


def test_dangling_selector_cname_is_not_none(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.1, 7.5: a CNAME to a nonexistent target is "selector delegated, key
    # missing", not "none"; result-schema.md: selector_unusable covers "dangling".
    dkim = dkim_of(scan_options, "dangling")
    assert (dkim["state"], dkim["evidence"]) == (
        "domainkey_exists",
        "selector_unusable",
    )
    [entry] = dkim["selectors"]
    assert (entry["selector"], entry["usable"], entry["revoked"]) == (
        "selector2",
        False,
        False,
    )


def test_delegated_selector_without_key(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.1: a CNAME'd selector whose target has no TXT is "delegated, key missing".
    dkim = dkim_of(scan_options, "nokeycname")
    assert (dkim["state"], dkim["evidence"]) == (
        "domainkey_exists",
        "selector_unusable",
    )
    [entry] = dkim["selectors"]
    assert (entry["selector"], entry["key_type"], entry["usable"]) == (
        "s1",
        None,
        False,
    )


def test_non_dkim_txt_at_a_selector_is_not_a_key(scan_options: ScanOptions) -> None:
    # RFC 6376 3.6.1: v= present but not DKIM1 -> the record is discarded (no key).
    dkim = dkim_of(scan_options, "spfatsel")
    assert (dkim["state"], dkim["evidence"]) == (
        "domainkey_exists",
        "selector_unusable",
    )
    [entry] = dkim["selectors"]
    assert (entry["selector"], entry["usable"], entry["revoked"]) == (
        "default",
        False,
        False,
    )


@pytest.mark.parametrize(
    "label",
    [
        "badb64",  # RFC 6376 3.6.1 p= is base64; SPEC-BRIEF 2.3: parse failure
        "unknownk",  # RFC 6376 3.6.1 / SPEC-BRIEF 2.2: unknown k= -> key unusable
        "sha1only",  # RFC 8301 3.1: sha1 forbidden; h=sha1 leaves no usable hash
        "weak512",  # RFC 8301 3.2: verifiers MUST NOT accept RSA keys under 1024 bits
        "nop",  # RFC 6376 3.6.1: p= REQUIRED (absent p= is broken, not revoked)
        "vnotfirst",  # RFC 6376 3.6.1: v= if present MUST be first, else discard
        "vdkim2",  # RFC 6376 3.6.1: v= MUST be DKIM1, else discard
        "duptag",  # RFC 6376 3.2: a duplicated tag makes the whole tag-list invalid
        "tagcase",  # RFC 6376 3.2: tag names are case-sensitive: P= is not p=
        "edshort",  # RFC 8463 4.2: Ed25519 p= is exactly 32 octets
        "edasrsa",  # RFC 6376 3.6.1: k=rsa with a 32-byte Ed25519 key is no RSA key
        "service",  # RFC 6376 3.6.1 s=: verifiers MUST ignore a record not listing email
        "kempty",  # RFC 6376 3.6.1 key-k-tag: "k=" needs a key type; empty is no known type
    ],
)
def test_invalid_key_is_unusable(scan_options: ScanOptions, label: str) -> None:
    # result-schema.md: selector_unusable -> domainkey_exists ("broken, weak or dangling").
    dkim = dkim_of(scan_options, label)
    assert (dkim["state"], dkim["evidence"]) == (
        "domainkey_exists",
        "selector_unusable",
    )
    [entry] = dkim["selectors"]
    assert (entry["selector"], entry["usable"], entry["revoked"]) == (
        "selector1",
        False,
        False,
    )


def test_weak_rsa_key_reports_its_real_size(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.3: key bits are the modulus bits read from the key; < 1024 is invalid.
    [entry] = dkim_of(scan_options, "weak512")["selectors"]
    assert (entry["key_type"], entry["key_bits"], entry["usable"]) == (
        "rsa",
        512,
        False,
    )


# =============================================================================================
# _domainkey existence (RFC 8020) and its false positives (SPEC-BRIEF 0.5, 2.6)
# =============================================================================================


def test_no_domainkey_is_none(scan_options: ScanOptions) -> None:
    # RFC 8020 2 / DESIGN.md dkim: _domainkey NXDOMAIN -> nothing below it -> none.
    data = run(scan_options, "nodk")
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "none",
        "domainkey_nxdomain",
    )
    assert data["dkim"]["selectors"] == []
    assert data["adsp"] == {**data["adsp"], "state": "none", "policy": None}


def test_no_domainkey_skips_default_probes_but_asks_known(
    scan_options: ScanOptions,
) -> None:
    # DESIGN.md dkim: "Where _domainkey.<domain> is NXDOMAIN ... skip the probes"; only the
    # known selectors are asked (result-schema.md). The zone makes google/selector1/s1/default
    # time out there: probing them anyway would turn this into a temperror.
    dkim = dkim_of(scan_options, "nodkknown", ["custom"])
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "none",
        "domainkey_nxdomain",
        [],
    )


def test_domainkey_empty_non_terminal_is_domainkey_exists(
    scan_options: ScanOptions,
) -> None:
    # RFC 8020 2 / DESIGN.md: NOERROR/NODATA at _domainkey, no probed selector answered.
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
    # DESIGN.md / SPEC-BRIEF 2.4: the registry's known selectors raise the lower bound; DNS
    # names are case-insensitive (RFC 4343).
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
    # SPEC-BRIEF 2.6 caveat 2, 7.7: *.domain synthesises _domainkey and every selector;
    # result-schema.md wildcard_zone; wildcard answers are left out of selectors. An SPF
    # record synthesised at _adsp._domainkey is no ADSP record (no dkim= tag, RFC 5617 4.2.1).
    data = run(scan_options, "wild")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "wildcard_zone",
        [],
    )
    assert data["wildcard"] is True
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("none", None)


def test_zone_wildcard_publishing_a_key_is_not_found(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.6 caveat 2: a wildcard higher in the zone answers every selector, so the
    # key says nothing about real signing; result-schema.md: answers identical to a random
    # selector's are left out, evidence wildcard_zone ("a wildcard higher in the zone").
    data = run(scan_options, "wildkey")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "wildcard_zone",
        [],
    )
    assert data["wildcard"] is True


def test_parked_wildcard_revoked_key(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.6 caveat 3 (M3AAWG parked domains): *._domainkey "v=DKIM1; p=" is
    # locked-down, not adoption -> wildcard_revoked. The synthesised "v=DKIM1; p=" at
    # _adsp._domainkey is no ADSP record (RFC 5617 4.2.1: dkim= REQUIRED).
    data = run(scan_options, "parked")
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
    # SPEC-BRIEF 2.6 caveat 4 and 3: _adsp._domainkey makes _domainkey exist without a key.
    data = run(scan_options, "adsponly")
    dkim = data["dkim"]
    assert (dkim["state"], dkim["evidence"], dkim["selectors"]) == (
        "domainkey_exists",
        "adsp_only",
        [],
    )
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("found", "all")


def test_domainkeys_policy_at_domainkey(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.6 caveat 4: a DomainKeys (RFC 4870) policy TXT at _domainkey itself.
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
    # SPEC-BRIEF 0.1, 2.6 (MECSA counter-example), result-schema.md dns_error: the failed
    # probe could have held a key, so neither none nor domainkey_exists is known.
    dkim = dkim_of(scan_options, "selsf")
    assert (dkim["state"], dkim["evidence"]) == ("temperror", "dns_error")


def test_selector_timeout_is_temperror(scan_options: ScanOptions) -> None:
    # Brief / SPEC-BRIEF 0.1: a probe that times out is temperror, never none or nodata.
    dkim = dkim_of(scan_options, "tmoonly")
    assert (dkim["state"], dkim["evidence"]) == ("temperror", "dns_error")


def test_revoked_plus_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # Same rule: selector2 failed and might publish a usable key; "selector_revoked" would
    # claim every answered key is revoked while one selector is unknown.
    dkim = dkim_of(scan_options, "revsf")
    assert (dkim["state"], dkim["evidence"]) == ("temperror", "dns_error")


def test_usable_key_survives_other_probe_failures(scan_options: ScanOptions) -> None:
    # Brief: "a usable key found elsewhere is still found". google (probed first) times out,
    # selector2 SERVFAILs, s2048 (tier 2, late in the list) has a 2048-bit key.
    dkim = dkim_of(scan_options, "seltmo")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert contract(by_name(dkim)["s2048"]) == ("s2048", "rsa", 2048, False, False)


def test_domainkey_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 0.1, 7.1: SERVFAIL at _domainkey (and below) -> temperror, ADSP too.
    data = run(scan_options, "dksf")
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "temperror",
        "dns_error",
    )
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("temperror", None)
    assert data["status"] == "ok"


# =============================================================================================
# ADSP (RFC 5617, historic)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "policy"),
    [
        ("adspdisc", "discardable"),  # RFC 5617 4.2.1, *WSP around "=" allowed
        ("adspunk", "unknown"),  # RFC 5617 4.2.1
        (
            "adspbogus",
            "unknown",
        ),  # RFC 5617 4.2.1 / SPEC-BRIEF 3: other values = unknown
        # RFC 5617 4.2.1 ABNF quoted values are case-insensitive (RFC 5234 2.3); the two
        # character-strings "dk" "im=ALL" are one record (RFC 6376 3.6.2.2, RFC 5617 4.1).
        ("adspcase", "all"),
    ],
)
def test_adsp_policy(scan_options: ScanOptions, label: str, policy: str) -> None:
    adsp = run(scan_options, label)["adsp"]
    assert (adsp["state"], adsp["policy"]) == ("found", policy)


def test_adsp_beside_a_key_does_not_hide_the_key(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 2.6 caveat 4 concerns _domainkey-only inferences: with a real key, found.
    dkim = dkim_of(scan_options, "adspdisc")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")


def test_multiple_adsp_records_have_no_policy(scan_options: ScanOptions) -> None:
    # RFC 5617 4.3: more than one record -> result undefined; SPEC-BRIEF 3: "report invalid
    # rather than guessing": something is published (found), no policy is picked.
    adsp = run(scan_options, "adspmulti")["adsp"]
    assert (adsp["state"], adsp["policy"]) == ("found", None)


def test_adsp_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 0.1: DNS failure is temperror; the DKIM key beside it is still found.
    data = run(scan_options, "adspsf")
    assert (data["adsp"]["state"], data["adsp"]["policy"]) == ("temperror", None)
    assert (data["dkim"]["state"], data["dkim"]["evidence"]) == (
        "found",
        "selector_key",
    )


# =============================================================================================
# Sender ID (RFC 4406, historic)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "record"),
    [
        ("sidpra", "spf2.0/pra -all"),  # RFC 4406 3.1, beside a v=spf1 record
        ("sidmp", "spf2.0/mfrom,pra ip4:192.0.2.1 -all"),  # RFC 4406 3.1 scope list
        ("sidcase", "SPF2.0/PRA -all"),  # SPEC-BRIEF 5: spf2.0/ case-insensitive
        (
            "sidsplit",
            "spf2.0/pra -all",
        ),  # RFC 7208 3.3 / SPEC-BRIEF 0.3: strings joined
    ],
)
def test_sender_id_found(scan_options: ScanOptions, label: str, record: str) -> None:
    sender_id = run(scan_options, label)["sender_id"]
    assert (sender_id["state"], sender_id["record"]) == ("found", record)


def test_sender_id_beside_spf_is_not_a_second_spf_record(
    scan_options: ScanOptions,
) -> None:
    # SPEC-BRIEF 5 and 1.1 item 5: spf2.0 never counts as v=spf1 (no "multiple" permerror).
    data = run(scan_options, "sidpra")
    assert (data["spf"]["state"], data["spf"]["record"]) == ("valid", "v=spf1 -all")


def test_multiple_sender_id_records(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 5: collect every spf2.0/ record, found; they are not SPF (spf stays none).
    data = run(scan_options, "sidmulti")
    assert data["sender_id"]["state"] == "found"
    assert "spf2.0/pra -all" in json.dumps(data["sender_id"])
    assert "spf2.0/mfrom ~all" in json.dumps(data["sender_id"])
    assert data["spf"]["state"] == "none"


@pytest.mark.parametrize(
    "label",
    [
        "sidspf1",  # SPEC-BRIEF 5: only spf2.0/ records are Sender ID records
        "sidlookalike",  # "spf2.0pra" does not begin with "spf2.0/"
    ],
)
def test_sender_id_none(scan_options: ScanOptions, label: str) -> None:
    sender_id = run(scan_options, label)["sender_id"]
    assert (sender_id["state"], sender_id.get("record")) == ("none", None)


def test_sender_id_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # result-schema.md sender_id: temperror added "because a DNS failure is never none";
    # the whole domain SERVFAILs, so status is error (TXT and MX both temperror).
    data = run(scan_options, "sidsf")
    assert data["status"] == "error"
    assert data["sender_id"]["state"] == "temperror"
    assert data["dkim"]["state"] == "temperror"
    assert data["adsp"]["state"] == "temperror"


# =============================================================================================
# The CLI gives the same contract
# =============================================================================================


def test_cli_json_lines(dns_server: DnsServer) -> None:
    # DESIGN.md: `python -m scanner check --json --nameserver H:P DOMAIN...`, one object per
    # line in input order; --selectors adds selectors probed on every domain.
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "check",
            "--json",
            "--nameserver",
            f"{dns_server.host}:{dns_server.port}",
            "--selectors",
            "zz9",
            d("ed25519"),
            d("parked"),
            d("ent"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    assert [line["domain"] for line in lines] == [
        d("ed25519"),
        d("parked"),
        d("ent"),
    ]
    summary = [
        (
            line["dkim"]["state"],
            line["dkim"]["evidence"],
            line["dkim"]["selectors"] != [],
        )
        for line in lines
    ]
    assert summary == [
        ("found", "selector_key", True),
        ("domainkey_exists", "wildcard_revoked", False),
        ("found", "selector_key", True),
    ]
    assert contract(lines[0]["dkim"]["selectors"][0]) == (
        "s1",
        "ed25519",
        256,
        False,
        False,
    )
