"""Per-run state: one resolver, one answer cache, one concurrency bound, counters.

Created once per scan run and passed down; there are no module-level caches
(docs/scanner-decisions.md 10 item 2). Registries share provider records
(``include:_spf.google.com``), so the cache makes those cost one query per run instead of one
per domain.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .answer import DnsAnswer
from .errors import TempError
from .options import ScanOptions
from .pacing import Pacing
from .selectors import SelectorPlan, merge_selectors
from .stub import StubResolver

MAX_SELECTOR_PLANS = 1024  # distinct known-selector lists remembered per run


@dataclass
class ScanContext:
    """Everything one scan run shares. Build it with :meth:`create` inside a running loop."""

    options: ScanOptions
    stub: StubResolver
    # Queries in flight: starts at options.concurrency, adapts to the resolver's answers.
    pacing: Pacing
    # (name, rdtype) -> the one in-flight or finished lookup; a TempError is kept too, so a
    # dead provider costs one timeout per run, and the end-of-run retry uses a fresh context.
    memo: dict[tuple[str, str], asyncio.Future[DnsAnswer]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    # (defaults, known selectors) -> DKIM probe plan: most domains share the default plan,
    # so its ~50 names are checked and merged once per run, not once per domain.
    selector_plans: dict[tuple[tuple[str, ...], tuple[str, ...]], SelectorPlan] = field(
        default_factory=dict
    )

    @classmethod
    def create(cls, options: ScanOptions) -> ScanContext:
        pacing = Pacing(
            options.concurrency, options.concurrency_cap, adaptive=options.adaptive
        )
        return cls(options=options, stub=StubResolver(options, pacing), pacing=pacing)

    def selector_plan(
        self, defaults: Sequence[str], known: Sequence[str]
    ) -> SelectorPlan:
        """The DKIM probe plan for these selectors, merged once per run (bounded)."""
        key = (tuple(defaults), tuple(known))
        plan = self.selector_plans.get(key)
        if plan is None:
            if len(self.selector_plans) >= MAX_SELECTOR_PLANS:
                self.selector_plans.clear()
            plan = self.selector_plans[key] = merge_selectors(*key)
        return plan

    def close(self) -> None:
        """Close the run's sockets now (they are closed when the context is collected too)."""
        self.stub.close()


__all__ = ["ScanContext", "TempError"]
