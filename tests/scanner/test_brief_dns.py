"""Sentence-by-sentence pass: SPEC-BRIEF sections 0 (items 1, 4, 8, 10), 6, 7, 8.4 and 9, and
the DESIGN.md sections "The scanner result contract" and "Public interface".

Scenarios live in tests/zones/brief-dns.zone (``$ORIGIN brief-dns.test.``). Scenarios that need
a real public suffix (``soumu.go.jp``, ``faß.de``) or a server that misbehaves in ways a zone
file cannot say (per-type failures, compact denial, the AD bit, logging what was asked and
when) run on private servers built here. Each test names the sentence it pins; every result
is validated against scanner/result-schema.json and against the SPEC-BRIEF 9 vocabulary.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.rcode
import dns.rdatatype
import dns.resolver
import jsonschema
import pytest

from scanner.engine import check_domain, check_domains, check_domains_sync
from scanner.errors import LocalFailure
from scanner.options import ScanOptions
from scanner.result import DomainResult
from tests.conftest import ZONES_DIR, ScanRunner, options_for
from tests.dnsserver import DnsServer, Key, Question, parse_question

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "scanner" / "result-schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
ZONE = "brief-dns.test"
PROTOCOLS = (
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


def d(label: str) -> str:
    return f"{label}.{ZONE}"


def key(name: str) -> Key:
    return tuple(label.encode() for label in name.lower().split("."))


# =============================================================================================
# SPEC-BRIEF 9 (result vocabulary) and DESIGN.md state words, checked on every result here
# =============================================================================================

# DESIGN.md contract; result-schema.md adds temperror to sender_id/mta_sts/tls_rpt/bimi.
STATE_WORDS = {
    "spf": {"none", "valid", "permerror", "temperror"},
    "dmarc": {"none", "valid", "permerror", "temperror"},
    "dkim": {"found", "domainkey_exists", "none", "temperror"},
    "adsp": {"none", "found", "temperror"},
    "mx": {"none", "found", "null_mx", "temperror"},
    "sender_id": {"none", "found", "temperror"},
    "mta_sts": {"none", "found", "temperror"},
    "tls_rpt": {"none", "found", "temperror"},
    "bimi": {"none", "found", "temperror"},
}
# SPEC-BRIEF 9: per-message Authentication-Results words must never be a domain's state;
# "hardfail" (RFC 5451) is never emitted.
MESSAGE_WORDS = {"pass", "fail", "softfail", "neutral", "policy", "hardfail"}


def vocabulary_errors(result: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for name in PROTOCOLS:
        check = result[name]
        if check is None:
            continue
        if check["state"] not in STATE_WORDS[name]:
            problems.append(f"{name}.state={check['state']!r}")
        if check.get("state_seen") not in (None, *STATE_WORDS[name]):
            problems.append(f"{name}.state_seen={check['state_seen']!r}")

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("state", "state_seen", "result") and v in MESSAGE_WORDS:
                    problems.append(f"{path}.{k}={v!r}")
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(result, "")
    spf, dmarc, adsp = result["spf"], result["dmarc"], result["adsp"]
    if spf is not None and spf["all"] not in ("-all", "~all", "?all", "+all", None):
        problems.append(f"spf.all={spf['all']!r}")
    if dmarc is not None:
        for tag in ("p", "sp", "np"):
            if dmarc[tag] not in ("none", "quarantine", "reject", None):
                problems.append(f"dmarc.{tag}={dmarc[tag]!r}")
        if dmarc["t"] not in ("y", "n", None):
            problems.append(f"dmarc.t={dmarc['t']!r}")
        if dmarc["enforcement"] not in (
            "reject",
            "quarantine",
            "partial",
            "monitoring",
            None,
        ):
            problems.append(f"dmarc.enforcement={dmarc['enforcement']!r}")
    if adsp is not None and adsp["policy"] not in (
        "unknown",
        "all",
        "discardable",
        None,
    ):
        problems.append(f"adsp.policy={adsp['policy']!r}")
    return problems


def schema_errors(result: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in VALIDATOR.iter_errors(result)
    ]


def checked(result: dict[str, Any]) -> dict[str, Any]:
    assert schema_errors(result) == [], result
    assert vocabulary_errors(result) == [], result
    return result


def run(
    scan: ScanRunner,
    domain: str,
    options: ScanOptions | None = None,
    selectors: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One domain through the engine; the contract JSON, schema- and vocabulary-checked."""
    result: DomainResult = scan(
        lambda ctx: check_domain(domain, ctx, selectors), options=options
    )
    return checked(result.to_json())


def states(result: dict[str, Any]) -> dict[str, str | None]:
    return {
        name: None if result[name] is None else result[name]["state"]
        for name in PROTOCOLS
    }


# =============================================================================================
# A zone server that logs what it was asked and can misbehave per name and type
# =============================================================================================

FLAG_AD = 0x0020
EDNS_DO = 0x8000


@dataclass(frozen=True)
class Asked:
    at: float
    name: str
    rdtype: str
    tcp: bool
    flags: int  # the query's header flags
    payload: int | None  # EDNS UDP payload, None without OPT
    edns_flags: int  # the OPT record's flags (DO is 0x8000)


