"""``manage.py export_results [--run N] [--group G]``: a run's stored results as JSON Lines in
the scanner's contract, so a run can be audited against ``python -m scanner check``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from adoption.models import Group, RunResult, ScanRun
from adoption.scans.store import exported_result
from adoption.stats.counts import results_in_scope

BATCH = 2000


class Command(BaseCommand):
    help = "Print the stored result of every domain of a run as JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--run", type=int, help="run id (default: the latest finished run)"
        )
        parser.add_argument("--group", help="only domains of this group")

    def handle(self, *args: Any, **options: Any) -> None:
        group = None
        if options["group"]:
            group = Group.objects.filter(name=options["group"]).first()
            if group is None:
                raise CommandError(f"no group named {options['group']!r}")
        run = self._run(options["run"])
        rows: Any = RunResult.objects.filter(run=run)
        if group is not None:
            rows = results_in_scope(group).filter(run=run)
        rows = rows.select_related("version", "domain").order_by("domain__name")
        for row in rows.iterator(chunk_size=BATCH):
            self.stdout.write(json.dumps(exported_result(row), ensure_ascii=False))

    def _run(self, run_id: int | None) -> ScanRun:
        if run_id is not None:
            run = ScanRun.objects.filter(pk=run_id).first()
            if run is None:
                raise CommandError(f"no run {run_id}")
            return run
        run = (
            ScanRun.objects.filter(state=ScanRun.State.DONE)
            .order_by("-finished_at")
            .first()
        )
        if run is None:
            raise CommandError("no finished run yet")
        return run
