"""``manage.py export_dmarc_reports``: JSON Lines, one report a line, as the issue specifies."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from adoption.dmarc_reports.ingest import ingest_file

from .reportfiles import MLIT, SOUMU, xml

pytestmark = pytest.mark.django_db


def export(*args: str) -> list[dict]:
    out = StringIO()
    call_command("export_dmarc_reports", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def stored(registry):
    ingest_file(xml(SOUMU), "soumu.xml", "command")
    ingest_file(xml(MLIT), "mlit.xml", "command")


def test_each_report_is_one_line_with_the_specified_fields(stored):
    lines = export()
    assert [line["domain"] for line in lines] == ["soumu.go.jp", "mlit.go.jp"]
    soumu = lines[0]
    assert {
        key: soumu[key]
        for key in ("org_name", "report_id", "begin", "end", "domain", "p")
    } == {
        "org_name": "receiver.example.jp",
        "report_id": "soumu.go.jp.1793491200.1793577599",
        "begin": "2026-11-01T00:00:00Z",
        "end": "2026-11-01T23:59:59Z",
        "domain": "soumu.go.jp",
        "p": "quarantine",
    }
    forwarded = next(r for r in soumu["records"] if r["source_ip"] == "2001:db8:25::1")
    assert {
        key: forwarded[key]
        for key in ("source_ip", "count", "header_from", "disposition", "dkim", "spf")
    } == {
        "source_ip": "2001:db8:25::1",
        "count": 30,
        "header_from": "soumu.go.jp",
        "disposition": "none",
        "dkim": "pass",
        "spf": "fail",
    }
    assert forwarded["auth_dkim"] == [
        {"domain": "soumu.go.jp", "selector": "sm2026", "result": "pass"},
        {"domain": "lists.example.org", "selector": "list1", "result": "pass"},
    ]
    assert [
        {"domain": a["domain"], "result": a["result"]} for a in forwarded["auth_spf"]
    ] == [{"domain": "lists.example.org", "result": "pass"}]
    assert len(soumu["records"]) == 4


def test_values_are_lower_cased_enumerations_and_absent_ones_null(stored):
    mlit = export("--domain", "MLIT.go.jp")
    [line] = mlit
    assert line["p"] == "reject"
    assert line["sp"] == "reject"
    assert line["adkim"] is None
    first = line["records"][0]
    assert (first["disposition"], first["dkim"]) == ("pass", "pass")
    assert first["envelope_from"] is None
    assert first["auth_spf"] == [
        {"domain": "bounce.provider.example", "scope": None, "result": "pass"}
    ]


def test_since_filters_by_the_period_start(stored):
    assert len(export("--since", "2026-11-01")) == 2
    assert export("--since", "2026-11-02") == []


def test_output_writes_a_utf8_file(stored, tmp_path: Path):
    target = tmp_path / "reports.jsonl"
    err = StringIO()
    call_command("export_dmarc_reports", "--output", str(target), stderr=err)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["org_name"] for line in lines] == [
        "receiver.example.jp",
        "Mail Provider KK",
    ]
    assert "2" in err.getvalue()


def test_a_bad_date_is_refused_with_a_message(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"), translation.override("en"):
        call_command("export_dmarc_reports", "--since", "yesterday", stdout=StringIO())
