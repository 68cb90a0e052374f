"""Static worst-case walk of an SPF include/redirect tree (RFC 7208 4.6.4, 5, 6.1).

A receiver evaluates one path for one client IP and stops at the first match; a scanner has no
IP, so it walks every term a non-matching client would reach: each include and redirect
followed (redirect only when the record has no ``all``), each DNS-querying term counted once
per occurrence (the same include reached twice counts twice), void lookups counted per address
family. The walk goes on past the 10-term limit, within :data:`MAX_WALK_LOOKUPS`, so the tree
shows which include breaks it. Macro-dependent targets are counted but never queried.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .answer import DnsAnswer
from .dnsio import query
from .errors import InvalidName, PermError, TempError
from .spf_parse import (
    Mechanism,
    SpfRecord,
    decode_record,
    parse_spf,
    select_spf_records,
)
from .text import display_text

if TYPE_CHECKING:
    from .context import ScanContext

# RFC 7208 4.6.4: at most 10 DNS-querying terms per check_host() and (RECOMMENDED) 2 void
# lookups; an mx term looking up more than 10 exchange names is a permerror.
MAX_DNS_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX_NAMES = 10
# Walk on past the 10-term limit so the tree shows which include breaks it, but stop querying
# after this many terms (pyspf's lax-mode cap); nesting is bounded like pyspf's MAX_RECURSION.
MAX_WALK_LOOKUPS = 40
MAX_DEPTH = 20
# An mx term with more exchanges than this spends many address lookups ("mx-heavy").
MX_HEAVY_NAMES = 5
# RFC 7208 3.4: the whole TXT answer at a name SHOULD fit a 512-octet UDP reply.
TXT_SET_OCTETS = 512
# RFC 7505: "MX 0 ." says the domain accepts no mail; there is no address to look up.
NULL_MX = frozenset({"", "."})


@dataclass(frozen=True)
class Fetched:
    """The SPF record set at one name: ``found`` (``parsed`` set), ``none``, ``nxdomain``,
    ``multiple`` (RFC 7208 4.5) or ``invalid`` (non-ASCII or a syntax error: ``problem``)."""

    status: str
    records: tuple[str, ...] = ()
    parsed: SpfRecord | None = None
    problem: str | None = None
    txt_octets: int = 0
    canonical_name: str = ""
    # NXDOMAIN or NOERROR without TXT records: a void lookup (RFC 7208 4.6.4).
    void: bool = False


async def fetch_spf(ctx: ScanContext, name: str) -> Fetched:
    """Query TXT at ``name`` and select its SPF record. Raises TempError and InvalidName."""
    answer = await query(ctx, name, "TXT")
    canonical = answer.canonical_name
    if answer.outcome == "nxdomain":
        return Fetched("nxdomain", canonical_name=canonical, void=True)
    octets = sum(len(raw) for raw in answer.txt)
    selected = sorted(select_spf_records(answer.txt))
    shown = tuple(display_text(raw) for raw in selected)
    if not selected:
        return Fetched(
            "none", txt_octets=octets, canonical_name=canonical, void=answer.empty
        )
    if len(selected) > 1:
        problem = f"{len(selected)} SPF records at {name}: more than one is a permerror (RFC 7208 4.5)"
        return Fetched(
            "multiple",
            shown,
            problem=problem,
            txt_octets=octets,
            canonical_name=canonical,
        )
    try:
        parsed = parse_spf(decode_record(selected[0]))
    except PermError as error:
        problem = f"invalid SPF record at {name}: {error}"
        return Fetched(
            "invalid",
            shown,
            problem=problem,
            txt_octets=octets,
            canonical_name=canonical,
        )
    return Fetched("found", shown, parsed, txt_octets=octets, canonical_name=canonical)


@dataclass
class SpfNode:
    """One record in the tree; ``lookups`` and voids are this record's own terms."""

    domain: str
    via: str  # apex | include | redirect
    term: str | None = None
    record: str | None = None
    parsed: SpfRecord | None = None
    lookups: int = 0
    void_ipv4: int = 0
    void_ipv6: int = 0
    children: list[SpfNode] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    canonical_name: str | None = None
    # Some evaluated term can give "pass" (an unknown include target counts as yes).
    authorises: bool = False

    def subtree_lookups(self) -> int:
        return self.lookups + sum(child.subtree_lookups() for child in self.children)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "via": self.via,
            "term": self.term,
            "record": self.record,
            "lookups": self.lookups,
            "void": max(self.void_ipv4, self.void_ipv6),
            "void_ipv4": self.void_ipv4,
            "void_ipv6": self.void_ipv6,
            "subtree_lookups": self.subtree_lookups(),
            "children": [child.to_json() for child in self.children],
            "error": self.error,
            "skipped": self.skipped,
            "canonical_name": self.canonical_name,
        }


