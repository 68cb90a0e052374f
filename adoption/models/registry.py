"""The registry: organisations, groups, domains and their time in the registry.

Domains are never deleted. Two kinds of dated rows keep the history, so that an adoption rate
for a past date counts the domains that were in the registry then:

- :class:`RegistryPeriod`: a span during which a domain was in the registry at all;
- :class:`Membership`: a span during which a domain was in one group.

Retiring a domain closes its open rows of both kinds; bringing it back opens new ones. The
query helpers :meth:`DomainQuerySet.in_registry_at` and :meth:`DomainQuerySet.in_registry_on`
answer "which domains were in the registry (or in group G) then".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name_ja"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["name_ja"], name="organisation_name_ja_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name_ja


class Group(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


def _span_covers(
    end: dt.datetime | Combinable, *, inclusive_end: bool, via: str = ""
) -> Q:
    """Rows (reached through ``via``, e.g. ``"domain__memberships__"``) whose [joined_at,
    left_at) span contains the instant at ``end`` (or just before it)."""
    joined, left = f"{via}joined_at", f"{via}left_at"
    if inclusive_end:
        return Q(**{f"{joined}__lte": end}) & (
            Q(**{f"{left}__isnull": True}) | Q(**{f"{left}__gt": end})
        )
    return Q(**{f"{joined}__lt": end}) & (
        Q(**{f"{left}__isnull": True}) | Q(**{f"{left}__gte": end})
    )


def member_at(when: dt.datetime | Combinable, via: str = "") -> Q:
    """Membership (or registry period) rows, reached through ``via``, that were open at the
    instant ``when``: the one statement of "this domain was in this group then".

    ``when`` may be an expression: ``F("run__created_at")`` reads "when its run started",
    the scope every run and every count of a run uses.
    """
    return _span_covers(when, inclusive_end=True, via=via)


class DomainQuerySet(models.QuerySet["Domain"]):
    def in_registry_at(
        self, when: dt.datetime, group: Group | int | None = None
    ) -> DomainQuerySet:
        """Domains in the registry (or in ``group``) at the instant ``when``."""
        return self._present(member_at(when), group)

    def in_registry_on(
        self, day: dt.date, group: Group | int | None = None
    ) -> DomainQuerySet:
        """Domains in the registry (or in ``group``) at the end of ``day``.

        The day is read in the current time zone (``TIME_ZONE``, Asia/Tokyo by default): a
        domain retired at 15:00 on ``day`` is not counted; one added then is.
        """
        next_midnight = dt.datetime.combine(
            day + dt.timedelta(days=1),
            dt.time.min,
            tzinfo=timezone.get_current_timezone(),
        )
        return self._present(_span_covers(next_midnight, inclusive_end=False), group)

    def _present(self, covers: Q, group: Group | int | None) -> DomainQuerySet:
        if group is None:
            spans: models.QuerySet[Any] = RegistryPeriod.objects.filter(covers)
        else:
            spans = Membership.objects.filter(covers, group=group)
        return self.filter(Exists(spans.filter(domain=OuterRef("pk"))))


class Domain(models.Model):
    name = models.CharField(
        _("domain (A-label)"),
        max_length=253,
        unique=True,
        help_text=_("lower case, no dot"),
    )
    unicode_name = models.CharField(_("domain (display)"), max_length=253)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="domains",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    groups: models.ManyToManyField[Group, Membership] = models.ManyToManyField(
        Group, verbose_name=_("groups"), related_name="domains", through="Membership"
    )
    dkim_selectors = models.JSONField(
        _("known DKIM selectors"), default=list, blank=True
    )
    # What scans learned of the domain's DKIM selectors (adoption/scans/selector_plans.py):
    # every selector a scan saw publishing something, whether ``_domainkey`` existed at the last
    # scan that could tell, and when the long selector list is next probed (null: next scan).
    # Nullable: the registry import writes its rows with plain INSERTs (registry/bulk.py).
    dkim_seen_selectors = models.JSONField(
        _("DKIM selectors seen by scans"), null=True, blank=True, editable=False
    )
    dkim_domainkey = models.BooleanField(null=True, editable=False)
    dkim_full_due = models.DateTimeField(null=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = DomainQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        indexes = [
            # The registry list and every scan run select the active domains.
            models.Index(fields=["active", "name"], name="domain_active_name"),
        ]

    def __str__(self) -> str:
        return self.unicode_name or self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A domain created active is in the registry from its ``created_at``.

        Only for one-by-one creation (admin, fixtures): the importer uses ``bulk_create`` and
        writes its periods itself.
        """
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating and self.active:
            RegistryPeriod.objects.create(domain=self, joined_at=self.created_at)


class RegistryPeriod(models.Model):
    """A span during which a domain was in the registry; ``left_at`` is set when it retires."""

    domain = models.ForeignKey(
        Domain,
        verbose_name=_("domain"),
        on_delete=models.CASCADE,
        related_name="periods",
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        ordering = ["domain", "joined_at"]
        verbose_name = _("period in the registry")
        verbose_name_plural = _("periods in the registry")
        constraints = [
            # A domain is in the registry once at a time.
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(left_at__isnull=True),
                name="registryperiod_one_open",
            )
        ]
        indexes = [
            # "Domains in the registry on date D" (in_registry_on without a group).
            models.Index(fields=["joined_at", "left_at"], name="registryperiod_span"),
        ]

    def __str__(self) -> str:
        return f"{self.domain} {self.joined_at:%Y-%m-%d}–{self.left_at or ''}"


class Membership(models.Model):
    """A domain's time in a group: ``left_at`` is set when it leaves, never deleted."""

    domain = models.ForeignKey(
        Domain,
        verbose_name=_("domain"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        ordering = ["group", "domain"]
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            # At most one open membership per domain and group.
            models.UniqueConstraint(
                fields=["domain", "group"],
                condition=models.Q(left_at__isnull=True),
                name="membership_one_open",
            )
        ]
        indexes = [
            # "Domains in group G on date D": filter by group, then by the period.
            models.Index(
                fields=["group", "joined_at", "left_at"], name="membership_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain} ∈ {self.group}"
