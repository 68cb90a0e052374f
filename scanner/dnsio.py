"""The only module that sends DNS queries.

Every query ends in exactly one outcome (SPEC-BRIEF 7.1): ``answer``, ``nodata`` (NOERROR, no
records of that type), ``nxdomain``; or raises :class:`TempError` (timeout, SERVFAIL, REFUSED,
no reachable server). dnspython's exceptions are mapped here and nowhere else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from .errors import InvalidName, TempError

if TYPE_CHECKING:
    from .context import ScanContext

Outcome = Literal["answer", "nodata", "nxdomain"]

# RFC 1035 3.3.14 allows any number of 255-octet strings in a TXT RR; an SPF/DMARC/DKIM
# record longer than this is hostile or broken, and is cut before parsing (SPEC-BRIEF 1.1.8).
MAX_TXT_OCTETS = 4096


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """One query's outcome in plain values.

    ``txt`` holds one ``bytes`` per TXT RR, its character-strings joined with nothing between
    them (RFC 7208 3.3, RFC 6376 3.6.2.2); ``mx`` is ``(preference, exchange)`` pairs sorted by
    preference; ``addresses`` for A/AAAA; ``names`` for PTR/NS/CNAME targets. Names are
    lower-case without the trailing dot. ``canonical_name`` is where a CNAME chain ended.
    """

    qname: str
    rdtype: str
    outcome: Outcome
    canonical_name: str
    txt: tuple[bytes, ...] = ()
    mx: tuple[tuple[int, str], ...] = ()
    addresses: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    authenticated: bool = (
        False  # the AD bit; meaningful only from a trusted validating resolver
    )

    @property
    def exists(self) -> bool:
        """The name exists (RFC 8020: NXDOMAIN means nothing at or below it)."""
        return self.outcome != "nxdomain"

    @property
    def empty(self) -> bool:
        """A void lookup in RFC 7208 4.6.4 terms: NXDOMAIN or NOERROR with no records."""
        return self.outcome != "answer"


def to_text(name: dns.name.Name) -> str:
    """A dnspython name as lower-case text without the trailing dot."""
    return name.to_text(omit_final_dot=True).lower()


async def query(ctx: ScanContext, name: str, rdtype: str) -> DnsAnswer:
    """Look ``name``/``rdtype`` up once per run; concurrent callers share the same lookup."""
    key = (name.lower().rstrip("."), rdtype.upper())
    future = ctx.memo.get(key)
    if future is None:
        future = asyncio.get_running_loop().create_future()
        ctx.memo[key] = future
        try:
            future.set_result(await _resolve(ctx, *key))
        except (TempError, InvalidName) as error:
            future.set_exception(error)
            # Mark retrieved: callers that never await this future must not warn at exit.
            future.exception()
    return await asyncio.shield(future)


async def _resolve(ctx: ScanContext, name: str, rdtype: str) -> DnsAnswer:
    try:
        qname = dns.name.from_text(name)
    except (
        dns.exception.DNSException
    ) as error:  # label too long, empty label, name too long
        raise InvalidName("invalid_name", f"{name!r}: {error}") from None
    ctx.counters["queries"] += 1
    async with ctx.semaphore:
        try:
            answer = await ctx.resolver.resolve(
                qname, rdtype, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN as error:
            ctx.counters["nxdomain"] += 1
            return DnsAnswer(name, rdtype, "nxdomain", _nx_canonical(error, qname))
        except dns.resolver.NoNameservers as error:
            ctx.counters["temperror"] += 1
            raise TempError(_rcode_reason(error), f"{name} {rdtype}") from None
        except dns.exception.Timeout:
            ctx.counters["temperror"] += 1
            raise TempError("timeout", f"{name} {rdtype}") from None
        except dns.resolver.YXDOMAIN:
            ctx.counters["temperror"] += 1
            raise TempError("yxdomain", f"{name} {rdtype}") from None
    return _convert(name, rdtype, answer)


def _nx_canonical(error: dns.resolver.NXDOMAIN, qname: dns.name.Name) -> str:
    try:
        return to_text(error.canonical_name)
    except (KeyError, TypeError, AttributeError):
        return to_text(qname)


def _rcode_reason(error: dns.resolver.NoNameservers) -> str:
    """``servfail``/``refused``/... from dnspython's per-server error list."""
    for entry in error.kwargs.get("errors", []):
        detail = entry[3] if len(entry) > 3 else entry
        text = str(detail).lower()
        for token in ("servfail", "refused", "notimp", "formerr"):
            if token in text:
                return token
    return "no_servers"


def _convert(name: str, rdtype: str, answer: dns.resolver.Answer) -> DnsAnswer:
    response = answer.response
    authenticated = bool(response.flags & dns.flags.AD)
    canonical = to_text(answer.canonical_name)
    rrset = answer.rrset
    if rrset is None or len(rrset) == 0:
        return DnsAnswer(name, rdtype, "nodata", canonical, authenticated=authenticated)
    txt: list[bytes] = []
    mx: list[tuple[int, str]] = []
    addresses: list[str] = []
    names: list[str] = []
    for rdata in rrset:
        kind = rdata.rdtype
        if kind == dns.rdatatype.TXT:
            txt.append(b"".join(rdata.strings)[:MAX_TXT_OCTETS])
        elif kind == dns.rdatatype.MX:
            mx.append((int(rdata.preference), to_text(rdata.exchange)))
        elif kind in (dns.rdatatype.A, dns.rdatatype.AAAA):
            addresses.append(rdata.address)
        elif kind in (dns.rdatatype.PTR, dns.rdatatype.NS, dns.rdatatype.CNAME):
            names.append(to_text(rdata.target))
    return DnsAnswer(
        name,
        rdtype,
        "answer",
        canonical,
        txt=tuple(txt),
        mx=tuple(sorted(mx)),
        addresses=tuple(addresses),
        names=tuple(names),
        authenticated=authenticated,
    )
