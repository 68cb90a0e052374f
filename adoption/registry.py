"""Queries about the registry's contents (kept out of views)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from scanner.names import InvalidDomain, normalize_domain

from .models import Domain, Group, Membership


@dataclass(frozen=True)
class GroupCount:
    name: str
    name_en: str
    domains: int


@dataclass(frozen=True)
class RegistrySummary:
    active_domains: int
    groups: list[GroupCount]


def summary() -> RegistrySummary:
    groups = Group.objects.annotate(
        active=Count(
            "memberships",
            filter=Q(
                memberships__left_at__isnull=True, memberships__domain__active=True
            ),
        )
    ).order_by("name")
    return RegistrySummary(
        active_domains=Domain.objects.filter(active=True).count(),
        groups=[GroupCount(g.name, g.name_en, g.active) for g in groups],
    )


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
