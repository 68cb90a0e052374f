"""Input names -> A-labels (docs/scanner-decisions.md 7.6), display form, and the PSL org domain
(4.6)."""

from __future__ import annotations

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.names import (
    InvalidDomain,
    is_public_suffix,
    normalize_domain,
    org_domain_psl,
    psl_version,
    public_suffix,
    to_unicode,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2008; IDNA 2003 would give fass.de
        ("ｅｘａｍｐｌｅ.jp", "example.jp"),  # full-width letters (UTS 46 mapping)
        ("ＥＸＡＭＰＬＥ．ＪＰ", "example.jp"),  # full-width upper case and full stop
        ("ﾃｽﾄ.jp", "xn--zckzah.jp"),  # half-width katakana
        ("日本語.jp", "xn--wgv71a119e.jp"),
        ("例え。jp", "xn--r8jz45g.jp"),  # ideographic full stop as separator
        ("例え｡jp", "xn--r8jz45g.jp"),  # half-width ideographic full stop
        ("総務省．jp", "xn--lhr645fjve.jp"),  # full-width full stop
        ("xn--zckzah.jp", "xn--zckzah.jp"),  # A-labels pass through
        ("XN--ZCKZAH.JP", "xn--zckzah.jp"),
        ("Soumu.GO.jp", "soumu.go.jp"),
        ("soumu.go.jp.", "soumu.go.jp"),  # one trailing dot: the root
        ("\u3000soumu.go.jp\u3000", "soumu.go.jp"),  # ideographic spaces around
        ("  soumu.go.jp\t\n", "soumu.go.jp"),
        ("\ufeffsoumu.go.jp", "soumu.go.jp"),  # a BOM left by a CSV export
        (
            "r1---sn-abc.example.jp",
            "r1---sn-abc.example.jp",
        ),  # "--" outside xn-- is fine
    ],
)
def test_normalize_domain_maps_idn_case_and_dots(text: str, expected: str) -> None:
    assert normalize_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.soumu.go.jp/menu_news/index.html", "www.soumu.go.jp"),
        ("//www.soumu.go.jp/menu_news/", "www.soumu.go.jp"),
        ("http://user:secret@WWW.MLIT.GO.JP:8080/a?b=c#d", "www.mlit.go.jp"),
        ("www.soumu.go.jp/path/only", "www.soumu.go.jp"),
        ("soumu.go.jp:25", "soumu.go.jp"),
        ("ｈｔｔｐｓ：／／ｗｗｗ．ｓｏｕｍｕ．ｇｏ．ｊｐ／", "www.soumu.go.jp"),
        ("https://日本語.jp/パス", "xn--wgv71a119e.jp"),
        ("mailto:info@soumu.go.jp", "soumu.go.jp"),
        ("MAILTO:info@soumu.go.jp?subject=DMARC", "soumu.go.jp"),
        ("info@soumu.go.jp", "soumu.go.jp"),
        ("info＠総務省.jp", "xn--lhr645fjve.jp"),  # full-width at sign
    ],
)
def test_url_and_email_are_reduced_to_the_host(text: str, expected: str) -> None:
    assert normalize_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u3000", "empty"),
        ("https://", "empty"),
        ("info@", "empty"),
        (".", "empty"),
        ("example.jp..", "empty_label"),  # two trailing dots
        (".example.jp", "empty_label"),
        ("example..jp", "empty_label"),
        ("localhost", "single_label"),
        ("jp", "single_label"),
        ("日本語", "single_label"),
        ("a" * 64 + ".jp", "label_too_long"),
        (".".join(["a" * 63] * 4) + ".jp", "name_too_long"),
        ("192.0.2.1", "ip_address"),
        ("１９２．０．２．１", "ip_address"),  # full-width digits are still an address
        ("http://[2001:db8::1]/", "ip_address"),
        ("2001:db8::1", "ip_address"),
        ("1.2.3", "numeric_tld"),
        ("☃.com", "invalid_idn"),  # IDNA 2003 only
        ("😀.jp", "invalid_idn"),
        ("xn--abc.jp", "invalid_idn"),  # not a valid A-label
        ("\u0661a.jp", "invalid_idn"),  # bidi rule
        ("a_b.example.jp", "invalid_characters"),
        ("_dmarc.example.jp", "invalid_characters"),
        ("exa mple.jp", "invalid_characters"),
        ("example.jp:http", "invalid_characters"),
        ("ex$ample.jp", "invalid_characters"),
        ("-example.jp", "invalid_hyphen"),
        ("example-.jp", "invalid_hyphen"),
    ],
)
def test_invalid_input_raises_invalid_domain_with_code(text: str, code: str) -> None:
    with pytest.raises(InvalidDomain) as caught:
        normalize_domain(text)
    assert caught.value.code == code
    assert str(caught.value)  # a human message, not just the code
    assert isinstance(caught.value, ValueError)


