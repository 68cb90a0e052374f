"""Registry discovery: header_from domains the reports show sending mail that the registry
does not list, under a domain it does (``mail.soumu.go.jp`` under ``soumu.go.jp``).

A receiver reports mail by the domain in its From header (RFC 7489 §7.2, RFC 9990
§3.1.1.8), so a ministry's mail from a subdomain nobody entered appears here first. Such a name
is listed when the registry holds one of its parents up to its organisational domain
(RFC 7489 §3.2, the public suffix plus one label), and the nearest of them is its registered
parent. Staff add it with one button: it goes through the registry import's planner and
writer (``adoption.registry.plan``), joins its parent's groups and organisation, and is recorded
as an import (``ImportBatch``) under the staff member's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from adoption.models import (
    DmarcDailyVolume,
    DmarcRecord,
    Domain,
    ImportBatch,
    LearnedSelector,
)
from adoption.registry.batches import preview_of
from adoption.registry.parse import ParsedRow, ParseResult
from adoption.registry.plan import ImportOutcome, ImportPlan, apply_import, plan_import
from scanner.names import InvalidDomain, normalize_domain, org_domain_psl, to_unicode

# Unregistered header_from names looked at, most mail first. Reports name whatever their
# senders put in From (forgeries included); names beyond this many are a long tail.
MAX_NAMES = 10_000
BATCH_NAME = "dmarc-reports:%s"  # ImportBatch.filename of an added domain


@dataclass(frozen=True)
class Discovered:
    name: str  # A-label, as reported
    display: str
    messages: int
    first_day: dt.date
    last_day: dt.date
    parent: Domain | None  # the nearest registered parent


def ancestors(name: str) -> list[str]:
    """``a.b.soumu.go.jp`` -> ``[b.soumu.go.jp, soumu.go.jp]``: its parents down to its
    organisational domain, nearest first; [] for an organisational domain itself."""
    org = org_domain_psl(name)
    if name == org or not name.endswith("." + org):
        return []
    labels = name.split(".")
    depth = len(org.split("."))
    return [".".join(labels[i:]) for i in range(1, len(labels) - depth + 1)]


def _valid(name: str) -> bool:
    try:
        return normalize_domain(name) == name
    except InvalidDomain:
        return False


def _unregistered(names: Iterable[str] | None) -> list[Discovered]:
    """Unlinked header_from names with their mail, most first (parent not yet known)."""
    rows = DmarcDailyVolume.objects.filter(domain__isnull=True)
    if names is not None:
        rows = rows.filter(header_from__in=list(names))
    sums = (
        rows.order_by()
        .values_list("header_from")
        .annotate(messages=Sum("messages"), first_day=Min("day"), last_day=Max("day"))
        .order_by("-messages", "header_from")[:MAX_NAMES]
    )
    return [
        Discovered(name, to_unicode(name), messages, first, last, None)
        for name, messages, first, last in sums
        if _valid(name)
    ]


def discovered(names: Iterable[str] | None = None) -> list[Discovered]:
    """The unregistered header_from names with a registered parent, most mail first (three
    queries). ``names``: only these (the add button checks its one name again)."""
    rows = _unregistered(names)
    parents_of = {r.name: ancestors(r.name) for r in rows}
    wanted = {p for parents in parents_of.values() for p in parents} | set(parents_of)
    known = {
        d.name: d
        for d in Domain.objects.filter(name__in=sorted(wanted)).select_related(
            "organisation"
        )
    }
    found = []
    for row in rows:
        if row.name in known:
            continue  # joined the registry after its reports were stored
        parent = next(
            (known[p] for p in parents_of[row.name] if p in known and known[p].active),
            None,
        )
        if parent is not None:
            found.append(replace(row, parent=parent))
    return found


class NotDiscovered(Exception):
    """The name is not (or no longer) an unregistered domain under a registered parent."""


def add_discovered(name: str, user: User) -> tuple[Domain, ImportOutcome]:
    """Add ``name`` to the registry in its parent's groups and organisation, record it as an
    import by ``user``, and attach the reports' rows about it to the new domain."""
    found = discovered([name])
    if not found or found[0].parent is None:
        raise NotDiscovered(name)
    item, parent = found[0], found[0].parent
    org = parent.organisation
    row = ParsedRow(
        row=1,
        domain=item.name,
        display=item.display,
        organisation=org.name_ja if org else "",
        organisation_en=org.name_en if org else "",
        groups=tuple(
            parent.memberships.filter(left_at=None).values_list(
                "group__name", flat=True
            )
        ),
    )
    result = ParseResult((row,), (), "", "", 0, {})
    now = timezone.now()
    with transaction.atomic():
        plan = plan_import(result)
        outcome = apply_import(plan, now=now)
        domain = Domain.objects.get(name=item.name)
        _record_batch(item.name, user, plan, outcome, now)
        _link(domain, [item.name, *ancestors(item.name)])
    return domain, outcome


def _record_batch(
    name: str, user: User, plan: ImportPlan, outcome: ImportOutcome, now: dt.datetime
) -> None:
    ImportBatch.objects.create(
        owner=user,
        filename=BATCH_NAME % name,
        state=ImportBatch.State.APPLIED,
        preview=preview_of(plan),
        outcome={**outcome.as_dict(), "partial": False},
        created_at=now,
        expires_at=now,
        applied_at=now,
    )


def _link(domain: Domain, names: list[str]) -> None:
    """Rows stored before the domain joined point at it from now on: its daily volumes, its
    records (in reports for it or a parent) and the selectors signing for it or below it
    that pointed at a parent (scans of the new domain probe them)."""
    name = domain.name
    DmarcDailyVolume.objects.filter(header_from=name, domain__isnull=True).update(
        domain=domain
    )
    DmarcRecord.objects.filter(
        header_from=name, domain__isnull=True, report__policy_domain__in=names
    ).update(domain=domain)
    LearnedSelector.objects.filter(
        Q(signing_domain=name) | Q(signing_domain__endswith="." + name),
        Q(domain__isnull=True) | Q(domain__name__in=names[1:]),
    ).update(domain=domain)
