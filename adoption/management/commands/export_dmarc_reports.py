"""``manage.py export_dmarc_reports [--domain D] [--since DATE] [--output FILE]``.

JSON Lines, one report a line (shape in ``adoption/dmarc_reports/export.py``), oldest period
first; to standard output unless ``--output`` names a file. Streams: memory does not grow with
the number or size of reports.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from adoption.dmarc_reports.export import reports_to_export, write_json_lines


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--since needs a date as YYYY-MM-DD, not %(value)r") % {"value": text}
        ) from None


class _Text:
    """Django's OutputWrapper ends every write with a newline; a line is written in pieces."""

    def __init__(self, command: BaseCommand) -> None:
        self._command = command

    def write(self, text: str) -> int:
        self._command.stdout.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = "Export stored DMARC aggregate reports as JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--domain", help="only reports for this policy domain")
        parser.add_argument(
            "--since", help="only reports whose period begins on or after this UTC date"
        )
        parser.add_argument("--output", type=Path, help="write to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _date(options["since"]) if options["since"] else None
        reports = reports_to_export(options["domain"], since)
        output: Path | None = options["output"]
        if output is None:
            try:
                write_json_lines(reports, _Text(self))
            except BrokenPipeError:  # the reader stopped (``| head``): not an error
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python's own advice
            return
        try:
            with output.open("w", encoding="utf-8") as out:
                count = write_json_lines(reports, out)
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror}") from None
        self.stderr.write(
            _("%(count)s reports written to %(file)s")
            % {"count": count, "file": output}
        )
