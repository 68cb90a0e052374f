"""``manage.py rebuild_dmarc_volume``: count the registry's and the groups' mail volume again
from the stored DMARC report records, with the registry and its groups as they are now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from adoption.dmarc_reports.scope_volume import rebuild_scope_volume


class Command(BaseCommand):
    help = (
        "Count the registry's and each group's mail volume again from the stored DMARC "
        "reports, with today's registry (after domains joined or left groups)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rebuild_scope_volume()
        self.stdout.write(
            f"{rows} rows of daily volume per scope and reporter written."
        )
