"""Registry exports: CSV that Excel opens correctly and cannot be turned into formulas, and
JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest

from adoption.models import Domain
from adoption.registry.cells import neutralise
from adoption.registry.export import (
    CsvEncoder,
    registry_csv,
    registry_domains,
    registry_json,
)
from adoption.registry.parse import parse_registry_csv
from adoption.registry.plan import apply_import, plan_import, retire_domains

from .files import data


def read_csv(body: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding), newline="")))


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+81-3-1234", "'+81-3-1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("＝全角", "'＝全角"),
        ("＋", "'＋"),
        ("－1", "'－1"),
        ("＠x", "'＠x"),
        ("soumu.go.jp", "soumu.go.jp"),
        ("総務省", "総務省"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_that_start_a_formula_are_neutralised(cell, shown):
    assert neutralise(cell) == shown


def test_encoder_writes_bom_crlf_and_neutralised_cells():
    body = b"".join(CsvEncoder().rows([("a", "b"), ("=x", 3), (None, True)]))
    assert body == b"\xef\xbb\xbfa,b\r\n'=x,3\r\n,true\r\n"


def test_cp932_export_counts_cells_it_cannot_hold():
    encoder = CsvEncoder("cp932")
    body = b"".join(encoder.rows([("総務省", "faß 😀"), ("①髙", "ok")]))
    assert body.decode("cp932").splitlines() == ["総務省,fa? ?", "①髙,ok"]
    assert encoder.replaced_cells == 1


@pytest.mark.parametrize(
    ("encoding", "read_back"),
    [("utf-8-sig", "−1+1"), ("cp932", "'－1+1")],
)
def test_minus_sign_is_judged_by_the_character_the_file_will_hold(encoding, read_back):
    """U+2212 is no formula start, but CP932 writes it as the full-width minus, which is."""
    export_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    body = b"".join(CsvEncoder(export_encoding).rows([("−1+1", "x−1")]))
    (row,) = read_csv(body, encoding)
    assert row == [read_back, "x−1" if export_encoding == "utf-8" else "x－1"]
    assert row[0][0] not in "=+-@\t\r＝＋－＠"


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError):
        CsvEncoder("latin-1")


@pytest.mark.django_db
def test_registry_export_imports_back_unchanged():
    for name in ("utf8.csv", "shift_jis.csv", "injection.csv"):
        plan = plan_import(parse_registry_csv(data(name)))
        apply_import(plan, partial=True)
    body = b"".join(registry_csv(registry_domains()))
    plan = plan_import(parse_registry_csv(body))
    assert plan.errors == ()
    assert plan.unchanged == Domain.objects.count() == 10
    assert not plan.writes_anything
    ignored = set(plan.result.ignored_columns)
    assert ignored == {"domain_unicode (B)", "active (H)", "retired_at (I)"}


@pytest.mark.django_db
def test_injection_file_comes_out_harmless():
    apply_import(plan_import(parse_registry_csv(data("injection.csv"))), partial=True)
    rows = read_csv(b"".join(registry_csv(registry_domains())))
    cells = [cell for row in rows[1:] for cell in row]
    dangerous = [c for c in cells if c and c[0] in "=+-@\t\r＝＋－＠"]
    assert dangerous == []
    soumu = next(row for row in rows if row[0] == "soumu.go.jp")
    assert soumu[2] == '\'=HYPERLINK("http://evil.example/","click")'
    assert soumu[3] == "'+1+1"
    assert soumu[6] == "'@SUM(A1:A2)"


@pytest.mark.django_db
def test_registry_json_export(registry):
    body = json.loads("".join(registry_json(registry_domains())))
    assert [d["domain"] for d in body["domains"]] == [
        "kaiho.mlit.go.jp",
        "mlit.go.jp",
        "soumu.go.jp",
    ]
    assert body["domains"][0]["groups"] == ["中央省庁", "外局"]


@pytest.mark.django_db
def test_retired_domains_are_exported_only_on_request(registry):
    retire_domains([registry[0].id])
    assert registry_domains().count() == 2
    records = json.loads("".join(registry_json(registry_domains(include_retired=True))))
    soumu = next(d for d in records["domains"] if d["domain"] == "soumu.go.jp")
    assert soumu["active"] is False and soumu["retired_at"]
