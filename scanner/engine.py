"""Scan domains: every protocol check of a domain at once, many domains at once, bounded.

:func:`check_domain` runs the protocol checks of one domain concurrently (their independent
first queries go out together, docs/scanner-decisions.md 8.4) and derives the domain's
``status`` from the apex TXT and MX lookups, which the SPF and MX checks make anyway (the run's
memo answers the second asker). :func:`check_domains` streams results for a whole list with one
ScanContext, a bounded number of domains in flight and a memo pruned as domains finish, so
memory stays flat however long the list. Once every input has been started, it re-checks the
domains that met a DNS failure once more, with a fresh cache and a doubled timeout
(docs/scanner-decisions.md 7.2), before yielding them; the retries overlap the last first-pass
domains instead of waiting for them. A scan run's chunks instead hand those domains back, and
stop waiting for domains that stalled once the rest are done (:func:`check_domains_or_defer`):
the run retries them all together at its end.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import sys
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from contextlib import aclosing
from typing import Literal, overload

from .adsp import check_adsp
from .answer import DnsAnswer
from .budget import domain_budget
from .context import ScanContext
from .dkim import check_dkim
from .dmarc import check_dmarc
from .dnsio import query
from .errors import ScanError, TempError
from .eventloop import run_loop
from .extras import check_bimi, check_mta_sts, check_tls_rpt
from .mx import check_mx
from .names import InvalidDomain, normalize_domain, psl_version, to_unicode
from .options import ScanOptions
from .result import ApexUnresolved, CheckResult, DomainResult, Status
from .selectors import Probing
from .sender_id import check_sender_id
from .spf import check_spf
from .stub import StubResolver
from .wildcard import probe_wildcard

# A domain, or a domain with its known DKIM selectors (or a Probing that also picks the list).
Item = str | tuple[str, Sequence[str] | Probing]

# Domains in flight per allowed concurrent query: a domain's first wave is ~10 queries, so
# half a domain per slot keeps the query semaphore busy without thousands of waiting tasks.
DOMAINS_PER_QUERY_SLOT = 0.5
MIN_DOMAINS_IN_FLIGHT = 4
# Finished domains between two sweeps of the run's memo (each sweep walks the whole memo).
PRUNE_EVERY = 500
# File descriptors wanted per allowed concurrent query (one UDP socket each, plus TCP
# fallbacks), and a floor for the interpreter's own files (docs/scanner-decisions.md 8.4).
FDS_PER_QUERY = 2
FD_HEADROOM = 256
# docs/scanner-decisions.md 7.2: the end-of-run retry gets a longer timeout.
RETRY_TIMEOUT_FACTOR = 2.0
# A retried domain's budget in query lifetimes of the retry (one doubled attempt): a domain
# still silent then costs one lifetime, and the retry pass ends that long after its last
# domain started, whatever chains of lookups the domains have (scanner.budget).
RETRY_BUDGET_LIFETIMES = 1.0


Lookup = asyncio.Future[DnsAnswer]


async def check_domain(
    domain: str,
    ctx: ScanContext,
    selectors: Sequence[str] | Probing = (),
    on_stall: Callable[[], None] | None = None,
) -> DomainResult:
    """Every check of one domain. Input that is not a domain name gives ``status: error``.

    ``on_stall`` is called once, when one of the domain's query attempts first goes
    unanswered or its server fails (``scanner.budget``).
    """
    try:
        name = normalize_domain(domain)
    except InvalidDomain as error:
        return invalid_input(domain, f"invalid_domain: {error.code}: {error}")
    # The apex lookups are sent before any check's: a silent domain then fails first, and
    # dnsio fails the checks' later lookups of its underscore names at once (one timeout
    # per domain, not one per dependent step). Two gathers of at most six keep every value
    # typed (asyncio.gather's overloads stop at six); cancelling the outer one cancels all.
    # The domain's time budget (scanner.budget) covers every task its checks start.
    with domain_budget(ctx.options.budget, on_stall):
        apex = ask_apex(name, ctx)
        try:
            if ctx.options.apex_first:
                await asyncio.wait(apex)
            return await _checked(domain, name, ctx, selectors, apex)
        finally:
            for lookup in apex:  # done already, unless this check was cancelled early
                lookup.cancel()


async def _checked(
    domain: str,
    name: str,
    ctx: ScanContext,
    selectors: Sequence[str] | Probing,
    apex: tuple[Lookup, Lookup],
) -> DomainResult:
    (
        ((status, errors), spf, dmarc, dkim, adsp, mx),
        (sender_id, mta_sts, tls_rpt, bimi, wildcard),
    ) = await asyncio.gather(
        asyncio.gather(
            judge_apex(*apex),
            check_spf(name, ctx),
            check_dmarc(name, ctx),
            check_dkim(name, ctx, selectors),
            check_adsp(name, ctx),
            check_mx(name, ctx),
        ),
        asyncio.gather(
            check_sender_id(name, ctx),
            check_mta_sts(name, ctx),
            check_tls_rpt(name, ctx),
            check_bimi(name, ctx),
            probe_wildcard(name, ctx),
        ),
    )
    # docs/scanner-decisions.md 7.3: an unresolved apex makes every check temperror
    # (ApexUnresolved).
    mark: Callable[[CheckResult], CheckResult] = (
        ApexUnresolved if status == "error" else _as_is
    )
    if status == "nxdomain":
        # RFC 8020 2: nothing exists below an NXDOMAIN apex, so no wildcard either. The
        # random-label probe went out before the apex answered; whether a busy resolver
        # answered it too is luck, and a result must not depend on luck.
        wildcard = False
    elif status == "error":
        # An unresolved apex: whether the random label answered is not counted either
        # (docs/scanner-decisions.md 7.3); once the apex has failed it is not even asked
        # (scanner.wildcard), which with ``apex_first`` is always.
        wildcard = None
    return DomainResult(
        domain=name,
        status=status,
        spf=mark(spf),
        dmarc=mark(dmarc),
        dkim=mark(dkim),
        adsp=mark(adsp),
        mx=mark(mx),
        sender_id=mark(sender_id),
        mta_sts=mark(mta_sts),
        tls_rpt=mark(tls_rpt),
        bimi=mark(bimi),
        input=domain,
        unicode=to_unicode(name),
        wildcard=wildcard,
        dnssec=dnssec_state(apex, ctx.options.trust_ad),
        errors=errors,
        psl_version=psl_version(),
    )


def dnssec_state(apex: tuple[Lookup, Lookup], trust_ad: bool) -> str:
    """``secure``/``insecure`` from the AD bit of the apex TXT and MX answers, or ``unknown``.

    docs/scanner-decisions.md 6.5: AD means something only from a validating resolver over a
    trusted path (``ScanOptions.trust_ad``); without that, or when either lookup failed, it is
    unknown. Both answers (NODATA and NXDOMAIN included) must be authenticated to say
    ``secure``.
    """
    if not trust_ad:
        return "unknown"
    answers = [
        lookup.result()
        for lookup in apex
        if lookup.done() and not lookup.cancelled() and lookup.exception() is None
    ]
    if len(answers) < len(apex):
        return "unknown"
    return "secure" if all(answer.authenticated for answer in answers) else "insecure"


def _as_is(check: CheckResult) -> CheckResult:
    return check


def invalid_input(text: str, reason: str) -> DomainResult:
    return DomainResult(
        domain=text.strip(),
        status="error",
        input=text,
        errors=(reason,),
        psl_version=psl_version(),
    )


def ask_apex(name: str, ctx: ScanContext) -> tuple[Lookup, Lookup]:
    """Start the apex TXT and MX lookups now (the checks that need them share them)."""
    return query(ctx, name, "TXT"), query(ctx, name, "MX")


async def judge_apex(txt: Lookup, mx: Lookup) -> tuple[Status, tuple[str, ...]]:
    """RFC 8020: NXDOMAIN at the apex means nothing at or below it exists.

    One answered lookup is enough to know the name is there; both failing leaves the domain
    unknown (docs/scanner-decisions.md 7.3), and every protocol check then reports its own
    ``temperror``.
    """
    answers = await asyncio.gather(txt, mx, return_exceptions=True)
    outcomes = [_outcome(answers[0], "TXT"), _outcome(answers[1], "MX")]
    if "nxdomain" in outcomes:
        return "nxdomain", ()
    errors = tuple(outcome for outcome in outcomes if outcome.startswith("apex "))
    if len(errors) == len(outcomes):
        return "error", errors
    return "ok", ()


def _outcome(answer: DnsAnswer | BaseException, rdtype: str) -> str:
    if isinstance(answer, DnsAnswer):
        return answer.outcome
    if isinstance(answer, TempError):
        return f"apex {rdtype}: {answer.reason}"
    raise answer  # this machine's failure or a cancellation: not the apex's outcome


# --- many domains ----------------------------------------------------------------------------


def split_item(item: Item) -> tuple[str, Sequence[str] | Probing]:
    """``"example.jp"``, ``("example.jp", ["s1", "s2"])`` or ``("example.jp", Probing(...))``
    -> (domain, known selectors or the Probing)."""
    if isinstance(item, str):
        return item, ()
    domain, selectors = item
    return domain, selectors if isinstance(selectors, Probing) else tuple(selectors)


async def check_item(
    item: Item, ctx: ScanContext, on_stall: Callable[[], None] | None = None
) -> DomainResult:
    domain, selectors = split_item(item)
    if not isinstance(domain, str):
        return invalid_input(repr(domain), "invalid_domain: not a string")
    try:
        return await check_domain(domain, ctx, selectors, on_stall)
    except (
        ScanError
    ) as error:  # a module let its own error escape: one domain, not the run
        return invalid_input(domain, f"scanner_error: {error}")


def domains_in_flight(options: ScanOptions) -> int:
    """Domains started at once, from the starting bound (not the cap): each domain keeps
    several queries waiting, so this covers a limit that doubles, and more domains in
    flight would only add queued queries (CPU) at 0 ms (docs/benchmarks.md)."""
    slots = min(options.concurrency, options.concurrency_cap)
    return max(MIN_DOMAINS_IN_FLIGHT, int(slots * DOMAINS_PER_QUERY_SLOT))


@overload
def scan_indexed(
    items: Iterable[tuple[int, Item]],
    options: ScanOptions,
    ctx: ScanContext | None = None,
    *,
    defer: Literal[False] = False,
) -> AsyncGenerator[tuple[int, DomainResult], None]: ...


@overload
def scan_indexed(
    items: Iterable[tuple[int, Item]],
    options: ScanOptions,
    ctx: ScanContext | None = None,
    *,
    defer: Literal[True],
) -> AsyncGenerator[tuple[int, DomainResult | None], None]: ...


async def scan_indexed(
    items: Iterable[tuple[int, Item]],
    options: ScanOptions,
    ctx: ScanContext | None = None,
    *,
    defer: bool = False,
) -> AsyncGenerator[tuple[int, DomainResult | None], None]:
    """(index, result) pairs as they complete, the end-of-run retry included.

    A fixed pool of workers takes items from ``items`` (lazily, so memory stays flat); once it
    is exhausted, idle workers re-check the domains that met a DNS failure, with a fresh context
    and a doubled timeout (docs/scanner-decisions.md 7.2), while the last first-pass domains
    finish.

    ``defer``: the caller retries those domains itself, with others (a scan run does, once
    all its chunks are done: ``adoption.scans.runs``), and they come as ``(index, None)``:
    a domain that met a DNS failure, and, once every item has started, each domain still in
    flight when all those left have stalled (``scanner.budget``), which is then cancelled.
    A silent domain thus holds the scan for one attempt's timeout, not for its lifetime and
    the retry's.
    """
    pool = _Pool(iter(items), options, ctx, defer)
    workers = [asyncio.create_task(pool.worker()) for _ in range(pool.limit)]
    finished: set[str] = set()
    try:
        running = len(workers)
        while running:
            entry = await pool.results.get()
            if isinstance(entry, _WorkerEnd):
                if entry.error is not None:
                    raise entry.error  # a bug in a check: fail loudly, never drop domains
                running -= 1
                continue
            if entry[1] is not None:  # a deferred domain's few names stay in the memo
                finished.add(entry[1].domain)
            if len(finished) >= PRUNE_EVERY:
                prune_memo(pool.first, finished)
                finished.clear()
            yield entry
    finally:
        # The consumer stopped early (or a bug surfaced): stop the other domains' checks and
        # wait for them, so no query outlives the run.
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        pool.close(own_first=ctx is None)


class _Pool:
    """The work of one run: new items first, then the retries, for a fixed set of workers."""

    def __init__(
        self,
        source: Iterator[tuple[int, Item]],
        options: ScanOptions,
        ctx: ScanContext | None,
        defer: bool = False,
    ) -> None:
        self.source = source
        self.options = options
        self.defer = defer
        self.first = ctx if ctx is not None else ScanContext.create(options)
        self.second: ScanContext | None = None
        self.limit = domains_in_flight(options)
        self.results: asyncio.Queue[tuple[int, DomainResult | None] | _WorkerEnd] = (
            asyncio.Queue(maxsize=self.limit)
        )
        self.exhausted = False
        self.in_first_pass = 0  # taken, not finished: each may still add a retry
        self.retry: collections.deque[tuple[int, Item]] = collections.deque()
        self.changed = asyncio.Event()
        # With ``defer``: first-pass domains in flight, those of them that stalled, and
        # whether a look at them is due (_defer_stalled).
        self.flight: dict[int, asyncio.Task[DomainResult]] = {}
        self.stalled: set[int] = set()
        self.look_due = False

    async def worker(self) -> None:
        try:
            while True:
                job = self._next()
                if job is None:
                    if not self.in_first_pass:
                        break  # nothing left, and nothing running can add a retry
                    self.changed.clear()
                    await self.changed.wait()
                    continue
                index, item, ctx = job
                if self.defer and ctx is self.first:
                    result = await self._deferrable(index, item)
                else:
                    result = await check_item(item, ctx)
                if ctx is self.first:
                    self.in_first_pass -= 1
                    self.changed.set()
                    if (
                        result is not None
                        and self.options.retry_temperror
                        and result.needs_retry
                    ):
                        if not self.defer:
                            self.retry.append((index, item))
                            continue
                        result = None  # the caller retries it
                await self.results.put((index, result))
        # Not handled here: carried to the consumer, which re-raises it.
        except Exception as error:
            await self.results.put(_WorkerEnd(error))
            return
        await self.results.put(_WorkerEnd(None))

    def _next(self) -> tuple[int, Item, ScanContext] | None:
        if not self.exhausted:
            entry = next(self.source, None)
            if entry is not None:
                self.in_first_pass += 1
                return entry[0], entry[1], self.first
            self.exhausted = True
            if self.defer:
                self._look_soon()
        if self.retry:
            index, item = self.retry.popleft()
            return index, item, self._second()
        return None

    async def _deferrable(self, index: int, item: Item) -> DomainResult | None:
        """The domain's result, or None when it was deferred (:meth:`_defer_stalled`)."""
        task = asyncio.ensure_future(
            check_item(item, self.first, functools.partial(self._stalled, index))
        )
        self.flight[index] = task
        try:
            await asyncio.wait((task,))
        finally:
            del self.flight[index]
            self.stalled.discard(index)
            if not task.done():  # this worker was cancelled: its domain goes with it
                task.cancel()
                await asyncio.wait((task,))
        self._look_soon()
        return None if task.cancelled() else task.result()

    def _stalled(self, index: int) -> None:
        self.stalled.add(index)
        self._look_soon()

    def _look_soon(self) -> None:
        # After the current step: a stall is heard of deep inside a domain's query.
        if not self.look_due:
            self.look_due = True
            asyncio.get_running_loop().call_soon(self._defer_stalled)

    def _defer_stalled(self) -> None:
        """Once every item has started, stop waiting for domains once all left stalled."""
        self.look_due = False
        if self.exhausted and self.flight and self.flight.keys() <= self.stalled:
            for task in self.flight.values():
                task.cancel()

    def _second(self) -> ScanContext:
        if self.second is None:
            # One attempt with a longer wait (docs/scanner-decisions.md 7.2: retried once at the
            # end of the run, with a longer timeout): a slow server gets its chance, a dead one
            # costs one doubled timeout instead of another full round of attempts.
            self.second = ScanContext.create(retry_options(self.options))
        return self.second

    def close(self, own_first: bool) -> None:
        if own_first:
            self.first.close()  # our sockets; a caller's context stays the caller's
        if self.second is not None:
            self.second.close()


