"""Private DNS servers and zones for scenarios the shared zone files cannot hold."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import dns.rcode
import dns.rdatatype

from tests.conftest import ZONES_DIR
from tests.dnsserver import DnsServer, Key, Question, parse_question
from tests.scanner.helpers import key


class TypeFaultServer(DnsServer):
    """The zone server with per-(name, type) faults that ``@fault`` cannot express.

    ``@fault`` in a zone file applies to a name and every type; the outcomes of
    docs/scanner-decisions.md 7.1 need one lookup of a name failing while another answers,
    other RCODEs (NOTIMP, FORMERR) and a TCP path that does not answer after TC=1. Actions:
    ``silent`` (never answer), ``tcp-silent`` (answer UDP only), or an RCODE.
    """

    def __init__(self, faults: dict[tuple[Key, int], str]) -> None:
        super().__init__(ZONES_DIR)
        self.faults = faults

    def answer(self, question: Question, tcp: bool) -> tuple[bytes | None, bool]:
        action = self.faults.get((question.key, question.rdtype))
        if action == "silent" or (action == "tcp-silent" and tcp):
            return None, True
        if action in ("notimp", "formerr", "yxdomain"):
            return self.wire.rcode_only(question, dns.rcode.from_text(action)), True
        return super().answer(question, tcp)


FLAG_AD = 0x0020


@dataclass(frozen=True)
class Asked:
    at: float
    name: str
    rdtype: str
    tcp: bool
    flags: int  # the query's header flags
    payload: int | None  # EDNS UDP payload, None without OPT
    edns_flags: int  # the OPT record's flags (DO is 0x8000)


class RecordingServer(DnsServer):
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


ORG_ZONES = (
    # Organisational domain with p, sp and np (RFC 7489 6.6.3, RFC 9989 4.10.1).
    """
$ORIGIN dmarc-cases-org.test.
@            IN SOA ns.dmarc-cases-org.test. h.dmarc-cases-org.test. 1 3600 600 86400 300
@            IN NS  ns.dmarc-cases-org.test.
@            IN A   192.0.2.10
_dmarc       IN TXT "v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:agg@dmarc-cases-org.test"
sub          IN A   192.0.2.10
x.sub        IN A   192.0.2.10
own          IN A   192.0.2.10
_dmarc.own   IN TXT "v=DMARC1; p=none"
sfail        IN A   192.0.2.10
_dmarc.sfail IN TXT "v=DMARC1; p=none"
; @fault _dmarc.sfail servfail
tout         IN A   192.0.2.10
_dmarc.tout  IN TXT "v=DMARC1; p=none"
; @fault _dmarc.tout timeout
mid          IN A   192.0.2.10
_dmarc.mid   IN TXT "v=DMARC1; p=none"
leaf.mid     IN A   192.0.2.10
midn         IN A   192.0.2.10
_dmarc.midn  IN TXT "v=DMARC1; p=none; psd=n"
leaf.midn    IN A   192.0.2.10
walkfail     IN A   192.0.2.10
_dmarc.walkfail IN TXT "v=DMARC1; p=none; psd=n"
leaf.walkfail IN A  192.0.2.10
deep.ent     IN A   192.0.2.10
dang         IN A   192.0.2.10
_dmarc.dang  IN CNAME nowhere.dmarc-cases-org.test.
spfsub       IN A   192.0.2.10
_dmarc.spfsub IN TXT "v=spf1 -all"
vlowersub    IN A   192.0.2.10
_dmarc.vlowersub IN TXT "v=dmarc1; p=none"
twosub       IN A   192.0.2.10
_dmarc.twosub IN TXT "v=DMARC1; p=none"
_dmarc.twosub IN TXT "v=DMARC1; p=none; rua=mailto:agg@dmarc-cases-org.test"
; @fault _dmarc.walkfail servfail
""",
    # The organisational domain's _dmarc fails in DNS (SERVFAIL / timeout).
    """
$ORIGIN dmarc-cases-orgfail.test.
@      IN SOA ns.dmarc-cases-orgfail.test. h.dmarc-cases-orgfail.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-orgfail.test.
@      IN A   192.0.2.11
_dmarc IN TXT "v=DMARC1; p=reject"
sub    IN A   192.0.2.11
; @fault _dmarc servfail
""",
    """
