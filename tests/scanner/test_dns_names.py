"""Input names: normalisation, IDN (IDNA 2008 with UTS 46), length limits, case.

The result's ``domain`` is the A-label, lower case, without the trailing dot; record contents
keep their case (RFC 4343; docs/scanner-decisions.md 7.6). Scenarios: tests/zones/dns-cases.zone
and dns-rules.zone; IDN zones on private servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.engine import check_domain
from scanner.options import ScanOptions
from scanner.result import PROTOCOLS
from tests.conftest import ScanRunner
from tests.dnsserver import DnsServer
from tests.scanner.helpers import (
    DNS_CASES,
    DNS_RULES,
    NORM,
    check_json,
    nameserver_args,
    run_cli,
    scan_json,
    schema_errors,
    states,
)

NORM_SPF = "v=spf1 ip4:192.0.2.99 -all"


JA = "xn--wgv71a119e.dns-cases.test"


LONG_NAME = ".".join(["a" * 63] * 4)  # 255 octets


# Short as U-labels, too long as A-labels (the limits apply to the A-label form, RFC 5890)
IDN_LONG_LABEL = "日本語ドメイン名前長い試験用文字列東京大阪名古屋.jp"  # A-label > 63


IDN_LONG_NAME = ".".join(["日本語ドメイン名前長い試験用"] * 7) + ".jp"  # 289 octets


INVALID_INPUTS = [
    "",
    "   ",
    "a..b",
    "a" * 64 + ".jp",
    LONG_NAME,
    "-bad-.jp",
    "bad-.jp",
    "192.0.2.1",
    "[2001:db8::1]",
    "2001:db8::1",
    "not a domain!",
    "☃.com",
    "norm.dns-cases.test..",
    "https://",
    "user@",
    "*.norm.dns-cases.test",
    "http://[2001:db8::1]/",
    IDN_LONG_LABEL,
    IDN_LONG_NAME,
]


FILE_TEXT = (
    "# registry: dns-cases scenarios\n"
    "norm.dns-cases.test\n"
    "\n"
    "   \n"
    "  NORM.Dns-Cases.test   # trailing comment\n"
    "gone.dns-cases.test\n"
)


IDN_ZONES = [
    f"""
