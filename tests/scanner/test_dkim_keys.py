"""DKIM keys at ``<selector>._domainkey.<domain>``: usable, testing, revoked, broken, sizes.

RFC 6376 3.6.1, 3.6.2; RFC 8301 3.2; RFC 8463. The keys in tests/zones/dkim-cases.zone are real
keys made with the ``cryptography`` package; more scenarios in tests/zones/authpolicy-rules.zone.
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.options import ScanOptions
from tests.scanner.helpers import POLICY_RULES, by_name, contract, dkim, dkim_of

# =============================================================================================
# Usable keys: state found, evidence selector_key, key facts read from the key itself
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # docs/scanner-decisions.md 2.3: RSA bits from the DER SubjectPublicKeyInfo; 1024 is
        # weak but usable (RFC 8301 3.2: verifiers MUST NOT accept < 1024, so 1024 itself is
        # accepted).
        ("rsa1024", ("selector1", "rsa", 1024, False, False)),
        # RFC 6376 3.6.2.2 / docs/scanner-decisions.md 0.3, 2.3: the strings of one TXT RR are
        # concatenated with nothing added, even when the split falls inside "v=DKIM1".
        ("rsa2048", ("google", "rsa", 2048, False, False)),
        # RFC 8463 3 / docs/scanner-decisions.md 2.3: Ed25519 p= is the raw 32-byte key -> 256
        # bits; RFC 6376 3.6.1: t=s is not the testing flag.
        ("ed25519", ("s1", "ed25519", 256, False, False)),
        # docs/scanner-decisions.md 2.3, 7.4: a 4096-bit key, the answer is > 512 octets (TC,
        # then TCP).
        ("rsa4096", ("default", "rsa", 4096, False, False)),
        # RFC 6376 3.6.1 (k=rsa: an RSAPublicKey) / docs/scanner-decisions.md 2.3: bare PKCS#1
        # is accepted.
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
    # docs/scanner-decisions.md 2.5: "stop nothing early (several providers per domain are
    # common)".
    dkim = dkim_of(scan_options, "two")
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert {name: contract(e) for name, e in by_name(dkim).items()} == {
        "google": ("google", "rsa", 2048, False, False),
        "selector1": ("selector1", "rsa", 1024, False, False),
    }


def test_selector_cname_to_provider_is_followed(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.1, 7.5: selectors are often CNAMEs to a provider's zone;
    # follow the CNAME.
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


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # RFC 6376 3.6.2.2: several key records -> results undefined; docs/scanner-decisions.md
        # 2.2: multiple_key_records, not a key; result-schema.md: key_type null when no single
        # key record was read.
        ("multi", ("s1", None)),
        # docs/scanner-decisions.md 2.1, 7.5: a CNAME to a nonexistent target is "selector
        # delegated, key missing", not "none".
        ("dangling", ("selector2", None)),
        # docs/scanner-decisions.md 2.1: a CNAME'd selector whose target has no TXT is
        # "delegated, key missing".
        ("nokeycname", ("s1", None)),
        # RFC 6376 3.6.1: v= present but not DKIM1 -> the record is discarded (no key).
        ("spfatsel", ("default", None)),
        # RFC 6376 3.6.1 p= is base64; docs/scanner-decisions.md 2.3: a parse failure.
        ("badb64", ("selector1", "rsa")),
        # RFC 6376 3.6.1 / docs/scanner-decisions.md 2.2: an unknown k= -> key unusable.
        ("unknownk", ("selector1", None)),
        # RFC 8301 3.1: sha1 forbidden; h=sha1 leaves no usable hash.
        ("sha1only", ("selector1", "rsa")),
        # RFC 8301 3.2: verifiers MUST NOT accept RSA keys under 1024 bits.
        ("weak512", ("selector1", "rsa")),
        # RFC 6376 3.6.1: p= REQUIRED (absent p= is broken, not revoked).
        ("nop", ("selector1", None)),
        # RFC 6376 3.6.1: v= if present MUST be first, else discard.
        ("vnotfirst", ("selector1", None)),
        # RFC 6376 3.6.1: v= MUST be DKIM1, else discard.
        ("vdkim2", ("selector1", None)),
        # RFC 6376 3.2: a duplicated tag makes the whole tag-list invalid.
        ("duptag", ("selector1", None)),
        # RFC 6376 3.2: tag names are case-sensitive: P= is not p=.
        ("tagcase", ("selector1", None)),
        # RFC 8463 4.2: Ed25519 p= is exactly 32 octets.
        ("edshort", ("selector1", "ed25519")),
        # RFC 6376 3.6.1: k=rsa with a 32-byte Ed25519 key is no RSA key.
        ("edasrsa", ("selector1", "rsa")),
        # RFC 6376 3.6.1 s=: verifiers MUST ignore a record not listing email.
        ("service", ("selector1", "rsa")),
        # RFC 6376 3.6.1 key-k-tag: "k=" needs a key type; empty is no known type.
        ("kempty", ("selector1", None)),
    ],
)
def test_published_but_unusable_selector_is_domainkey_exists(
    scan_options: ScanOptions, label: str, expected: tuple[str, str | None]
) -> None:
    # result-schema.md: selector_unusable -> domainkey_exists ("broken, weak or dangling"):
    # something is published at the selector, neither a usable nor a revoked key.
    dkim = dkim_of(scan_options, label)
    assert (dkim["state"], dkim["evidence"]) == (
        "domainkey_exists",
        "selector_unusable",
    )
    [entry] = dkim["selectors"]
    selector, key_type = expected
    assert (
        entry["selector"],
        entry["key_type"],
        entry["usable"],
        entry["revoked"],
    ) == (
        selector,
        key_type,
        False,
        False,
    )


def test_weak_rsa_key_reports_its_real_size(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.3: key bits are the modulus bits read from the key; < 1024 is
    # invalid.
    [entry] = dkim_of(scan_options, "weak512")["selectors"]
    assert (entry["key_type"], entry["key_bits"], entry["usable"]) == (
        "rsa",
        512,
        False,
    )


# =============================================================================================
# Key records and key sizes (RFC 6376 3.6.1, RFC 8301 3.2)
# =============================================================================================


def test_key_record_without_v_tag_is_a_key(scan: Any, relaxed: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.2 / RFC 6376 3.6.1: v= is RECOMMENDED, not required.
    d = dkim(scan, f"nov.{POLICY_RULES}", relaxed)
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
    # docs/scanner-decisions.md 2.3: report modulus bits; ">= 2048 ok; > 4096 may not verify
    # everywhere".
    d = dkim(scan, f"big.{POLICY_RULES}", relaxed)
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
    # docs/scanner-decisions.md 2.3: "keys broken by DNS UIs (quotes or spaces inside,
    # truncated) show up as parse failures": published, not usable, no invented size (docs:
    # selector_unusable).
    d = dkim(scan, f"{label}.{POLICY_RULES}", relaxed)
    assert (d["state"], d["evidence"]) == ("domainkey_exists", "selector_unusable")
    [entry] = d["selectors"]
    assert (entry["selector"], entry["usable"], entry["key_bits"]) == (
        "selector1",
        False,
        None,
    )
    assert entry["errors"] == [error]