def test_invalid_characters_message_names_the_character() -> None:
    with pytest.raises(InvalidDomain) as caught:
        normalize_domain("a_b.example.jp")
    assert "'_'" in str(caught.value)
    assert caught.value.params == {"chars": "'_'"}
    assert caught.value.text == "a_b.example.jp"


def test_to_unicode_shows_u_labels_and_keeps_ascii() -> None:
    assert to_unicode("xn--wgv71a119e.jp") == "日本語.jp"
    assert to_unicode("www.xn--zckzah.jp") == "www.テスト.jp"
    assert to_unicode("xn--fa-hia.de") == "faß.de"
    assert to_unicode("soumu.go.jp") == "soumu.go.jp"


def test_to_unicode_leaves_an_undecodable_label_as_stored() -> None:
    assert to_unicode("xn--abc.jp") == "xn--abc.jp"


@pytest.mark.parametrize(
    ("name", "suffix", "org"),
    [
        ("www.soumu.go.jp", "go.jp", "soumu.go.jp"),
        ("soumu.go.jp", "go.jp", "soumu.go.jp"),
        ("kaiho.mlit.go.jp", "go.jp", "mlit.go.jp"),
        ("city.hiroshima.lg.jp", "lg.jp", "hiroshima.lg.jp"),
        ("pref.hiroshima.lg.jp", "lg.jp", "hiroshima.lg.jp"),
        ("mail.city.hiroshima.lg.jp", "lg.jp", "hiroshima.lg.jp"),
        ("www.example.co.jp", "co.jp", "example.co.jp"),
        ("www.city.shinjuku.lg.jp", "lg.jp", "shinjuku.lg.jp"),
        (
            "a.b.foo.kawasaki.jp",
            "foo.kawasaki.jp",
            "b.foo.kawasaki.jp",
        ),  # *.kawasaki.jp
        (
            "www.city.kawasaki.jp",
            "kawasaki.jp",
            "city.kawasaki.jp",
        ),  # !city.kawasaki.jp
        ("www.pref.tokyo.jp", "tokyo.jp", "pref.tokyo.jp"),
        ("foo.github.io", "github.io", "foo.github.io"),  # private section is used
        ("x.dmarc.test", "test", "dmarc.test"),  # unknown TLD: the TLD is the suffix
    ],
)
def test_psl_suffix_and_org_domain(name: str, suffix: str, org: str) -> None:
    assert public_suffix(name) == suffix
    assert org_domain_psl(name) == org


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("go.jp", True),
        ("lg.jp", True),
        ("jp", True),
        ("foo.kawasaki.jp", True),  # wildcard rule
        ("city.kawasaki.jp", False),  # exception rule
        ("soumu.go.jp", False),
        ("hiroshima.lg.jp", False),
    ],
)
def test_is_public_suffix(name: str, expected: bool) -> None:
    assert is_public_suffix(name) is expected


def test_a_public_suffix_is_its_own_org_domain() -> None:
    assert org_domain_psl("go.jp") == "go.jp"
    assert org_domain_psl("lg.jp") == "lg.jp"


def test_psl_functions_accept_a_trailing_dot_and_upper_case() -> None:
    assert org_domain_psl("WWW.Soumu.GO.JP.") == "soumu.go.jp"


def test_psl_version_is_the_snapshot_date() -> None:
    version = psl_version()
    assert version[:4].isdigit() and "UTC" in version


_IDN_ALPHABET = st.sampled_from(
    list("abcxyz019-_.。．｡ ＡＢｚ")
    + ["ß", "日", "本", "テ", "ｽ", "☃", "😀", "\u200d", "@", ":", "/"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.text(alphabet=_IDN_ALPHABET, max_size=30)))
def test_normalize_domain_returns_a_round_tripping_a_label_or_raises(text: str) -> None:
    try:
        name = normalize_domain(text)
    except InvalidDomain as error:
        assert error.code
        return
    assert name.isascii() and name == name.lower()
    assert not name.endswith(".") and "." in name
    assert len(name) <= 253 and all(0 < len(label) <= 63 for label in name.split("."))
    assert normalize_domain(name) == name  # idempotent
    assert normalize_domain(to_unicode(name)) == name  # display form maps back
    for label in name.split("."):
        if label.startswith("xn--"):
            assert idna.alabel(idna.ulabel(label)).decode() == label
