"""The only module that sends DNS queries.

Every query ends in exactly one outcome (docs/scanner-decisions.md 7.1): ``answer``, ``nodata``
(NOERROR, no records of that type), ``nxdomain``; or raises :class:`TempError` (timeout,
SERVFAIL, REFUSED, no reachable server). The run's :class:`scanner.stub.StubResolver` sends
them; this module turns its responses into outcomes, following CNAME chains as a resolver's
answer presents them.
"""

from __future__ import annotations

import asyncio
import re

from .answer import DnsAnswer
from .budget import BUDGET, Budget, spent
from .context import ScanContext
from .errors import InvalidName, LocalFailure, TempError
from .stub import Pending
from .wire import (
    CNAME,
    MX,
    TXT,
    Response,
    WireError,
    encode_name,
    rdtype_code,
    read_name,
)

# A resolver's answer carries the whole CNAME chain; follow at most this many links in it
# (dnspython's limit; pyspf uses 10), so a looping chain cannot loop here
# (docs/scanner-decisions.md 7.5).
MAX_CNAME_CHAIN = 16
# A lower-case name whose text the wire parser would write the same (wire.PLAIN_NAME).
PLAIN_NAME_TEXT = re.compile(r"[a-z0-9_*/+=-]+(?:\.[a-z0-9_*/+=-]+)*")
RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_YXDOMAIN = 0, 3, 6  # RFC 1035 4.1.1, RFC 2136 2.2


def query(ctx: ScanContext, name: str, rdtype: str) -> asyncio.Future[DnsAnswer]:
    """Look ``name``/``rdtype`` up once per run; concurrent callers share the same lookup.

    Returns a future to await (it holds the answer, or the :class:`TempError` or
    :class:`InvalidName`). No task is made for a lookup (:class:`_Lookup`), so callers may
    gather many without one each.

    Within a failing domain's checks (``scanner.budget``), a new lookup after the domain's
    budget is spent fails at once, worded as the timeout it stands for.
    """
    key = (name.lower().rstrip("."), rdtype.upper())
    loop = ctx.stub.loop
    future = ctx.memo.get(key)
    if future is not None and not future.cancelled():
        if future.done():  # the common case: answered already
            return future
        return _follow(loop, future, key)
    silent = _silent_parent(ctx, key[0])
    if silent is not None:
        # Worded exactly as if the query had been sent and failed like its domain's did:
        # which queries were cut short depends on timing, and a result must not.
        return _failing(loop, TempError(silent, f"{key[0]} {key[1]}"))
    budget = BUDGET.get()
    deadline = budget.limit() if budget is not None else None
    if spent(deadline, loop):
        ctx.counters["over_budget"] += 1
        return _failing(loop, TempError("timeout", f"{key[0]} {key[1]}"))
    future = loop.create_future()
    ctx.memo[key] = future
    _Lookup(ctx, key, future, budget, deadline).start()
    return future


