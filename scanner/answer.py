"""One DNS query's outcome in plain values: the type the run's cache holds.

It lives below both :mod:`scanner.dnsio` (which produces answers) and
:mod:`scanner.context` (whose memo stores them), so neither has to import the other for it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Outcome = Literal["answer", "nodata", "nxdomain"]


class DnsAnswer(NamedTuple):
    """One query's outcome in plain values.

    ``txt`` holds one ``bytes`` per TXT RR, its character-strings joined with nothing between
    them (RFC 7208 3.3, RFC 6376 3.6.2.2); ``mx`` is ``(preference, exchange)`` pairs sorted by
    preference (names lower-case without the trailing dot). A/AAAA and other answers are read
    for their outcome only. ``canonical_name`` is where a CNAME chain ended.
    """

    qname: str
    rdtype: str
    outcome: Outcome
    canonical_name: str
    txt: tuple[bytes, ...] = ()
    mx: tuple[tuple[int, str], ...] = ()
    authenticated: bool = (
        False  # the AD bit; meaningful only from a trusted validating resolver
    )

    @property
    def cname_target(self) -> str | None:
        """Where a CNAME chain from ``qname`` ended; None when the answer is for ``qname``."""
        return self.canonical_name if self.canonical_name != self.qname else None

    @property
    def exists(self) -> bool:
        """The name exists (RFC 8020: NXDOMAIN means nothing at or below it)."""
        return self.outcome != "nxdomain"

    @property
    def empty(self) -> bool:
        """A void lookup in RFC 7208 4.6.4 terms: NXDOMAIN or NOERROR with no records."""
        return self.outcome != "answer"


__all__ = ["DnsAnswer", "Outcome"]
