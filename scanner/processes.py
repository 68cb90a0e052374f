"""``check --processes N``: one scan split over N worker processes, output in input order.

One scanner process is one thread: past a few hundred domains a second its CPU, not DNS, is
the bound (docs/benchmarks.md). Here the input list is dealt out like cards (domain ``i`` to
worker ``i mod N``), each worker scans its share with its own ScanContext (its own cache,
sockets and adaptive concurrency, so the resolver sees up to N times the queries in flight),
and the parent reads the workers' results back in the same rotation: the output is in input
order and, on a healthy resolver, the same as one process's (tests/scanner/test_cli_processes.py).
Dealing spreads slow domains over the workers; contiguous slices would give one worker a
registry's whole block of lame domains.

Workers are started with ``spawn`` (a fresh interpreter: no copied locks or threads) and send
their results as already formatted values, in batches, through a pipe each.
"""

from __future__ import annotations

import collections
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .engine import Item, check_domains_ordered
from .errors import LocalFailure, ResolverUnreachable
from .eventloop import run_loop
from .options import ScanOptions
from .result import DomainResult

BATCH = 64  # results per message: fewer pickles and wake-ups, output still streams
JOIN_TIMEOUT = 5.0  # seconds a finished or stopped worker gets to exit

Formatter = Callable[[DomainResult], Any]


@dataclass(frozen=True)
class WorkerFailed:
    """A worker's LocalFailure (out of descriptors, buffers...), carried to the parent."""

    message: str
    unreachable: bool = False  # a ResolverUnreachable: no resolver answered the worker


def json_line(result: DomainResult) -> str:
    """A result as ``check --json`` prints it (one JSON object, no newline)."""
    return result.to_json_text()


def deal(items: Sequence[Item], workers: int) -> list[list[Item]]:
    """Item ``i`` to worker ``i mod workers``."""
    return [list(items[index::workers]) for index in range(workers)]


def scan_split(
    items: Sequence[Item], options: ScanOptions, workers: int, formatter: Formatter
) -> Iterator[Any]:
    """``formatter(result)`` for every item, in input order, scanned by ``workers`` processes.

    Raises LocalFailure when a worker met one or ended without its results.
    """
    workers = max(1, min(workers, len(items)))
    spawn = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes = []
    try:
        for share in deal(items, workers):
            receiver, sender = spawn.Pipe(duplex=False)
            process = spawn.Process(
                target=work, args=(share, options, formatter, sender), daemon=True
            )
            process.start()
            sender.close()  # the worker holds the only writer: EOF when it dies
            pipes.append(receiver)
            processes.append(process)
        yield from merge(pipes, len(items))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(JOIN_TIMEOUT)
        for pipe in pipes:
            pipe.close()


def merge(pipes: Sequence[Connection], total: int) -> Iterator[Any]:
    """Take the next value from worker ``i mod N`` for ``i`` in input order."""
    waiting: list[collections.deque[Any]] = [collections.deque() for _ in pipes]
    for index in range(total):
        worker = index % len(pipes)
        while not waiting[worker]:
            try:
                message = pipes[worker].recv()
            except EOFError:
                raise LocalFailure(
                    f"worker process {worker + 1} ended before sending its results"
                ) from None
            if isinstance(message, WorkerFailed):
                kind = ResolverUnreachable if message.unreachable else LocalFailure
                raise kind(message.message)
            waiting[worker].extend(message)
        yield waiting[worker].popleft()


def work(
    share: list[Item], options: ScanOptions, formatter: Formatter, pipe: Connection
) -> None:
    """A worker process: scan ``share`` in order, send formatted results in batches."""
    try:
        run_loop(_scan(share, options, formatter, pipe))
    except LocalFailure as error:
        pipe.send(WorkerFailed(str(error), isinstance(error, ResolverUnreachable)))
    except KeyboardInterrupt:
        pass  # the parent got the same signal and stops the run
    finally:
        pipe.close()


async def _scan(
    share: list[Item], options: ScanOptions, formatter: Formatter, pipe: Connection
) -> None:
    batch: list[Any] = []
    async with aclosing(check_domains_ordered(share, options)) as results:
        async for result in results:
            batch.append(formatter(result))
            if len(batch) >= BATCH:
                pipe.send(batch)
                batch = []
    pipe.send(batch)


__all__ = ["deal", "json_line", "scan_split"]
