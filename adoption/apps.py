from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = _("Sender authentication adoption")

    def ready(self) -> None:
        from .schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)