def effective_all(node: SpfNode) -> tuple[str | None, SpfNode | None]:
    """The qualifier a non-listed client ends on (``-all``/``~all``/``?all``/``+all``), following
    redirect (RFC 7208 6.1), and the node that decides it; ``(None, node)`` is "no all and no
    redirect": neutral (4.7); ``(None, None)`` means unknown (error, macro target)."""
    for _ in range(MAX_DEPTH + 1):
        record = node.parsed
        if record is None:
            return None, None
        if record.all is not None:
            return f"{record.all.qualifier}all", node
        if not record.uses_redirect:
            return None, node
        target = next((c for c in node.children if c.via == "redirect"), None)
        if target is None:
            return None, None
        node = target
    return None, None


@dataclass
class SpfWalk:
    """Counters and findings of one domain's walk."""

    ctx: ScanContext
    lookups: int = 0
    void_ipv4: int = 0
    void_ipv6: int = 0
    # pyspf's stricter reading: every empty answer counts, incl. each MX host's A/AAAA.
    query_void_ipv4: int = 0
    query_void_ipv6: int = 0
    permerrors: list[str] = field(default_factory=list)
    temperrors: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    limit_exceeded_at: str | None = None
    void_exceeded_at: str | None = None
    truncated: bool = False
    looped: bool = False  # an include/redirect loop: the worst case is unbounded

    def warn(self, code: str, detail: str) -> None:
        if (code, detail) not in self.warnings:
            self.warnings.append((code, detail))

    async def walk(
        self, node: SpfNode, record: SpfRecord, path: tuple[str, ...]
    ) -> None:
        """Evaluate ``record`` (``node``'s) worst case; ``path`` holds the domains from the apex."""
        node.parsed = record
        await self._prefetch(node, record)
        for mechanism in record.evaluated:
            if mechanism.qualifier == "+" and mechanism.kind != "include":
                node.authorises = True
            if mechanism.counts_lookup:
                await self._term(node, mechanism, path)
        redirect = record.redirect
        if redirect is None:
            return
        if record.all is not None:
            self.warn(
                "redirect-ignored-with-all",
                f"{node.domain}: {redirect.text} is ignored because the record has 'all' (RFC 7208 5.1)",
            )
            return
        self._count(node, redirect.text)
        child = await self._follow(
            node, "redirect", redirect.value, redirect.text, redirect.macros, path
        )
        node.authorises = node.authorises or child.parsed is None or child.authorises

    async def _term(
        self, node: SpfNode, mechanism: Mechanism, path: tuple[str, ...]
    ) -> None:
        self._count(node, mechanism.text)
        if mechanism.kind == "include":
            target = mechanism.target or node.domain  # the parser requires a target
            child = await self._follow(
                node, "include", target, mechanism.text, mechanism.macros, path
            )
            if mechanism.qualifier == "+" and (
                child.parsed is None or child.authorises
            ):
                node.authorises = True
            return
        if mechanism.kind == "ptr":
            self.warn(
                "ptr-used",
                f"{node.domain}: {mechanism.text} (RFC 7208 5.5: SHOULD NOT be used; depends on the client's PTR)",
            )
            return
        if mechanism.macros:
            self.warn(
                "macro-dependent-term",
                f"{node.domain}: {mechanism.text} counted, not evaluated (depends on the sender)",
            )
            return
        if self.lookups > MAX_WALK_LOOKUPS:
            self.truncated = True
            return
        name = (mechanism.target or node.domain).rstrip(".").lower()
        try:
            await self._lookup(node, mechanism, name)
        except TempError as error:
            self._temp(node, node, mechanism.text, error)
        except InvalidName:
            self.warn(
                "malformed-domain",
                f"{node.domain}: {mechanism.text} names no valid domain: treated as no match (RFC 7208 4.3)",
            )

    async def _lookup(self, node: SpfNode, mechanism: Mechanism, name: str) -> None:
        if mechanism.kind == "exists":  # RFC 7208 5.7: always A, even for IPv6 clients
            empty = (await query(self.ctx, name, "A")).empty
            self._void(node, mechanism.text, (empty, empty), (int(empty), int(empty)))
        elif mechanism.kind == "a":
            found4, found6 = await asyncio.gather(
                query(self.ctx, name, "A"), query(self.ctx, name, "AAAA")
            )
            voids = (found4.empty, found6.empty)
            self._void(node, mechanism.text, voids, (int(voids[0]), int(voids[1])))
        else:
            await self._mx(node, mechanism, name)

    async def _mx(self, node: SpfNode, mechanism: Mechanism, name: str) -> None:
        """RFC 7208 5.4: MX, then A/AAAA of each exchange (at most 10 names, 4.6.4)."""
        answer = await query(self.ctx, name, "MX")
        if answer.empty:
            self._void(node, mechanism.text, (True, True), (1, 1))
            return
        hosts = [host for _, host in answer.mx if host not in NULL_MX]
        if len(answer.mx) > MAX_MX_NAMES:
            self._perm(
                node,
                f"{mechanism.text} in {node.domain}: {len(answer.mx)} MX names > {MAX_MX_NAMES} (RFC 7208 4.6.4)",
            )
            return
        if len(hosts) > MX_HEAVY_NAMES:
            self.warn(
                "mx-heavy",
                f"{node.domain}: {mechanism.text} needs address lookups for {len(hosts)} MX hosts",
            )
        answers = await asyncio.gather(*(self._addresses(host) for host in hosts))
        empty4 = [pair[0].empty for pair in answers]
        empty6 = [pair[1].empty for pair in answers]
        voids = (bool(hosts) and all(empty4), bool(hosts) and all(empty6))
        self._void(node, mechanism.text, voids, (sum(empty4), sum(empty6)))

    async def _addresses(self, host: str) -> tuple[DnsAnswer, DnsAnswer]:
        found4, found6 = await asyncio.gather(
            query(self.ctx, host, "A"), query(self.ctx, host, "AAAA")
        )
        return found4, found6

    async def _follow(
        self,
        node: SpfNode,
        via: str,
        target: str,
        term: str,
        macros: frozenset[str],
        path: tuple[str, ...],
    ) -> SpfNode:
        """Attach and walk the record at an include/redirect target (RFC 7208 5.2, 6.1)."""
        name = target.rstrip(".").lower()
        child = SpfNode(domain=name, via=via, term=term)
        node.children.append(child)
        if macros:
            child.skipped = "macro-dependent target, not queried"
            self.warn(
                "macro-dependent-term",
                f"{node.domain}: {term} counted, not evaluated (depends on the sender)",
            )
        elif name in path:
            loop = " -> ".join((*path, name))
            self._perm(
                child,
                f"{via} loop {loop}: evaluation never ends within 10 lookups (RFC 7208 4.6.4)",
            )
            self.looped = True
        elif len(path) > MAX_DEPTH:
            self._perm(
                child, f"{term} in {node.domain}: nesting deeper than {MAX_DEPTH}"
            )
        elif self.lookups > MAX_WALK_LOOKUPS:
            child.skipped = f"not walked: over {MAX_WALK_LOOKUPS} lookups already"
            self.truncated = True
        else:
            await self._load(node, child, path)
        return child

    async def _load(self, node: SpfNode, child: SpfNode, path: tuple[str, ...]) -> None:
        try:
            fetched = await fetch_spf(self.ctx, child.domain)
        except TempError as error:
            self._temp(child, node, child.term or child.domain, error)
            return
        except InvalidName:
            fetched = Fetched("none")
        if fetched.canonical_name and fetched.canonical_name != child.domain:
            child.canonical_name = fetched.canonical_name
        if fetched.void:
            self._void(node, child.term or child.domain, (True, True), (1, 1))
        if fetched.status in ("none", "nxdomain"):
            what = (
                "does not exist"
                if fetched.status == "nxdomain"
                else "has no SPF record"
            )
            rule = "5.2" if child.via == "include" else "6.1"
            self._perm(
                child,
                f"{child.term} in {node.domain}: {child.domain} {what} (RFC 7208 {rule}: permerror)",
            )
            return
        child.record = fetched.records[0] if fetched.records else None
        if fetched.parsed is None:
            self._perm(child, f"{child.term} in {node.domain}: {fetched.problem}")
            return
        await self.walk(child, fetched.parsed, (*path, child.domain))

    async def _prefetch(self, node: SpfNode, record: SpfRecord) -> None:
        """Start this record's independent lookups together; the sequential walk then reads
        them from the run's memo (dnsio.query). Errors surface later, where they are handled."""
        budget = max(0, MAX_WALK_LOOKUPS - self.lookups)
        wanted: list[tuple[str, str]] = []
        for mechanism in record.evaluated:
            if (
                not mechanism.counts_lookup
                or mechanism.macros
                or mechanism.kind == "ptr"
            ):
                continue
            name = (mechanism.target or node.domain).rstrip(".").lower()
            types = {
                "include": ("TXT",),
                "a": ("A", "AAAA"),
                "mx": ("MX",),
                "exists": ("A",),
            }
            wanted.extend((name, rdtype) for rdtype in types[mechanism.kind])
        redirect = record.redirect
        if redirect is not None and record.all is None and not redirect.macros:
            wanted.append((redirect.value.rstrip(".").lower(), "TXT"))
        tasks = [query(self.ctx, name, rdtype) for name, rdtype in wanted[: 2 * budget]]
        await asyncio.gather(*tasks, return_exceptions=True)

    def _count(self, node: SpfNode, term: str) -> None:
        node.lookups += 1
        self.lookups += 1
        if self.lookups == MAX_DNS_LOOKUPS + 1:
            self.limit_exceeded_at = f"{term} in {node.domain}"

    def _void(
        self,
        node: SpfNode,
        term: str,
        voids: tuple[bool, bool],
        queries: tuple[int, int],
    ) -> None:
        node.void_ipv4 += voids[0]
        node.void_ipv6 += voids[1]
        self.void_ipv4 += voids[0]
        self.void_ipv6 += voids[1]
        self.query_void_ipv4 += queries[0]
        self.query_void_ipv6 += queries[1]
        if any(voids) and node.via != "apex":
            self.warn(
                "void-lookup-in-include", f"{node.domain}: {term} finds nothing in DNS"
            )
        if (
            self.void_exceeded_at is None
            and max(self.void_ipv4, self.void_ipv6) > MAX_VOID_LOOKUPS
        ):
            self.void_exceeded_at = f"{term} in {node.domain}"

    def _perm(self, node: SpfNode, message: str) -> None:
        node.error = message
        self.permerrors.append(message)

    def _temp(
        self, node: SpfNode, parent: SpfNode, term: str, error: TempError
    ) -> None:
        """A DNS failure: ``node`` gets the error, ``parent`` holds the term that asked."""
        message = f"DNS {error.reason} for {term} in {parent.domain} ({error.detail}): temperror"
        node.error = node.error or message
        self.temperrors.append(message)
