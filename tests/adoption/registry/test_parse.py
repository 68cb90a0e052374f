"""The parsing layer on real files: encodings, header languages, row errors, hostile input.

No database: parse_registry_csv is pure.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adoption.registry.headers import column_letter
from adoption.registry.parse import (
    DEFAULT_MAX_BYTES,
    FileRejected,
    ParseResult,
    parse_registry_csv,
)

from .files import data, make_csv, many_rows


def domains(result: ParseResult) -> list[str]:
    return [row.domain for row in result.rows]


def errors_by_row(result: ParseResult) -> dict[int, str]:
    return {error.row: error.code for error in result.errors}


def rejected(data_: bytes, **limits: int) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        parse_registry_csv(data_, **limits)
    return caught.value


# --- Encodings and header languages ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "expected"),
    [
        (
            "utf8.csv",
            "utf-8",
            ",",
            ["soumu.go.jp", "mlit.go.jp", "kaiho.mlit.go.jp", "xn--wtqu35cb2as82i.jp"],
        ),
        ("utf8_bom.csv", "utf-8-sig", ",", ["env.go.jp", "mext.go.jp", "bunka.go.jp"]),
        (
            "shift_jis.csv",
            "cp932",
            ",",
            [
                "meti.go.jp",
                "www.maff.go.jp",
                "mhlw.go.jp",
                "pref.hiroshima.lg.jp",
                "city.hiroshima.lg.jp",
            ],
        ),
        ("tab.tsv", "utf-8", "\t", ["cao.go.jp", "fsa.go.jp"]),
        ("utf16.txt", "utf-16", "\t", ["soumu.go.jp", "maff.go.jp"]),
        ("registry.xlsx", "xlsx", "", ["soumu.go.jp", "mlit.go.jp"]),
    ],
)
def test_every_supported_file_kind_is_read(name, encoding, delimiter, expected):
    result = parse_registry_csv(data(name))
    assert result.encoding == encoding
    assert result.delimiter == delimiter
    assert domains(result) == expected


def test_english_headers_fill_every_field():
    result = parse_registry_csv(data("utf8.csv"))
    soumu, mlit, kaiho, post = result.rows
    assert soumu.organisation == "総務省"
    assert soumu.organisation_en == "Ministry of Internal Affairs and Communications"
    assert soumu.groups == ("中央省庁",)
    assert soumu.dkim_selectors == ("selector1", "s2")
    assert (
        mlit.organisation_en
        == "Ministry of Land, Infrastructure, Transport and Tourism"
    )
    assert kaiho.groups == ("中央省庁", "外局")
    assert kaiho.note == "海上保安庁は\n国土交通省の外局"
    assert post.display == "日本郵便.jp"
    assert result.errors == ()


def test_a_quoted_cell_over_two_lines_is_one_excel_row():
    # utf8.csv row 4 has a line break inside its note; the IDN row after it is row 5.
    rows = {row.domain: row.row for row in parse_registry_csv(data("utf8.csv")).rows}
    assert rows["kaiho.mlit.go.jp"] == 4
    assert rows["xn--wtqu35cb2as82i.jp"] == 5


def test_shift_jis_file_from_excel_is_cp932_with_japanese_headers_in_any_order():
    result = parse_registry_csv(data("shift_jis.csv"))
    assert dict(result.columns) == {
        "organisation": "組織名",
        "domain": "ドメイン名",
        "groups": "区分",
        "note": "備考",
    }
    meti = result.rows[0]
    assert meti.organisation == "経済産業省"
    # ① and ～ exist in CP932 (Windows) but not in JIS X 0208 Shift_JIS.
    assert meti.note == "① 全角で入力"
    assert result.rows[2].note == "メールアドレスから～"
    assert result.ignored_columns == ("担当者 (E)",)


def test_japanese_headers_with_bom_and_full_width_parentheses():
    result = parse_registry_csv(data("utf8_bom.csv"))
    assert result.columns["organisation_en"] == "組織（英語）"
    assert result.rows[0].organisation_en == "Ministry of the Environment"
    assert result.rows[1].groups == ("中央省庁", "外局")  # split on 、


def test_xlsx_skips_title_rows_and_reports_the_other_sheets():
    result = parse_registry_csv(data("registry.xlsx"))
    assert result.header_row == 3
    assert result.sheet == "登録ドメイン"
    assert result.ignored_sheets == ("メモ",)
    assert result.ignored_columns == ("更新日 (F)",)
    assert result.rows[1].note == "12345"  # a number cell, as text
    assert errors_by_row(result) == {6: "public_suffix"}


def test_hand_typed_domains_are_normalised():
    result = parse_registry_csv(
        make_csv(
            [
                ("ＳＯＵＭＵ．ＧＯ．ＪＰ", "", ""),
                ("https://www.env.go.jp/press/", "", ""),
                ("postmaster@mext.go.jp", "", ""),
                ("Meti.Go.Jp.", "", ""),
                ("　maff.go.jp　", "", ""),
                ("東京都。jp", "", ""),
            ]
        )
    )
    assert domains(result) == [
        "soumu.go.jp",
        "www.env.go.jp",
        "mext.go.jp",
        "meti.go.jp",
        "maff.go.jp",
        "xn--1lqs71dym3a.jp",
    ]


# --- Row errors -----------------------------------------------------------------------------


def test_bad_rows_are_reported_by_excel_row_number_and_reason():
    result = parse_registry_csv(data("bad_rows.csv"))
    assert domains(result) == ["soumu.go.jp", "env.go.jp"]
    assert errors_by_row(result) == {
        3: "empty",
        4: "ip_address",
        5: "public_suffix",
        6: "duplicate",
        7: "invalid_selector",
        8: "invalid_characters",
        9: "single_label",
    }
    duplicate = next(e for e in result.errors if e.code == "duplicate")
    assert duplicate.params == {"first_row": "2"}
    assert duplicate.value == "SOUMU.GO.JP."
    selector = next(e for e in result.errors if e.code == "invalid_selector")
    assert selector.column == "dkim_selectors"
    assert selector.domain == "mlit.go.jp"  # the domain itself was fine


def test_blank_rows_are_skipped_but_still_counted_in_row_numbers():
    result = parse_registry_csv(b"domain\r\n\r\n,,\r\nsoumu.go.jp\r\n")
    assert [(r.row, r.domain) for r in result.rows] == [(4, "soumu.go.jp")]


def test_selectors_are_split_lowered_and_checked():
    header = ("domain", "dkim_selectors")
    result = parse_registry_csv(
        make_csv(
            [
                ("a.example.jp", "Selector1 google;k1、ｓ２"),
                ("b.example.jp", "s1 -bad"),
                ("c.example.jp", " ".join(f"s{i}" for i in range(21))),
                ("d.example.jp", "2024._dkim.sub"),
            ],
            header,
        )
    )
    assert result.rows[0].dkim_selectors == ("selector1", "google", "k1", "s2")
    assert result.rows[1].dkim_selectors == ("2024._dkim.sub",)
    assert errors_by_row(result) == {3: "invalid_selector", 4: "too_many_selectors"}


def test_overlong_and_control_character_cells_are_row_errors():
    result = parse_registry_csv(
        make_csv([("a.example.jp", "x" * 201, ""), ("b.example.jp", "bad\x01org", "")])
    )
    assert errors_by_row(result) == {2: "too_long", 3: "control_characters"}


def test_an_apostrophe_from_an_export_is_removed_on_import():
    result = parse_registry_csv(data("injection.csv"))
    by_domain = {row.domain: row for row in result.rows}
    assert by_domain["mlit.go.jp"].organisation_en == "=already neutralised"
    assert by_domain["soumu.go.jp"].organisation.startswith("=HYPERLINK(")
    assert errors_by_row(result) == {2: "invalid_characters"}  # =cmd|... is no domain


# --- Whole-file problems --------------------------------------------------------------------


def test_binary_file_renamed_csv_is_refused():
    assert rejected(data("binary.csv")).code == "binary"
    assert rejected(b"domain\n\x00\x01\x02soumu.go.jp").code == "binary"
    assert rejected(bytes(range(1, 32)) * 100).code == "binary"


def test_old_excel_workbook_gets_its_own_message():
    assert (
        rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100).code == "legacy_xls"
    )


def test_mixed_encodings_are_refused_naming_the_lines():
    error = rejected(data("mixed_encoding.csv"))
    assert error.code == "mixed_encoding"
    assert error.params == {"utf8_lines": "2, 3", "other_lines": "4, 5"}


def test_bom_file_with_shift_jis_lines_is_mixed():
    body = "domain,organization\nsoumu.go.jp,総務省\n".encode("cp932")
    assert rejected(b"\xef\xbb\xbf" + body).code == "mixed_encoding"


def test_euc_jp_is_refused_not_read_as_shift_jis():
    body = "domain,organization\nsoumu.go.jp,総務省\nmlit.go.jp,国土交通省\n".encode(
        "euc_jp"
    )
    assert rejected(body).code == "euc_jp"


def test_undecodable_bytes_name_the_line():
    error = rejected(b"domain\nsoumu.go.jp\n\x82\xff\x82\xff\n")
    assert error.code == "undecodable"
    assert error.params["line"] == 3


@pytest.mark.parametrize("name", ["empty.csv"])
def test_empty_file_is_refused(name):
    assert rejected(data(name)).code == "empty"
    assert rejected(b"\r\n\r\n  \r\n").code == "empty"


def test_header_only_file_is_refused():
    assert rejected(data("header_only.csv")).code == "no_rows"


def test_file_without_domain_column_names_what_it_found():
    error = rejected(make_csv([("a", "b")], header=("名前", "住所")))
    assert error.code == "no_domain_column"
    assert error.params["headers"] == "名前, 住所"


def test_two_domain_columns_are_refused():
    error = rejected(make_csv([("a.jp", "b.jp")], header=("domain", "ドメイン")))
    assert error.code == "duplicate_column"


def test_a_50_mb_file_is_refused_before_parsing():
    huge = b"domain\n" + b"a" * (50 * 1024 * 1024)
    error = rejected(huge)
    assert error.code == "too_large"
    assert error.params["limit"] == DEFAULT_MAX_BYTES


def test_row_limit_is_enforced():
    assert rejected(many_rows(11), max_rows=10).code == "too_many_rows"
    assert len(parse_registry_csv(many_rows(10), max_rows=10).rows) == 10


def test_100000_rows_parse_within_the_default_limits():
    result = parse_registry_csv(many_rows(100_000, encoding="cp932"))
    assert len(result.rows) == 100_000
    assert result.errors == ()
    assert result.encoding == "cp932"


def test_unbalanced_quote_is_not_a_crash():
    # An unclosed quote swallows the rest of the file into one cell: a row error, not a 500.
    result = parse_registry_csv(b'domain,note\nsoumu.go.jp,"open\nmlit.go.jp,x\n')
    assert domains(result) == ["soumu.go.jp"]


def test_xlsx_zip_bomb_is_refused_before_inflating():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    assert rejected(buffer.getvalue(), max_bytes=1024 * 1024).code == "xlsx_too_large"


def test_damaged_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    assert rejected(buffer.getvalue()).code == "bad_xlsx"


def test_workbook_with_entity_expansion_is_refused():
    book = openpyxl.Workbook()
    book.active.append(["domain"])
    book.active.append(["soumu.go.jp"])
    original = io.BytesIO()
    book.save(original)
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    hostile = io.BytesIO()
    with (
        zipfile.ZipFile(original) as source,
        zipfile.ZipFile(hostile, "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b'<?xml version="1.0" encoding="UTF-8"?>', b""
                )
                content = bomb.encode() + content.replace(b"soumu.go.jp", b"&lol2;")
            target.writestr(item, content)
    assert rejected(hostile.getvalue()).code == "bad_xlsx"


def test_column_letters_follow_excel():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "ZZ",
        "AAA",
    ]


# --- Property: any bytes at all ------------------------------------------------------------

csvish = st.lists(
    st.lists(st.text(max_size=30), min_size=1, max_size=5), min_size=1, max_size=20
).map(lambda rows: "\n".join(",".join(cells) for cells in [["domain", "group"], *rows]))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2000),
        csvish.map(lambda text: text.encode("utf-8")),
        csvish.map(lambda text: text.encode("cp932", errors="ignore")),
        csvish.map(lambda text: text.encode("utf-16")),
    )
)
def test_any_bytes_either_parse_or_are_refused_with_a_code(payload):
    try:
        result = parse_registry_csv(payload)
    except FileRejected as error:
        assert error.code
        return
    for row in result.rows:
        assert row.domain == row.domain.lower().strip(".")
        assert row.row > result.header_row
    assert len({row.domain for row in result.rows}) == len(result.rows)


def test_sheet_formatted_to_the_bottom_stops_after_a_long_blank_run(monkeypatch):
    monkeypatch.setattr("adoption.registry.xlsx.MAX_BLANK_RUN", 5)
    book = openpyxl.Workbook()
    book.active.append(["ドメイン"])
    book.active.append(["soumu.go.jp"])
    book.active.cell(
        row=9, column=1, value="mlit.go.jp"
    )  # after 6 empty rows: not read
    buffer = io.BytesIO()
    book.save(buffer)
    assert domains(parse_registry_csv(buffer.getvalue())) == ["soumu.go.jp"]