class BriefServer(DnsServer):
    """The zone server, plus: a log of every query, the number of queries it holds (answer
    not yet sent: ``delay_ms``), per-(name, type) RCODEs, NOERROR/NODATA instead of NXDOMAIN
    below given names (RFC 9824 compact denial, "black lies"), and the AD bit on every answer.
    """

    def __init__(
        self,
        *,
        zone_texts: tuple[str, ...] = (),
        delay_ms: float = 0.0,
        type_faults: dict[tuple[str, str], str] | None = None,
        compact_denial: tuple[str, ...] = (),
        set_ad: bool = False,
    ) -> None:
        super().__init__(
            None if zone_texts else ZONES_DIR, zone_texts, delay_ms=delay_ms
        )
        self.log: list[Asked] = []
        self.type_faults: dict[tuple[Key, int], str] = {
            (key(name), int(dns.rdatatype.from_text(rdtype))): rcode
            for (name, rdtype), rcode in (type_faults or {}).items()
        }
        self.compact = tuple(key(name) for name in compact_denial)
        self.set_ad = set_ad
        self.held = 0
        self.max_held = 0

    def handle_wire(self, wire: bytes, tcp: bool) -> bytes | None:
        question = parse_question(wire)
        if question is not None:
            end = 12 + len(question.wire)
            edns_flags = 0
            if question.payload is not None:
                edns_flags = int.from_bytes(wire[end + 7 : end + 9], "big")
            self.log.append(
                Asked(
                    time.monotonic(),
                    b".".join(question.key).decode("ascii", "replace"),
                    dns.rdatatype.to_text(dns.rdatatype.RdataType(question.rdtype)),
                    tcp,
                    int.from_bytes(wire[2:4], "big"),
                    question.payload,
                    edns_flags,
                )
            )
        reply = super().handle_wire(wire, tcp)
        if reply is not None:
            self.held += 1
            self.max_held = max(self.max_held, self.held)
        return reply

    def _send_udp(self, reply: bytes, peer: tuple[str, int]) -> None:
        self.held -= 1
        super()._send_udp(reply, peer)

    def _send_tcp(self, conn: Any, framed: bytes) -> None:
        self.held -= 1
        super()._send_tcp(conn, framed)

    def answer(self, question: Question, tcp: bool) -> tuple[bytes | None, bool]:
        rcode = self.type_faults.get((question.key, question.rdtype))
        if rcode is not None:
            return self.wire.rcode_only(question, dns.rcode.from_text(rcode)), True
        wire, cacheable = super().answer(question, tcp)
        if wire is None:
            return wire, cacheable
        below = any(question.key[-len(k) :] == k for k in self.compact)
        if below and wire[3] & 0x0F == dns.rcode.NXDOMAIN:
            wire = wire[:3] + bytes([wire[3] & 0xF0]) + wire[4:]
        if self.set_ad:
            wire = wire[:3] + bytes([wire[3] | FLAG_AD]) + wire[4:]
        return wire, cacheable

    def asked(self, name: str, rdtype: str = "TXT") -> list[Asked]:
        return [a for a in self.log if a.name == name.lower() and a.rdtype == rdtype]


@pytest.fixture
def brief_server() -> Iterator[Callable[..., BriefServer]]:
    started: list[BriefServer] = []

    def start(**kwargs: Any) -> BriefServer:
        server = BriefServer(**kwargs)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def cli(
    server: DnsServer | str, *args: str, json_lines: bool = True
) -> subprocess.CompletedProcess[str]:
    """``python -m scanner check [--json] --nameserver H:P ARGS``."""
    nameservers = (
        ["--nameserver", server.nameserver]
        if isinstance(server, DnsServer)
        else ["--nameserver", server]
    )
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "check",
            *(["--json"] if json_lines else []),
            *nameservers,
            "--timeout",
            "0.3",
            "--retries",
            "1",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    return process


