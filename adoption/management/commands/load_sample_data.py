"""Load the shipped sample registry (Japan's central government bodies); safe to run twice.

It goes through the same parse, plan and apply as ``import_registry`` and the upload page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from adoption.csv_import import parse_registry_csv
from adoption.models import Domain, Group
from adoption.registry_service import apply_import, plan_import

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "sample_registry.csv"
GROUP_NAMES_EN = {"中央省庁": "Central government", "外局": "External agencies"}


class Command(BaseCommand):
    help = "Load the sample registry of Japan's central government domains."

    def handle(self, *args: Any, **options: Any) -> None:
        plan = plan_import(parse_registry_csv(SAMPLE_CSV.read_bytes()))
        apply_import(plan)
        for name, name_en in GROUP_NAMES_EN.items():
            Group.objects.filter(name=name, name_en="").update(name_en=name_en)
        self.stdout.write(
            f"Sample registry: {Domain.objects.filter(active=True).count()} domains"
        )
