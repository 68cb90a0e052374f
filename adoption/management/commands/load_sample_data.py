"""Load the shipped sample registry (Japan's central government bodies); safe to run twice."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from adoption.models import Domain, Group, Membership, Organisation
from scanner.names import normalize_domain, to_unicode

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "sample_registry.csv"
GROUP_NAMES_EN = {"中央省庁": "Central government", "外局": "External agencies"}


class Command(BaseCommand):
    help = "Load the sample registry of Japan's central government domains."

    def handle(self, *args: Any, **options: Any) -> None:
        with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with transaction.atomic():
            for row in rows:
                _load_row(row)
        self.stdout.write(
            f"Sample registry: {Domain.objects.filter(active=True).count()} domains"
        )


def _load_row(row: dict[str, str]) -> None:
    name = normalize_domain(row["domain"])
    organisation, _ = Organisation.objects.get_or_create(
        name_ja=row["organization"], defaults={"name_en": row["organization_en"]}
    )
    domain, _ = Domain.objects.get_or_create(
        name=name,
        defaults={
            "unicode_name": to_unicode(name),
            "organisation": organisation,
            "note": row.get("note", ""),
        },
    )
    for group_name in filter(None, (g.strip() for g in row["group"].split(";"))):
        group, _ = Group.objects.get_or_create(
            name=group_name, defaults={"name_en": GROUP_NAMES_EN.get(group_name, "")}
        )
        if not Membership.objects.filter(
            domain=domain, group=group, left_at=None
        ).exists():
            Membership.objects.create(domain=domain, group=group)