def json_lines(process: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    lines = process.stdout.splitlines()
    results = [json.loads(line) for line in lines]  # one complete object per line
    return [checked(result) for result in results]


# =============================================================================================
# DESIGN.md "The scanner result contract": the example object, key by key
# =============================================================================================

KEY_2048 = (
    '"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjfVpG9UnsZ9uUVcBYQlAcNFSXGzpAdW3s4p82rljQOUXsrT8'
    "9sFJAAhY7OeOzcq3gEAlPaW4qAIV3HZLDj0CmtUNlR1V9NEvCTZtK3o+HIOIzfbuaZkekOsv2Dm8tRdg5BQmbsm8jiIH"
    'I79ZrpZ1lk6neJSO" "+7pZ51+YcUYCScEuViFhD7xDqaJuIw/NuuMz1pOZyiWgl/YOa6VDBZ4bIdeuaKCz1qiHcd2Fchht'
    "oH34sgvovQ3GnjHexP+vSKLBPp37owBpanrnGEEl2nPW99WINx/1FcQxF/oBenNE2+sRdoSKnuLTeU//0Ecr7JC4iFEtln"
    'wA00olBAV0OrnnxwIDAQAB"'
)
# The DESIGN.md example domain, published so that every contract key takes the example's value:
# 3 worst-case lookups (include, mx, a), no void lookup for either address family.
SOUMU_ZONE = f"""
$ORIGIN soumu.go.jp.
@                 SOA   ns.soumu.go.jp. hostmaster.soumu.go.jp. 1 3600 600 86400 300
@                 NS    ns.soumu.go.jp.
@                 TXT   "v=spf1 include:_spf.soumu.go.jp mx a -all"
@                 TXT   "spf2.0/pra ip4:192.0.2.0/24 -all"
@                 A     192.0.2.80
@                 AAAA  2001:db8::80
@                 MX    10 mail.soumu.go.jp.
mail              A     192.0.2.25
mail              AAAA  2001:db8::25
_spf              TXT   "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc            TXT   "v=DMARC1; p=reject; rua=mailto:dmarc-rua@soumu.go.jp; ruf=mailto:dmarc-ruf@soumu.go.jp"
s1._domainkey     TXT   "v=DKIM1; k=rsa; p=" {KEY_2048}
_adsp._domainkey  TXT   "dkim=all"
_mta-sts          TXT   "v=STSv1; id=20260101"
_smtp._tls        TXT   "v=TLSRPTv1; rua=mailto:tlsrpt@soumu.go.jp"
default._bimi     TXT   "v=BIMI1; l=https://soumu.go.jp/logo.svg"
"""

# DESIGN.md key order inside each object (the contract keys come first, then extras).
CONTRACT_KEYS = {
    "spf": [
        "state",
        "record",
        "all",
        "lookups",
        "void_lookups",
        "no_senders",
        "include_tree",
        "errors",
        "warnings",
    ],
    "dmarc": [
        "state",
        "record",
        "p",
        "sp",
        "np",
        "pct",
        "t",
        "enforcement",
        "rua",
        "ruf",
        "inherited",
        "source_domain",
        "org_domain_psl",
        "org_domain_treewalk",
        "warnings",
    ],
    "dkim": ["state", "evidence", "selectors"],
    "adsp": ["state", "policy"],
    "mx": ["state", "hosts"],
    "sender_id": ["state", "record"],
    "mta_sts": ["state"],
    "tls_rpt": ["state"],
    "bimi": ["state"],
}
SELECTOR_KEYS = ["selector", "key_type", "key_bits", "testing", "revoked"]


def test_design_example_object_key_by_key(
    scan: ScanRunner, dns_server_factory: Callable[..., DnsServer]
) -> None:
    # DESIGN.md "The scanner result contract": the example {"domain": "soumu.go.jp", ...} built
    # as a zone; names, types, values and order of the keys the contract lists.
    server = dns_server_factory(zone_texts=[SOUMU_ZONE])
    result = run(scan, "Soumu.GO.jp.", options=options_for(server))
    assert list(result)[:11] == ["domain", "status", *PROTOCOLS]
    assert (result["domain"], result["status"]) == ("soumu.go.jp", "ok")
    for name, keys in CONTRACT_KEYS.items():
        assert list(result[name])[: len(keys)] == keys, name

    spf = result["spf"]
    assert {k: spf[k] for k in CONTRACT_KEYS["spf"] if k != "include_tree"} == {
        "state": "valid",
        "record": "v=spf1 include:_spf.soumu.go.jp mx a -all",
        "all": "-all",
        "lookups": 3,
        "void_lookups": 0,
        "no_senders": False,
        "errors": [],
        "warnings": [],
    }
    assert isinstance(spf["include_tree"], dict)
    assert type(spf["lookups"]) is int and type(spf["void_lookups"]) is int

    dmarc = result["dmarc"]
    assert {k: dmarc[k] for k in CONTRACT_KEYS["dmarc"] if k != "warnings"} == {
        "state": "valid",
        "record": "v=DMARC1; p=reject; rua=mailto:dmarc-rua@soumu.go.jp; "
        "ruf=mailto:dmarc-ruf@soumu.go.jp",
        "p": "reject",
        "sp": None,
        "np": None,
        "pct": 100,
        "t": "n",
        "enforcement": "reject",
        "rua": ["mailto:dmarc-rua@soumu.go.jp"],
        "ruf": ["mailto:dmarc-ruf@soumu.go.jp"],
        "inherited": False,
        "source_domain": "soumu.go.jp",
        "org_domain_psl": "soumu.go.jp",
        "org_domain_treewalk": "soumu.go.jp",
    }
    assert isinstance(dmarc["warnings"], list)

    dkim = result["dkim"]
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [list(entry)[: len(SELECTOR_KEYS)] for entry in dkim["selectors"]] == [
        SELECTOR_KEYS
    ]
    assert {k: dkim["selectors"][0][k] for k in SELECTOR_KEYS} == {
        "selector": "s1",
        "key_type": "rsa",
        "key_bits": 2048,
        "testing": False,
        "revoked": False,
    }
    assert (result["adsp"]["state"], result["adsp"]["policy"]) == ("found", "all")
    assert result["mx"]["state"] == "found"
    assert result["mx"]["hosts"] == [{"preference": 10, "host": "mail.soumu.go.jp"}]
    assert [list(host) for host in result["mx"]["hosts"]] == [["preference", "host"]]
    assert (result["sender_id"]["state"], result["sender_id"]["record"]) == (
        "found",
        "spf2.0/pra ip4:192.0.2.0/24 -all",
    )
    assert states(result)["mta_sts"] == "found"
    assert states(result)["tls_rpt"] == "found"
    assert states(result)["bimi"] == "found"


# Every other example value the contract shows, each from a scenario of brief-dns.zone.
# (path, expected); "-all", "valid", "found"... are produced by the example object above.
EXAMPLE_VALUES = [
    ("v-softall", "spf.all", "~all"),
    ("v-neutralall", "spf.all", "?all"),
    ("v-passall", "spf.all", "+all"),
    ("v-noall", "spf.all", None),
    ("v-twospf", "spf.state", "permerror"),
    ("plain", "spf.no_senders", False),
    ("v-nullmx", "spf.no_senders", True),
    ("dangle", "dmarc.state", "none"),
    ("dangle", "dmarc.p", None),
    ("dangle", "dmarc.t", None),
    ("dangle", "dmarc.enforcement", None),
    ("v-dmarcbad", "dmarc.state", "permerror"),
    ("v-quarantine", "dmarc.p", "quarantine"),
    ("v-quarantine", "dmarc.enforcement", "quarantine"),
    ("v-monitor", "dmarc.p", "none"),
    ("v-monitor", "dmarc.enforcement", "monitoring"),
    ("v-partial", "dmarc.pct", 50),
    ("v-partial", "dmarc.enforcement", "partial"),
    ("v-testing", "dmarc.t", "y"),
    ("v-testing", "dmarc.enforcement", "monitoring"),
    ("v-dkexists", "dkim.state", "domainkey_exists"),
    ("plain", "dkim.state", "none"),
    ("v-adspunknown", "adsp.policy", "unknown"),
    ("v-adspdisc", "adsp.policy", "discardable"),
    ("plain", "adsp.state", "none"),
    ("plain", "adsp.policy", None),
    ("v-nullmx", "mx.state", "null_mx"),
    ("aaaaimpl", "mx.state", "none"),
    ("plain", "sender_id.state", "none"),
    ("plain", "mta_sts.state", "none"),
    ("plain", "tls_rpt.state", "none"),
    ("plain", "bimi.state", "none"),
]


@pytest.mark.parametrize(("label", "path", "expected"), EXAMPLE_VALUES)
def test_design_example_values(
    scan: ScanRunner, label: str, path: str, expected: Any
) -> None:
    # DESIGN.md contract: each value the example object lists as possible, from a zone.
    result = run(scan, d(label))
    check, field = path.split(".")
    assert result[check][field] == expected


# =============================================================================================
# SPEC-BRIEF 7.3 / result-schema `status`: an apex that does not resolve
# =============================================================================================


def test_unresolved_apex_keeps_what_was_seen_apart(scan: ScanRunner) -> None:
    # SPEC-BRIEF 7.3 "If the apex SOA/NS lookup itself fails, mark the whole domain
    # status: error and all protocols temperror"; result-schema `status`: "even one whose own
    # name answered: that answer is kept for diagnosis, with state_seen (extra) and the error
    # apex_unresolved"; domain `errors` "apex TXT: timeout style reasons".
    result = run(scan, d("apexfail"))
    assert result["status"] == "error"
    assert states(result) == dict.fromkeys(PROTOCOLS, "temperror")
    assert result["errors"] == ["apex TXT: servfail", "apex MX: servfail"]
    seen = {
        name: result[name].get("state_seen")
        for name in ("dmarc", "mta_sts", "tls_rpt", "bimi")
    }
    assert seen == {
        "dmarc": "valid",
        "mta_sts": "found",
        "tls_rpt": "found",
        "bimi": "found",
    }
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert "apex_unresolved" in result[name]["errors"], name
    # The checks whose own lookup failed keep their own reason, no state_seen.
    for name in ("spf", "mx", "sender_id"):
        assert "state_seen" not in result[name], name
        assert any("servfail" in error.lower() for error in result[name]["errors"])
        assert "apex_unresolved" not in result[name]["errors"], name


# =============================================================================================
# SPEC-BRIEF 7.1 outcome taxonomy, row by row (rows not already pinned by test_audit_dns)
# =============================================================================================


def test_nodata_at_every_underscore_name_is_none(scan: ScanRunner) -> None:
    # 7.1 NODATA row: "name exists, type doesn't (RFC 2308) -> none for that record"; the
    # names hold only an A record. Never temperror, nothing inherited.
    result = run(scan, d("nodata"))
    assert result["status"] == "ok"
    assert {name: result[name]["state"] for name in PROTOCOLS} | {
        "spf": None,
        "mx": None,
    } == {
        "spf": None,
        "dmarc": "none",
        "dkim": "none",
        "adsp": "none",
        "mx": None,
        "sender_id": "none",
        "mta_sts": "none",
        "tls_rpt": "none",
        "bimi": "none",
    }
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert result[name]["record"] is None, name
        assert result[name].get("errors", []) == [], name


def test_dangling_cname_at_tls_rpt_and_bimi_is_none_and_reported(
    scan: ScanRunner,
) -> None:
    # 7.1 NXDOMAIN row ("e.canonical_name shows where a CNAME chain ended") and 7.5 "CNAME to
    # a nonexistent target ... report 'dangling CNAME'"; test_audit_dns pins _dmarc/_mta-sts.
    result = run(scan, d("dangle"))
    assert result["status"] == "ok"
    assert (result["tls_rpt"]["state"], result["bimi"]["state"]) == ("none", "none")
    assert result["tls_rpt"]["warnings"] == [
        "dangling_cname:_gone._hosted.brief-dns.test"
    ]
    assert "dangling_cname:_gone2._hosted.brief-dns.test" in result["bimi"]["warnings"]


def test_each_failure_names_its_reason_and_query(scan: ScanRunner) -> None:
    # 7.1 "Record the raw outcome (rcode ...) per query: it is what makes 'unknown'
    # explainable"; result-schema `temperror`: "The reason is in the check's errors list
    # (e.g. timeout: _dmarc.example.jp TXT)". SERVFAIL, timeout, REFUSED at four names.
    result = run(scan, d("uf"))
    assert result["status"] == "ok"
    expected = {
        "dmarc": ("servfail", "_dmarc.uf.brief-dns.test"),
        "mta_sts": ("timeout", "_mta-sts.uf.brief-dns.test"),
        "tls_rpt": ("servfail", "_smtp._tls.uf.brief-dns.test"),
        "bimi": ("refused", "default._bimi.uf.brief-dns.test"),
    }
    for name, (reason, qname) in expected.items():
        assert result[name]["state"] == "temperror", name
        assert any(
            reason in error.lower() and qname in error
            for error in result[name]["errors"]
        ), (name, result[name]["errors"])
    assert (result["spf"]["state"], result["mx"]["state"]) == ("valid", "found")


def test_queries_ask_for_the_ad_bit(brief_server: Callable[..., BriefServer]) -> None:
    # SPEC-BRIEF 6.5: the AD bit "is only returned when the query asks for it: set AD=1 in
    # the query (RFC 6840 5.7-5.8) or DO=1 in the EDNS OPT record (RFC 3225)"; 8.1 sets
    # `r.flags = dns.flags.RD | dns.flags.AD  # ask for the AD bit (6.5)`.
    server = brief_server()
    check_domains_sync([d("plain")], options_for(server))
    assert server.log
    not_asking = [
        (a.name, a.rdtype)
        for a in server.log
        if not (a.flags & FLAG_AD or a.edns_flags & EDNS_DO)
    ]
    assert not_asking == []


def test_dnssec_is_reported_unknown_from_a_resolver_not_known_to_validate(
    brief_server: Callable[..., BriefServer],
) -> None:
    # SPEC-BRIEF 6.5: "Report dnssec: secure|insecure|unknown per record set, and unknown
    # whenever the resolver in use is not known to validate (the loopback test server does not
    # sign anything)". This server sets AD on every answer, yet nothing told the scanner it
    # validates: the AD bit is hearsay, so every dnssec value must be "unknown".
    server = brief_server(set_ad=True)
    (result,) = check_domains_sync([d("plain")], options_for(server))
    data = checked(result.to_json())
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "dnssec":
                    found.append(v)
                walk(v)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    assert found, "no dnssec status anywhere in the result"
    assert set(found) == {"unknown"}, found


def test_no_resolver_configuration_is_a_local_failure_not_temperror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SPEC-BRIEF 7.1, last row: "Local failure | NoResolverConfiguration, OSError ... | our bug
    # | abort the run, don't record" (and 0.1: fake temperrors make the percentages wrong).
    # No --nameserver and no usable /etc/resolv.conf: every domain would be "unknown".
    def no_configuration(*args: Any, **kwargs: Any) -> Any:
        raise dns.resolver.NoResolverConfiguration("no nameservers")  # type: ignore[no-untyped-call]

    monkeypatch.setattr(dns.resolver, "Resolver", no_configuration)
    options = ScanOptions(timeout=0.1, retries=0, retry_temperror=False)
    try:
        results = check_domains_sync([d("plain"), d("nodata")], options)
    except (LocalFailure, dns.resolver.NoResolverConfiguration):
        return  # the run stopped: nothing recorded
    recorded = [(r.domain, r.status, r.spf and r.spf.state) for r in results]
    pytest.fail(f"the run recorded DNS outcomes without any resolver: {recorded}")


# =============================================================================================
# SPEC-BRIEF 7.4: big TXT answers
# =============================================================================================


def test_a_long_single_txt_record_is_read_whole(scan: ScanRunner) -> None:
    # SPEC-BRIEF 7.4 / 1.1 item 8 / RFC 7208 3.3-3.4: one TXT RR of 4311 octets (18
    # character-strings, joined with nothing between them) is a valid SPF record ending in
    # -all; the 512-octet guidance is a SHOULD, the answer comes over TCP. Whatever bound the
    # scanner applies to hostile sizes, it must not report a different record than the one
    # published (a cut record turns into a fake syntax error and a missing "all").
    result = run(scan, d("huge"))
    spf = result["spf"]
    assert spf["state"] == "valid", spf["errors"]
    assert spf["all"] == "-all"
    assert len(spf["record"]) == 4311
    assert spf["record"].endswith(" ip4:10.0.244.0/24 -all")
    assert spf["lookups"] == 0


def test_queries_advertise_edns_1232(brief_server: Callable[..., BriefServer]) -> None:
    # SPEC-BRIEF 7.4: "Call resolver.use_edns(0, 0, 1232) - 1232 ... avoids IP fragmentation";
    # ScanOptions.edns_payload defaults to it. Every query the scan sends carries it.
    server = brief_server()
    check_domains_sync([d("plain"), d("uf")], options_for(server))
    assert server.log
    assert {asked.payload for asked in server.log} == {1232}


# =============================================================================================
# SPEC-BRIEF 0.4 / 7.5 / 7.7: CNAMEs to the apex, wildcards, compact denial
# =============================================================================================


def test_redirect_to_apex_hosting_is_filtered_by_version_tags(
    scan: ScanRunner,
) -> None:
    # SPEC-BRIEF 0.4: a "redirect-to-apex" DNS host answers _dmarc, _mta-sts, _smtp._tls with
    # the apex records (here CNAMEs to the apex: SPF + a verification token). "Always filter
    # by the version tag": none of them is DMARC, MTA-STS, TLS-RPT or BIMI.
    result = run(scan, d("r2a"))
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "valid"
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert (result[name]["state"], result[name]["record"]) == ("none", None), name
    assert result["dmarc"]["p"] is None
    assert result["dmarc"]["enforcement"] is None


def test_wildcard_with_other_types_only_is_still_a_wildcard(scan: ScanRunner) -> None:
    # SPEC-BRIEF 7.7: the random-label probe sets wildcard: true when *.<domain> answers; a
    # wildcard holding only an A record answers TXT with NOERROR/NODATA: the name exists.
    # "which downgrades all existence inferences (2.6)": _domainkey exists only by wildcard.
    result = run(scan, d("wildany"))
    assert result["wildcard"] is True
    assert (result["dkim"]["state"], result["dkim"]["evidence"]) == (
        "domainkey_exists",
        "wildcard_zone",
    )


def test_wildcard_only_below_domainkey_is_not_a_zone_wildcard(scan: ScanRunner) -> None:
    # SPEC-BRIEF 7.7: the probe is <rand16>.<domain>; *._domainkey answers nothing there, so
    # the domain is not a wildcard domain (its DKIM evidence says what it is: 2.6 caveat 3).
    result = run(scan, d("dkwild"))
    assert result["wildcard"] is False
    assert result["dkim"]["evidence"] == "wildcard_revoked"
    assert result["dkim"]["state"] != "found"


def test_compact_denial_is_a_wildcard_not_dkim_evidence(
    scan: ScanRunner, brief_server: Callable[..., BriefServer]
) -> None:
    # SPEC-BRIEF 2.6 caveat 5 and 7.7: an online-signing server answering nonexistent names
    # with NOERROR/NODATA ("black lies", RFC 9824) makes _domainkey "exist". "Detect with the
    # same random-label probe": wildcard true, and the RFC 8020 inference is not reported as
    # evidence of a key (domainkey_nodata).
    server = brief_server(compact_denial=(d("blacklie"),))
    result = run(scan, d("blacklie"), options=options_for(server))
    assert result["status"] == "ok"
    assert result["wildcard"] is True
    assert result["dkim"]["state"] != "found"
    assert result["dkim"]["evidence"] == "wildcard_zone"
    assert (result["dmarc"]["state"], result["mta_sts"]["state"]) == ("none", "none")


# =============================================================================================
# SPEC-BRIEF 7.6: names; record contents keep their case
# =============================================================================================


def test_record_contents_keep_their_case_names_do_not(scan: ScanRunner) -> None:
    # SPEC-BRIEF 7.6 / RFC 4343: "lower-case A-labels for storage ... never lower-case record
    # contents". The MX exchange (a name) is lower-cased; the SPF record, the MTA-STS id and
    # the TLS-RPT URI are shown as published. Mechanism names are case-insensitive (1.1): the
    # effective all of "-ALL" is "-all".
    result = run(scan, "CASE.Brief-DNS.test")
    assert result["domain"] == d("case")
    assert result["spf"]["record"] == "v=spf1 IP4:192.0.2.7 -ALL"
    assert (result["spf"]["state"], result["spf"]["all"]) == ("valid", "-all")
    assert result["mx"]["hosts"] == [{"preference": 10, "host": d("mx1.case")}]
    assert result["mta_sts"]["record"] == "v=STSv1; id=AbC123xYz"
    assert result["mta_sts"]["id"] == "AbC123xYz"
    assert result["tls_rpt"]["rua"] == ["mailto:TLS-Reports@Case.Example"]


@pytest.mark.parametrize(
    ("given", "code"),
    [
        # "reject ... names > 253 octets (text form)": 254 octets, with and without the root
        (".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 47, ZONE]), "name_too_long"),
        (
            ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 47, ZONE]) + ".",
            "name_too_long",
        ),
        # "strip one trailing dot": two are an empty label
        (d("plain") + "..", "empty_label"),
        # emoji "exist only under IDNA 2003 - reject them with a clear message", also as
        # the A-label such a name has under IDNA 2003 (xn--n3h is the snowman)
        ("☃.com", "invalid_idn"),
        ("xn--n3h.com", "invalid_idn"),
    ],
)
def test_names_rejected_by_7_6(scan: ScanRunner, given: str, code: str) -> None:
    result = run(scan, given)
    assert result["status"] == "error"
    assert states(result) == dict.fromkeys(PROTOCOLS)
    assert result["errors"][0].startswith(f"invalid_domain: {code}: ")
    if code == "invalid_idn":
        assert "emoji" in result["errors"][0]


