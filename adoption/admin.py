from django.contrib import admin

from .models import Domain, Group, Membership, Organisation, WorkerHeartbeat


class MembershipInline(admin.TabularInline[Membership, Domain]):
    model = Membership
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name_ja", "name_en"]
    search_fields = ["name_ja", "name_en"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin[Group]):
    list_display = ["name", "name_en"]
    search_fields = ["name", "name_en"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin[Domain]):
    list_display = ["name", "unicode_name", "organisation", "active"]
    list_filter = ["active", "groups"]
    search_fields = [
        "name",
        "unicode_name",
        "organisation__name_ja",
        "organisation__name_en",
    ]
    inlines = [MembershipInline]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["token", "hostname", "created_at"]
