"""Queries about the registry's contents (kept out of views)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from adoption.models import Domain, Group, Membership
from scanner.names import InvalidDomain, normalize_domain


@dataclass(frozen=True)
class RegistrySummary:
    active_domains: int


def summary() -> RegistrySummary:
    return RegistrySummary(active_domains=Domain.objects.filter(active=True).count())


def search_domains(
    query: str = "", group: Group | None = None, include_retired: bool = False
) -> QuerySet[Domain]:
    """The registry list: by name (as typed, or normalised: full-width, URL, IDN) or by
    organisation, in one group or all; each domain with its open memberships prefetched."""
    domains = Domain.objects.select_related("organisation").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(left_at=None).select_related("group"),
            to_attr="open_memberships",
        )
    )
    if not include_retired:
        domains = domains.filter(active=True)
    if group is not None:
        domains = domains.filter(memberships__group=group, memberships__left_at=None)
    query = query.strip()
    if query:
        match = (
            Q(name__icontains=query)
            | Q(unicode_name__icontains=query)
            | Q(organisation__name_ja__icontains=query)
            | Q(organisation__name_en__icontains=query)
            | Q(note__icontains=query)
        )
        try:
            match |= Q(name__icontains=normalize_domain(query))
        except InvalidDomain:
            pass  # not a name: the text matches as typed
        domains = domains.filter(match)
    return domains.order_by("name")
