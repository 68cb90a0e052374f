"""Published survey figures that staff enter by hand, overlaid on the adoption chart.

Policy staff compare the measured series with figures a government body published before
measurement began (e.g. NISC's survey of go.jp domains: SPF on 37.4% at the end of July 2011,
63.2% on 13 October 2011, 85.1% on 16 January 2012). The figures are kept as published, with
their source, and drawn as their own labelled line: they are never mixed into our counts.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import Group


def mechanism_choices() -> list[tuple[str, str]]:
    """The dashboard's mechanisms (``adoption.stats.MECHANISMS``), read when a form is built."""
    from ..stats import MECHANISMS

    return [(m.key, str(m.label)) for m in MECHANISMS]


class ReferenceSeries(models.Model):
    name = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    mechanism = models.CharField(
        _("mechanism"),
        max_length=32,
        choices=mechanism_choices,
        help_text=_("The measured series this survey is compared with."),
    )
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reference_series",
        help_text=_(
            "Shown on the chart of this group; empty: on the chart of the whole registry."
        ),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    url = models.URLField(_("source URL"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("reference series")
        verbose_name_plural = _("reference series")

    def __str__(self) -> str:
        return self.name


class ReferencePoint(models.Model):
    series = models.ForeignKey(
        ReferenceSeries,
        verbose_name=_("reference series"),
        on_delete=models.CASCADE,
        related_name="points",
    )
    date = models.DateField(_("date"))
    percent = models.DecimalField(
        _("percent"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["series", "date"]
        verbose_name = _("reference figure")
        verbose_name_plural = _("reference figures")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "date"], name="referencepoint_series_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.date}: {self.percent}%"