$ORIGIN dmarc-cases-orgtout.test.
@      IN SOA ns.dmarc-cases-orgtout.test. h.dmarc-cases-orgtout.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-orgtout.test.
@      IN A   192.0.2.12
_dmarc IN TXT "v=DMARC1; p=reject"
sub    IN A   192.0.2.12
; @fault _dmarc timeout
""",
    # Two DMARC records at the organisational domain.
    """
$ORIGIN dmarc-cases-orgtwo.test.
@      IN SOA ns.dmarc-cases-orgtwo.test. h.dmarc-cases-orgtwo.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-orgtwo.test.
@      IN A   192.0.2.13
_dmarc IN TXT "v=DMARC1; p=reject"
_dmarc IN TXT "v=DMARC1; p=none"
sub    IN A   192.0.2.13
""",
    # An invalid sp at the organisational domain, no rua.
    """
$ORIGIN dmarc-cases-orgbadsp.test.
@      IN SOA ns.dmarc-cases-orgbadsp.test. h.dmarc-cases-orgbadsp.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-orgbadsp.test.
@      IN A   192.0.2.14
_dmarc IN TXT "v=DMARC1; p=reject; sp=bogus"
sub    IN A   192.0.2.14
""",
    # lg.jp (a public suffix): only the city publishes; the PSL org domain is dmarccases.lg.jp.
    """
$ORIGIN dmarccases.lg.jp.
@           IN SOA ns.dmarccases.lg.jp. h.dmarccases.lg.jp. 1 3600 600 86400 300
@           IN NS  ns.dmarccases.lg.jp.
@           IN A   192.0.2.20
city        IN A   192.0.2.20
_dmarc.city IN TXT "v=DMARC1; p=reject; sp=quarantine"
mail.city   IN A   192.0.2.20
""",
    # lg.jp, both the "prefecture-level" name and the city publish.
    """
$ORIGIN dmarccases2.lg.jp.
@           IN SOA ns.dmarccases2.lg.jp. h.dmarccases2.lg.jp. 1 3600 600 86400 300
@           IN NS  ns.dmarccases2.lg.jp.
@           IN A   192.0.2.21
_dmarc      IN TXT "v=DMARC1; p=none"
city        IN A   192.0.2.21
_dmarc.city IN TXT "v=DMARC1; p=reject; sp=reject"
mail.city   IN A   192.0.2.21
""",
    # A record at _dmarc.go.jp WITHOUT psd=y (docs/scanner-decisions.md 4.3 "practical
    # difference").
    """
$ORIGIN go.jp.
@          IN SOA ns.go.jp. h.go.jp. 1 3600 600 86400 300
@          IN NS  ns.go.jp.
_dmarc     IN TXT "v=DMARC1; p=reject"
dmarccases IN A   192.0.2.22
""",
    # A PSD record (psd=y) at _dmarc.ac.jp (RFC 9989 4.10.2 step 2, 4.10.1).
    """
$ORIGIN ac.jp.
@          IN SOA ns.ac.jp. h.ac.jp. 1 3600 600 86400 300
@          IN NS  ns.ac.jp.
_dmarc     IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y"
dmarccases IN A   192.0.2.23
""",
    # Inheritance of pct and of sp when p=none.
    """
$ORIGIN dmarc-cases-org2.test.
@      IN SOA ns.dmarc-cases-org2.test. h.dmarc-cases-org2.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-org2.test.
@      IN A   192.0.2.15
_dmarc IN TXT "v=DMARC1; p=quarantine; pct=20"
sub    IN A   192.0.2.15
""",
    """
$ORIGIN dmarc-cases-org3.test.
@      IN SOA ns.dmarc-cases-org3.test. h.dmarc-cases-org3.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-org3.test.
@      IN A   192.0.2.16
_dmarc IN TXT "v=DMARC1; p=none; sp=reject"
sub    IN A   192.0.2.16
""",
    # An inherited record reporting to an external destination (the policy domain is the org).
    """
$ORIGIN dmarc-cases-pol2.test.
@      IN SOA ns.dmarc-cases-pol2.test. h.dmarc-cases-pol2.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-pol2.test.
@      IN A   192.0.2.31
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-dest.test"
sub    IN A   192.0.2.31
""",
    # A policy domain whose authorisation name would exceed 253 octets.
    """
