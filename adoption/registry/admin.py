"""Admin for the registry. Domains are retired, never deleted: the admin's delete is off and
"retire" and "bring back" go through the same service as imports, so history stays whole."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from adoption.models import (
    Domain,
    Group,
    ImportBatch,
    Membership,
    Organisation,
    RegistryPeriod,
)
from adoption.registry.messages import row_error_message
from adoption.registry.parse import parse_selectors
from adoption.registry.plan import restore_domains, retire_domains
from scanner.names import InvalidDomain, is_public_suffix, normalize_domain, to_unicode


class MembershipInline(admin.TabularInline[Membership, Domain]):
    model = Membership
    extra = 0
    fields = ["group", "joined_at", "left_at"]
    can_delete = False  # close a membership with "left at"; its history stays


class RegistryPeriodInline(admin.TabularInline[RegistryPeriod, Domain]):
    model = RegistryPeriod
    extra = 0
    fields = ["joined_at", "left_at"]
    readonly_fields = ["joined_at", "left_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CurrentGroupFilter(admin.SimpleListFilter):
    """Domains in a group now (open memberships), not at any time in the past."""

    title = _("group")
    parameter_name = "group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return [(str(g.pk), str(g)) for g in Group.objects.order_by("name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        return queryset.filter(
            memberships__group_id=self.value(), memberships__left_at=None
        )


class DomainAdminForm(forms.ModelForm[Domain]):
    selectors = forms.CharField(
        label=_("known DKIM selectors"),
        required=False,
        help_text=_("Separated by spaces or commas, e.g. selector1, google"),
    )

    class Meta:
        model = Domain
        fields = ["name", "organisation", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["selectors"].initial = " ".join(self.instance.dkim_selectors or [])

    def clean_name(self) -> str:
        """The same normalisation as the import: IDN, full-width, URL, case, trailing dot."""
        try:
            name = normalize_domain(self.cleaned_data["name"])
        except InvalidDomain as error:
            raise forms.ValidationError(
                row_error_message(error.code, error.params), code=error.code
            ) from None
        if is_public_suffix(name):
            raise forms.ValidationError(
                row_error_message("public_suffix", {"name": name}), code="public_suffix"
            )
        return name

    def clean_selectors(self) -> list[str]:
        try:
            return list(parse_selectors(self.cleaned_data.get("selectors") or ""))
        except ValueError as error:
            raise forms.ValidationError(
                row_error_message("invalid_selector", {"selector": str(error)})
            ) from None

    def save(self, commit: bool = True) -> Domain:
        domain = super().save(commit=False)
        domain.unicode_name = to_unicode(domain.name)
        domain.dkim_selectors = self.cleaned_data["selectors"]
        if commit:
            domain.save()
            self.save_m2m()
        return domain


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name_ja", "name_en", "domain_count"]
    search_fields = ["name_ja", "name_en"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        return (
            super()
            .get_queryset(request)
            .annotate(active_domains=Count("domains", filter=Q(domains__active=True)))
        )

    @admin.display(description=_("domains"), ordering="active_domains")
    def domain_count(self, obj: Organisation) -> int:
        return int(getattr(obj, "active_domains", 0))


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin[Group]):
    list_display = ["name", "name_en", "domain_count"]
    search_fields = ["name", "name_en"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return (
            super()
            .get_queryset(request)
            .annotate(members=Count("memberships", filter=Q(memberships__left_at=None)))
        )

    @admin.display(description=_("domains"), ordering="members")
    def domain_count(self, obj: Group) -> int:
        return int(getattr(obj, "members", 0))


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin[Domain]):
    form = DomainAdminForm
    list_display = ["name", "unicode_name", "organisation", "active", "retired_at"]
    list_filter = ["active", CurrentGroupFilter, "organisation"]
    list_select_related = ["organisation"]
    search_fields = [
        "name",
        "unicode_name",
        "organisation__name_ja",
        "organisation__name_en",
        "note",
    ]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["unicode_name", "active", "created_at", "retired_at"]
    fields = [
        "name",
        "unicode_name",
        "organisation",
        "selectors",
        "note",
        "active",
        "created_at",
        "retired_at",
    ]
    inlines = [MembershipInline, RegistryPeriodInline]
    actions = ["retire", "restore"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retiring keeps the history that past adoption rates count on

    @admin.action(description=_("Retire the selected domains (history is kept)"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Domain]) -> None:
        count = retire_domains(queryset.values_list("id", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d domain retired.", "%(count)d domains retired.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Bring the selected domains back into the registry"))
    def restore(self, request: HttpRequest, queryset: QuerySet[Domain]) -> None:
        count = restore_domains(queryset.values_list("id", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d domain is back in the registry.",
                "%(count)d domains are back in the registry.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[ImportBatch]):
    """A record of uploads: who imported which file, and what it changed."""

    list_display = [
        "filename",
        "owner",
        "state",
        "group",
        "replace",
        "created_at",
        "applied_at",
    ]
    list_filter = ["state", "replace"]
    search_fields = ["filename", "group", "owner__username"]
    readonly_fields = [
        "owner",
        "filename",
        "size",
        "group",
        "replace",
        "state",
        "created_at",
        "expires_at",
        "applied_at",
        "outcome",
    ]
    exclude = ["data", "preview"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
