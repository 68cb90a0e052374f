"""Pure DMARC policy discovery over lookups already made: RFC 7489 (PSL) and RFC 9989 (walk).

``dmarc.py`` queries ``_dmarc.<name>`` for every name these functions may need and hands them
a mapping name -> :class:`DmarcLookup`; everything here is a function of that mapping, so the
7-, 8-, 9- and 13-label walks and the PSL/tree-walk disagreements are tested without DNS.

Rules kept here (docs/scanner-decisions.md 4.1, 4.3):

- A DNS error at a name that decides the outcome is ``temperror``; discovery never moves on
  to a parent after an error (that would invent ``inherited`` results).
- RFC 7489 6.6.3: several DMARC records at one name end discovery (``permerror``).
  RFC 9989 4.10 step 2: they are discarded and the walk goes on upward.
- RFC 9989 4.10: at most 8 queries; from 8 or more labels the first step jumps to 7 labels,
  then one label at a time down to the TLD. A record with ``psd=y``/``psd=n`` stops the walk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .dmarc_parse import DmarcRecord

WALK_SHORTCUT_LABELS = 7  # RFC 9989 4.10 step 4: names of 8+ labels jump to 7 labels
MAX_WALK_QUERIES = 8  # RFC 9989 4.10: the author domain plus at most 7 ancestors


@dataclass(frozen=True, slots=True)
class DmarcLookup:
    """What TXT ``_dmarc.<name>`` returned, reduced to what discovery needs.

    ``outcome`` is ``answer``/``nodata``/``nxdomain`` or ``error`` (then ``error`` holds the
    TempError reason). ``records`` are the RRs whose first tag is ``v=DMARC1``;
    ``lookalikes`` are ``(problem, text)`` for TXT that try to be DMARC but are not
    (``V=DMARC1``, ``v`` not first, missing ``;``); ``other_txt`` is the rest (an apex SPF
    record served at ``_dmarc`` by a wildcard, verification tokens).
    """

    name: str
    outcome: str
    error: str | None = None
    canonical_name: str | None = None
    records: tuple[DmarcRecord, ...] = ()
    lookalikes: tuple[tuple[str, str], ...] = ()
    other_txt: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Discovery:
    """The outcome of one discovery method for one domain."""

    state: str  # none | valid | permerror | temperror
    record: DmarcRecord | None = None
    source_domain: str | None = None
    inherited: bool = False
    org_domain: str | None = None
    errors: tuple[str, ...] = ()
    records: tuple[str, ...] = ()  # every DMARC record text at the source name


def walk_targets(domain: str) -> tuple[str, ...]:
    """Names whose ``_dmarc`` the RFC 9989 4.10 tree walk queries, in order."""
    labels = domain.split(".")
    count = len(labels)
    first_parent = min(count - 1, WALK_SHORTCUT_LABELS)
    targets = [domain] + [".".join(labels[-n:]) for n in range(first_parent, 0, -1)]
    return tuple(targets[:MAX_WALK_QUERIES])


def discover_psl(
    domain: str, org_domain: str, lookups: Mapping[str, DmarcLookup]
) -> Discovery:
    """RFC 7489 6.6.3: ``_dmarc.<domain>``, else ``_dmarc.<PSL org domain>`` (inherited)."""
    lookup = lookups[domain]
    own = _judge(lookup, inherited=False, org_domain=org_domain)
    # Only look-alikes (``v=dmarc1``, ``v`` not first): RFC 7489 6.6.3 steps 2-3 discard them
    # and ask the organizational domain, whose policy then applies. They decide the outcome
    # (permerror: published but broken) only when nothing is inherited.
    lookalikes_only = not lookup.records and lookup.error is None and own is not None
    if own is not None and not (lookalikes_only and org_domain != domain):
        return own
    if org_domain == domain:
        return Discovery("none", org_domain=org_domain)
    parent = _judge(lookups[org_domain], inherited=True, org_domain=org_domain)
    if parent is not None and parent.state != "none":
        return parent
    return own if own is not None else Discovery("none", org_domain=org_domain)


def _judge(
    lookup: DmarcLookup, *, inherited: bool, org_domain: str | None
) -> Discovery | None:
    """The discovery outcome at one name, or ``None`` when nothing is published there."""

    def found(
        state: str,
        record: DmarcRecord | None,
        errors: tuple[str, ...],
        texts: tuple[str, ...],
    ) -> Discovery:
        return Discovery(
            state, record, lookup.name, inherited, org_domain, errors, texts
        )

    texts = tuple(record.text for record in lookup.records)
    if lookup.error is not None:
        # Nothing was found, so nothing is inherited: the failing name goes in ``errors``.
        error = f"dns_{lookup.error}:_dmarc.{lookup.name}"
        return Discovery("temperror", org_domain=org_domain, errors=(error,))
    if len(lookup.records) > 1:
        return found("permerror", None, ("multiple_records",), texts)
    if lookup.records:
        record = lookup.records[0]
        return found(
            "valid" if record.usable else "permerror", record, record.errors, texts
        )
    if lookup.lookalikes:
        problems = tuple(dict.fromkeys(problem for problem, _ in lookup.lookalikes))
        return found(
            "permerror", None, problems, tuple(text for _, text in lookup.lookalikes)
        )
    return None


def discover_treewalk(domain: str, lookups: Mapping[str, DmarcLookup]) -> Discovery:
    """RFC 9989 4.10.1 policy discovery and 4.10.2 organizational domain, from one walk.

    The record at the author domain wins; else the organizational domain's; else the PSD's
    (a ``psd=y`` record found on the way). Only one record per name counts: several are all
    discarded (step 2), and TXT that do not start with ``v=DMARC1`` are not records at all.
    """
    found: list[tuple[str, DmarcRecord]] = []
    for name in walk_targets(domain):
        lookup = lookups[name]
        if lookup.error is not None:
            return _walk_error(domain, lookup, found)
        if len(lookup.records) == 1:
            found.append((name, lookup.records[0]))
            if lookup.records[0].psd in ("y", "n"):
                break  # RFC 9989 4.10 steps 2 and 6
    org_domain = select_org_domain(domain, found)
    source = _policy_source(domain, org_domain, found)
    if source is None:
        return Discovery("none", org_domain=org_domain)
    name, record = source
    state = "valid" if record.usable else "permerror"
    return Discovery(
        state, record, name, name != domain, org_domain, record.errors, (record.text,)
    )


def _walk_error(
    domain: str, lookup: DmarcLookup, found: list[tuple[str, DmarcRecord]]
) -> Discovery:
    """A DNS error part-way: the author's own record still applies, the org domain is unknown."""
    error = f"dns_{lookup.error}:_dmarc.{lookup.name}"
    if found and found[0][0] == domain:
        record = found[0][1]
        state = "valid" if record.usable else "permerror"
        errors = (*record.errors, f"org_domain_unknown:{error}")
        return Discovery(state, record, domain, False, None, errors, (record.text,))
    return Discovery("temperror", errors=(error,))