def failed_domain_options(options: ScanOptions) -> ScanOptions:
    """How domains known to have failed are asked again (the end-of-run retry, a scan run's
    retry chunks): with the configured ``concurrency`` as a fixed bound, each domain's apex
    first (``ScanOptions.apex_first``).

    Fixed (docs/scanner-decisions.md 8.4): the retried domains are the ones that failed, so
    their SERVFAILs and timeouts say nothing about the resolver's load. Adapting to them halved
    the bound to its floor and the retry of 50 lame domains took minutes (docs/benchmarks.md).
    Apex first: a silent domain asked everything at once holds a dozen query slots for a
    lifetime each. 101 never-answering domains with the default settings: 17 minutes at the
    floor, 40 s with a fixed bound, 16 s with the apex first too (docs/benchmarks.md).
    """
    return dataclasses.replace(options, adaptive=False, apex_first=True)


def retry_options(options: ScanOptions) -> ScanOptions:
    """The end-of-run retry's options: one attempt with a doubled timeout, and a budget of
    that one attempt per domain, so the retry pass ends one such wait after its last start;
    asked as failed domains are (:func:`failed_domain_options`).
    """
    timeout = options.timeout * RETRY_TIMEOUT_FACTOR
    return dataclasses.replace(
        failed_domain_options(options),
        timeout=timeout,
        retries=0,
        domain_budget=timeout * RETRY_BUDGET_LIFETIMES,
    )


