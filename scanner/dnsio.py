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
from .budget import BUDGET, spent
from .context import ScanContext
from .errors import InvalidName, TempError
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


async def query(ctx: ScanContext, name: str, rdtype: str) -> DnsAnswer:
    """Look ``name``/``rdtype`` up once per run; concurrent callers share the same lookup.

    Within a failing domain's checks (``scanner.budget``), a new lookup after the domain's
    budget is spent fails at once, worded as the timeout it stands for.
    """
    key = (name.lower().rstrip("."), rdtype.upper())
    future = ctx.memo.get(key)
    if future is None:
        silent = _silent_parent(ctx, key[0])
        if silent is not None:
            # Worded exactly as if the query had been sent and failed like its domain's did:
            # which queries were cut short depends on timing, and a result must not.
            raise TempError(silent, f"{key[0]} {key[1]}")
        loop = asyncio.get_running_loop()
        budget = BUDGET.get()
        deadline = budget.limit() if budget is not None else None
        if spent(deadline, loop):
            ctx.counters["over_budget"] += 1
            raise TempError("timeout", f"{key[0]} {key[1]}")
        future = loop.create_future()
        ctx.memo[key] = future
        try:
            future.set_result(await _resolve(ctx, key[0], key[1], deadline))
        except (TempError, InvalidName) as error:
            future.set_exception(error)
            # Mark retrieved: callers that never await this future must not warn at exit.
            future.exception()
            if budget is not None and isinstance(error, TempError):
                budget.fail()
            if spent(deadline, loop) and ctx.memo.get(key) is future:
                # Ended by this domain's budget, not by DNS: another domain asking the same
                # name (a shared provider record) asks again instead of inheriting it.
                ctx.counters["over_budget"] += 1
                del ctx.memo[key]
        except asyncio.CancelledError:
            # The asker was cancelled: other askers of this lookup must not wait forever,
            # and a later asker must ask again rather than inherit the cancellation.
            del ctx.memo[key]
            future.set_exception(TempError("cancelled", f"{key[0]} {key[1]}"))
            future.exception()
            raise
    if future.done():  # the common case: answered already, no shield needed
        return future.result()
    return await asyncio.shield(future)


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


async def _resolve(
    ctx: ScanContext, name: str, rdtype: str, deadline: float | None = None
) -> DnsAnswer:
    try:
        qname = encode_name(name)
        code = rdtype_code(rdtype)
    except (
        WireError,
        ValueError,
    ) as error:  # empty or long labels, non-ASCII, unknown type
        raise InvalidName("invalid_name", f"{name!r} {rdtype}: {error}") from None
    ctx.counters["queries"] += 1
    pacing = ctx.pacing
    if not pacing.try_acquire():  # the common case takes a slot without a future
        await pacing.wait()
    try:
        response = await ctx.stub.resolve(qname, code, deadline)
    except TempError as error:
        ctx.counters["temperror"] += 1
        raise TempError(error.reason, f"{name} {rdtype}") from None
    finally:
        pacing.release()
    if response.rcode == RCODE_NXDOMAIN:
        ctx.counters["nxdomain"] += 1
    elif response.rcode != RCODE_NOERROR:
        ctx.counters["temperror"] += 1
        reason = (
            "yxdomain"
            if response.rcode == RCODE_YXDOMAIN
            else f"rcode_{response.rcode}"
        )
        raise TempError(reason, f"{name} {rdtype}")
    return convert(name, rdtype, code, qname, response)


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
