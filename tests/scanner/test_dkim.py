"""DKIM: key-record parsing (strings only), the selector list, and discovery through the
loopback DNS server (tests/zones/dkim*.zone)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Awaitable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from scanner.answer import DnsAnswer
from scanner.context import MAX_SELECTOR_PLANS, ScanContext
from scanner.dkim import (
    DkimResult,
    Observed,
    Probe,
    assess_probes,
    check_dkim,
    parse_dkim_key,
)
from scanner.dkim_key import TagListError, parse_tag_list
from scanner.selectors import (
    DEFAULT_SELECTORS,
    MAX_SELECTORS,
    TIER1_SELECTORS,
    merge_selectors,
    normalize_selector,
)
from scanner.wildcard import probe_wildcard

SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
DER = serialization.Encoding.DER


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    """Base64 public keys generated for this run (no fixture key can go stale)."""
    # A weak key on purpose: the scanner must classify 1024-bit keys (RFC 8301 3.2).
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    rsa1024 = weak.public_key()
    rsa2048 = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    ).public_key()
    # cryptography refuses to generate < 1024 bits; a public modulus is all a record holds.
    rsa512 = rsa.RSAPublicNumbers(65537, (1 << 511) | 0xABCDEF).public_key()
    edkey = ed25519.Ed25519PrivateKey.generate().public_key()
    return {
        "rsa1024": b64(rsa1024.public_bytes(DER, SPKI)),
        "rsa2048": b64(rsa2048.public_bytes(DER, SPKI)),
        "pkcs1": b64(rsa2048.public_bytes(DER, serialization.PublicFormat.PKCS1)),
        "rsa512": b64(rsa512.public_bytes(DER, SPKI)),
        "ed25519": b64(
            edkey.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ),
        "ed25519_spki": b64(edkey.public_bytes(DER, SPKI)),
    }


# --- the tag-list (RFC 6376 3.2) -------------------------------------------------------------


def test_tag_list_allows_whitespace_and_a_trailing_semicolon() -> None:
    tags = parse_tag_list(" v = DKIM1 ;\tk=rsa ; p=abc def ; ").tags
    assert tags == {"v": "DKIM1", "k": "rsa", "p": "abc def"}


def test_tag_list_duplicate_tag_is_an_error() -> None:
    with pytest.raises(TagListError) as caught:
        parse_tag_list("v=DKIM1; p=abc; p=def")
    assert caught.value.reason == "duplicate_tag"


def test_tag_list_rejects_a_spec_without_equals_and_non_ascii() -> None:
    with pytest.raises(TagListError) as caught:
        parse_tag_list("v=DKIM1; garbage")
    assert caught.value.reason == "bad_tag_spec"
    with pytest.raises(TagListError) as caught:
        parse_tag_list("v=DKIM1; n=caf\u00e9; p=")
    assert caught.value.reason == "non_ascii"


def test_tag_list_empty_element_is_only_a_warning() -> None:
    assert parse_tag_list("v=DKIM1;; p=").warnings == ("empty_tag_spec",)


# --- key records (RFC 6376 3.6.1, RFC 8301, RFC 8463) -----------------------------------------


def test_spki_2048_key_is_ok(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; k=rsa; p={keys['rsa2048']}")
    assert (key.key_type, key.key_bits, key.key_class, key.key_format) == (
        "rsa",
        2048,
        "ok",
        "spki",
    )
    assert key.usable and not key.revoked and not key.testing


def test_spki_1024_key_is_weak_but_usable(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; p={keys['rsa1024']}")
    assert (key.key_bits, key.key_class, key.usable) == (1024, "weak", True)


def test_key_under_1024_bits_is_invalid_and_unusable(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; p={keys['rsa512']}")
    assert (key.key_bits, key.key_class, key.usable) == (512, "invalid", False)


def test_bare_pkcs1_key_is_read_by_the_fallback(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"p={keys['pkcs1']}")
    assert (key.key_bits, key.key_format, key.usable) == (2048, "pkcs1", True)


def test_ed25519_raw_key_is_256_bits(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; k=ed25519; p={keys['ed25519']}")
    assert (key.key_type, key.key_bits, key.key_class, key.usable) == (
        "ed25519",
        256,
        "ok",
        True,
    )


def test_ed25519_published_as_spki_is_an_error(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; k=ed25519; p={keys['ed25519_spki']}")
    assert key.errors == ("ed25519_not_raw_32_octets",) and not key.usable


def test_ed25519_spki_under_k_rsa_is_a_type_mismatch(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; k=rsa; p={keys['ed25519_spki']}")
    assert key.errors == ("key_type_mismatch",) and not key.usable


def test_empty_p_means_revoked() -> None:
    key = parse_dkim_key("v=DKIM1; p=")
    assert key.valid and key.revoked and not key.usable and key.key_bits is None


def test_whitespace_inside_p_is_stripped(keys: dict[str, str]) -> None:
    material = keys["rsa2048"]
    spaced = " ".join(material[i : i + 50] for i in range(0, len(material), 50))
    assert parse_dkim_key(f"v=DKIM1; p={spaced}\r\n ").key_bits == 2048


def test_truncated_key_is_unusable(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; p={keys['rsa2048'][:200]}")
    assert not key.usable and key.errors in (("bad_base64",), ("bad_rsa_key",))


def test_testing_and_strict_flags() -> None:
    key = parse_dkim_key("v=DKIM1; t=y:s; p=")
    assert key.testing and key.strict
    assert not parse_dkim_key("v=DKIM1; t=s; p=").testing


def test_tag_names_are_case_sensitive(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; P={keys['rsa2048']}")
    assert not key.valid and key.errors == ("missing_p",)


def test_duplicate_tag_invalidates_the_record(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; p={keys['rsa2048']}; p=")
    assert not key.valid and key.errors == ("duplicate_tag",)


def test_v_must_come_first_and_equal_dkim1(keys: dict[str, str]) -> None:
    assert parse_dkim_key(f"p={keys['rsa2048']}; v=DKIM1").errors == ("v_not_first",)
    assert parse_dkim_key(f"v=dkim1; p={keys['rsa2048']}").errors == ("bad_version",)
    assert parse_dkim_key(
        f"k=rsa; p={keys['rsa2048']}"
    ).usable  # v= is only RECOMMENDED


def test_spf_text_at_a_selector_is_not_a_key() -> None:
    key = parse_dkim_key("v=spf1 include:_spf.example.jp -all")
    assert not key.valid and not key.usable


def test_unknown_key_type_is_unusable(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; k=dsa; p={keys['rsa2048']}")
    assert key.valid and key.errors == ("unknown_key_type",) and not key.usable


def test_unknown_tags_are_ignored(keys: dict[str, str]) -> None:
    key = parse_dkim_key(f"v=DKIM1; g=*; x_future=1; n=note here; p={keys['rsa2048']}")
    assert key.usable and key.warnings == ()


def test_hash_list_without_sha256_makes_the_key_unusable(keys: dict[str, str]) -> None:
    # RFC 8301 3.1: no SHA-1 signature is valid; RFC 6376 3.6.1: unknown h= names ignored.
    sha1 = parse_dkim_key(f"v=DKIM1; h=sha1; p={keys['rsa2048']}")
    assert (sha1.errors, sha1.usable) == (("h_sha1_only",), False)
    unknown = parse_dkim_key(f"v=DKIM1; h=md5; p={keys['rsa2048']}")
    assert (unknown.errors, unknown.usable) == (("h_no_known_hash",), False)
    both = parse_dkim_key(f"v=DKIM1; h=sha1:sha256; p={keys['rsa2048']}")
    assert (both.errors, both.warnings, both.usable) == ((), (), True)


def test_unknown_key_type_is_not_reported_as_a_type(keys: dict[str, str]) -> None:
    for record in (f"v=DKIM1; k=dsa; p={keys['rsa2048']}", f"k=; p={keys['rsa2048']}"):
        key = parse_dkim_key(record)
        assert (key.key_type, key.errors, key.usable) == (
            None,
            ("unknown_key_type",),
            False,
        )


def test_service_type_without_email_makes_the_key_unusable(
    keys: dict[str, str],
) -> None:
    key = parse_dkim_key(f"v=DKIM1; s=tlsrpt; p={keys['rsa2048']}")
    assert key.errors == ("service_not_email",) and not key.usable
    assert parse_dkim_key(f"v=DKIM1; s=email:tlsrpt; p={keys['rsa2048']}").usable


# --- the selector list ------------------------------------------------------------------------


def test_tier1_is_the_domaindetective_guess_list() -> None:
    assert set(TIER1_SELECTORS) == {
        "google",
        "selector1",
        "selector2",
        "everlytickey1",
        "everlytickey2",
        "eversrv",
        "k1",
        "mxvault",
        "dkim",
        "s1",
        "s2",
        "default",
        "mail",
        "fm1",
        "fm2",
        "fm3",
        "amazonses",
    }
    assert DEFAULT_SELECTORS[:3] == ("google", "selector1", "selector2")


def test_default_list_has_no_duplicates_and_only_valid_names() -> None:
    assert len(set(DEFAULT_SELECTORS)) == len(DEFAULT_SELECTORS)
    assert all(normalize_selector(name) == name for name in DEFAULT_SELECTORS)


def test_known_selectors_come_first_deduplicated_and_validated() -> None:
    plan = merge_selectors(
        ("google", "s1"), ("S1", "Mail.2024", "bad selector", "-x", "")
    )
    assert plan.selectors == ("s1", "mail.2024", "google")
    assert plan.known == ("s1", "mail.2024")
    assert plan.rejected == ("bad selector", "-x", "")


def test_selector_list_is_bounded() -> None:
    plan = merge_selectors(DEFAULT_SELECTORS, [f"known{i}" for i in range(100)])
    assert len(plan.selectors) == MAX_SELECTORS and plan.truncated
    assert plan.selectors[0] == "known0"


def test_selector_plan_is_merged_once_per_run_per_known_list(scan: Any) -> None:
    async def plans(ctx: ScanContext) -> list[Any]:
        return [
            ctx.selector_plan(DEFAULT_SELECTORS, ()),
            ctx.selector_plan(DEFAULT_SELECTORS, []),
            ctx.selector_plan(DEFAULT_SELECTORS, ("own",)),
            ctx.selector_plan(list(DEFAULT_SELECTORS), ["own"]),
        ]

    default, again, own, own_again = scan(plans)
    assert again is default and own_again is own
    assert own.selectors[0] == "own" and default.selectors == DEFAULT_SELECTORS
    assert own == merge_selectors(DEFAULT_SELECTORS, ["own"])


def test_selector_plan_cache_is_bounded(scan: Any) -> None:
    async def fill(ctx: ScanContext) -> int:
        for index in range(MAX_SELECTOR_PLANS + 10):
            ctx.selector_plan(DEFAULT_SELECTORS, (f"k{index}",))
        return len(ctx.selector_plans)

    assert scan(fill) <= MAX_SELECTOR_PLANS


def test_selector_labels_over_63_octets_are_rejected() -> None:
    assert normalize_selector("a" * 64) is None
    assert normalize_selector("a" * 63 + ".b") == "a" * 63 + ".b"


# --- discovery through DNS --------------------------------------------------------------------


# A domain's probes (~53 queries) go out at once; on a loaded machine the suite's 0.3 s per
# try can pass before the loopback server has answered them all. Fault-free scenarios here
# get a roomier timeout, which never elapses when the server answers; the tests of timeouts
# pass the suite's short ``scan_options`` explicitly.
RELAXED_TIMEOUT = 0.9


@pytest.fixture
def scan(scan: Any, scan_options: Any) -> Any:
    relaxed = dataclasses.replace(scan_options, timeout=RELAXED_TIMEOUT)

    def run(make: Any, options: Any = None) -> Any:
        return scan(make, options=options or relaxed)

    return run


def dkim(scan: Any, domain: str, *known: str, **kw: Any) -> DkimResult:
    result: DkimResult = scan(lambda ctx: check_dkim(domain, ctx, known), **kw)
    return result


def selectors_of(result: DkimResult) -> dict[str, dict[str, Any]]:
    return {entry["selector"]: entry for entry in result.to_json()["selectors"]}


def test_microsoft_selectors_are_followed_through_cnames(scan: Any) -> None:
    result = dkim(scan, "m365.dkim.test")
    assert (result.state, result.evidence) == ("found", "selector_key")
    found = selectors_of(result)
    assert set(found) == {"selector1", "selector2"}
    assert found["selector1"]["cname_target"] == (
        "selector1-m365-dkim-test._domainkey.tenant.provider.dkim.test"
    )
    assert found["selector2"]["key_bits"] == 2048


def test_google_2048_key_is_found(scan: Any) -> None:
    result = dkim(scan, "google.dkim.test")
    entry = selectors_of(result)["google"]
    assert result.state == "found"
    assert (entry["key_type"], entry["key_bits"], entry["key_class"]) == (
        "rsa",
        2048,
        "ok",
    )
    assert entry["revoked"] is False and entry["testing"] is False


def test_k1_1024_key_is_found_and_weak(scan: Any) -> None:
    entry = selectors_of(dkim(scan, "weak.dkim.test"))["k1"]
    assert (entry["key_bits"], entry["key_class"]) == (1024, "weak")


def test_key_split_over_many_strings_is_joined(scan: Any) -> None:
    result = dkim(scan, "split.dkim.test")
    assert result.state == "found" and selectors_of(result)["s1"]["key_bits"] == 2048


def test_only_a_revoked_selector_is_not_found(scan: Any) -> None:
    result = dkim(scan, "revoked.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "selector_revoked")
    assert selectors_of(result)["default"]["revoked"] is True


def test_testing_key_is_found_and_flagged(scan: Any) -> None:
    result = dkim(scan, "testing.dkim.test")
    assert result.state == "found" and selectors_of(result)["dkim"]["testing"] is True


def test_ed25519_and_rsa_side_by_side(scan: Any) -> None:
    found = selectors_of(dkim(scan, "ed.dkim.test"))
    assert (found["fm1"]["key_type"], found["fm1"]["key_bits"]) == ("ed25519", 256)
    assert (found["fm2"]["key_type"], found["fm2"]["key_bits"]) == ("rsa", 2048)


def test_known_dotted_selector_with_pkcs1_key_is_found(scan: Any) -> None:
    assert dkim(scan, "pkcs1.dkim.test").evidence == "domainkey_nodata"
    result = dkim(scan, "pkcs1.dkim.test", "mail.2024")
    entry = selectors_of(result)["mail.2024"]
    assert result.state == "found"
    assert (entry["key_bits"], entry["key_format"]) == (2048, "pkcs1")


def test_512_bit_key_is_not_adoption(scan: Any) -> None:
    result = dkim(scan, "tiny.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "selector_unusable")
    assert selectors_of(result)["mail"]["key_class"] == "invalid"


async def _counted(
    ctx: ScanContext, work: Awaitable[DkimResult]
) -> tuple[DkimResult, int]:
    result = await work
    return result, ctx.counters["queries"]


def test_nxdomain_domainkey_skips_the_probes(scan: Any) -> None:
    result, queries = scan(
        lambda ctx: _counted(ctx, check_dkim("nodkim.dkim.test", ctx))
    )
    assert (result.state, result.evidence) == ("none", "domainkey_nxdomain")
    assert queries == 1 and result.to_json()["probed"] == 0


def test_known_selector_behind_an_nxdomain_domainkey_is_still_found(scan: Any) -> None:
    assert dkim(scan, "broken.dkim.test").state == "none"
    result = dkim(scan, "broken.dkim.test", "sel2024")
    assert (result.state, result.evidence) == ("found", "selector_behind_nxdomain")
    assert result.rfc8020_violation is True
    assert selectors_of(result)["sel2024"]["key_bits"] == 2048


def test_known_selector_timeout_behind_nxdomain_is_temperror_not_none(
    scan: Any, scan_options: Any
) -> None:
    result = dkim(scan, "brokentimeout.dkim.test", "sel2024", options=scan_options)
    assert result.state == "temperror"
    assert result.errors == ("timeout: sel2024._domainkey.brokentimeout.dkim.test TXT",)


def test_nodata_domainkey_is_domainkey_exists(scan: Any) -> None:
    result = dkim(scan, "nodata.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "domainkey_nodata")
    assert result.selectors == () and result.wildcard is False


def test_wildcard_revoked_key_is_parking_not_adoption(scan: Any) -> None:
    result = dkim(scan, "parked.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "wildcard_revoked")
    assert result.selectors == ()
    assert result.wildcard_answered == len(DEFAULT_SELECTORS)


def test_wildcard_real_key_does_not_count_per_selector(scan: Any) -> None:
    result = dkim(scan, "wildkey.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "wildcard_key")
    assert result.selectors == ()


def test_real_selector_beside_a_wildcard_key_is_found(scan: Any) -> None:
    result = dkim(scan, "wildplus.dkim.test")
    assert (result.state, result.evidence) == ("found", "selector_key")
    assert list(selectors_of(result)) == ["google"]
    assert result.wildcard_answered == len(DEFAULT_SELECTORS) - 1


def test_zone_wildcard_voids_the_domainkey_inference(scan: Any) -> None:
    result = dkim(scan, "wildzone.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "wildcard_zone")
    assert result.wildcard is True and result.selectors == ()


def test_domainkeys_policy_at_domainkey_is_reported(scan: Any) -> None:
    result = dkim(scan, "dk.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "domainkey_txt")
    assert result.domainkey_records == ("o=~; r=postmaster@dk.dkim.test",)


def test_adsp_record_alone_explains_domainkey(scan: Any) -> None:
    result = dkim(scan, "adsp.dkim.test")
    assert (result.state, result.evidence) == ("domainkey_exists", "adsp_only")


def test_dangling_selector_cname_is_delegated_key_missing(scan: Any) -> None:
    result = dkim(scan, "dangling.dkim.test")
    entry = selectors_of(result)["s1"]
    assert result.state == "domainkey_exists"
    assert entry["errors"] == ["dangling_cname"]
    assert entry["cname_target"] == "s1.missing.provider.dkim.test"


def test_multiple_key_records_at_one_selector_are_an_error(scan: Any) -> None:
    result = dkim(scan, "multi.dkim.test")
    entry = selectors_of(result)["google"]
    assert result.state == "domainkey_exists"
    assert entry["errors"] == ["multiple_key_records"] and len(entry["records"]) == 2


def test_servfail_at_domainkey_is_temperror_not_none(scan: Any) -> None:
    result = dkim(scan, "servfail.dkim.test")
    assert (result.state, result.evidence) == ("temperror", "dns_error")
    assert result.errors[0] == "servfail: _domainkey.servfail.dkim.test TXT"
    assert (
        f"selector probes without an answer: {len(DEFAULT_SELECTORS)}" in result.errors
    )
    assert (
        len(result.errors) < 10
    )  # a dead zone is summarised, not listed probe by probe


def test_timeout_on_one_selector_does_not_hide_a_found_key(
    scan: Any, scan_options: Any
) -> None:
    result = dkim(scan, "partial.dkim.test", options=scan_options)
    assert result.state == "found"
    assert "selector probes without an answer: 1" in result.errors


def test_sha1_only_and_non_email_keys_carry_their_problems(scan: Any) -> None:
    found = selectors_of(dkim(scan, "oddtags.dkim.test"))
    assert found["google"]["errors"] == ["h_sha1_only"]
    assert not found["google"]["usable"]
    assert found["selector1"]["errors"] == ["service_not_email"]
    assert not found["selector1"]["usable"]


def test_options_selectors_replace_the_default_list(
    scan: Any, scan_options: Any
) -> None:
    options = dataclasses.replace(scan_options, selectors=("fm2",))
    result = dkim(scan, "ed.dkim.test", options=options)
    assert list(selectors_of(result)) == ["fm2"] and result.to_json()["probed"] == 1


def test_result_json_has_the_contract_keys(scan: Any) -> None:
    data = dkim(scan, "google.dkim.test").to_json()
    assert {"state", "evidence", "selectors"} <= set(data)
    assert {"selector", "key_type", "key_bits", "testing", "revoked"} <= set(
        data["selectors"][0]
    )


# --- the verdict when the random-name probe failed (pure: built answers) -----------------------


def _probe(selector: str, txt: bytes | None, error: str | None = None) -> Probe:
    qname = f"{selector}._domainkey.x.dkim.test"
    if error:
        return Probe(selector, qname, None, error)
    if txt is None:
        return Probe(selector, qname, DnsAnswer(qname, "TXT", "nxdomain", qname))
    return Probe(selector, qname, DnsAnswer(qname, "TXT", "answer", qname, txt=(txt,)))


def _assess(probes: list[Probe]) -> DkimResult:
    nodata = DnsAnswer(
        "_domainkey.x.dkim.test", "TXT", "nodata", "_domainkey.x.dkim.test"
    )
    failed = _probe("random16labelxyz", None, "timeout: random-label wildcard probe")
    seen = Observed(nodata, probes, failed, False, False)
    return assess_probes(seen, tuple(p.selector for p in probes), [], [])


def test_failed_wildcard_probe_does_not_turn_a_shared_key_into_found(
    keys: dict[str, str],
) -> None:
    shared = f"v=DKIM1; p={keys['rsa2048']}".encode()
    result = _assess([_probe(name, shared) for name in ("google", "s1", "k1")])
    assert (result.state, result.wildcard_answered) == ("temperror", 3)
    assert "timeout: random-label wildcard probe" in result.errors


def test_failed_wildcard_probe_still_finds_a_key_of_its_own(
    keys: dict[str, str],
) -> None:
    shared = f"v=DKIM1; p={keys['rsa2048']}".encode()
    own = f"v=DKIM1; p={keys['rsa1024']}".encode()
    probes = [_probe("s1", shared), _probe("k1", shared), _probe("google", own)]
    result = _assess(probes + [_probe("s2", None)])
    assert result.state == "found"
    assert [entry.selector for entry in result.selectors] == ["google"]


# --- wildcard probe ---------------------------------------------------------------------------


def test_probe_wildcard_sees_a_zone_wildcard(scan: Any) -> None:
    assert scan(lambda ctx: probe_wildcard("wildzone.dkim.test", ctx)) is True
    assert scan(lambda ctx: probe_wildcard("google.dkim.test", ctx)) is False


def test_probe_wildcard_is_none_on_dns_failure(
    scan: Any, scan_options: Any, dns_server_factory: Any
) -> None:
    server = dns_server_factory(mode="servfail")
    options = dataclasses.replace(
        scan_options, nameservers=((server.host, server.port),)
    )
    assert (
        scan(lambda ctx: probe_wildcard("wildzone.dkim.test", ctx), options=options)
        is None
    )
