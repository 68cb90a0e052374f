"""``manage.py import_dmarc_reports PATH...``: store DMARC aggregate reports from files.

Each PATH is a file or a folder (read recursively; names starting with "." are skipped). Each
file may be ``.xml``, ``.xml.gz``/``.gz``, ``.zip`` or an e-mail (``.eml``); the type is told
from the content, not the name. Every report found is listed as accepted, duplicate or
rejected with the reason. Exit status 0 when nothing was rejected (duplicates are fine: a
report already stored is stored once), 1 when any report or file was rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from adoption.dmarc_reports.ingest import ingest_file
from adoption.dmarc_reports.messages import outcome_message, status_label
from adoption.dmarc_reports.outcomes import IngestOutcome, Status
from adoption.models import DmarcReport
from scanner.text import escape_controls


def files_under(paths: list[Path]) -> Iterator[Path]:
    """The files named, and those inside the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(
                    part.startswith(".") for part in child.relative_to(path).parts
                )
                if child.is_file() and not hidden:
                    yield child
        else:
            yield path  # a missing file is reported by ingest_file as unreadable


class Command(BaseCommand):
    help = "Import DMARC aggregate reports (.xml, .gz, .zip, .eml files or folders)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        counts: Counter[Status] = Counter()
        for path in files_under(options["paths"]):
            for outcome in ingest_file(path, str(path), DmarcReport.Source.COMMAND):
                counts[outcome.status] += 1
                self._show(outcome)
        summary = _(
            "%(accepted)s accepted, %(duplicate)s duplicate, %(rejected)s rejected."
        ) % {status.value: counts[status] for status in Status}
        if counts[Status.REJECTED]:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))

    def _show(self, outcome: IngestOutcome) -> None:
        line = escape_controls(
            f"{outcome.label}: {status_label(outcome)}: {outcome_message(outcome)}"
        )
        if outcome.status is Status.REJECTED:
            self.stderr.write(line)
        else:
            self.stdout.write(line)
