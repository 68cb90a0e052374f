"""Every scenario domain of every helper's zone files, scanned, matches the JSON contract.

The scenario domains are collected from tests/zones: every owner with a TXT or MX record and
no underscore label (``_dmarc``, ``_domainkey`` and the like are parts of a domain, not
domains). A new zone file is therefore checked against scanner/result-schema.json without
anyone writing a test for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dns.rdatatype
import jsonschema
import pytest

from scanner.engine import check_domains_sync
from scanner.options import ScanOptions
from tests.conftest import ZONES_DIR
from tests.dnsserver import load_zones

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "scanner" / "result-schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
EXTRA_INPUTS = ["not a domain!", "192.0.2.1", "missing-entirely.engine.test"]


def scenario_domains() -> list[str]:
    data = load_zones(ZONES_DIR)
    names = set()
    for key, node in data.nodes.items():
        if any(label.startswith(b"_") or label == b"*" for label in key):
            continue
        if any(rdtype in (dns.rdatatype.TXT, dns.rdatatype.MX) for rdtype, _ in node):
            names.add(b".".join(key).decode("ascii"))
    return sorted(names)


DOMAINS = scenario_domains()


@pytest.fixture(scope="module")
def results(dns_server: Any) -> dict[str, dict[str, Any]]:
    options = ScanOptions(
        nameservers=((dns_server.host, dns_server.port),),
        timeout=0.3,
        retries=1,
        retry_temperror=False,
    )
    scanned = check_domains_sync([*DOMAINS, *EXTRA_INPUTS], options)
    return {result.input: result.to_json() for result in scanned}


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_there_are_scenarios_from_every_helper() -> None:
    suffixes = {
        ".engine.test",
        ".spf.test",
        ".dmarc.test",
        ".dkim.test",
        ".mx.test",
        ".go.jp",
    }
    assert {
        suffix for suffix in suffixes if any(d.endswith(suffix) for d in DOMAINS)
    } == suffixes


@pytest.mark.parametrize("domain", [*DOMAINS, *EXTRA_INPUTS])
def test_result_matches_the_contract(
    results: dict[str, dict[str, Any]], domain: str
) -> None:
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(results[domain])
    ]
    assert errors == []


def test_schema_rejects_words_outside_the_contract() -> None:
    # The schema is strict where the contract is: a wrong enum word is caught.
    bad = {
        "domain": "x.test",
        "status": "ok",
        **{name: {"state": "pass"} for name in ("spf", "dmarc", "dkim", "adsp", "mx")},
        **{
            name: {"state": "none"}
            for name in ("sender_id", "mta_sts", "tls_rpt", "bimi")
        },
    }
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(bad)


def test_checked_domain_may_not_have_null_protocols() -> None:
    result = {"domain": "x.test", "status": "ok"} | dict.fromkeys(
        (
            "spf",
            "dmarc",
            "dkim",
            "adsp",
            "mx",
            "sender_id",
            "mta_sts",
            "tls_rpt",
            "bimi",
        )
    )
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(result)
