"""Published survey figures, overlaid on the adoption chart and the survey figure.

Policy staff compare the measured series with figures a government body or a survey published
(e.g. NISC's survey of go.jp domains: SPF on 37.4% at the end of July 2011, 63.2% on 13 October
2011, 85.1% on 16 January 2012). The figures are kept as published, with their source, the
population they count and how it was counted, and drawn as their own labelled, dashed line:
they are never mixed into our counts. The series that ship with the product come from
``adoption/data/reference_series.json`` (``manage.py load_reference_series``); staff edit them,
or enter others, in the admin.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from adoption.models.registry import Group
from adoption.stats.mechanisms import MECHANISMS


def mechanism_choices() -> list[tuple[str, str]]:
    """The dashboard's mechanisms, read when a form is built (the migration names this
    function, so it stays here)."""
    return [(m.key, str(m.label)) for m in MECHANISMS]


class PopulationKind(models.TextChoices):
    """What a published percentage is a share of, and how it was counted: a DNS count compares
    with our figures directly, a share of received mail only with the mail-volume figures."""

    DOMAINS = "domains", _("domains (DNS records counted)")
    ORGANISATIONS = "organisations", _("organisations (DNS records of their domains)")
    MAIL = "mail", _("share of received mail")


class DatePrecision(models.TextChoices):
    """A survey of "August 2011" is shown as that month, never as a made-up day."""

    DAY = "day", _("day")
    MONTH = "month", _("month")


class ReferenceSeries(models.Model):
    key = models.SlugField(
        _("shipped series key"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set for the series shipped with the product; empty for series entered here."
        ),
    )
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
    publisher = models.CharField(
        _("publisher (Japanese)"),
        max_length=200,
        blank=True,
        help_text=_("As the figure is cited, e.g. NISC; shown in the chart's legend."),
    )
    publisher_en = models.CharField(
        _("publisher (English)"), max_length=200, blank=True
    )
    source = models.CharField(
        _("source document"),
        max_length=300,
        blank=True,
        help_text=_(
            "The title of the document the figures are taken from, as published."
        ),
    )
    published = models.DateField(_("published on"), null=True, blank=True)
    url = models.URLField(_("source URL"), max_length=500, blank=True)
    population_kind = models.CharField(
        _("what the percentage counts"),
        max_length=16,
        choices=PopulationKind.choices,
        default=PopulationKind.DOMAINS,
    )
    population = models.CharField(
        _("population (Japanese)"),
        max_length=300,
        blank=True,
        help_text=_("Who was measured, e.g. go.jp domains, Nikkei 225 companies."),
    )
    population_en = models.CharField(
        _("population (English)"), max_length=300, blank=True
    )
    provenance = models.TextField(
        _("provenance (Japanese)"),
        blank=True,
        help_text=_(
            "Where a figure is second-hand (quoted by an article, not found in the "
            "publisher's own document) or could not be checked, say so here."
        ),
    )
    provenance_en = models.TextField(_("provenance (English)"), blank=True)
    shown = models.BooleanField(
        _("shown on charts"),
        default=True,
        help_text=_(
            "Untick to hide a series instead of deleting it: a deleted shipped series comes "
            "back with the next load_reference_series."
        ),
    )
    shipped_digest = models.CharField(max_length=64, blank=True, editable=False)
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
        max_digits=5,
        decimal_places=2,  # as published: the ministry's 2011 figures have two decimals
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    precision = models.CharField(
        _("date precision"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("Month: the survey names only a month; enter its first day."),
    )
    note = models.CharField(_("note (Japanese)"), max_length=200, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=200, blank=True)

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
