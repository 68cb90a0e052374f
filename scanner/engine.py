"""Scan domains: every protocol check of a domain at once, many domains at once, bounded.

:func:`check_domain` runs the protocol checks of one domain concurrently (their independent
first queries go out together, SPEC-BRIEF 8.4) and derives the domain's ``status`` from the
apex TXT and MX lookups, which the SPF and MX checks make anyway (the run's memo answers the
second asker). :func:`check_domains` streams results for a whole list with one ScanContext, a
bounded number of domains in flight and a memo pruned as domains finish, so memory stays flat
however long the list; then it re-checks the domains that met a DNS failure once more, with a
fresh cache and a doubled timeout (SPEC-BRIEF 7.2), before yielding them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from contextlib import aclosing

from .adsp import check_adsp
from .context import ScanContext
from .dkim import check_dkim
from .dmarc import check_dmarc
from .dnsio import query
from .errors import ScanError, TempError
from .extras import check_bimi, check_mta_sts, check_tls_rpt
from .mx import check_mx
from .names import InvalidDomain, normalize_domain, psl_version, to_unicode
from .options import ScanOptions
from .result import DomainResult, Status
from .sender_id import check_sender_id
from .spf import check_spf
from .wildcard import probe_wildcard

Item = str | tuple[str, Sequence[str]]

# Domains in flight per allowed concurrent query: a domain's first wave is ~10 queries, so
# half a domain per slot keeps the query semaphore busy without thousands of waiting tasks.
DOMAINS_PER_QUERY_SLOT = 0.5
MIN_DOMAINS_IN_FLIGHT = 4
# Finished domains between two sweeps of the run's memo (each sweep walks the whole memo).
PRUNE_EVERY = 500
# File descriptors wanted per allowed concurrent query (one UDP socket each, plus TCP
# fallbacks), and a floor for the interpreter's own files (SPEC-BRIEF 8.4).
FDS_PER_QUERY = 2
FD_HEADROOM = 256
RETRY_TIMEOUT_FACTOR = 2.0  # SPEC-BRIEF 7.2: the end-of-run retry gets a longer timeout


async def check_domain(
    domain: str, ctx: ScanContext, selectors: Sequence[str] = ()
) -> DomainResult:
    """Every check of one domain. Input that is not a domain name gives ``status: error``."""
    try:
        name = normalize_domain(domain)
    except InvalidDomain as error:
        return invalid_input(domain, f"invalid_domain: {error.code}: {error}")
    # Two gathers of at most six, so every value keeps its type (asyncio.gather's overloads
    # stop at six); cancelling the outer one cancels every check.
    (
        ((status, errors), spf, dmarc, dkim, adsp, mx),
        (sender_id, mta_sts, tls_rpt, bimi, wildcard),
    ) = await asyncio.gather(
        asyncio.gather(
            apex_status(name, ctx),
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
    return DomainResult(
        domain=name,
        status=status,
        spf=spf,
        dmarc=dmarc,
        dkim=dkim,
        adsp=adsp,
        mx=mx,
        sender_id=sender_id,
        mta_sts=mta_sts,
        tls_rpt=tls_rpt,
        bimi=bimi,
        input=domain,
        unicode=to_unicode(name),
        wildcard=wildcard,
        errors=errors,
        psl_version=psl_version(),
    )


def invalid_input(text: str, reason: str) -> DomainResult:
    return DomainResult(
        domain=text.strip(),
        status="error",
        input=text,
        errors=(reason,),
        psl_version=psl_version(),
    )


async def apex_status(name: str, ctx: ScanContext) -> tuple[Status, tuple[str, ...]]:
    """``nxdomain`` if the apex does not exist; ``error`` if neither TXT nor MX was answered.

    RFC 8020: NXDOMAIN at the apex means nothing at or below it exists. One answered lookup
    is enough to know the name is there; both failing leaves the domain unknown (SPEC-BRIEF
    7.3), and every protocol check then reports its own ``temperror``.
    """
    errors: list[str] = []
    exists = False
    for rdtype in ("TXT", "MX"):
        try:
            answer = await query(ctx, name, rdtype)
        except TempError as error:
            errors.append(f"apex {rdtype}: {error.reason}")
            continue
        if not answer.exists:
            return "nxdomain", ()
        exists = True
    if exists:
        return "ok", ()
    return "error", tuple(errors)


# --- many domains ----------------------------------------------------------------------------


def split_item(item: Item) -> tuple[str, Sequence[str]]:
    """``"example.jp"`` or ``("example.jp", ["s1", "s2"])`` -> (domain, known selectors)."""
    if isinstance(item, str):
        return item, ()
    domain, selectors = item
    return domain, tuple(selectors)


async def check_item(item: Item, ctx: ScanContext) -> DomainResult:
    domain, selectors = split_item(item)
    if not isinstance(domain, str):
        return invalid_input(repr(domain), "invalid_domain: not a string")
    try:
        return await check_domain(domain, ctx, selectors)
    except (
        ScanError
    ) as error:  # a module let its own error escape: one domain, not the run
        return invalid_input(domain, f"scanner_error: {error}")


def domains_in_flight(options: ScanOptions) -> int:
    return max(MIN_DOMAINS_IN_FLIGHT, int(options.concurrency * DOMAINS_PER_QUERY_SLOT))


async def scan_indexed(
    items: Iterable[tuple[int, Item]],
    options: ScanOptions,
    ctx: ScanContext | None = None,
) -> AsyncGenerator[tuple[int, DomainResult], None]:
    """(index, result) pairs as they complete: one pass over ``items`` with one context."""
    context = ctx if ctx is not None else ScanContext.create(options)
    limit = domains_in_flight(options)
    queue: asyncio.Queue[tuple[int, DomainResult] | _WorkerEnd] = asyncio.Queue(
        maxsize=limit
    )
    source: Iterator[tuple[int, Item]] = iter(items)

    async def worker() -> None:
        try:
            for index, item in source:  # one shared iterator: each item is taken once
                await queue.put((index, await check_item(item, context)))
        # Not handled here: carried to the consumer, which re-raises it.
        except Exception as error:
            await queue.put(_WorkerEnd(error))
            return
        await queue.put(_WorkerEnd(None))

    workers = [asyncio.create_task(worker()) for _ in range(limit)]
    finished: set[str] = set()
    try:
        running = len(workers)
        while running:
            entry = await queue.get()
            if isinstance(entry, _WorkerEnd):
                if entry.error is not None:
                    raise entry.error  # a bug in a check: fail loudly, never drop domains
                running -= 1
                continue
            finished.add(entry[1].domain)
            if len(finished) >= PRUNE_EVERY:
                prune_memo(context, finished)
                finished.clear()
            yield entry
    finally:
        # The consumer stopped early (or a bug surfaced): stop the other domains' checks and
        # wait for them, so no query outlives the run.
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


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
    """Raise the soft RLIMIT_NOFILE towards the hard one: too few descriptors make dnspython
    report ``NoNameservers`` for queries never sent, i.e. fake temperrors (SPEC-BRIEF 8.4)."""
    if sys.platform == "win32":
        return
    import resource

    wanted = options.concurrency * FDS_PER_QUERY + FD_HEADROOM
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
    retry: list[tuple[int, Item]] = []
    items: dict[int, Item] | None = {} if options.retry_temperror else None
    # aclosing: leaving early closes the inner generator now, cancelling its checks, instead
    # of whenever the garbage collector finds it.
    async with aclosing(scan_indexed(_remember(domains, items), options)) as first:
        async for index, result in first:
            if items is not None and result.has_temperror:
                retry.append((index, items.pop(index)))
                continue
            if items is not None:
                items.pop(index, None)
            yield index, result
    if retry:
        slower = dataclasses.replace(
            options, timeout=options.timeout * RETRY_TIMEOUT_FACTOR
        )
        async with aclosing(scan_indexed(retry, slower)) as second:
            async for index, result in second:
                yield index, result


def _remember(
    domains: Iterable[Item], items: dict[int, Item] | None
) -> Iterator[tuple[int, Item]]:
    """Number the inputs; keep the in-flight ones while a retry may need them again."""
    for index, item in enumerate(domains):
        if items is not None:
            items[index] = item
        yield index, item


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

    return asyncio.run(collect())


__all__ = [
    "apex_status",
    "check_domain",
    "check_domains",
    "check_domains_ordered",
    "check_domains_sync",
]