@dataclasses.dataclass(frozen=True)
class _WorkerEnd:
    """A worker ran out of input (``error`` None) or met a bug it must not swallow."""

    error: Exception | None


def prune_memo(ctx: ScanContext, finished: set[str]) -> None:
    """Forget finished lookups at or below finished domains; keep the shared ones.

    Provider records (``_spf.google.com``) are below no scanned domain and stay for the whole
    run; a domain's own names are asked by nobody else, and would grow the memo without end.
    """
    stale = [
        key
        for key, future in ctx.memo.items()
        if future.done() and _below_any(key[0], finished)
    ]
    for key in stale:
        del ctx.memo[key]


def _below_any(name: str, domains: set[str]) -> bool:
    while True:
        if name in domains:
            return True
        _, dot, name = name.partition(".")
        if not dot:
            return False


def raise_fd_limit(options: ScanOptions) -> None:
    """Raise the soft RLIMIT_NOFILE towards the hard one (docs/scanner-decisions.md 8.4).

    UDP queries share a few sockets (scanner.stub), but each truncated answer opens a TCP
    connection; running out of descriptors would turn those into fake temperrors.
    """
    if sys.platform == "win32":
        return
    import resource

    wanted = options.concurrency_cap * FDS_PER_QUERY + FD_HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def check_domains_indexed(
    domains: Iterable[Item], options: ScanOptions
) -> AsyncGenerator[tuple[int, DomainResult], None]:
    """(input index, result) as results complete, with the end-of-run temperror retry."""
    raise_fd_limit(options)
    # aclosing: leaving early closes the inner generator now, cancelling its checks, instead
    # of whenever the garbage collector finds it.
    async with aclosing(scan_indexed(enumerate(domains), options)) as results:
        async for pair in results:
            yield pair


