"""Per-run state: one resolver, one answer cache, one concurrency bound, counters.

Created once per scan run and passed down; there are no module-level caches (STYLE rule 5).
Registries share provider records (``include:_spf.google.com``), so the cache makes those cost
one query per run instead of one per domain.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from .dnsio import DnsAnswer
from .errors import TempError
from .options import ScanOptions
from .stub import StubResolver


@dataclass
class ScanContext:
    """Everything one scan run shares. Build it with :meth:`create` inside a running loop."""

    options: ScanOptions
    stub: StubResolver
    semaphore: asyncio.Semaphore
    # (name, rdtype) -> the one in-flight or finished lookup; a TempError is kept too, so a
    # dead provider costs one timeout per run, and the end-of-run retry uses a fresh context.
    memo: dict[tuple[str, str], asyncio.Future[DnsAnswer]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)

    @classmethod
    def create(cls, options: ScanOptions) -> ScanContext:
        return cls(
            options=options,
            stub=StubResolver(options),
            semaphore=asyncio.Semaphore(options.concurrency),
        )

    def close(self) -> None:
        """Close the run's sockets now (they are closed when the context is collected too)."""
        self.stub.close()


__all__ = ["ScanContext", "TempError"]