def test_253_octets_plus_the_root_dot_is_a_name(scan: ScanRunner) -> None:
    # SPEC-BRIEF 7.6: one trailing dot is stripped before the 253-octet limit applies.
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 46, ZONE])
    assert len(name) == 253
    result = run(scan, name + ".")
    assert (result["domain"], result["status"]) == (name, "nxdomain")


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
# SPEC-BRIEF 7.6 "Verified differences", with the domain each must be scanned as.
IDN_CASES = [
    ("faß.de", "xn--fa-hia.de", "faß.de", "192.0.2.101"),  # not fass.de (IDNA 2003)
    ("ｅｘａｍｐｌｅ.jp", "example.jp", "example.jp", "192.0.2.102"),  # full-width
    ("ﾃｽﾄ.jp", "xn--zckzah.jp", "テスト.jp", "192.0.2.103"),  # half-width katakana
    ("日本語。jp", "xn--wgv71a119e.jp", "日本語.jp", "192.0.2.104"),  # "。" separator
    ("日本語.jp", "xn--wgv71a119e.jp", "日本語.jp", "192.0.2.104"),
    ("BÜCHER.de", "xn--bcher-kva.de", "bücher.de", "192.0.2.105"),  # "lower-case first"
]


def test_idn_examples_are_scanned_as_their_idna2008_a_labels(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    # SPEC-BRIEF 0.8 / 7.6 through the CLI: each example is queried as its IDNA 2008 + UTS 46
    # A-label (the SPF record proves which domain was asked); `unicode` is the display form.
    server = dns_server_factory(zone_texts=IDN_ZONES)
    results = json_lines(cli(server, *[given for given, *_ in IDN_CASES]))
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
    # SPEC-BRIEF 7.6 "Display U-labels to users (idna.decode), store A-labels"; DESIGN.md
    # public interface: without --json, a readable table, one row per domain, input order.
    server = dns_server_factory(zone_texts=IDN_ZONES)
    given = ["faß.de", "ﾃｽﾄ.jp", "☃.com", "xn--wgv71a119e.jp", "missing.example.jp"]
    process = cli(server, *given, json_lines=False)
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


# =============================================================================================
# SPEC-BRIEF 6.1 MX / implicit MX, 6.3 TLS-RPT (rules not pinned elsewhere)
# =============================================================================================


def test_implicit_mx_from_an_aaaa_record_alone(scan: ScanRunner) -> None:
    # SPEC-BRIEF 6.1: "NODATA -> implicit MX (RFC 5321 5.1: the domain itself is the mail
    # host if it has A/AAAA)": AAAA is enough.
    result = run(scan, d("aaaaimpl"))
    assert (result["mx"]["state"], result["mx"]["implicit_mx"]) == ("none", True)
    assert result["mx"]["hosts"] == []


def test_implicit_mx_unknown_when_the_address_lookups_fail(
    scan: ScanRunner, brief_server: Callable[..., BriefServer]
) -> None:
    # SPEC-BRIEF 6.1 with 0.1: MX answered NODATA (state none), but whether A/AAAA would take
    # mail is unknown when both lookups SERVFAIL: implicit_mx null, never false, with reasons.
    server = brief_server(
        type_faults={
            (d("implfail"), "A"): "SERVFAIL",
            (d("implfail"), "AAAA"): "SERVFAIL",
        }
    )
    result = run(scan, d("implfail"), options=options_for(server))
    assert result["status"] == "ok"
    assert (result["mx"]["state"], result["mx"]["implicit_mx"]) == ("none", None)
    assert len(result["mx"]["errors"]) == 2
    assert all("servfail" in error.lower() for error in result["mx"]["errors"])


@pytest.mark.parametrize("label", ["rpt-http", "rpt-case"])
def test_tls_rpt_needs_https_or_mailto_and_the_exact_version(
    scan: ScanRunner, label: str
) -> None:
    # SPEC-BRIEF 6.3: "rua= (mailto: or https:) REQUIRED" (an http: URI is neither); records
    # beginning v=TLSRPTv1 are kept (RFC 8460 3: %s"v=TLSRPTv1", case-sensitive).
    result = run(scan, d(label))
    assert result["tls_rpt"]["state"] == "none"
    assert result["tls_rpt"]["rua"] is None


# =============================================================================================
# SPEC-BRIEF 8.4 (and 8.3): the per-domain query plan, bounded concurrency, one cache per run
# =============================================================================================

RANDOM_LABEL = re.compile(r"^[a-z2-7]{16}\.plain\.brief-dns\.test$")


def test_independent_queries_go_out_together(
    brief_server: Callable[..., BriefServer],
) -> None:
    # SPEC-BRIEF 8.4: "Per domain, issue the independent queries concurrently (apex TXT,
    # _dmarc, MX, _domainkey, _adsp._domainkey, _mta-sts, _smtp._tls, default._bimi,
    # random-label probe), then the dependent ones (... selector probes only if _domainkey
    # isn't NXDOMAIN)". Every answer is held 300 ms: the first wave must all arrive before
    # any answer could have come back.
    server = brief_server(delay_ms=300)
    options = options_for(server, timeout=2.0)
    (result,) = check_domains_sync([d("plain")], options)
    assert result.status == "ok"
    start = server.log[0].at
    first_wave = [
        (d("plain"), "TXT"),
        (d("plain"), "MX"),
        ("_dmarc." + d("plain"), "TXT"),
        ("_domainkey." + d("plain"), "TXT"),
        ("_adsp._domainkey." + d("plain"), "TXT"),
        ("_mta-sts." + d("plain"), "TXT"),
        ("_smtp._tls." + d("plain"), "TXT"),
        ("default._bimi." + d("plain"), "TXT"),
    ]
    late = {
        name: [round(a.at - start, 3) for a in server.asked(name, rdtype)]
        for name, rdtype in first_wave
        if not [a for a in server.asked(name, rdtype) if a.at - start < 0.2]
    }
    assert late == {}
    probes = [a for a in server.log if RANDOM_LABEL.match(a.name)]
    assert probes and probes[0].at - start < 0.2
    # _domainkey.plain is NXDOMAIN: no selector below it is asked (DESIGN.md dkim).
    below = [
        a.name
        for a in server.log
        if a.name.endswith("._domainkey." + d("plain"))
        and a.name != "_adsp._domainkey." + d("plain")
    ]
    assert below == []


@pytest.mark.parametrize(("concurrency", "bounded"), [(2, True), (64, False)])
def test_queries_in_flight_are_bounded_by_the_setting(
    brief_server: Callable[..., BriefServer], concurrency: int, bounded: bool
) -> None:
    # SPEC-BRIEF 8.4 "run many with asyncio.gather under an asyncio.Semaphore (make it a
    # setting)"; DESIGN.md "Concurrency is bounded and configurable". The server holds each
    # answer 40 ms and counts the queries it holds at once. The unbounded run shows the count
    # can exceed the bound.
    server = brief_server(delay_ms=40)
    options = options_for(server, concurrency=concurrency, timeout=2.0)
    domains = [d("plain"), d("nodata"), d("case")]
    results = check_domains_sync(domains, options)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    if bounded:
        assert 0 < server.max_held <= concurrency
    else:
        assert server.max_held > 2


def test_one_cache_per_run_and_runs_are_independent(
    brief_server: Callable[..., BriefServer],
) -> None:
    # SPEC-BRIEF 8.3 / DESIGN.md "One DNS cache per scan run: thousands of domains include the
    # same provider records": four domains, one query for the shared include; "create the
    # resolver (or its cache) per run and drop it at the end so runs stay independent".
    server = brief_server()
    options = options_for(server)
    domains = [d(f"shared{n}") for n in range(1, 5)]
    first = check_domains_sync(domains, options)
    assert [r.spf.state for r in first if r.spf] == ["valid"] * 4
    assert len(server.asked("_spf.provider." + ZONE)) == 1
    check_domains_sync(domains, options)
    assert len(server.asked("_spf.provider." + ZONE)) == 2


# =============================================================================================
# DESIGN.md "Public interface": check_domains, known selectors, CLI options
# =============================================================================================


def test_check_domains_yields_results_as_they_complete(
    brief_server: Callable[..., BriefServer],
) -> None:
    # DESIGN.md / result-schema: check_domains() yields results as they complete; dropfirst
    # loses every first answer (each query waits one 0.3 s timeout), plain answers at once.
    server = brief_server()
    options = options_for(server)

    async def collect() -> list[str]:
        return [
            result.domain
            async for result in check_domains([d("dropfirst"), d("plain")], options)
        ]

    assert asyncio.run(collect()) == [d("plain"), d("dropfirst")]


def test_known_selectors_are_per_domain(scan_options: ScanOptions) -> None:
    # DESIGN.md: "probe a documented list of common selectors plus the domain's own known
    # selectors from the registry": (domain, selectors) pairs; sela's known selector is not
    # probed on selb, which publishes a key at the same selector.
    results = check_domains_sync(
        [(d("sela"), ["brief-sel"]), (d("selb"), []), d("plain")], scan_options
    )
    sela, selb, plain = (checked(r.to_json()) for r in results)
    assert (sela["dkim"]["state"], sela["dkim"]["evidence"]) == (
        "found",
        "selector_key",
    )
    assert [s["selector"] for s in sela["dkim"]["selectors"]] == ["brief-sel"]
    assert sela["dkim"]["selectors"][0]["key_bits"] == 2048
    assert selb["dkim"]["state"] == "domainkey_exists"
    assert selb["dkim"]["selectors"] == []
    assert plain["dkim"]["state"] == "none"


def test_cli_selectors_list_is_probed(dns_server: DnsServer) -> None:
    # DESIGN.md public interface: `--selectors a,b`: both selectors probed, both keys found.
    (result,) = json_lines(
        cli(dns_server, "--selectors", "brief-one,brief-two", d("selc"))
    )
    assert result["dkim"]["state"] == "found"
    assert sorted(s["selector"] for s in result["dkim"]["selectors"]) == [
        "brief-one",
        "brief-two",
    ]


def test_cli_repeated_nameserver_falls_over(
    dns_server: DnsServer, dns_server_factory: Callable[..., DnsServer]
) -> None:
    # DESIGN.md public interface: `--nameserver H[:P]...` is repeatable; SPEC-BRIEF 7.3
    # "retry on a different upstream": a refusing first server is not a temperror.
    refusing = dns_server_factory(mode="refused")
    process = cli(
        refusing, "--nameserver", dns_server.nameserver, d("plain"), d("case")
    )
    results = json_lines(process)
    assert [(r["domain"], r["status"]) for r in results] == [
        (d("plain"), "ok"),
        (d("case"), "ok"),
    ]
    assert "temperror" not in {state for r in results for state in states(r).values()}


# =============================================================================================
# SPEC-BRIEF 9: the vocabulary over every scenario of brief-dns.zone
# =============================================================================================


def test_no_scenario_uses_message_words(scan_options: ScanOptions) -> None:
    # SPEC-BRIEF 9: "A DNS scanner has no message ... must not show 'SPF pass' for a domain";
    # state words none/temperror/permerror/valid (DESIGN.md words per protocol).
    labels = sorted(
        {
            line.split()[0]
            for line in (ZONES_DIR / "brief-dns.zone").read_text().splitlines()
            if line[:1].isalpha() and "." not in line.split()[0]
        }
        - {"ns"}
    )
    results = check_domains_sync([d(label) for label in labels], scan_options)
    assert len(results) == len(labels) > 30
    for result in results:
        checked(result.to_json())


def test_urls_in_records_are_not_followed(
    brief_server: Callable[..., BriefServer],
) -> None:
    # SPEC-BRIEF 6.2 "The HTTPS fetch is not DNS ... report TXT presence only", 6.4 "TXT
    # presence and tags only, no URL fetching"; DESIGN.md "never follow it anywhere but DNS".
    # Fetching the MTA-STS policy, the BIMI logo or VMC would first resolve their hosts.
    server = brief_server()
    (result,) = check_domains_sync([d("urls")], options_for(server))
    data = checked(result.to_json())
    assert (
        data["mta_sts"]["state"],
        data["tls_rpt"]["state"],
        data["bimi"]["state"],
    ) == (
        "found",
        "found",
        "found",
    )
    hosts = {f"{label}.urls.{ZONE}" for label in ("mta-sts", "logo", "vmc", "reports")}
    assert [a.name for a in server.log if a.name in hosts] == []


def test_dnssec_from_a_resolver_trusted_to_validate(
    brief_server: Callable[..., BriefServer],
) -> None:
    # SPEC-BRIEF 6.5: with a validating resolver over a trusted path (--trust-ad), the AD bit
    # of the apex answers says secure or insecure.
    signed = brief_server(set_ad=True)
    (result,) = check_domains_sync([d("plain")], options_for(signed, trust_ad=True))
    assert checked(result.to_json())["dnssec"] == "secure"
    unsigned = brief_server()
    (result,) = check_domains_sync([d("plain")], options_for(unsigned, trust_ad=True))
    assert checked(result.to_json())["dnssec"] == "insecure"
