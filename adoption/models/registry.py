"""The registry: organisations, groups, domains and their memberships over time.

Domains are never deleted: retiring keeps the row and dates its membership, so an adoption
rate for a past date counts the domains that were in the registry then.
"""

from __future__ import annotations

from django.db import models
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
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

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


class Membership(models.Model):
    """A domain's time in a group: ``left_at`` is set when it leaves, never deleted."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "domain"]
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
