"""Per-run state: one resolver, one answer cache, one concurrency bound, counters.

Created once per scan run and passed down; there are no module-level caches (STYLE rule 5).
Registries share provider records (``include:_spf.google.com``), so the cache makes those cost
one query per run instead of one per domain.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.nameserver

from .dnsio import DnsAnswer
from .errors import TempError
from .options import ScanOptions


@dataclass
class ScanContext:
    """Everything one scan run shares. Build it with :meth:`create` inside a running loop."""

    options: ScanOptions
    resolver: dns.asyncresolver.Resolver
    semaphore: asyncio.Semaphore
    # (name, rdtype) -> the one in-flight or finished lookup; a TempError is kept too, so a
    # dead provider costs one timeout per run, and the end-of-run retry uses a fresh context.
    memo: dict[tuple[str, str], asyncio.Future[DnsAnswer]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)

    @classmethod
    def create(cls, options: ScanOptions) -> ScanContext:
        return cls(
            options=options,
            resolver=make_resolver(options),
            semaphore=asyncio.Semaphore(options.concurrency),
        )


def make_resolver(options: ScanOptions) -> dns.asyncresolver.Resolver:
    """An async resolver configured from ``options`` only (plus resolv.conf when no servers)."""
    if options.nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port)
            for host, port in options.nameservers
        ]
    else:
        resolver = dns.asyncresolver.Resolver(configure=True)
    resolver.timeout = options.timeout
    resolver.lifetime = options.lifetime
    # EDNS0 with a 1232-octet payload: large TXT sets arrive over UDP when they fit and fall
    # back to TCP on TC=1 (dnspython does the TCP retry itself), SPEC-BRIEF 7.4.
    resolver.use_edns(0, 0, options.edns_payload)
    resolver.cache = None  # our memo is the run's cache
    return resolver


__all__ = ["ScanContext", "TempError", "make_resolver"]
