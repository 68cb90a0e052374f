"""What makes a forged DNS answer hard to get accepted: random source ports and DNS 0x20.

An off-path forger who wants a scan to record its answer (a ``_dmarc`` TXT saying
``p=reject`` for a domain that publishes none, say) sends datagrams from the resolver's
address and must match a query it cannot see. RFC 5452 9.1 lists what an answer must match:
the server's address and port, the query ID, the source port and the question. This module
makes each of them cost guesses (RFC 5452 9.2 and 10):

- the query ID: 16 random bits from the OS (:class:`RandomBytes`);
- the source port: every UDP socket is bound to a port drawn at random from
  :data:`PORT_LOW`..:data:`PORT_HIGH` (about 16 bits) and used for a bounded number of
  queries only (``scanner.stub``), so a port learnt by a side channel soon stops mattering;
- the letter case of the question (draft-vixie-dnsext-dns0x20): each ASCII letter of the
  name is upper or lower case at random, and an answer must echo the question byte for byte.
  A name such as ``_dmarc.example.jp`` carries 14 such bits.

Together a forger needs some 2^32 guesses per query, and more for every letter of the name.

Some resolvers do not echo the question's case (they answer with their cache's spelling).
:class:`CasePolicy` then turns 0x20 off for that resolver, by a rule a forger cannot use to
turn it off for one that does echo: see its docstring (docs/scanner-decisions.md 8.5).
"""

from __future__ import annotations

import enum
import errno
import logging
import os
import secrets
import socket
from dataclasses import dataclass

# RFC 5452 9.2: as large a range as possible; below 1024 are privileged, well-known ports.
PORT_LOW, PORT_HIGH = 1024, 65535
# Random ports tried before leaving the choice to the OS (still random on Linux): a busy
# port (another process's) is skipped, not an error.
PORT_ATTEMPTS = 32
BUSY_ERRNOS = frozenset({errno.EADDRINUSE, errno.EACCES})
# An answer whose question matches but for letter case, while 0x20 is on, is refused; after
# this many such answers from one resolver, and none that echoed a mixed-case question
# exactly, the resolver is taken not to echo case and 0x20 is turned off for it.
CASE_STRIKES = 2
HEADER_OCTETS = 12  # RFC 1035 4.1.1: the question section starts after the header
RANDOM_CHUNK = 4096  # octets fetched from the OS at a time (about 90 queries' worth)
CASE_BIT = 0x20  # ASCII upper and lower case differ in this bit only
# bytes.translate tables: an octet -> CASE_BIT if it is an ASCII letter; a random octet ->
# CASE_BIT or 0 (its lowest bit: a fair coin).
LETTERS = bytes(
    CASE_BIT if ord("a") <= octet | CASE_BIT <= ord("z") else 0 for octet in range(256)
)
COINS = bytes(CASE_BIT if octet & 1 else 0 for octet in range(256))

log = logging.getLogger(__name__)