class _Lookup:
    """One lookup of the run's memo, driven by callbacks rather than a task.

    A lookup takes a slot of the run's pacing (waiting its turn when none is free), asks the
    stub (:meth:`StubResolver.start`, which calls :meth:`answered`) and turns the response
    into the memo future's outcome. The asker that started it owns the future; when the
    asker is cancelled, so is the future: the lookup then gives its slot back and leaves the
    memo, so a later asker asks again, and other askers (:func:`_follow`) get a
    ``cancelled`` TempError. An attempt already sent is not called back: its answer or
    timeout ends the lookup; later attempts are not sent.
    """

    __slots__ = (
        "ctx",
        "key",
        "future",
        "budget",
        "deadline",
        "qname",
        "code",
        "pending",
    )

    def __init__(
        self,
        ctx: ScanContext,
        key: tuple[str, str],
        future: asyncio.Future[DnsAnswer],
        budget: Budget | None,
        deadline: float | None,
    ) -> None:
        self.ctx = ctx
        self.key = key
        self.future = future
        self.budget = budget
        self.deadline = deadline
        self.qname = b""
        self.code = 0
        self.pending: Pending | None = None  # asked, holding a slot

    def start(self) -> None:
        name, rdtype = self.key
        try:
            self.qname = encode_name(name)
            self.code = rdtype_code(rdtype)
        # Empty or long labels, non-ASCII, an unknown type.
        except (WireError, ValueError) as error:
            self.future.set_exception(
                InvalidName("invalid_name", f"{name!r} {rdtype}: {error}")
            )
            self.future.exception()  # retrieved: not every asker awaits it
            return
        ctx = self.ctx
        ctx.counters["queries"] += 1
        pacing = ctx.pacing
        if pacing.try_acquire():  # the common case takes a slot without a future
            self._ask()
        else:
            pacing.enqueue(ctx.stub.loop).add_done_callback(self._admitted)

    def _admitted(self, queued: asyncio.Future[None]) -> None:
        if self.future.done():  # the asker is gone: the slot goes on
            self.ctx.pacing.release()
            self._forget()
            return
        self._ask()

    def _ask(self) -> None:
        try:
            pending = self.ctx.stub.start(self.qname, self.code, self.deadline, self)
        except LocalFailure as error:  # no server to ask: this machine's failure (7.1)
            self.ctx.pacing.release()
            self.future.set_exception(error)
            self.future.exception()
            return
        if not self.future.done():  # else answered at once (its lifetime was spent)
            self.pending = pending

    def answered(self, outcome: Response | BaseException) -> None:
        """The stub's last word on the query (``scanner.stub.Asker``)."""
        self.pending = None
        self.ctx.pacing.release()
        future = self.future
        if future.done():  # the asker was cancelled meanwhile
            self._forget()
            return
        try:
            self._settle(outcome)
        except (
            Exception
        ) as error:  # a bug: the asker must fail loudly, not wait forever
            if not future.done():
                future.set_exception(error)
            raise

    def retrying(self) -> bool:
        """The first attempt failed (``scanner.stub.Asker``): go on unless the asker is gone.

        Going on takes a task; from then on, the asker's cancellation cancels it."""
        if self.future.done():
            self.pending = None
            self.ctx.pacing.release()
            self._forget()
            return False
        self.future.add_done_callback(self._ended)
        return True

    def _ended(self, future: asyncio.Future[DnsAnswer]) -> None:
        if future.cancelled() and self.pending is not None:
            pending, self.pending = self.pending, None
            pending.cancel()
            self.ctx.pacing.release()
            self._forget()

    def _forget(self) -> None:
        if self.ctx.memo.get(self.key) is self.future:
            del self.ctx.memo[self.key]

    def _settle(self, outcome: Response | BaseException) -> None:
        ctx, future = self.ctx, self.future
        name, rdtype = self.key
        if isinstance(outcome, BaseException):
            if isinstance(outcome, TempError):
                ctx.counters["temperror"] += 1
                self._fail(TempError(outcome.reason, f"{name} {rdtype}"))
            else:  # this machine's failure (LocalFailure): ends the run, every asker sees it
                future.set_exception(outcome)
                future.exception()
            return
        rcode = outcome.rcode
        if rcode == RCODE_NXDOMAIN:
            ctx.counters["nxdomain"] += 1
        elif rcode != RCODE_NOERROR:
            ctx.counters["temperror"] += 1
            reason = "yxdomain" if rcode == RCODE_YXDOMAIN else f"rcode_{rcode}"
            self._fail(TempError(reason, f"{name} {rdtype}"))
            return
        future.set_result(convert(name, rdtype, self.code, self.qname, outcome))

    def _fail(self, error: TempError) -> None:
        ctx, future = self.ctx, self.future
        future.set_exception(error)
        future.exception()  # retrieved: callers that never await it must not warn at exit
        if self.budget is not None:
            self.budget.fail()
        if spent(self.deadline, ctx.stub.loop) and ctx.memo.get(self.key) is future:
            # Ended by this domain's budget, not by DNS: another domain asking the same
            # name (a shared provider record) asks again instead of inheriting it.
            ctx.counters["over_budget"] += 1
            del ctx.memo[self.key]


