"""MX hosts, implicit MX and null MX (RFC 5321 5.1, RFC 7505; docs/scanner-decisions.md 6.1).

A null MX (one RR, preference 0, exchange ".") says "this domain accepts no mail"; with
``v=spf1 -all`` and DMARC ``reject`` it marks a fully locked-down parked domain. Without MX
records, RFC 5321 5.1 makes the domain's own A/AAAA the mail host (implicit MX).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .answer import DnsAnswer
from .dnsio import query
from .errors import InvalidName, TempError

if TYPE_CHECKING:
    from .context import ScanContext

MxState = Literal["none", "found", "null_mx", "temperror"]
NULL_EXCHANGE = "."  # RFC 7505 3: the root name as exchange
NULL_PREFERENCE = 0  # RFC 7505 3: a null MX has preference 0
# Exchanges checked for CNAME/address problems; RFC 7208 4.6.4 caps an SPF "mx" at 10 names,
# a useful bound for hostile MX sets too. Hosts past it are listed, not checked.
MAX_CHECKED_EXCHANGES = 10


@dataclass(frozen=True)
class MxHost:
    preference: int
    host: str

    def to_json(self) -> dict[str, Any]:
        return {"preference": self.preference, "host": self.host}


@dataclass(frozen=True)
class MxResult:
    state: MxState
    hosts: tuple[MxHost, ...] = ()
    implicit_mx: bool | None = (
        None  # only for NODATA: A/AAAA at the domain (RFC 5321 5.1)
    )
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "hosts": [host.to_json() for host in self.hosts],
            "implicit_mx": self.implicit_mx,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def classify_mx(
    records: tuple[tuple[int, str], ...],
) -> tuple[MxState, tuple[str, ...]]:
    """State and warnings from the MX set alone (pure; ``"."`` is the root exchange)."""
    nulls = [pref for pref, host in records if host == NULL_EXCHANGE]
    if not nulls:
        return "found", ()
    if len(records) == 1 and nulls == [NULL_PREFERENCE]:
        return "null_mx", ()
    if len(records) > len(nulls):
        # RFC 7505 3: a domain that advertises a null MX MUST NOT advertise any other MX RR.
        return "found", ("invalid_null_mx",)
    return "found", (
        "malformed_null_mx",
    )  # "." with preference != 0, or several of them


def host_warnings(host: str) -> tuple[str, ...]:
    """An exchange that is an address literal instead of a host name (RFC 5321 5.1)."""
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return ()
    return (f"mx_ip_literal: {host}",)


async def check_mx(domain: str, ctx: ScanContext) -> MxResult:
    """The mail hosts of ``domain``, a null MX, or the implicit MX."""
    try:
        answer = await query(ctx, domain, "MX")
    except TempError as error:
        return MxResult("temperror", errors=(str(error),))
    except InvalidName as error:
        return MxResult("none", errors=(str(error),))
    if answer.outcome == "nxdomain":
        return MxResult("none")  # the domain does not exist; the engine reports it
    if answer.outcome == "nodata":
        return await _implicit(domain, ctx)
    hosts = tuple(MxHost(pref, host) for pref, host in answer.mx)
    state, warnings = classify_mx(answer.mx)
    if state == "null_mx":
        return MxResult("null_mx", hosts)
    names = [h.host for h in hosts if h.host != NULL_EXCHANGE]
    literal = [w for name in names for w in host_warnings(name)]
    checked = [name for name in names if not host_warnings(name)][
        :MAX_CHECKED_EXCHANGES
    ]
    found = await asyncio.gather(*(_exchange_warnings(ctx, name) for name in checked))
    all_warnings = (*warnings, *literal, *(w for ws in found for w in ws))
    return MxResult("found", hosts, warnings=tuple(dict.fromkeys(all_warnings)))


async def _implicit(domain: str, ctx: ScanContext) -> MxResult:
    """NODATA for MX: the domain is its own mail host if it has an address (RFC 5321 5.1)."""
    answers = await asyncio.gather(
        *(_address(ctx, domain, rdtype) for rdtype in ("A", "AAAA"))
    )
    errors = tuple(a for a in answers if isinstance(a, str))
    if any(isinstance(a, DnsAnswer) and a.outcome == "answer" for a in answers):
        return MxResult("none", implicit_mx=True, errors=errors)
    return MxResult("none", implicit_mx=None if errors else False, errors=errors)


async def _address(ctx: ScanContext, name: str, rdtype: str) -> DnsAnswer | str:
    try:
        return await query(ctx, name, rdtype)
    except (TempError, InvalidName) as error:
        return str(error)


async def _exchange_warnings(ctx: ScanContext, host: str) -> tuple[str, ...]:
    """An exchange that is a CNAME (RFC 2181 10.3), missing, or without any address."""
    a_answer = await _address(ctx, host, "A")
    if isinstance(a_answer, str):
        return (f"mx_lookup_failed: {host}",)
    warnings: tuple[str, ...] = ()
    if a_answer.cname_target is not None:
        warnings += (f"mx_cname: {host} -> {a_answer.canonical_name}",)
    if a_answer.outcome == "nxdomain":
        return (*warnings, f"mx_host_nxdomain: {host}")
    if a_answer.outcome == "answer":
        return warnings
    aaaa = await _address(ctx, host, "AAAA")
    if isinstance(aaaa, str):
        return (*warnings, f"mx_lookup_failed: {host}")
    if aaaa.outcome != "answer":
        warnings += (f"mx_host_no_address: {host}",)
    return warnings


__all__ = ["MxHost", "MxResult", "check_mx", "classify_mx"]
