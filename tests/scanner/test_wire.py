"""The wire codec: queries dnspython reads, answers dnspython wrote, hostile bytes refused."""

from __future__ import annotations

import struct

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.wire import (
    CNAME,
    MX,
    TXT,
    WireError,
    encode_name,
    encode_query,
    parse_response,
    rdtype_code,
    read_name,
)


def response_for(
    name: str, rdtype: str, *rrsets: dns.rrset.RRset, rcode: int = 0
) -> bytes:
    query = dns.message.make_query(name, rdtype)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.Rcode(rcode))
    response.answer = list(rrsets)
    return response.to_wire()


def test_query_is_a_recursive_question_with_edns_dnspython_reads() -> None:
    wire = encode_query(
        0x1234, encode_name("_dmarc.Example.JP"), rdtype_code("TXT"), 1232
    )
    message = dns.message.from_wire(wire)
    assert message.id == 0x1234
    assert message.flags & dns.flags.RD and not message.flags & dns.flags.QR
    assert str(message.question[0]) == "_dmarc.Example.JP. IN TXT"
    assert message.edns == 0 and message.payload == 1232


def test_query_without_payload_has_no_opt_record() -> None:
    message = dns.message.from_wire(
        encode_query(7, encode_name("example.jp"), MX, None)
    )
    assert message.edns == -1


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("example.jp.", [b"example", b"jp"]),
        ("a\\.b.example", [b"a.b", b"example"]),
        ("a\\032b.example", [b"a b", b"example"]),
        ("*._domainkey.example", [b"*", b"_domainkey", b"example"]),
    ],
)
def test_name_text_with_escapes_encodes_like_dnspython(
    text: str, labels: list[bytes]
) -> None:
    assert encode_name(text) == dns.name.from_text(text).to_wire()
    assert dns.name.from_wire(encode_name(text), 0)[0].labels[:-1] == tuple(labels)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "a..b",
        "x" * 64 + ".jp",
        ".".join(["abcdefghi"] * 26),
        "日本.jp",
        "a\\999.jp",
    ],
)
def test_names_that_cannot_be_sent_are_refused(text: str) -> None:
    with pytest.raises(WireError):
        encode_name(text)


def test_unknown_record_type_is_refused() -> None:
    with pytest.raises(WireError):
        rdtype_code("NOSUCHTYPE")


def test_answer_records_are_read_with_compression() -> None:
    wire = response_for(
        "alias.example.jp",
        "TXT",
        dns.rrset.from_text(
            "alias.example.jp.", 60, "IN", "CNAME", "target.example.jp."
        ),
        dns.rrset.from_text(
            "target.example.jp.", 60, "IN", "TXT", '"v=spf1 " "-all"', '"other"'
        ),
    )
    response = parse_response(wire)
    assert response.rcode == 0
    assert [(r.owner, r.rdtype) for r in response.answer] == [
        ("alias.example.jp", CNAME),
        ("target.example.jp", TXT),
        ("target.example.jp", TXT),
    ]
    assert response.answer[0].value == "target.example.jp"
    assert {r.value for r in response.answer[1:]} == {b"v=spf1 -all", b"other"}


def test_mx_a_and_aaaa_values() -> None:
    wire = response_for(
        "Example.JP",
        "ANY",
        dns.rrset.from_text("example.jp.", 60, "IN", "MX", "10 MX1.Example.JP.", "0 ."),
        dns.rrset.from_text("example.jp.", 60, "IN", "A", "192.0.2.1"),
        dns.rrset.from_text("example.jp.", 60, "IN", "AAAA", "2001:db8::1"),
    )
    values = {r.value for r in parse_response(wire).answer}
    assert values == {(10, "mx1.example.jp"), (0, "."), "192.0.2.1", "2001:db8::1"}


def test_nxdomain_and_flags_are_reported() -> None:
    query = dns.message.make_query("missing.example.jp", "TXT")
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.NXDOMAIN)
    response.flags |= dns.flags.AD | dns.flags.TC
    parsed = parse_response(response.to_wire())
    assert parsed.rcode == dns.rcode.NXDOMAIN
    assert parsed.authenticated and parsed.truncated
    assert parsed.answer == ()


def header(ancount: int = 1, flags: int = 0x8180) -> bytes:
    return struct.pack("!HHHHHH", 1, flags, 0, ancount, 0, 0)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xc0\x0c" + b"\x00" * 10, "pointer to itself"),
        (b"\xc0\x40" + b"\x00" * 10, "pointer forwards"),
        (b"\x03abc\xc0\x0c" + b"\x00" * 10, "pointer back into the same name"),
        (b"\x07example", "name runs past the end"),
        (
            b"\x00" + struct.pack("!HHIH", TXT, 1, 0, 50) + b"\x05abc",
            "RDATA past the end",
        ),
        (
            b"\x00" + struct.pack("!HHIH", TXT, 1, 0, 3) + b"\x05abc",
            "string past its record",
        ),
        (b"\x00" + struct.pack("!HHIH", 1, 1, 0, 3) + b"abc", "A of three octets"),
        (b"\x80\x00", "reserved label type"),
        (b"".join([b"\x3f" + b"a" * 63] * 4) + b"\x00", "name over 255 octets"),
    ],
)
def test_hostile_answers_raise_wire_error(body: bytes, why: str) -> None:
    with pytest.raises(WireError):
        parse_response(header() + body)


def test_a_query_is_not_taken_for_a_response() -> None:
    with pytest.raises(WireError, match="not a response"):
        parse_response(encode_query(1, encode_name("example.jp"), TXT, None))


def test_short_message_is_refused() -> None:
    with pytest.raises(WireError):
        parse_response(b"\x00\x01\x81")


@given(st.binary(max_size=600))
def test_random_bytes_raise_only_wire_error(data: bytes) -> None:
    try:
        parse_response(header(ancount=3) + data)
    except WireError:
        pass


@given(st.lists(st.binary(min_size=1, max_size=63), min_size=1, max_size=4))
def test_label_text_matches_dnspython(labels: list[bytes]) -> None:
    name = dns.name.Name([*labels, b""])
    wire = name.to_wire()
    assert wire is not None
    expected = name.to_text(omit_final_dot=True).lower()
    assert read_name(wire, 0) == (expected, len(wire))


def test_root_name_reads_as_a_dot() -> None:
    assert read_name(b"\x00", 0) == (".", 1)
