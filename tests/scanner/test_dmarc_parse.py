"""DMARC record parsing from strings only (RFC 6376 3.2 tag-list, RFC 7489 6.3, RFC 9989 4.7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.dmarc_parse import (
    DmarcRecord,
    is_dmarc_record,
    parse_dmarc,
    parse_report_uri,
    split_tag_list,
    version_problem,
)
from scanner.errors import PermError


def test_full_record_is_parsed() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; pct=100; t=n; psd=n; "
        "adkim=s; aspf=r; fo=1:d:s; rua=mailto:rua@soumu.go.jp; ruf=mailto:ruf@soumu.go.jp"
    )
    assert record.usable
    assert (record.p, record.sp, record.np) == ("reject", "quarantine", "reject")
    assert (record.pct, record.t, record.psd) == (100, "n", "n")
    assert (record.adkim, record.aspf, record.fo) == ("s", "r", "1:d:s")
    assert [uri.uri for uri in record.rua] == ["mailto:rua@soumu.go.jp"]
    assert [uri.host for uri in record.ruf] == ["soumu.go.jp"]
    assert record.errors == () and record.warnings == ()


def test_whitespace_around_equals_and_semicolons_is_allowed() -> None:
    record = parse_dmarc("v = DMARC1 ;\tp = quarantine ; rua = mailto:a@b.jp ;")
    assert record.p == "quarantine"
    assert record.warnings == ()


def test_folded_record_with_crlf_is_allowed() -> None:
    assert parse_dmarc("v=DMARC1;\r\n p=reject").p == "reject"


def test_absent_optional_tags_stay_none_so_defaults_are_applied_by_the_caller() -> None:
    record = parse_dmarc("v=DMARC1; p=none")
    assert (record.sp, record.np, record.pct, record.t, record.adkim) == (None,) * 5


def test_policy_values_are_case_insensitive_abnf_literals() -> None:
    record = parse_dmarc("v=DMARC1; p=Reject; sp=NONE; adkim=S")
    assert (record.p, record.sp, record.adkim) == ("reject", "none", "s")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("V=DMARC1; p=reject", "version_tag_case"),
        ("v=dmarc1; p=reject", "version_value_case"),
        ("p=reject; v=DMARC1", "version_not_first"),
        ("v=DMARC1 p=reject", "missing_semicolon"),
        ("v=DMARC1, p=reject", "missing_semicolon"),
        ("v=DMARC2; p=reject", "version_invalid"),
    ],
)
def test_version_must_be_first_and_case_sensitive(text: str, problem: str) -> None:
    assert not is_dmarc_record(text)
    assert version_problem(text) == problem
    with pytest.raises(PermError) as caught:
        parse_dmarc(text)
    assert caught.value.reason == problem


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 -all",
        "google-site-verification=abc",
        "",
        "v=DKIM1; p=MIIB",
        "v=STSv1; id=1",
    ],
)
def test_other_txt_is_not_dmarc_and_not_a_lookalike(text: str) -> None:
    assert not is_dmarc_record(text)
    assert version_problem(text) is None


def test_dmarc1_alone_is_a_dmarc_record() -> None:
    assert is_dmarc_record("v=DMARC1")
    assert is_dmarc_record("v=DMARC1;")


def test_uppercase_p_tag_is_unknown_not_a_policy() -> None:
    record = parse_dmarc("v=DMARC1; P=reject")
    assert record.p is None
    assert not record.usable
    assert record.errors == ("p_missing",)
    assert "tag_name_case:P" in record.warnings


def test_uppercase_p_tag_with_rua_is_treated_as_p_none() -> None:
    record = parse_dmarc("v=DMARC1; P=reject; rua=mailto:d@example.jp")
    assert record.usable and record.p == "none"
    assert "tag_name_case:P" in record.warnings
    assert "p_missing_treated_as_none" in record.warnings


def test_invalid_p_with_valid_rua_is_treated_as_none() -> None:
    record = parse_dmarc("v=DMARC1; p=rejct; rua=mailto:d@example.jp")
    assert record.usable and record.p == "none"
    assert record.p_published == "rejct"
    assert "p_invalid_treated_as_none" in record.warnings


def test_invalid_p_without_rua_is_an_error() -> None:
    record = parse_dmarc("v=DMARC1; p=rejct")
    assert not record.usable
    assert record.errors == ("p_invalid",)


def test_invalid_p_with_only_an_invalid_rua_is_an_error() -> None:
    record = parse_dmarc("v=DMARC1; p=rejct; rua=dmarc@example.jp")  # no mailto:
    assert record.errors == ("p_invalid",)
    assert "rua_invalid_uri:dmarc@example.jp" in record.warnings


def test_missing_p_with_rua_is_none_per_rfc9989() -> None:
    record = parse_dmarc("v=DMARC1; rua=mailto:d@example.jp")
    assert record.usable and record.p == "none"


def test_missing_p_without_rua_is_flagged_both_ways() -> None:
    record = parse_dmarc("v=DMARC1")
    assert record.errors == ("p_missing",)
    assert "p_missing_rfc9989_4_7_reads_none" in record.warnings


def test_invalid_sp_makes_the_record_act_as_p_none_with_rua() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=never; rua=mailto:d@example.jp")
    assert (record.p, record.sp) == ("none", None)
    assert "sp_invalid_treated_as_none" in record.warnings


def test_invalid_np_without_rua_is_an_error() -> None:
    assert parse_dmarc("v=DMARC1; p=reject; np=maybe").errors == ("np_invalid",)


def test_duplicate_tag_invalidates_the_record() -> None:
    record = parse_dmarc("v=DMARC1; p=none; p=reject")
    assert record.errors == ("duplicate_tag:p",)
    assert record.p is None and not record.usable


def test_tags_differing_only_in_case_are_not_duplicates() -> None:
    record = parse_dmarc("v=DMARC1; p=none; P=reject")
    assert record.p == "none" and record.usable


def test_unknown_tags_are_ignored_with_a_warning() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; foo=bar; x_1=2")
    assert record.usable and record.p == "reject"
    assert "unknown_tag:foo" in record.warnings and "unknown_tag:x_1" in record.warnings


def test_rfc7489_tags_rf_and_ri_are_known() -> None:
    assert parse_dmarc("v=DMARC1; p=none; rf=afrf; ri=86400").warnings == ()


def test_malformed_tag_spec_is_ignored_with_a_warning() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; rua")
    assert record.p == "reject"
    assert "malformed_tag:rua" in record.warnings


def test_empty_tag_in_the_middle_warns_but_trailing_semicolon_does_not() -> None:
    assert "empty_tag" in parse_dmarc("v=DMARC1;; p=none").warnings
    assert parse_dmarc("v=DMARC1; p=none; ").warnings == ()


@pytest.mark.parametrize(
    ("pct", "expected", "warning"),
    [
        ("0", 0, "pct_removed_in_rfc9989"),
        ("50", 50, "pct_removed_in_rfc9989"),
        ("100", 100, None),
        ("101", None, "pct_invalid"),
        ("-1", None, "pct_invalid"),
        ("50%", None, "pct_invalid"),
        ("", None, "pct_invalid"),
    ],
)
def test_pct_range_0_to_100(
    pct: str, expected: int | None, warning: str | None
) -> None:
    record = parse_dmarc(f"v=DMARC1; p=quarantine; pct={pct}")
    assert record.pct == expected
    assert record.p == "quarantine"
    if warning is None:
        assert record.warnings == ()
    else:
        assert warning in record.warnings


@pytest.mark.parametrize(
    ("tag", "value", "expected"),
    [
        ("t", "y", "y"),
        ("t", "N", "n"),
        ("t", "yes", None),
        ("psd", "u", "u"),
        ("psd", "x", None),
        ("adkim", "r", "r"),
        ("aspf", "strict", None),
    ],
)
def test_flag_tags(tag: str, value: str, expected: str | None) -> None:
    record = parse_dmarc(f"v=DMARC1; p=none; {tag}={value}")
    assert getattr(record, tag) == expected
    assert (f"{tag}_invalid" in record.warnings) is (expected is None)


@pytest.mark.parametrize(
    ("fo", "expected"),
    [
        ("0", "0"),
        ("1", "1"),
        ("d:s", "d:s"),
        ("0:d", "0:d"),
        ("0:1", None),
        ("x", None),
        ("d:d", None),
    ],
)
def test_fo_colon_list(fo: str, expected: str | None) -> None:
    record = parse_dmarc(f"v=DMARC1; p=none; fo={fo}; ruf=mailto:f@example.jp")
    assert record.fo == expected


def test_fo_without_ruf_warns() -> None:
    assert "fo_without_ruf" in parse_dmarc("v=DMARC1; p=none; fo=1").warnings


def test_rua_list_with_spaces_and_size_suffix() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=none; rua=mailto:a@soumu.go.jp!10m , mailto:b@reports.example.net"
    )
    assert [uri.uri for uri in record.rua] == [
        "mailto:a@soumu.go.jp",
        "mailto:b@reports.example.net",
    ]
    assert record.rua[0].size == "10m"
    assert "rua_size_suffix_obsolete" in record.warnings


def test_invalid_uri_is_dropped_and_the_others_kept() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=none; rua=mailto:ok@example.jp,not a uri,mailto:@x.jp"
    )
    assert [uri.uri for uri in record.rua] == ["mailto:ok@example.jp"]
    assert sum(w.startswith("rua_invalid_uri:") for w in record.warnings) == 2


@pytest.mark.parametrize(
    ("text", "scheme", "host"),
    [
        ("mailto:d@Reports.Example.NET", "mailto", "reports.example.net"),
        ("MAILTO:d@example.jp?subject=x", "mailto", "example.jp"),
        ("mailto:d@例え.jp", "mailto", "xn--r8jz45g.jp"),
        ("https://reports.example.net/dmarc", "https", "reports.example.net"),
        ("urn:x-example:reports", "urn", None),
    ],
)
def test_report_uri_host(text: str, scheme: str, host: str | None) -> None:
    uri = parse_report_uri(text)
    assert uri is not None
    assert (uri.scheme, uri.host) == (scheme, host)


@pytest.mark.parametrize(
    "text",
    [
        "d@example.jp",
        "mailto:",
        "mailto:d@",
        "mailto:d@bad_host.jp",
        "mail to:x@y.jp",
        "",
    ],
)
def test_unusable_report_uris(text: str) -> None:
    assert parse_report_uri(text) is None


def test_non_mailto_uri_warns() -> None:
    record = parse_dmarc("v=DMARC1; p=none; rua=https://reports.example.net/in")
    assert "rua_not_mailto:https" in record.warnings
    assert record.rua[0].host == "reports.example.net"


def test_non_ascii_record_is_an_error_but_keeps_its_text() -> None:
    text = "v=DMARC1; p=reject; rua=mailto:dmarc@例え.jp"
    record = parse_dmarc(text)
    assert record.errors == ("non_ascii",)
    assert record.text == text
    assert not record.usable


def test_control_character_is_an_error() -> None:
    assert parse_dmarc("v=DMARC1; p=reject\x00").errors == ("non_ascii",)


def test_leading_whitespace_is_tolerated_with_a_warning() -> None:
    record = parse_dmarc(" v=DMARC1; p=reject")
    assert record.p == "reject"
    assert "leading_whitespace" in record.warnings


def test_split_tag_list_keeps_internal_spaces_in_values() -> None:
    tags, problems = split_tag_list("v=DMARC1; rua=mailto:a@b.jp, mailto:c@d.jp")
    assert tags == [("v", "DMARC1"), ("rua", "mailto:a@b.jp, mailto:c@d.jp")]
    assert problems == []


@given(st.text(max_size=120))
def test_parse_dmarc_never_fails_other_than_permerror(text: str) -> None:
    try:
        record = parse_dmarc(text)
    except PermError:
        assert not is_dmarc_record(text)
        return
    assert isinstance(record, DmarcRecord)
    assert record.usable is (not record.errors and record.p is not None)


@given(
    st.lists(
        st.sampled_from(
            [
                "p=reject",
                "p=none",
                "P=reject",
                "sp=x",
                "rua=mailto:a@b.jp",
                "pct=50",
                "t=y",
                "foo",
                ";",
                "np=quarantine",
            ]
        ),
        max_size=6,
    )
)
def test_usable_records_always_have_a_policy_word(tags: list[str]) -> None:
    record = parse_dmarc("; ".join(["v=DMARC1", *tags]))
    if record.usable:
        assert record.p in ("none", "quarantine", "reject")
