"""``manage.py import_registry FILE [--group G] [--replace] [--dry-run] [--good-rows-only]``.

The same parse, plan and apply as the upload page. With row errors nothing is written (and
the command exits 1 listing them) unless ``--good-rows-only`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _

from adoption.registry.batches import parse_upload
from adoption.registry.messages import (
    blocked_message,
    column_name,
    encoding_name,
    error_message,
    file_error_message,
)
from adoption.registry.parse import FileRejected
from adoption.registry.plan import (
    ImportBlocked,
    ImportPlan,
    apply_import,
    plan_import,
    plan_summary,
)

# Row errors printed in full; the rest are counted.
SHOWN_ERRORS = 200


class Command(BaseCommand):
    help = "Import a registry file (CSV in UTF-8 or Shift_JIS, TSV, or XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--group", default="", help="add every row to this group")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="the file is the group's whole list: members missing from it leave",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would change, write nothing",
        )
        parser.add_argument(
            "--good-rows-only",
            action="store_true",
            help="import the rows without errors even when other rows have errors",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        plan = self._plan(path, options["group"], options["replace"])
        self._report(plan)
        blocked = bool(plan.errors) and not options["good_rows_only"]
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
            if blocked:
                raise CommandError(_("The file has row errors."), returncode=1)
            return
        if blocked:
            raise CommandError(
                _(
                    "Nothing was written: %(rows)s rows have errors (see above). "
                    "Fix them, or use --good-rows-only."
                )
                % {"rows": plan.result.error_rows},
                returncode=1,
            )
        try:
            outcome = apply_import(plan, partial=options["good_rows_only"])
        except ImportBlocked as error:
            raise CommandError(blocked_message(error)) from None
        except IntegrityError:
            raise CommandError(
                _(
                    "The registry changed during the import; nothing was written. Try again."
                )
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported: %(added)s added, %(restored)s back in the registry, "
                    "%(updated)s updated, %(unchanged)s unchanged, %(left_group)s left the group, "
                    "%(retired)s retired, %(skipped_rows)s rows with errors skipped."
                )
                % outcome.as_dict()
            )
        )

    def _plan(self, path: Path, group: str, replace: bool) -> ImportPlan:
        try:
            size = path.stat().st_size
            if size > settings.REGISTRY_IMPORT_MAX_BYTES:
                # Refuse before reading a huge file into memory.
                raise FileRejected(
                    "too_large", size=size, limit=settings.REGISTRY_IMPORT_MAX_BYTES
                )
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        except FileRejected as error:
            raise CommandError(f"{path}: {file_error_message(error)}") from None
        try:
            return plan_import(parse_upload(data), group, replace)
        except FileRejected as error:
            raise CommandError(f"{path}: {file_error_message(error)}") from None
        except ImportBlocked as error:
            raise CommandError(blocked_message(error)) from None

    def _report(self, plan: ImportPlan) -> None:
        result = plan.result
        write = self.stdout.write
        write(_("Read as: %(encoding)s") % {"encoding": encoding_name(result.encoding)})
        if result.ignored_columns:
            write(
                _("Columns ignored: %(columns)s")
                % {"columns": ", ".join(result.ignored_columns)}
            )
        if result.ignored_sheets:
            write(
                _("Sheets ignored: %(sheets)s")
                % {"sheets": ", ".join(result.ignored_sheets)}
            )
        write(
            _(
                "Plan: %(added)s to add, %(restored)s back in the registry, %(updated)s to update, "
                "%(unchanged)s unchanged, %(left_group)s to leave the group, %(retired)s to retire."
            )
            % plan_summary(plan)
        )
        if plan.new_groups:
            write(_("New groups: %(groups)s") % {"groups": ", ".join(plan.new_groups)})
        for departure in plan.departures[:SHOWN_ERRORS]:
            write(
                (
                    _("retire: %(domain)s")
                    if departure.retired
                    else _("leave the group: %(domain)s")
                )
                % {"domain": departure.display}
            )
        for error in result.errors[:SHOWN_ERRORS]:
            self.stderr.write(
                _("row %(row)s, %(column)s “%(value)s”: %(message)s")
                % {
                    "row": error.row,
                    "column": column_name(error.column, result.columns),
                    "value": error.value,
                    "message": error_message(error),
                }
            )
        if len(result.errors) > SHOWN_ERRORS:
            self.stderr.write(
                _("… and %(count)s more row errors.")
                % {"count": len(result.errors) - SHOWN_ERRORS}
            )
