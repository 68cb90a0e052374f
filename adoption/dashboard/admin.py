"""Admin for the dashboard's hand-entered data: published survey figures (reference series).

The series shipped with the product (``manage.py load_reference_series``) are edited here like
any other; an edited one is then left alone by the loader (docs/reference-series.md).
"""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from adoption.models import ReferencePoint, ReferenceSeries


class ReferencePointInline(admin.TabularInline[ReferencePoint, ReferenceSeries]):
    model = ReferencePoint
    extra = 3
    fields = ["date", "precision", "percent", "note", "note_en"]


@admin.register(ReferenceSeries)
class ReferenceSeriesAdmin(admin.ModelAdmin[ReferenceSeries]):
    list_display = [
        "name",
        "publisher",
        "mechanism",
        "group",
        "population_kind",
        "shown",
    ]
    list_filter = ["shown", "mechanism", "population_kind", "group"]
    search_fields = ["name", "name_en", "publisher", "source"]
    readonly_fields = ["key"]
    fieldsets = [
        (None, {"fields": ["name", "name_en", "mechanism", "group", "shown", "key"]}),
        (
            _("Source"),
            {"fields": ["publisher", "publisher_en", "source", "published", "url"]},
        ),
        (
            _("What was counted"),
            {"fields": ["population_kind", "population", "population_en"]},
        ),
        (_("Provenance"), {"fields": ["provenance", "provenance_en"]}),
    ]
    inlines = [ReferencePointInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
