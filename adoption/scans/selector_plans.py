"""Which DKIM selectors a scan of each domain probes: fewer queries for the same truth.

Selectors cannot be listed (RFC 6376 3.6.2.1: the key sits at ``<selector>._domainkey.<d>``,
and only signed mail names the selector), so a first scan guesses from the long default list
(scanner.selectors). Most of a run's queries are those guesses, on the fifth of domains whose
``_domainkey`` exists, and on an unchanged zone they find the same keys every week. A run
therefore probes, on every domain, every selector the domain was ever seen with (the registry's,
those learned from DMARC reports, those earlier scans saw publishing something) and the short
common list; the long list only:

- on the domain's first scan (``Domain.dkim_full_due`` null);
- when it is due, every ``DKIM_FULL_PROBE_DAYS`` (28: monthly); the first due dates are spread
  over the period by a hash of the name, so a weekly run probes about a quarter of the domains
  in full, not all of them every fourth week;
- whenever ``_domainkey``'s existence differs from the last scan's, which the scanner sees
  itself in the same scan (scanner.selectors.Probing).

The result says which list was probed (``dkim.selector_plan``); that and the probe counts are
kept on the run's row, out of the stored version (adoption/scans/store.py), so alternating
plans add no versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from adoption.models import Domain
from scanner.selectors import (
    DEFAULT_SELECTORS,
    MAX_SELECTORS,
    Probing,
    normalize_selector,
)

# The first long-list probes of a registry are spread over this many parts of the period.
SPREAD_SLOTS = 4
# A due date is brought forward by this share of the period, so a weekly run that starts a
# few minutes earlier than four weeks before still finds the domain due.
DUE_MARGIN = 1 / 28
# Selectors remembered per domain from scans (each is probed on every scan).
MAX_SEEN_SELECTORS = 16
_DEFAULT_ORDER = {name: index for index, name in enumerate(DEFAULT_SELECTORS)}


def period() -> dt.timedelta:
    return dt.timedelta(days=settings.DKIM_FULL_PROBE_DAYS)


def probing_for(domain: Domain, learned: Sequence[str], now: dt.datetime) -> Probing:
    """The scanner's instructions for ``domain`` in a run started at ``now``."""
    known = tuple(
        dict.fromkeys(
            [
                *(domain.dkim_selectors or ()),
                *learned,
                *(domain.dkim_seen_selectors or ()),
            ]
        )
    )
    due = domain.dkim_full_due
    full = not settings.DKIM_FULL_PROBE_DAYS or due is None or due <= now
    return Probing(known=known, full=full, domainkey_existed=domain.dkim_domainkey)


def remember(
    pairs: Sequence[tuple[Domain, dict[str, Any]]], now: dt.datetime
) -> list[Domain]:
    """Note what each result says of its domain's selectors; the domains that changed."""
    changed = []
    for domain, result in pairs:
        before = (
            domain.dkim_seen_selectors,
            domain.dkim_domainkey,
            domain.dkim_full_due,
        )
        _learn(domain, result.get("dkim"), now)
        if (
            domain.dkim_seen_selectors,
            domain.dkim_domainkey,
            domain.dkim_full_due,
        ) != before:
            changed.append(domain)
    return changed


def save_remembered(domains: Sequence[Domain]) -> None:
    Domain.objects.bulk_update(
        domains,
        ["dkim_seen_selectors", "dkim_domainkey", "dkim_full_due"],
        batch_size=500,
    )


def _learn(domain: Domain, dkim: object, now: dt.datetime) -> None:
    if not isinstance(dkim, dict):
        return
    outcome = dkim.get("domainkey")
    if outcome in ("answer", "nodata", "nxdomain"):  # "error": existence unknown, keep
        domain.dkim_domainkey = outcome != "nxdomain"
    names = [
        entry.get("selector")
        for entry in dkim.get("selectors") or ()
        if isinstance(entry, dict)
    ]
    domain.dkim_seen_selectors = seen_order(
        [*(domain.dkim_seen_selectors or ()), *(n for n in names if isinstance(n, str))]
    )
    if dkim.get("selector_plan") == "full" and dkim.get("state") != "temperror":
        domain.dkim_full_due = next_due(domain, now)


def seen_order(names: Sequence[str]) -> list[str]:
    """Valid, unique, bounded; in the default list's order, others by name after it.

    The order the probes go out is the order of the result's ``selectors``: keeping a
    remembered ``google`` and ``selector1`` in the default list's order makes the short plan's
    result list them as the long plan's did.
    """
    valid = {n for n in (normalize_selector(name) for name in names) if n is not None}
    ordered = sorted(
        valid, key=lambda n: (_DEFAULT_ORDER.get(n, len(_DEFAULT_ORDER)), n)
    )
    return ordered[: min(MAX_SEEN_SELECTORS, MAX_SELECTORS)]


def next_due(domain: Domain, now: dt.datetime) -> dt.datetime:
    """When the long list is next probed: a period on, the first time a hashed part of it."""
    full = period()
    if domain.dkim_full_due is None:
        slot = int.from_bytes(
            hashlib.blake2b(domain.name.encode(), digest_size=4).digest()
        )
        full = full * (1 + slot % SPREAD_SLOTS) / SPREAD_SLOTS
    return now + full - period() * DUE_MARGIN