def select_org_domain(domain: str, found: Sequence[tuple[str, DmarcRecord]]) -> str:
    """RFC 9989 4.10.2 over the records found, from the longest name to the shortest.

    ``psd=n`` -> that name; ``psd=y`` (not at the starting name) -> the name one label below it
    on the way to ``domain``; otherwise the name with the fewest labels; nothing -> ``domain``.
    """
    for name, record in found:
        if record.psd == "n":
            return name
        if record.psd == "y" and name != domain:
            return _one_label_below(domain, name)
    if not found:
        return domain
    return min(found, key=lambda item: item[0].count("."))[0]


def _one_label_below(domain: str, ancestor: str) -> str:
    labels = domain.split(".")
    depth = ancestor.count(".") + 2
    return ".".join(labels[-depth:])


def _policy_source(
    domain: str, org_domain: str, found: Sequence[tuple[str, DmarcRecord]]
) -> tuple[str, DmarcRecord] | None:
    """RFC 9989 4.10.1: author domain, else organizational domain, else the PSD."""
    by_name = dict(found)
    for name in (domain, org_domain):
        if name in by_name:
            return name, by_name[name]
    for name, record in found:
        if record.psd == "y":
            return name, record
    return None


def policy_applied(
    record: DmarcRecord | None,
    domain: str,
    source_domain: str | None,
    exists: bool | None,
) -> str | None:
    """The policy a receiver applies to mail from ``domain`` (RFC 9989 4.10.1).

    ``p`` at the domain's own record; for a subdomain ``sp`` if it exists, ``np`` if it does
    not (NXDOMAIN, RFC 9989 3.2.13), each falling back to ``sp`` then ``p``. ``exists=None``
    (existence unknown) is treated as existing: the registry lists the domain.
    """
    if record is None or record.p is None:
        return None
    if source_domain == domain:
        return record.p
    if exists is False:
        return record.np or record.sp or record.p
    return record.sp or record.p


def enforcement(policy: str | None, pct: int | None, t: str | None) -> str | None:
    """docs/result-schema.md ``enforcement``: reject/quarantine only at pct 100 (or absent) and
    t != y."""
    if policy is None:
        return None
    if policy == "none" or t == "y":
        return "monitoring"
    if pct is not None and pct < 100:
        return "partial"
    return policy