async def check_domains(
    domains: Iterable[Item], options: ScanOptions
) -> AsyncGenerator[DomainResult, None]:
    """Results as they complete, for domains or ``(domain, known_selectors)`` pairs.

    One ScanContext (one cache) for the run; at most ``options.concurrency`` queries and a
    bounded number of domains in flight; input is consumed lazily, so a generator of a
    million names is fine. Domains that met a DNS failure are re-checked once at the end
    when ``options.retry_temperror`` is set, and yielded then. Close the generator (or use
    ``contextlib.aclosing``) when leaving the loop early: that cancels the checks in flight.
    """
    async with aclosing(check_domains_indexed(domains, options)) as results:
        async for _, result in results:
            yield result


async def check_domains_ordered(
    domains: Iterable[Item],
    options: ScanOptions,
    on_result: Callable[[DomainResult], None] | None = None,
) -> AsyncGenerator[DomainResult, None]:
    """Like :func:`check_domains`, in input order (results wait for their predecessors).

    ``on_result`` is called as each result completes, in completion order (for progress).
    """
    waiting: dict[int, DomainResult] = {}
    next_index = 0
    async with aclosing(check_domains_indexed(domains, options)) as results:
        async for index, result in results:
            if on_result is not None:
                on_result(result)
            waiting[index] = result
            while next_index in waiting:
                yield waiting.pop(next_index)
                next_index += 1