def _follow(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[DnsAnswer],
    key: tuple[str, str],
) -> asyncio.Future[DnsAnswer]:
    """A future with ``future``'s outcome for another asker, cancellable on its own.

    When the lookup's owner is cancelled, its other askers get a ``cancelled`` TempError
    rather than a cancellation they did not ask for (asyncio.shield would pass it on).
    """
    mirror: asyncio.Future[DnsAnswer] = loop.create_future()

    def copy(done: asyncio.Future[DnsAnswer]) -> None:
        if mirror.done():
            return
        if done.cancelled():
            mirror.set_exception(TempError("cancelled", f"{key[0]} {key[1]}"))
            mirror.exception()
        elif (error := done.exception()) is not None:
            mirror.set_exception(error)
            mirror.exception()
        else:
            mirror.set_result(done.result())

    def forget(done: asyncio.Future[DnsAnswer]) -> None:
        if done.cancelled():
            future.remove_done_callback(copy)

    future.add_done_callback(copy)
    mirror.add_done_callback(forget)
    return mirror


def _failing(
    loop: asyncio.AbstractEventLoop, error: TempError
) -> asyncio.Future[DnsAnswer]:
    """A lookup failed without a query: a future that holds ``error``."""
    future: asyncio.Future[DnsAnswer] = loop.create_future()
    future.set_exception(error)
    future.exception()  # retrieved: a caller may drop it (a prefetch)
    return future


def _silent_parent(ctx: ScanContext, name: str) -> str | None:
    """How the domain ``name`` is an underscore name of failed, if its servers are silent.

    ``_dmarc.<d>``, ``_domainkey.<d>``, ``<selector>._domainkey.<d>``... live in <d>'s zone
    (RFC 8552 attribute leaves). When this run already saw <d>'s apex TXT and MX both fail,
    asking them too only waits out more timeouts: a lame domain would cost one lifetime per
    dependent step (the selector probes after ``_domainkey``) instead of one in all. Failing
    them is a ``temperror`` like the apex's, never a ``none`` (docs/scanner-decisions.md 7.3).
    """
    if "_" not in name:
        return None
    start = 0
    while (dot := name.find(".", start)) >= 0:
        if name.startswith("_", start):
            parent = name[dot + 1 :]
            if apex_failed(ctx, parent):
                error = ctx.memo[(parent, "TXT")].exception()
                return error.reason if isinstance(error, TempError) else "timeout"
        start = dot + 1
    return None


def apex_failed(ctx: ScanContext, domain: str) -> bool:
    """Whether this run saw the apex TXT and MX lookups of ``domain`` both fail."""
    return _failed(ctx.memo.get((domain, "TXT"))) and _failed(
        ctx.memo.get((domain, "MX"))
    )


def _failed(future: asyncio.Future[DnsAnswer] | None) -> bool:
    return (
        future is not None
        and future.done()
        and not future.cancelled()
        and isinstance(future.exception(), TempError)
    )


def convert(
    name: str, rdtype: str, code: int, qname: bytes, response: Response
) -> DnsAnswer:
    """The records for the question at the end of the answer's CNAME chain."""
    # The name as the wire parser spells it: the name itself unless it needs escapes.
    current = name if PLAIN_NAME_TEXT.fullmatch(name) else read_name(qname, 0)[0]
    found = []
    for _ in range(MAX_CNAME_CHAIN):
        found = [r for r in response.answer if r.owner == current and r.rdtype == code]
        if found or code == CNAME:
            break
        link = next(
            (r for r in response.answer if r.owner == current and r.rdtype == CNAME),
            None,
        )
        if link is None or not isinstance(link.value, str):
            break
        current = link.value
    authenticated = response.authenticated
    if response.rcode == RCODE_NXDOMAIN:
        return DnsAnswer(name, rdtype, "nxdomain", current, authenticated=authenticated)
    if not found:
        return DnsAnswer(name, rdtype, "nodata", current, authenticated=authenticated)
    txt, mx = [], []
    for record in found:
        value = record.value
        if record.rdtype == TXT and isinstance(value, bytes):
            # Whole: a record is bounded by its message (65,535 octets, RFC 1035 4.2.2);
            # cutting it would turn a long record into a fake syntax error.
            txt.append(value)
        elif record.rdtype == MX and isinstance(value, tuple):
            mx.append(value)
    return DnsAnswer(
        name,
        rdtype,
        "answer",
        current,
        txt=tuple(txt),
        mx=tuple(sorted(mx)),
        authenticated=authenticated,
    )
