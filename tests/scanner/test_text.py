"""Display copies of hostile DNS text (scanner.text) and the guarantee at DomainResult.to_json
and DomainResult.to_json_text."""

from __future__ import annotations

import json

import pytest

from scanner.result import DomainResult
from scanner.spf import SpfResult
from scanner.text import display_text, dumps_escaped, escape_controls, escape_strings


def test_controls_are_escaped_and_readable_text_kept() -> None:
    assert (
        display_text(b"v=spf1\r\n\x1b[2J -all\x7f")
        == "v=spf1\\x0d\\x0a\\x1b[2J -all\\x7f"
    )
    assert (
        display_text("v=DMARC1; p=reject; 日本".encode()) == "v=DMARC1; p=reject; 日本"
    )
    assert display_text(b"bad \xff utf-8") == "bad \\xff utf-8"
    assert escape_controls("c1 \u0085 next line") == "c1 \\x85 next line"


def test_clean_values_are_returned_as_they_are() -> None:
    clean = {"a": ["x", 1, None, {"b": "y"}], "c": True}
    assert escape_strings(clean) is clean


@pytest.mark.parametrize(
    "control", [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
)
def test_every_control_character_is_found_in_a_nested_value(control: str) -> None:
    value = {"tree": [{"record": f"v=spf1 {control} -all"}]}
    assert escape_strings(value) == {
        "tree": [{"record": f"v=spf1 \\x{ord(control):02x} -all"}]
    }


def test_quotes_backslashes_and_japanese_are_clean() -> None:
    clean = {"records": ['v=spf1 "quoted" \\n -all', "日本語の説明", "\u00e9"]}
    assert escape_strings(clean) is clean


def test_nested_strings_are_escaped_without_touching_the_original() -> None:
    dirty = {"records": ["ok", "tab\there"], "tree": {"record": "esc\x1b"}, "n": 3}
    assert escape_strings(dirty) == {
        "records": ["ok", "tab\\x09here"],
        "tree": {"record": "esc\\x1b"},
        "n": 3,
    }
    assert dirty["records"][1] == "tab\there"


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def test_no_result_string_carries_a_control_character() -> None:
    spf = SpfResult(state="permerror", record="v=spf1 ip4:192.0.2.1\r -all")
    result = DomainResult(
        domain="x.example", status="ok", spf=spf, input="x.example\x1b"
    )
    data = result.to_json()
    assert data["spf"]["record"] == "v=spf1 ip4:192.0.2.1\\x0d -all"
    assert data["input"] == "x.example\\x1b"
    assert all(char >= " " for text in strings(data) for char in text)


@pytest.mark.parametrize(
    "value",
    [
        {"a": ["x", 1, None, {"b": "y"}], "c": True},
        {"records": ['v=spf1 "quoted" \\n -all', "日本語の説明", "\u00e9"]},
        {"records": ["ok", "tab\there"], "tree": {"record": "esc\x1b"}, "n": 3},
        {"c1": "next\u0085line", "del": "\x7f"},
    ],
)
def test_the_json_text_is_that_of_the_escaped_value(value: object) -> None:
    assert dumps_escaped(value) == json.dumps(escape_strings(value))


def test_a_results_json_text_is_its_json_serialised() -> None:
    spf = SpfResult(state="permerror", record="v=spf1 ip4:192.0.2.1\r -all")
    dirty = DomainResult(
        domain="x.example", status="ok", spf=spf, input="x.example\x1b"
    )
    clean = DomainResult(domain="y.example", status="ok", spf=SpfResult(state="none"))
    for result in (dirty, clean):
        assert result.to_json_text() == json.dumps(result.to_json())
    shown = json.loads(dirty.to_json_text())
    assert (shown["spf"]["record"], shown["input"]) == (
        "v=spf1 ip4:192.0.2.1\\x0d -all",
        "x.example\\x1b",
    )
