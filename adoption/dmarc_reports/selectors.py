"""DKIM selectors learned from aggregate reports, handed to the next scans.

A selector cannot be listed in DNS (RFC 6376 §3.6.2.1: the key is at
``<selector>._domainkey.<d=>``), so a domain that signs with an unguessable one
(``kokusai2025``) looks unsigned to a scan that only guesses. Reports name the selector of every
signature a receiver checked (``auth_results/dkim``, RFC 7489 Appendix C, RFC 9990 §3.1.1.12);
ingest stores each one under the signature's ``d=`` domain (``LearnedSelector``).

A scan of registry domain X probes, after X's own registry selectors and before the common
ones, the selectors learned for X itself and for its subdomains (``LearnedSelector.domain`` is
X), most recently seen first. Only selectors seen within ``DMARC_SELECTOR_MAX_AGE_DAYS`` are
probed; older ones stay in the table as history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from adoption.models import Domain, LearnedSelector

# Learned selectors probed per domain. Each costs one query per scan, and the scanner's plan
# holds 64 in all (scanner.selectors.MAX_SELECTORS); a domain rotating monthly through a
# 90-day window has three or four.
MAX_LEARNED_PER_DOMAIN = 16


def current_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Selectors last seen before this instant are no longer probed."""
    return (now or timezone.now()) - dt.timedelta(
        days=settings.DMARC_SELECTOR_MAX_AGE_DAYS
    )


def probed_selectors(
    domains: Sequence[Domain], now: dt.datetime | None = None
) -> dict[int, tuple[str, ...]]:
    """Registry domain id → the learned selectors its scan probes (one query for all).

    A row applies to the registry domain it is linked to and also to a registry domain whose
    name is the signing domain itself (linked to a parent because that domain joined the
    registry after the report was stored).
    """
    if not domains:
        return {}
    by_pk = {d.pk: d for d in domains}
    by_name = {d.name: d.pk for d in domains}
    rows = (
        LearnedSelector.objects.filter(last_seen__gte=current_cutoff(now))
        .filter(Q(domain_id__in=by_pk) | Q(signing_domain__in=by_name))
        .order_by("-last_seen", "selector")
        .values_list("domain_id", "signing_domain", "selector")
    )
    found: dict[int, list[str]] = {}
    for domain_id, signing_domain, selector in rows:
        targets = {domain_id, by_name.get(signing_domain)}
        for pk in (t for t in targets if t in by_pk):
            chosen = found.setdefault(pk, [])
            if selector not in chosen and len(chosen) < MAX_LEARNED_PER_DOMAIN:
                chosen.append(selector)
    return {pk: tuple(selectors) for pk, selectors in found.items()}