$ORIGIN {origin}.
@     SOA   ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300
@     NS    ns.{origin}.
@     TXT   "v=spf1 ip4:{address} -all"
"""
    for origin, address in (
        ("xn--fa-hia.de", "192.0.2.101"),
        ("fass.de", "203.0.113.101"),
        ("example.jp", "192.0.2.102"),
        ("xn--zckzah.jp", "192.0.2.103"),
        ("xn--wgv71a119e.jp", "192.0.2.104"),
        ("xn--bcher-kva.de", "192.0.2.105"),
    )
]


# docs/scanner-decisions.md 7.6: IDNA 2008 with UTS 46 differs from IDNA 2003; the domain each
# is scanned as.
IDN_CASES = [
    ("faß.de", "xn--fa-hia.de", "faß.de", "192.0.2.101"),  # not fass.de (IDNA 2003)
    ("ｅｘａｍｐｌｅ.jp", "example.jp", "example.jp", "192.0.2.102"),  # full-width
    ("ﾃｽﾄ.jp", "xn--zckzah.jp", "テスト.jp", "192.0.2.103"),  # half-width katakana
    ("日本語。jp", "xn--wgv71a119e.jp", "日本語.jp", "192.0.2.104"),  # "。" separator
    ("日本語.jp", "xn--wgv71a119e.jp", "日本語.jp", "192.0.2.104"),
    ("BÜCHER.de", "xn--bcher-kva.de", "bücher.de", "192.0.2.105"),  # "lower-case first"
]


# =============================================================================================
# Input normalisation (docs/result-schema.md `domain`)
# =============================================================================================


@pytest.mark.parametrize(
    ("given", "domain", "unicode", "spf"),
    [
        ("NORM.DNS-CASES.TEST", NORM, NORM, NORM_SPF),
        ("norm.dns-cases.test.", NORM, NORM, NORM_SPF),
        ("  norm.dns-cases.test  ", NORM, NORM, NORM_SPF),
        ("https://Norm.Dns-Cases.test/path?q=1", NORM, NORM, NORM_SPF),
        ("http://norm.dns-cases.test:8080/", NORM, NORM, NORM_SPF),
        ("user@norm.dns-cases.test", NORM, NORM, NORM_SPF),
        ("https://user:pw@NORM.dns-cases.test:443/x?y#z", NORM, NORM, NORM_SPF),
        ("norm.dns-cases.test/path", NORM, NORM, NORM_SPF),
        ("\ufeffnorm.dns-cases.test", NORM, NORM, NORM_SPF),
        # registry spreadsheets: full-width e-mail and URL, ideographic space, "．" at the end
        ("ｕｓｅｒ＠ｎｏｒｍ．ｄｎｓ－ｃａｓｅｓ．ｔｅｓｔ", NORM, NORM, NORM_SPF),
        (
            "ｈｔｔｐｓ：／／ｎｏｒｍ．ｄｎｓ－ｃａｓｅｓ．ｔｅｓｔ／",
            NORM,
            NORM,
            NORM_SPF,
        ),
        ("\u3000norm.dns-cases.test\u3000", NORM, NORM, NORM_SPF),
        ("ＮＯＲＭ．ＤＮＳ－ＣＡＳＥＳ．ＴＥＳＴ．", NORM, NORM, NORM_SPF),
        ("ｎｏｒｍ．ｄｎｓ－ｃａｓｅｓ．ｔｅｓｔ", NORM, NORM, NORM_SPF),
        (
            "日本語.dns-cases.test",
            JA,
            "日本語.dns-cases.test",
            "v=spf1 ip4:192.0.2.98 -all",
        ),
        (
            "日本語。dns-cases。test",
            JA,
            "日本語.dns-cases.test",
            "v=spf1 ip4:192.0.2.98 -all",
        ),
        (
            "XN--WGV71A119E.dns-cases.test",
            JA,
            "日本語.dns-cases.test",
            "v=spf1 ip4:192.0.2.98 -all",
        ),
        (
            "ﾃｽﾄ.dns-cases.test",
            "xn--zckzah.dns-cases.test",
            "テスト.dns-cases.test",
            "v=spf1 ip4:192.0.2.97 -all",
        ),
        # IDNA 2008 (not 2003's "fass"): docs/scanner-decisions.md 0.8, 7.6
        (
            "faß.dns-cases.test",
            "xn--fa-hia.dns-cases.test",
            "faß.dns-cases.test",
            "v=spf1 ip4:192.0.2.96 -all",
        ),
    ],
)
def test_inputs_are_normalised_through_the_cli(
    dns_server: DnsServer, given: str, domain: str, unicode: str, spf: str
) -> None:
    (result,) = check_json(dns_server, given)
    assert result["input"] == given
    assert result["domain"] == domain
    assert result["unicode"] == unicode
    assert result["status"] == "ok"
    assert (result["spf"]["state"], result["spf"]["record"]) == ("valid", spf)


def test_invalid_inputs_are_errors_not_crashes() -> None:
    # docs/result-schema.md / docs/scanner-decisions.md 7.6: reject empty labels, labels > 63,
    # names > 253, IP literals, non-LDH and IDNA-2003-only names; result-schema: status error,
    # every protocol null, errors "invalid_domain: <code>: <message>". The engine directly: no
    # DNS is asked.

    from scanner.context import ScanContext

    async def main() -> list[dict[str, Any]]:
        # A nameserver nobody listens on: any query would be a temperror, not an error.
        ctx = ScanContext.create(
            ScanOptions(
                nameservers=(("127.0.0.1", 9),),
                timeout=0.1,
                retries=0,
                retry_temperror=False,
            )
        )
        try:
            return [
                (await check_domain(text, ctx)).to_json() for text in INVALID_INPUTS
            ]
        finally:
            ctx.close()

    for given, result in zip(INVALID_INPUTS, asyncio.run(main()), strict=True):
        assert schema_errors(result) == [], given
        assert result["status"] == "error", given
        assert states(result) == dict.fromkeys(PROTOCOLS), given
        assert any(e.startswith("invalid_domain: ") for e in result["errors"]), given


def test_invalid_inputs_through_the_cli_keep_order(dns_server: DnsServer) -> None:
    # JSON Lines, one per input, in input order (docs/result-schema.md), even around invalid ones.
    given = ["norm.dns-cases.test", *INVALID_INPUTS, "NORM.dns-cases.test"]
    # "--": inputs such as "-bad-.jp" would otherwise be read as options by argparse.
    results = check_json(dns_server, "--", *given)
    assert [result["input"] for result in results] == given
    assert [result["status"] for result in results] == [
        "ok",
        *["error"] * len(INVALID_INPUTS),
        "ok",
    ]
    for result in results[1:-1]:
        assert states(result) == dict.fromkeys(PROTOCOLS)
        assert any(e.startswith("invalid_domain: ") for e in result["errors"])


def test_name_length_boundaries_are_not_errors(scan: ScanRunner) -> None:
    # RFC 1035 2.3.4 / docs/result-schema.md: a 63-octet label and a 253-octet name are legal;
    # they do not exist here -> nxdomain, no crash even where `_dmarc.<name>` would be too long.
    label63 = "a" * 63 + "." + DNS_CASES
    name253 = ".".join(["b" * 63, "c" * 63, "d" * 63, "e" * 46, DNS_CASES])
    assert len(name253) == 253
    for name in (label63, name253):
        result = scan_json(scan, name)
        assert result["domain"] == name
        assert result["status"] == "nxdomain", name
        assert states(result) == dict.fromkeys(PROTOCOLS, "none"), name


def test_file_list_skips_blank_and_comment_lines(
    dns_server: DnsServer, tmp_path: Path
) -> None:
    # Windows line endings and a BOM, as a spreadsheet export writes them.
    path = tmp_path / "domains.txt"
    path.write_bytes(FILE_TEXT.replace("\n", "\r\n").encode("utf-8-sig"))
    results = check_json(dns_server, "--file", str(path))
    assert [(r["domain"], r["status"]) for r in results] == [
        (NORM, "ok"),
        (NORM, "ok"),
        (DNS_CASES("gone"), "nxdomain"),
    ]


@pytest.mark.parametrize("args", [("-",), ("--file", "-")])
def test_stdin_list_skips_blank_and_comment_lines(
    dns_server: DnsServer, args: tuple[str, ...]
) -> None:
    results = check_json(dns_server, *args, stdin=FILE_TEXT)
    assert [(r["domain"], r["status"]) for r in results] == [
        (NORM, "ok"),
        (NORM, "ok"),
        (DNS_CASES("gone"), "nxdomain"),
    ]
    assert results[0]["spf"]["record"] == NORM_SPF
    assert results[0]["mx"]["hosts"] == [
        {"preference": 10, "host": DNS_CASES("mx.norm")}
    ]
    assert results[0]["dmarc"]["p"] == "reject"


# =============================================================================================
# Names are case-insensitive, record contents are not; IDNA 2008 with UTS 46
# =============================================================================================


def test_record_contents_keep_their_case_names_do_not(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.6 / RFC 4343: names compare case-insensitively, record
    # contents keep their case. The MX exchange (a name) is lower-cased; the SPF record, the
    # MTA-STS id and the TLS-RPT URI are shown as published. Mechanism names are
    # case-insensitive (1.1): the effective all of "-ALL" is "-all".
    result = scan_json(scan, "CASE.Dns-Rules.test")
    assert result["domain"] == DNS_RULES("case")
    assert result["spf"]["record"] == "v=spf1 IP4:192.0.2.7 -ALL"
    assert (result["spf"]["state"], result["spf"]["all"]) == ("valid", "-all")
    assert result["mx"]["hosts"] == [{"preference": 10, "host": DNS_RULES("mx1.case")}]
    assert result["mta_sts"]["record"] == "v=STSv1; id=AbC123xYz"
    assert result["mta_sts"]["id"] == "AbC123xYz"
    assert result["tls_rpt"]["rua"] == ["mailto:TLS-Reports@Case.Example"]


@pytest.mark.parametrize(
    ("given", "code"),
    [
        # "reject ... names > 253 octets (text form)": 254 octets, with and without the root
        (
            ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 47, DNS_RULES]),
            "name_too_long",
        ),
        (
            ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 47, DNS_RULES]) + ".",
            "name_too_long",
        ),
        # "strip one trailing dot": two are an empty label
        (DNS_RULES("plain") + "..", "empty_label"),
        # emoji "exist only under IDNA 2003 - reject them with a clear message", also as
        # the A-label such a name has under IDNA 2003 (xn--n3h is the snowman)
        ("☃.com", "invalid_idn"),
        ("xn--n3h.com", "invalid_idn"),
    ],
)
def test_names_rejected_by_7_6(scan: ScanRunner, given: str, code: str) -> None:
    result = scan_json(scan, given)
    assert result["status"] == "error"
    assert states(result) == dict.fromkeys(PROTOCOLS)
    assert result["errors"][0].startswith(f"invalid_domain: {code}: ")
    if code == "invalid_idn":
        assert "emoji" in result["errors"][0]


def test_253_octets_plus_the_root_dot_is_a_name(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.6: one trailing dot is stripped before the 253-octet limit
    # applies.
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 46, DNS_RULES])
    assert len(name) == 253
    result = scan_json(scan, name + ".")
    assert (result["domain"], result["status"]) == (name, "nxdomain")


def test_idn_examples_are_scanned_as_their_idna2008_a_labels(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    # docs/scanner-decisions.md 0.8 / 7.6 through the CLI: each example is queried as its IDNA
    # 2008 + UTS 46 A-label (the SPF record proves which domain was asked); `unicode` is the
    # display form.
    server = dns_server_factory(zone_texts=IDN_ZONES)
    results = check_json(server, *[given for given, *_ in IDN_CASES])
    assert [r["input"] for r in results] == [given for given, *_ in IDN_CASES]
    for result, (_, domain, unicode, address) in zip(results, IDN_CASES, strict=True):
        assert (result["domain"], result["unicode"], result["status"]) == (
            domain,
            unicode,
            "ok",
        )
        assert result["spf"]["record"] == f"v=spf1 ip4:{address} -all"


def test_readable_table_shows_u_labels_in_input_order(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    # docs/scanner-decisions.md 7.6: display U-labels to users, store A-labels; README.md "The
    # scanner on its own": without --json, a readable table, one row per domain, input order.
    server = dns_server_factory(zone_texts=IDN_ZONES)
    given = ["faß.de", "ﾃｽﾄ.jp", "☃.com", "xn--wgv71a119e.jp", "missing.example.jp"]
    process = run_cli("check", *nameserver_args(server), *given)
    assert process.returncode == 0, process.stderr
    header, *rows = process.stdout.splitlines()
    assert header.split()[:2] == ["DOMAIN", "STATUS"]
    assert [row.split()[:2] for row in rows] == [
        ["faß.de", "ok"],
        ["テスト.jp", "ok"],
        ["☃.com", "error"],
        ["日本語.jp", "ok"],
        ["missing.example.jp", "nxdomain"],
    ]
    assert "{" not in process.stdout  # a table, not JSON
