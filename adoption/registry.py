"""Queries about the registry's contents (kept out of views)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from .models import Domain, Group


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
