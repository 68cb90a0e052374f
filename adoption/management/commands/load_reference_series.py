"""``manage.py load_reference_series [--file F] [--force]``: the published survey figures that
ship with the product (``adoption/data/reference_series.json``), loaded by ``make run``.

Safe to run on every start: a series edited in the admin is left as staff left it unless
``--force`` (docs/reference-series.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from adoption.dashboard.reference_file import (
    SHIPPED_FILE,
    ReferenceFileError,
    read_reference_file,
)
from adoption.dashboard.reference_load import load_series


class Command(BaseCommand):
    help = "Load the published survey figures shipped with the dashboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            default=SHIPPED_FILE,
            help="a file in the same format (default: the shipped one)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite series edited in the admin with the file's content",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            shipped = read_reference_file(options["file"])
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
        except ReferenceFileError as error:
            raise CommandError(f"{options['file']}: {error}") from error
        outcome = load_series(shipped, force=options["force"])
        self.stdout.write(
            f"Published series: {len(outcome.created)} created, "
            f"{len(outcome.updated)} updated, {len(outcome.unchanged)} unchanged"
        )
        for key in outcome.kept_edited:
            self.stdout.write(
                f"  {key}: edited in the admin, left as it is (--force overwrites it)"
            )
        for key in outcome.group_missing:
            self.stdout.write(
                f"  {key}: its group is not in the registry; stored, not shown"
            )
