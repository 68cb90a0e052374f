"""``manage.py scan [--group G] [--wait]``: start a scan run, optionally follow it to the end."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from adoption import tasks
from adoption.models import Group, ScanRun
from adoption.scans import waiting
from adoption.scans.runs import RunAlreadyActive
from adoption.scans.stop_reasons import stop_message

POLL_SECONDS = 1.0
FAILED_STATES = {ScanRun.State.FAILED, ScanRun.State.PARTIAL}


class Command(BaseCommand):
    help = "Start a scan run of the whole registry or of one group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", help="group name (default: the whole registry)")
        parser.add_argument(
            "--wait", action="store_true", help="print progress until the run ends"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=0,
            help="with --wait: give up after N seconds",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        group = None
        if options["group"]:
            group = Group.objects.filter(name=options["group"]).first()
            if group is None:
                raise CommandError(f"no group named {options['group']!r}")
        try:
            with transaction.atomic():
                run = tasks.queue_run(group=group, trigger=ScanRun.Trigger.COMMAND)
        except RunAlreadyActive as active:
            raise CommandError(f"not started: {active}") from None
        self.stdout.write(f"run {run.pk} queued")
        if options["wait"]:
            self._follow(run.pk, options["timeout"])

    def _follow(self, run_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout if timeout else None
        last = last_wait = ""
        while True:
            run = ScanRun.objects.get(pk=run_id)
            line = f"run {run.pk} {run.state} {run.domains_done}/{run.domains_total}"
            if line != last:
                self.stdout.write(line)
                last = line
            # A run no worker takes would otherwise print nothing at all (docs/operations.md).
            wait = waiting.worker_wait(run)
            wait_line = waiting.describe(wait) if wait else ""
            if wait_line != last_wait:
                if wait_line:
                    self.stderr.write(self.style.WARNING(wait_line))
                last_wait = wait_line
            if not run.is_active:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise CommandError(
                    f"run {run_id} still {run.state} after {timeout:g} s"
                )
            time.sleep(POLL_SECONDS)
        if run.state in FAILED_STATES:
            # In the active language (LANGUAGE_CODE), as the waiting notice above; the
            # operator at the command line sees the resolvers' addresses.
            reason = stop_message(run, staff=True)
            raise CommandError(f"run {run_id} ended {run.state}: {reason}")
        self.stdout.write(
            f"run {run.pk} done: {run.domains_done} domains, {run.temperror_count} unknown "
            f"(DNS errors), {run.nxdomain_count} do not exist"
        )
