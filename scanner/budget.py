"""A domain's time budget: once a failing domain has spent it, its remaining queries fail.

A domain whose lookups time out one after another (an SPF include chain through dead
servers, a DMARC tree walk below a silent zone) would otherwise cost one query lifetime per
step, and the run could not end before it. :func:`domain_budget` gives the checks of one
domain a deadline (through a context variable, so every task the checks start sees it).
The deadline applies once one of the domain's own queries has failed (timeout, SERVFAIL,
REFUSED): ``scanner.dnsio`` then fails the domain's new queries as ``temperror`` without
asking (worded as the timeout it stands for) and ends its queries in flight at the deadline.

A domain none of whose queries failed is never cut short, however slow the run (a busy
resolver, a machine out of breath): its result cannot depend on timing. The budget is
ScanOptions.budget, two query lifetimes by default.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(slots=True)
class Budget:
    """One domain's deadline (loop time) and whether it applies yet.

    ``stalled``: a query attempt of the domain went unanswered or its server failed, which
    precedes ``failing`` (the query's last attempt) by the other attempts' timeouts. A scan
    that defers such domains (``scanner.engine``, a scan run's chunks) hears of it through
    ``on_stall``.
    """

    deadline: float
    failing: bool = False  # one of the domain's queries failed: the deadline applies
    stalled: bool = False
    on_stall: Callable[[], None] | None = None

    def limit(self) -> float | None:
        """The deadline for the domain's next query, or None while nothing has failed."""
        return self.deadline if self.failing else None

    def fail(self) -> None:
        self.failing = True
        self.stall()

    def stall(self) -> None:
        if not self.stalled:
            self.stalled = True
            if self.on_stall is not None:
                self.on_stall()


# The budget of the domain whose checks are running; None outside them (a check run on its
# own in a test, a provider record looked up for nobody in particular).
BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "scanner_domain_budget", default=None
)


@contextmanager
def domain_budget(
    seconds: float, on_stall: Callable[[], None] | None = None
) -> Iterator[Budget]:
    """Give the checks started inside this block ``seconds`` in all, once one fails."""
    budget = Budget(asyncio.get_running_loop().time() + seconds, on_stall=on_stall)
    token = BUDGET.set(budget)
    try:
        yield budget
    finally:
        BUDGET.reset(token)


def note_stall() -> None:
    """An attempt of the running domain's query went unanswered or its server failed."""
    budget = BUDGET.get()
    if budget is not None:
        budget.stall()


def spent(deadline: float | None, loop: asyncio.AbstractEventLoop) -> bool:
    return deadline is not None and loop.time() >= deadline


__all__ = ["BUDGET", "Budget", "domain_budget", "note_stall", "spent"]
