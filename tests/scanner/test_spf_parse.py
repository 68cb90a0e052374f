"""SPF record selection and syntax, from strings only (RFC 7208 4.5, 4.6.1, 5-7, 12).

Most cases follow the behaviours of the openspf/RFC 7208 test suite (pyspf's
``test/rfc7208-tests.yml``), rewritten as plain record texts: no DNS is involved here.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import PermError
from scanner.spf import record_warnings
from scanner.spf_parse import (
    decode_record,
    is_spf_record,
    parse_spf,
    select_spf_records,
)
from scanner.text import display_text

VALID = {
    "empty-record": "v=spf1",
    "two-spaces": "v=spf1 a  -all",
    "trailing-space": "v=spf1 -all ",
    "case-insensitive-version": "V=sPf1 +all",
    "case-insensitive-mechanisms": "v=spf1 IP4:192.0.2.1 MX A:Mail.Example.COM -ALL",
    "modifier-charset-good": "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
    "redirect-with-all": "v=spf1 redirect=t5.example.com ~all",
    "empty-label-is-syntax-ok": "v=spf1 a:mail.example...com -all",
    "macro-ending-domain": "v=spf1 a:%{H}.bar -all",
    "all-twice": "v=spf1 all -all",
    "neutral-all": "v=spf1 ?all",
    "ptr-domain": "v=spf1 ptr:example.Com -all",
    "a-cidr6-only": "v=spf1 a//33 -all",
    "a-dual-cidr": "v=spf1 a/24//64 -all",
    "a-domain-cidr": "v=spf1 a:foo.example.com/24",
    "colon-in-domain": "v=spf1 a:foo:bar/baz.example.com",
    "dash-toplabel": "v=spf1 a:foo.example.xn--zckzah -all",
    "ip4-zero-prefix": "v=spf1 ip4:1.1.1.1/0 -all",
    "ip4-and-mapped-ip6": "v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4",
    "ip6-embedded-ip4": "v=spf1 ip6:::1.1.1.1/0",
    "ip6-prefix-33": "v=spf1 ip6:Cafe:Babe:8000::/33",
    "legacy-default-modifier": "v=spf1 default=pass",
    "unknown-modifier-plus": "v=spf1 default=+",
    "macro-escapes": "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
    "exp-with-ip-macro": "v=spf1 -all exp=%{ir}.example.com",
    "upper-macro-digits": "v=spf1 -all exp=msg8.%{D2}",
    "macro-reverse-delimiter": "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}",
    "macro-several-delimiters": "v=spf1 exists:%{l2r+-}.user.%{d2}",
    "macro-in-include": "v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all",
    "redirect-trailing-dot": "v=spf1 redirect=%{d}.d.spf.example.com.",
    "include-trailing-dot": "v=spf1 include:o.spf.example.com. ~all",
    "v-macro": "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all",
    "unknown-modifier-crt": "v=spf1 -all note=%{c}%{r}%{t}",
    "google-style": "v=spf1 include:_spf.google.com ~all",
}

INVALID = {
    "control-char-cr": ("v=spf1 a:ctrl.example.com\rptr -all", "control-character"),
    "tab-separator": ("v=spf1\tip4:192.0.2.1 -all", "control-character"),
    "newline-separator": ("v=spf1 ip4:192.0.2.1\n-all", "control-character"),
    "nul-in-domain": ("v=spf1 a:foo.example.com\0", "control-character"),
    "non-ascii": ("v=spf1 \x80a:example.net -all", "non-ascii"),
    "non-ascii-bom": ("v=spf1 a:\ufeffgarbage.example.net -all", "non-ascii"),
    "detect-errors-anywhere": ("v=spf1 ip4:1.2.3.4 -all moo", "unknown-mechanism"),
    "modifier-charset-bad-slash": (
        "v=spf1 moo.cow/far_out=man:dog/cat -all",
        "unknown-mechanism",
    ),
    "modifier-charset-bad-colon": (
        "v=spf1 moo.cow:far_out=man:dog/cat -all",
        "unknown-mechanism",
    ),
    "redirect-is-modifier": (
        "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
        "unknown-mechanism",
    ),
    "modifier-name-starts-digit": ("v=spf1 1up=foo", "unknown-mechanism"),
    "empty-modifier-name": ("v=spf1 =all", "unknown-mechanism"),
    "comma-separated": ("v=spf1 ip4:192.0.2.1,-all", "invalid-ip4"),
    "no-toplabel": ("v=spf1 a:foo-bar -all", "invalid-domain-spec"),
    "all-dot": ("v=spf1 -all.", "unknown-mechanism"),
    "all-arg": ("v=spf1 -all:foobar", "syntax"),
    "all-cidr": ("v=spf1 -all/8", "syntax"),
    "ptr-cidr": ("v=spf1 ptr/0 -all", "syntax"),
    "ptr-empty-domain": ("v=spf1 ptr:", "invalid-domain-spec"),
    "a-bad-cidr4": ("v=spf1 a/33 -all", "invalid-cidr"),
    "a-bad-cidr6": ("v=spf1 a//129 -all", "invalid-cidr"),
    "a-dual-cidr-single-slash": ("v=spf1 a/24/64 -all", "invalid-cidr"),
    "a-cidr-leading-zero": ("v=spf1 a/024 -all", "syntax"),
    "a-numeric-toplabel": ("v=spf1 a:111.222.33.44", "invalid-domain-spec"),
    "a-numeric-last-label": ("v=spf1 a:abc.123", "invalid-domain-spec"),
    "a-only-toplabel": ("v=spf1 a:museum", "invalid-domain-spec"),
    "a-only-toplabel-dot": ("v=spf1 a:museum.", "invalid-domain-spec"),
    "a-colon-port": ("v=spf1 a:example.com:8080", "invalid-domain-spec"),
    "a-toplabel-dash-first": ("v=spf1 a:example.-com", "invalid-domain-spec"),
    "a-empty-domain": ("v=spf1 a:", "invalid-domain-spec"),
    "include-no-domain": ("v=spf1 include +all", "syntax"),
    "include-empty-domain": ("v=spf1 include: -all", "invalid-domain-spec"),
    "include-cidr": ("v=spf1 include:ip5.example.com/24 -all", "invalid-domain-spec"),
    "mx-empty-domain": ("v=spf1 mx: -all", "invalid-domain-spec"),
    "exists-empty-domain": ("v=spf1 exists:", "invalid-domain-spec"),
    "exists-implicit": ("v=spf1 exists", "syntax"),
    "exists-cidr": ("v=spf1 exists:mail.example.com/24", "invalid-domain-spec"),
    "ip4-prefix-33": ("v=spf1 ip4:1.2.3.4/33 -all", "invalid-cidr"),
    "ip4-prefix-leading-zero": ("v=spf1 ip4:1.2.3.4/032 -all", "invalid-ip4"),
    "bare-ip4": ("v=spf1 ip4", "syntax"),
    "ip4-dual-cidr": ("v=spf1 ip4:1.2.3.4//32", "invalid-ip4"),
    "ip4-port": ("v=spf1 ip4:1.2.3.4:8080", "invalid-ip4"),
    "ip4-short": ("v=spf1 ip4:1.2.3", "invalid-ip4"),
    "ip4-octet-leading-zero": ("v=spf1 ip4:1.2.03.4/24", "invalid-ip4"),
    "ip4-octet-too-big": ("v=spf1 ip4:1.2.3.444/24", "invalid-ip4"),
    "bare-ip6": ("v=spf1 -all ip6", "syntax"),
    "ip6-prefix-129": ("v=spf1 ip6:::1.1.1.1/129", "invalid-cidr"),
    "ip6-dual-cidr": ("v=spf1 ip6:::1.1.1.1//33", "invalid-ip6"),
    "ip6-two-double-colons": ("v=spf1 ip6::CAFE::BABE", "invalid-ip6"),
    "ip6-zone-index": ("v=spf1 ip6:fe80::1%eth0 -all", "invalid-ip6"),
    "ip6-ip4-address": ("v=spf1 ip6:192.0.2.1 -all", "invalid-ip6"),
    "unknown-modifier-bad-macro": ("v=spf1 -all foo=%abc", "invalid-macro"),
    "exp-empty-domain": ("v=spf1 exp= -all", "invalid-domain-spec"),
    "exp-twice": (
        "v=spf1 exp=a.example.com -all exp=b.example.com",
        "duplicate-modifier",
    ),
    "redirect-twice": (
        "v=spf1 redirect=a.example.com -all redirect=a.example.com",
        "duplicate-modifier",
    ),
    "exp-not-a-domain": ("v=spf1 exp=-all", "invalid-domain-spec"),
    "redirect-not-a-domain": ("v=spf1 redirect=-all ?all", "invalid-domain-spec"),
    "redirect-empty-domain": ("v=spf1 ?all redirect=", "invalid-domain-spec"),
    "invalid-macro-paren": (
        "v=spf1 -exists:%(ir).sbl.example.com ?all",
        "invalid-macro",
    ),
    "invalid-embedded-macro": (
        "v=spf1 exists:foo%(ir).sbl.example.com ?all",
        "invalid-macro",
    ),
    "invalid-trailing-percent": (
        "v=spf1 exists:foo%.sbl.example.com ?all",
        "invalid-macro",
    ),
    "unclosed-macro": ("v=spf1 exists:%{i.example.com -all", "invalid-macro"),
    "exp-only-macro-letter": ("v=spf1 -all exp=%{r}.example.com", "invalid-macro"),
    "c-macro-in-mechanism": ("v=spf1 exists:%{c}.example.com -all", "invalid-macro"),
    "undefined-macro-letter": ("v=spf1 a:%{a}.example.com -all", "invalid-macro"),
    "zero-digit-transformer": ("v=spf1 exists:%{d0}.example.com -all", "invalid-macro"),
    "domain-without-dot-after-macro": (
        "v=spf1 exists:%{d}com -all",
        "invalid-domain-spec",
    ),
    "unknown-qualifier-mechanism": ("v=spf1 !a -all", "unknown-mechanism"),
    "misspelled-mechanism": ("v=spf1 ipv4:192.0.2.1 -all", "unknown-mechanism"),
    "glued-version": ("v=spf1-all", "not-spf1"),
    "version-10": ("v=spf10 -all", "not-spf1"),
    "leading-space": (" v=spf1 -all", "not-spf1"),
    "sender-id": ("spf2.0/pra -all", "not-spf1"),
}


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid_record_parses(text: str) -> None:
    record = parse_spf(text)
    assert record.text == text


@pytest.mark.parametrize(("text", "reason"), INVALID.values(), ids=INVALID.keys())
def test_invalid_record_is_permerror_with_reason(text: str, reason: str) -> None:
    with pytest.raises(PermError) as caught:
        parse_spf(text)
    assert caught.value.reason == reason
    assert caught.value.detail  # a readable explanation for the report


def test_terms_keep_qualifier_kind_target_and_cidrs() -> None:
    record = parse_spf(
        "v=spf1 -A:Mail.Example.com/24//64 ~mx ?ip4:192.0.2.0/24 ip6:2001:db8::/32 +all"
    )
    a, mx, ip4, ip6, all_ = record.mechanisms
    assert (a.qualifier, a.kind, a.target, a.cidr4, a.cidr6) == (
        "-",
        "a",
        "Mail.Example.com",
        24,
        64,
    )
    assert (mx.qualifier, mx.kind, mx.target, mx.cidr4, mx.cidr6) == (
        "~",
        "mx",
        None,
        None,
        None,
    )
    assert (ip4.qualifier, ip4.target, ip4.cidr4) == ("?", "192.0.2.0", 24)
    assert (ip6.qualifier, ip6.target, ip6.cidr6) == ("+", "2001:db8::", 32)
    assert all_.kind == "all" and all_.qualifier == "+"
    assert [m.counts_lookup for m in record.mechanisms] == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_macro_letters_are_reported_lower_case() -> None:
    record = parse_spf("v=spf1 exists:%{I}._spf.%{d2r} include:%%.example.com -all")
    exists, include, _ = record.mechanisms
    assert exists.macros == frozenset({"i", "d"})
    assert include.macros == frozenset()  # "%%" is an escape, not a macro letter


def test_modifiers_are_separate_from_mechanisms_and_names_are_lower_case() -> None:
    record = parse_spf(
        "v=spf1 ip4:192.0.2.1 Redirect=_spf.example.com EXP=explain.example.com x-note=hi"
    )
    assert [m.kind for m in record.mechanisms] == ["ip4"]
    assert record.redirect is not None and record.redirect.value == "_spf.example.com"
    assert record.exp is not None and record.exp.value == "explain.example.com"
    assert [m.name for m in record.unknown_modifiers] == ["x-note"]


def test_redirect_is_used_only_without_all_anywhere() -> None:
    assert parse_spf("v=spf1 ip4:192.0.2.1 redirect=b.example.com").uses_redirect
    assert not parse_spf("v=spf1 redirect=b.example.com ~all").uses_redirect
    assert not parse_spf(
        "v=spf1 ?all ip4:192.0.2.1 redirect=b.example.com"
    ).uses_redirect


def test_terms_after_the_first_all_are_not_evaluated() -> None:
    record = parse_spf("v=spf1 a -all include:late.example.com ~all")
    assert [m.text for m in record.evaluated] == ["a", "-all"]
    assert [m.text for m in record.after_all] == ["include:late.example.com", "~all"]
    assert record.all is not None and record.all.text == "-all"


def test_record_without_all_evaluates_every_mechanism() -> None:
    record = parse_spf("v=spf1 a mx")
    assert record.all is None
    assert len(record.evaluated) == 2 and record.after_all == ()


@pytest.mark.parametrize(
    ("raw", "selected"),
    [
        (b"v=spf1 -all", True),
        (b"v=spf1", True),
        (b"V=SPF1 ~all", True),
        (b"v=spf1-all", False),  # "v=spf1" "-all" joined without a space (RFC 7208 3.3)
        (b"v=spf10 -all", False),
        (b" v=spf1 -all", False),
        (b"spf2.0/pra -all", False),
        (b"google-site-verification=abc", False),
        (b"\x96 v=spf1", False),
        (b"v=spf1 \xef\xbb\xbfa -all", True),  # selected, then rejected as non-ASCII
    ],
)
def test_record_selection_by_version_tag(raw: bytes, selected: bool) -> None:
    assert is_spf_record(raw) is selected


def test_selection_keeps_every_spf_record_and_ignores_the_rest() -> None:
    txts = (b"spf2.0/mfrom -all", b"v=spf1 -all", b"token=1", b"V=spf1 +all")
    assert select_spf_records(txts) == [b"v=spf1 -all", b"V=spf1 +all"]


def test_split_strings_joined_without_space_make_one_record() -> None:
    joined = b"".join((b"v=spf1 ip4:192.0.2.1", b" -all"))
    assert parse_spf(decode_record(joined)).all is not None


def test_non_ascii_bytes_are_permerror_but_displayed_losslessly() -> None:
    raw = b"v=spf1 a:\xef\xbb\xbfgarbage.example.net \x96all"
    with pytest.raises(PermError) as caught:
        decode_record(raw)
    assert caught.value.reason == "non-ascii"
    assert display_text(raw) == "v=spf1 a:\ufeffgarbage.example.net \\x96all"


def test_static_warnings_name_each_finding() -> None:
    record = parse_spf(
        "v=spf1 ip4:192.0.2.1/24 ip6:2001:db8::1/64 ptr:%{p}.example.com +all mx exp=e.example.com x=1"
    )
    codes = [code for code, _ in record_warnings(record, "example.com")]
    assert codes == [
        "plus-all",
        "exp-present",
        "mechanisms-after-all",
        "unknown-modifier",
        "p-macro-used",
        "ip4-host-bits",
        "ip6-host-bits",
    ]


def test_long_record_warning_and_clean_record_has_none() -> None:
    long_record = parse_spf(
        "v=spf1 " + " ".join(f"ip4:198.51.100.{i}" for i in range(1, 40)) + " -all"
    )
    assert [code for code, _ in record_warnings(long_record, "x")] == [
        "record-over-450-bytes"
    ]
    assert record_warnings(parse_spf("v=spf1 ip4:192.0.2.0/24 mx -all"), "x") == []


# --- property tests: hostile text never raises anything but PermError -------------------------

TERMS = st.sampled_from(
    [
        "a",
        "mx",
        "ptr",
        "all",
        "include:",
        "exists:",
        "ip4:",
        "ip6:",
        "redirect=",
        "exp=",
        "x=",
        "/",
        "//",
        ":",
        "%{",
        "}",
        "%",
        "-",
        "+",
        "~",
        "?",
        ".",
        "1",
        "32",
        "129",
        "example.com",
        "%{d}",
        "%{i}",
        "%{q}",
        "::",
        "192.0.2.1",
        " ",
        "  ",
    ]
)


def _accepts_or_permerror(text: str) -> None:
    try:
        record = parse_spf(text)
    except PermError as error:
        assert error.reason
        return
    assert record.text == text
    assert all(
        m.kind in {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}
        for m in record.mechanisms
    )


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_raises_anything_but_permerror(text: str) -> None:
    _accepts_or_permerror(text)


@settings(max_examples=600, deadline=None)
@given(st.lists(TERMS, max_size=25).map(lambda parts: "v=spf1 " + "".join(parts)))
def test_random_term_soup_never_raises_anything_but_permerror(text: str) -> None:
    _accepts_or_permerror(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_decode_or_permerror(raw: bytes) -> None:
    try:
        text = decode_record(raw)
    except PermError as error:
        assert error.reason == "non-ascii"
        return
    _accepts_or_permerror(text)
