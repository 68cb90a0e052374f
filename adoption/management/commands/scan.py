"""``manage.py scan [--group G] [--wait]``: start a scan run, optionally follow it to the end.

What it prints is in the active language (``LANGUAGE_CODE``), as the run's page is."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

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
                raise CommandError(
                    _("no group named %(name)s") % {"name": repr(options["group"])}
                )
        try:
            with transaction.atomic():
                run = tasks.queue_run(group=group, trigger=ScanRun.Trigger.COMMAND)
        except RunAlreadyActive as active:
            number = active.active.pk if active.active else "?"
            raise CommandError(
                _("not started: run %(run)s of this scope is active") % {"run": number}
            ) from None
        self.stdout.write(_("run %(run)s queued") % {"run": run.pk})
        if options["wait"]:
            self._follow(run.pk, options["timeout"])

    def _follow(self, run_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout if timeout else None
        last = last_wait = ""
        while True:
            run = ScanRun.objects.get(pk=run_id)
            line = _("run %(run)s %(state)s %(done)s/%(total)s") % {
                "run": run.pk,
                "state": run.get_state_display(),
                "done": run.domains_done,
                "total": run.domains_total,
            }
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
                    _("run %(run)s still %(state)s after %(seconds)s s")
                    % {
                        "run": run_id,
                        "state": run.get_state_display(),
                        "seconds": f"{timeout:g}",
                    }
                )
            time.sleep(POLL_SECONDS)
        if run.state in FAILED_STATES:
            # The operator at the command line sees the resolvers' addresses.
            raise CommandError(
                _("run %(run)s ended %(state)s: %(reason)s")
                % {
                    "run": run_id,
                    "state": run.get_state_display(),
                    "reason": stop_message(run, staff=True),
                }
            )
        self.stdout.write(
            _(
                "run %(run)s done: %(done)s domains, %(unknown)s unknown (DNS errors), "
                "%(missing)s do not exist"
            )
            % {
                "run": run.pk,
                "done": run.domains_done,
                "unknown": run.temperror_count,
                "missing": run.nxdomain_count,
            }
        )
