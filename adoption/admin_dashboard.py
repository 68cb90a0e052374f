"""Admin for the dashboard's hand-entered data: published survey figures (reference series)."""

from django.contrib import admin
from django.db import models

from .models import ReferencePoint, ReferenceSeries


class ReferencePointInline(admin.TabularInline[ReferencePoint, ReferenceSeries]):
    model = ReferencePoint
    extra = 3


@admin.register(ReferenceSeries)
class ReferenceSeriesAdmin(admin.ModelAdmin[ReferenceSeries]):
    list_display = ["name", "name_en", "mechanism", "group", "source"]
    list_filter = ["mechanism", "group"]
    search_fields = ["name", "name_en", "source"]
    inlines = [ReferencePointInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
