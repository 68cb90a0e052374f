"""Sender ID (RFC 4406/4407, historic): spf2.0 records at the apex (tests/zones/misc.zone)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.options import ScanOptions
from scanner.sender_id import SenderIdResult, check_sender_id, parse_sender_id
from tests.scanner.helpers import case_result


def sender_id(scan: Any, domain: str) -> SenderIdResult:
    result: SenderIdResult = scan(lambda ctx: check_sender_id(domain, ctx))
    return result


def test_parse_scopes_in_any_case() -> None:
    assert parse_sender_id(b"spf2.0/mfrom,pra -all").scopes == ("mfrom", "pra")
    assert parse_sender_id(b"SPF2.0/PRA -all").scopes == ("pra",)


def test_parse_unknown_scope_is_a_warning() -> None:
    record = parse_sender_id(b"spf2.0/pra,helo -all")
    assert record.scopes == ("pra", "helo")
    assert record.warnings == ("unknown_scope: helo",)


def test_found_beside_spf_with_scopes(scan: Any) -> None:
    data = sender_id(scan, "sid.misc.test").to_json()
    assert (data["state"], data["scopes"], data["historic"]) == (
        "found",
        ["mfrom", "pra"],
        True,
    )
    assert data["record"] == "spf2.0/mfrom,pra ip4:192.0.2.0/24 -all"
    assert data["records"] == [data["record"]]  # the v=spf1 record is not Sender ID


def test_upper_case_prefix_is_found(scan: Any) -> None:
    result = sender_id(scan, "sid-upper.misc.test")
    assert result.state == "found" and result.scopes == ("pra",)


def test_two_records_for_one_scope_are_an_error(scan: Any) -> None:
    result = sender_id(scan, "sid-multi.misc.test")
    assert result.state == "found"
    assert result.errors == ("multiple_records_for_scope",)


def test_spf_only_domain_has_no_sender_id(scan: Any) -> None:
    assert sender_id(scan, "sid-none.misc.test").state == "none"


def test_spf2_without_slash_is_not_sender_id(scan: Any) -> None:
    assert sender_id(scan, "sid-prefix.misc.test").state == "none"


def test_servfail_is_temperror_not_none(scan: Any) -> None:
    result = sender_id(scan, "sid-servfail.misc.test")
    assert result.state == "temperror"
    assert result.errors == ("servfail: sid-servfail.misc.test TXT",)


# =============================================================================================
# Sender ID through the whole scan (dkim-cases.zone)
# =============================================================================================


@pytest.mark.parametrize(
    ("label", "record"),
    [
        ("sidpra", "spf2.0/pra -all"),  # RFC 4406 3.1, beside a v=spf1 record
        ("sidmp", "spf2.0/mfrom,pra ip4:192.0.2.1 -all"),  # RFC 4406 3.1 scope list
        # docs/scanner-decisions.md 5: spf2.0/ case-insensitive
        ("sidcase", "SPF2.0/PRA -all"),
        # RFC 7208 3.3 / docs/scanner-decisions.md 0.3: strings joined
        ("sidsplit", "spf2.0/pra -all"),
    ],
)
def test_sender_id_found(scan_options: ScanOptions, label: str, record: str) -> None:
    sender_id = case_result(scan_options, label)["sender_id"]
    assert (sender_id["state"], sender_id["record"]) == ("found", record)


def test_sender_id_beside_spf_is_not_a_second_spf_record(
    scan_options: ScanOptions,
) -> None:
    # docs/scanner-decisions.md 5 and 1.1 item 5: spf2.0 never counts as v=spf1 (no "multiple"
    # permerror).
    data = case_result(scan_options, "sidpra")
    assert (data["spf"]["state"], data["spf"]["record"]) == ("valid", "v=spf1 -all")


def test_multiple_sender_id_records(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 5: collect every spf2.0/ record, found; they are not SPF (spf
    # stays none).
    data = case_result(scan_options, "sidmulti")
    assert data["sender_id"]["state"] == "found"
    assert "spf2.0/pra -all" in json.dumps(data["sender_id"])
    assert "spf2.0/mfrom ~all" in json.dumps(data["sender_id"])
    assert data["spf"]["state"] == "none"


@pytest.mark.parametrize(
    "label",
    [
        "sidspf1",  # docs/scanner-decisions.md 5: only spf2.0/ records are Sender ID records
        "sidlookalike",  # "spf2.0pra" does not begin with "spf2.0/"
    ],
)
def test_sender_id_none(scan_options: ScanOptions, label: str) -> None:
    sender_id = case_result(scan_options, label)["sender_id"]
    assert (sender_id["state"], sender_id.get("record")) == ("none", None)


def test_sender_id_servfail_is_temperror(scan_options: ScanOptions) -> None:
    # result-schema.md sender_id: temperror added "because a DNS failure is never none";
    # the whole domain SERVFAILs, so status is error (TXT and MX both temperror).
    data = case_result(scan_options, "sidsf")
    assert data["status"] == "error"
    assert data["sender_id"]["state"] == "temperror"
    assert data["dkim"]["state"] == "temperror"
    assert data["adsp"]["state"] == "temperror"
