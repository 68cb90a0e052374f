"""Load the shipped sample registry (Japan's central government bodies); safe to run twice.

It goes through the same parse, plan and apply as ``import_registry`` and the upload page,
then stores four weeks of sample DMARC aggregate reports (``adoption.dmarc_reports.samples``)
through the same ingest as ``import_dmarc_reports``: reports already stored are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from adoption.dmarc_reports.ingest import ingest_file
from adoption.dmarc_reports.samples import sample_reports
from adoption.models import DmarcReport, Domain, Group
from adoption.registry.parse import parse_registry_csv
from adoption.registry.plan import apply_import, plan_import

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
        self._load_reports(timezone.now().date())

    def _load_reports(self, today: dt.date) -> None:
        """Four weeks of DMARC aggregate reports up to yesterday; those stored are skipped."""
        counts: Counter[str] = Counter()
        # One commit for all (each report is still a savepoint of its own): SQLite's commits
        # are most of the time otherwise.
        with transaction.atomic():
            for name, xml in sample_reports(today):
                for outcome in ingest_file(xml, name, DmarcReport.Source.COMMAND):
                    counts[outcome.status] += 1
        self.stdout.write(
            f"Sample DMARC reports: {counts['accepted']} stored, "
            f"{counts['duplicate']} already there, {counts['rejected']} rejected"
        )
