"""Django's admin autodiscovery imports ``<app>.admin`` only: this module imports each room's
admin (API tokens, dashboard, registry, scans) so their ``ModelAdmin`` registrations run."""

from adoption.api_tokens import admin as api_tokens_admin
from adoption.dashboard import admin as dashboard_admin
from adoption.registry import admin as registry_admin
from adoption.scans import admin as scans_admin

__all__ = ["api_tokens_admin", "dashboard_admin", "registry_admin", "scans_admin"]