def bind_random_port(sock: socket.socket, family: socket.AddressFamily) -> None:
    """Bind ``sock`` to a port drawn from PORT_LOW..PORT_HIGH (RFC 5452 9.2).

    The OS's own ephemeral range is narrower (about 28,000 ports on Linux); a port taken by
    another socket is skipped. After PORT_ATTEMPTS busy ports the OS picks one.
    """
    host = "::" if family == socket.AF_INET6 else "0.0.0.0"  # noqa: S104 - a client socket
    for _ in range(PORT_ATTEMPTS):
        port = PORT_LOW + secrets.randbelow(PORT_HIGH - PORT_LOW + 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno not in BUSY_ERRNOS:
                raise
            continue
        return
    sock.bind((host, 0))


class RandomBytes:
    """Unpredictable octets from the OS (``os.urandom``, as ``secrets`` uses), 4 KiB at a time.

    Every query needs an ID and a coin per letter of its name; one system call per ~90
    queries instead of two per query keeps that cheap. One instance per resolver (per run).
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._position = 0

    def take(self, count: int) -> bytes:
        end = self._position + count
        if end > len(self._buffer):
            self._buffer = os.urandom(max(RANDOM_CHUNK, count))
            self._position, end = 0, count
        octets = self._buffer[self._position : end]
        self._position = end
        return octets

    def query_id(self) -> int:
        """A random 16-bit query ID (RFC 5452 9.2)."""
        return int.from_bytes(self.take(2), "big")


def random_case(qname: bytes, source: RandomBytes) -> bytes:
    """``qname`` (wire form) with every ASCII letter in a random case (dns0x20 draft, 4).

    Length octets are below 64 and so never letters; other characters are left alone. The
    flips are computed on whole integers (C speed), not octet by octet.
    """
    size = len(qname)
    letters = int.from_bytes(qname.translate(LETTERS), "big")
    coins = int.from_bytes(source.take(size).translate(COINS), "big")
    return (int.from_bytes(qname, "big") ^ (letters & coins)).to_bytes(size, "big")


class Echo(enum.Enum):
    """How an answer's question section compares with the question that was sent."""

    EXACT = "exact"
    CASE_ONLY = "case_only"  # the same name and type, other letter case
    OTHER = "other"


def echo_of(sent: bytes, answer: bytes) -> Echo:
    """Compare the question ``sent`` (name, type, class) with the one ``answer`` carries."""
    echoed = answer[HEADER_OCTETS : HEADER_OCTETS + len(sent)]
    if echoed == sent:
        return Echo.EXACT
    if echoed.lower() == sent.lower():
        return Echo.CASE_ONLY
    return Echo.OTHER


@dataclass
class CasePolicy:
    """Whether one resolver gets 0x20 questions, learnt from its answers during one run.

    The rule, chosen so that a forged answer cannot turn 0x20 off for a resolver that echoes:

    - 0x20 starts on. An answer that echoes a mixed-case question exactly proves the
      resolver echoes case; from then on 0x20 stays on for the run, whatever arrives.
    - While on, an answer whose question differs only in case is refused (it is what a
      forger who guessed port and ID but not case would send) and counted.
    - After CASE_STRIKES such answers, with no exact echo yet, 0x20 is turned off for the
      resolver and the answer that reached the count is accepted; later answers are then
      compared without regard to case (port and ID still hold).

    A forger could only trigger the fallback by matching port and ID (~2^32 guesses) CASE_STRIKES
    times before the resolver's first genuine answer arrives, which takes milliseconds. A
    resolver that does not echo costs the first queries of a run one timeout each.
    """

    server: str
    enabled: bool = True
    echoed: bool = False
    strikes: int = 0

    def question(self, qname: bytes, source: RandomBytes) -> bytes:
        """The name to send: randomised case while 0x20 is on, else as given."""
        return random_case(qname, source) if self.enabled else qname

    def accepts(self, sent: bytes, answer: bytes) -> bool:
        """Whether ``answer`` answers the question ``sent`` (RFC 5452 9.1; 0x20 draft 4)."""
        echo = echo_of(sent, answer)
        if echo is Echo.EXACT:
            if not self.echoed and sent != sent.lower():  # mixed case, echoed as sent
                self.echoed = True
            return True
        if echo is Echo.OTHER:
            return False
        if not self.enabled:
            return True
        return self._strike()

    def _strike(self) -> bool:
        self.strikes += 1
        if self.echoed or self.strikes < CASE_STRIKES:
            return False
        self.enabled = False
        log.warning(
            "resolver %s does not echo the question's letter case: DNS 0x20 is off for it "
            "in this run (docs/operations.md)",
            self.server,
        )
        return True


__all__ = [
    "CasePolicy",
    "Echo",
    "RandomBytes",
    "bind_random_port",
    "echo_of",
    "random_case",
]