def check_domains_sync(
    domains: Iterable[Item], options: ScanOptions
) -> list[DomainResult]:
    """Blocking convenience for scripts: every result, in input order."""

    async def collect() -> list[DomainResult]:
        async with aclosing(check_domains_ordered(domains, options)) as results:
            return [result async for result in results]

    return run_loop(collect())


def resolvers_answer(options: ScanOptions) -> bool:
    """Whether any of the run's resolvers replies at all, to the root's NS (the check of
    docs/scanner-decisions.md 7.8): a scan run stopped because none did is resumed once one
    does (``adoption.scans.runs``). Any reply counts, whatever its RCODE."""

    async def ask() -> bool:
        stub = StubResolver(options)
        try:
            return await stub.servers_reply()
        finally:
            stub.close()

    return run_loop(ask())


def check_domains_or_defer(
    domains: Sequence[Item], options: ScanOptions
) -> list[DomainResult | None]:
    """Every result in input order, None for a domain deferred (``scan_indexed``'s
    ``defer``): met a DNS failure, or stalled while the rest were done. The caller checks
    those again later with :func:`check_domains_sync`, which gives them the whole treatment:
    every attempt, and the end-of-run retry."""
    raise_fd_limit(options)

    async def collect() -> list[DomainResult | None]:
        results: list[DomainResult | None] = [None] * len(domains)
        scan = scan_indexed(enumerate(domains), options, defer=True)
        async with aclosing(scan) as pairs:
            async for index, result in pairs:
                results[index] = result
        return results

    return run_loop(collect())


__all__ = [
    "check_domain",
    "check_domains",
    "check_domains_or_defer",
    "check_domains_ordered",
    "check_domains_sync",
]