$ORIGIN dmarc-cases-pol3.test.
@      IN SOA ns.dmarc-cases-pol3.test. h.dmarc-cases-pol3.test. 1 3600 600 86400 300
@      IN NS  ns.dmarc-cases-pol3.test.
lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm        IN A   192.0.2.32
_dmarc.lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm IN TXT "v=DMARC1; p=reject; rua=mailto:agg@lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.dmarc-cases-dest.test"
lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk        IN A   192.0.2.32
_dmarc.lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk IN TXT "v=DMARC1; p=reject; rua=mailto:agg@ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.pppppppppppppppppppppppppppppppppppppppp.dmarc-cases-wdest3.test"
""",
    # A PSD record at a (fictitious) TLD: the walk must go down to the TLD (RFC 9989 4.10).
    """
$ORIGIN dmarccasestld.
@      IN SOA ns.dmarccasestld. h.dmarccasestld. 1 3600 600 86400 300
@      IN NS  ns.dmarccasestld.
_dmarc IN TXT "v=DMARC1; p=reject; psd=y"
brand  IN A   192.0.2.24
""",
    # Policy domains sending reports elsewhere (RFC 7489 7.1, RFC 9990 4).
    """
$ORIGIN dmarc-cases-pol.test.
@                   IN SOA ns.dmarc-cases-pol.test. h.dmarc-cases-pol.test. 1 3600 600 86400 300
@                   IN NS  ns.dmarc-cases-pol.test.
@                   IN A   192.0.2.30
ext-ok              IN A   192.0.2.30
_dmarc.ext-ok       IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-dest.test"
ext-no              IN A   192.0.2.30
_dmarc.ext-no       IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-dest.test"
ext-wild            IN A   192.0.2.30
_dmarc.ext-wild     IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-wdest.test"
ext-fail            IN A   192.0.2.30
_dmarc.ext-fail     IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-fdest.test"
ext-int             IN A   192.0.2.30
_dmarc.ext-int      IN TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.dmarc-cases-pol.test"
ext-notdmarc        IN A   192.0.2.30
_dmarc.ext-notdmarc IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-dest.test"
ext-size            IN A   192.0.2.30
_dmarc.ext-size     IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-dest.test!10m"
ext-shadow          IN A   192.0.2.30
_dmarc.ext-shadow   IN TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.dmarc-cases-wdest2.test"
ext-mixed           IN A   192.0.2.30
_dmarc.ext-mixed    IN TXT "v=DMARC1; p=reject; rua=mailto:a@rcpt.dmarc-cases-wdest.test,mailto:b@other.dmarc-cases-dest.test; ruf=mailto:f@dmarc-cases-pol.test"
""",
    """
$ORIGIN dmarc-cases-dest.test.
@    IN SOA ns.dmarc-cases-dest.test. h.dmarc-cases-dest.test. 1 3600 600 86400 300
@    IN NS  ns.dmarc-cases-dest.test.
rcpt IN A   192.0.2.40
ext-ok.dmarc-cases-pol.test._report._dmarc.rcpt       IN TXT "v=DMARC1"
ext-notdmarc.dmarc-cases-pol.test._report._dmarc.rcpt IN TXT "v=spf1 -all"
ext-size.dmarc-cases-pol.test._report._dmarc.rcpt     IN TXT "v=DMARC1"
dmarc-cases-pol2.test._report._dmarc.rcpt             IN TXT "v=DMARC1"
other IN A 192.0.2.40
""",
    """
$ORIGIN dmarc-cases-wdest.test.
@                        IN SOA ns.dmarc-cases-wdest.test. h.dmarc-cases-wdest.test. 1 3600 600 86400 300
@                        IN NS  ns.dmarc-cases-wdest.test.
rcpt                     IN A   192.0.2.41
*._report._dmarc.rcpt    IN TXT "v=DMARC1;"
""",
    # A wildcard authorisation shadowed by a specific record that shares the policy domain's
    # parent: "ext-shadow.dmarc-cases-pol.test._report._dmarc.rcpt..." is NXDOMAIN (RFC 4592
    # 3.3.1: its closest encloser "dmarc-cases-pol.test._report._dmarc.rcpt..." exists).
    """
$ORIGIN dmarc-cases-wdest2.test.
@                     IN SOA ns.dmarc-cases-wdest2.test. h.dmarc-cases-wdest2.test. 1 3600 600 86400 300
@                     IN NS  ns.dmarc-cases-wdest2.test.
rcpt                  IN A   192.0.2.43
*._report._dmarc.rcpt IN TXT "v=DMARC1"
other.dmarc-cases-pol.test._report._dmarc.rcpt IN TXT "v=DMARC1"
""",
    # A wildcard authorisation under a long host name.
    """
