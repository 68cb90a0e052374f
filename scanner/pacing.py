"""How many queries a run keeps in flight: the configured number, adapted to the resolver.

A fixed bound is wrong in both directions. Behind a resolver that answers slowly but keeps
up (authoritative servers 20 ms away), more queries in flight mean more domains a second,
and the configured value is only a guess. A resolver that is overloaded or rate-limits us
answers SERVFAIL or REFUSED, or drops queries (timeouts); pushing on makes every domain
``temperror``. :class:`Pacing` admits queries like a semaphore whose size moves, by the
additive-increase/multiplicative-decrease rule of TCP congestion control (RFC 5681 3.1,
RFC 7567 for why a sender must back off), with the resolver's answers as the signal:

- It starts at ``ScanOptions.concurrency`` (or the cap, if lower) and never goes above
  ``ScanOptions.max_concurrency`` nor below :data:`MIN_LIMIT`.
- **Recover** after a back-off: below the starting value, each window of ``limit`` good
  answers (each slot turned over once: TCP's once per round trip) with no burst doubles
  the limit, up to the starting value (TCP's slow start up to its threshold, RFC 5681
  3.1): a burst that passed (a lame zone timing out at the resolver) costs a few round
  trips, not the rest of the run.
- **Raise** above the starting value by :data:`INCREASE_SHARE` of it after every such
  window, only if queries were waiting for a slot in that window (the bound was what
  limited us) and the smoothed answer time is within :data:`LATENCY_HOLD` times the best
  smoothed time seen in the run (latency "holds": the resolver is not queueing our
  queries). At 0 ms on loopback the answer time is the event loop's own lag, which grows
  with the load, so a CPU-bound scan does not raise.
- **Back off** to :data:`DECREASE_FACTOR` of the limit when, among the last
  :data:`WINDOW` attempt outcomes, at least :data:`BURST_MIN_FAILURES` and
  :data:`BURST_SHARE` of them were SERVFAIL, REFUSED or timeouts: a burst, not one lame
  domain (a never-answering domain costs about ten timeouts at once, below the minimum).
  Like TCP, it backs off once per burst: failures of attempts sent before the last decrease
  do not count towards another. Timeouts count only beside answers: a window of timeouts
  and nothing else is silence, not load (a resolver that stopped answering, a retry of
  silent domains), and fewer queries in flight would only make each wait its lifetime in
  turn (at the floor, 101 silent domains took 17 minutes instead of 40 s,
  docs/benchmarks.md). SERVFAIL and REFUSED are answers, and always count.

The limit changes only how fast queries go out, never what is asked or how an answer is
read, so on a healthy resolver results are the same with it on or off
(tests/scanner/test_dns_concurrency.py). Every change is recorded in :attr:`Pacing.history`.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass

MIN_LIMIT = 4  # below this a scan crawls; a resolver refusing 4 queries at once is down
# Additive step: half the starting limit per window, so the default cap (twice the start) is
# reached after two windows of good answers. A tenth took a 200-domain list at 20 ms per
# answer 1.1 s against 0.9 s, most of the run spent climbing (docs/benchmarks.md).
INCREASE_SHARE = 0.5
LATENCY_HOLD = 2.0  # smoothed answer time within 2x the run's best: not queueing
RTT_GAIN = 0.125  # the smoothing of answer times (RFC 6298 2.3's alpha)
DECREASE_FACTOR = 0.5  # multiplicative decrease, as TCP's (RFC 5681 3.1)
WINDOW = 128  # attempt outcomes looked at for a burst
# More than a few lame domains failing at the same moment: through a resolver, a lame zone's
# queries all come back SERVFAIL together once the resolver gives up on it.
BURST_MIN_FAILURES = 32
BURST_SHARE = 0.5  # of the outcomes in the window: an overloaded resolver fails most
RECOVERY_FACTOR = 2  # below the starting value, per window without a burst
MAX_HISTORY = 1000  # changes kept for inspection (a run changes a few dozen times)
# Failure words the resolver's answers and silences map to (scanner.stub's reasons).
BACK_OFF_REASONS = frozenset({"servfail", "refused", "timeout"})


@dataclass(frozen=True, slots=True)
class Change:
    """One move of the limit: its new value, why, and how many queries had been admitted."""

    limit: int
    reason: (
        str  # "raise", or the failure that made the burst ("servfail", "timeout", ...)
    )
    admitted: int


class Pacing:
    """The run's bound on queries in flight; ``adaptive=False`` keeps it fixed."""

    def __init__(self, start: int, cap: int, *, adaptive: bool = True) -> None:
        self.cap = max(1, cap)
        self.start = self.limit = max(1, min(start, self.cap))
        self.floor = min(MIN_LIMIT, self.start)
        self.step = max(1, round(self.start * INCREASE_SHARE))
        self.adaptive = adaptive
        self.in_flight = 0
        self.max_in_flight = 0
        self.admitted = 0
        self.history: list[Change] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._outcomes: collections.deque[bool] = collections.deque()  # True: failed
        self._failures = 0
        self._good = 0  # good answers since the limit last changed
        self._saturated = (
            False  # a query waited for a slot since the limit last changed
        )
        self._calm_since = 0.0  # attempts sent before this time cannot cause a decrease
        self.srtt: float | None = None
        self.best_srtt: float | None = None

    # --- admission -----------------------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take a slot now if one is free and nobody is queued before us."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            self.admitted += 1
            if self.in_flight > self.max_in_flight:
                self.max_in_flight = self.in_flight
            return True
        self._saturated = True
        return False

    def enqueue(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        """A place in the queue for a slot (first come, first served), after
        :meth:`try_acquire` said no: the future is done when the slot is handed over, and
        the slot is then the holder's to :meth:`release`, needed or not. A cancelled place
        is skipped."""
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.append(future)
        return future

    def release(self) -> None:
        self.in_flight -= 1
        self._admit_waiting()

    def _admit_waiting(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            future = self._waiters.popleft()
            if not future.done():
                self.in_flight += 1
                self.admitted += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                future.set_result(None)

    # --- signals from the resolver's answers ----------------------------------------------

    def answered(self, rtt: float) -> None:
        """A usable answer (any RCODE but SERVFAIL/REFUSED/NOTIMP/FORMERR) after ``rtt`` s."""
        srtt = rtt if self.srtt is None else self.srtt + RTT_GAIN * (rtt - self.srtt)
        self.srtt = srtt
        if self.best_srtt is None or srtt < self.best_srtt:
            self.best_srtt = srtt
        self._record(False)
        if not self.adaptive:
            return
        self._good += 1
        if self._good >= self.limit and self.limit < self.start:
            self._change(min(self.start, self.limit * RECOVERY_FACTOR), "recover")
            self._admit_waiting()
        elif self._good >= self.limit and self.limit < self.cap:
            if self._saturated and srtt <= LATENCY_HOLD * self.best_srtt:
                self._change(min(self.cap, self.limit + self.step), "raise")
                self._admit_waiting()
            else:
                self._good, self._saturated = 0, False

    def failed(self, reason: str, sent_at: float) -> None:
        """An attempt sent at ``sent_at`` (:func:`time.perf_counter`) failed with ``reason``."""
        if reason not in BACK_OFF_REASONS:
            self._record(False)  # NOTIMP, FORMERR: that server's answer, not its load
            return
        self._record(True)
        if (
            self.adaptive
            and sent_at >= self._calm_since
            and self._failures >= BURST_MIN_FAILURES
            and self._failures >= BURST_SHARE * len(self._outcomes)
            and self.limit > self.floor
            and (reason != "timeout" or self._failures < len(self._outcomes))
        ):
            self._change(max(self.floor, int(self.limit * DECREASE_FACTOR)), reason)
            self._calm_since = time.perf_counter()
            self._outcomes.clear()
            self._failures = 0

    def _record(self, failure: bool) -> None:
        self._outcomes.append(failure)
        self._failures += failure
        if len(self._outcomes) > WINDOW:
            self._failures -= self._outcomes.popleft()

    def _change(self, limit: int, reason: str) -> None:
        self.limit = limit
        self._good, self._saturated = 0, False
        if len(self.history) < MAX_HISTORY:
            self.history.append(Change(limit, reason, self.admitted))


__all__ = ["Change", "Pacing"]