$ORIGIN dmarc-cases-wdest3.test.
@    IN SOA ns.dmarc-cases-wdest3.test. h.dmarc-cases-wdest3.test. 1 3600 600 86400 300
@    IN NS  ns.dmarc-cases-wdest3.test.
ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.pppppppppppppppppppppppppppppppppppppppp                  IN A   192.0.2.44
*._report._dmarc.ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo.pppppppppppppppppppppppppppppppppppppppp IN TXT "v=DMARC1"
""",
    """
$ORIGIN dmarc-cases-fdest.test.
@    IN SOA ns.dmarc-cases-fdest.test. h.dmarc-cases-fdest.test. 1 3600 600 86400 300
@    IN NS  ns.dmarc-cases-fdest.test.
rcpt IN A   192.0.2.42
ext-fail.dmarc-cases-pol.test._report._dmarc.rcpt IN TXT "v=DMARC1"
; @fault _report._dmarc.rcpt servfail
""",
)


POL = "authpolicy-rules-pol.test"  # policy domains with external report destinations


DEST = "authpolicy-rules-dest.test"  # the report consumer


JP_ZONES = (
    # lg.jp (docs/scanner-decisions.md 4.6): the city sends reports to the prefecture; the PSL
    # puts both under one organisational domain, rulesx.lg.jp.
    """
$ORIGIN rulesx.lg.jp.
@           SOA ns.rulesx.lg.jp. h.rulesx.lg.jp. 1 3600 600 86400 300
@           NS  ns.rulesx.lg.jp.
city        A   192.0.2.60
_dmarc.city TXT "v=DMARC1; p=reject; rua=mailto:dmarc@pref.rulesx.lg.jp"
pref        A   192.0.2.61
""",
    # go.jp ministries reporting to one CERT (docs/scanner-decisions.md 4.5); no
    # _dmarc.go.jp.
    """
$ORIGIN go.jp.
@                SOA ns.go.jp. h.go.jp. 1 3600 600 86400 300
@                NS  ns.go.jp.
rulesmin         A   192.0.2.62
_dmarc.rulesmin  TXT "v=DMARC1; p=reject; rua=mailto:dmarc@rulesmin.go.jp,mailto:dmarc@rulescert.go.jp"
rulesmin2        A   192.0.2.63
_dmarc.rulesmin2 TXT "v=DMARC1; p=reject; rua=mailto:dmarc@rulescert.go.jp"
rulescert        A   192.0.2.64
rulesmin.go.jp._report._dmarc.rulescert TXT "v=DMARC1"
""",
    f"""
$ORIGIN {POL}.
@                  SOA ns.{POL}. h.{POL}. 1 3600 600 86400 300
@                  NS  ns.{POL}.
ovr-same           A   192.0.2.70
_dmarc.ovr-same    TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
ovr-other          A   192.0.2.70
_dmarc.ovr-other   TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
multitxt           A   192.0.2.70
_dmarc.multitxt    TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
lowerv             A   192.0.2.70
_dmarc.lowerv      TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
notfirst           A   192.0.2.70
_dmarc.notfirst    TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
upper              A   192.0.2.70
_dmarc.upper       TXT "v=DMARC1; p=reject; rua=mailto:agg@RCPT.Authpolicy-Rules-Dest.TEST"
xn--eckwd4c7c      A   192.0.2.70
_dmarc.xn--eckwd4c7c TXT "v=DMARC1; p=reject; rua=mailto:agg@rcpt.{DEST}"
""",
    f"""
$ORIGIN {DEST}.
@    SOA ns.{DEST}. h.{DEST}. 1 3600 600 86400 300
@    NS  ns.{DEST}.
rcpt A   192.0.2.71
ovr-same.{POL}._report._dmarc.rcpt  TXT "v=DMARC1; rua=mailto:other@rcpt.{DEST}"
ovr-other.{POL}._report._dmarc.rcpt TXT "v=DMARC1; rua=mailto:x@elsewhere.authpolicy-rules-dest2.test"
multitxt.{POL}._report._dmarc.rcpt  TXT "site-verification=abc123"
multitxt.{POL}._report._dmarc.rcpt  TXT "v=DMARC1"
lowerv.{POL}._report._dmarc.rcpt    TXT "v=dmarc1"
notfirst.{POL}._report._dmarc.rcpt  TXT "rua=mailto:agg@rcpt.{DEST}; v=DMARC1"
upper.{POL}._report._dmarc.rcpt     TXT "v=DMARC1"
xn--eckwd4c7c.{POL}._report._dmarc.rcpt TXT "v=DMARC1"
""",
)
