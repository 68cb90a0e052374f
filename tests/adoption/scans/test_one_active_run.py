"""One active run per scope: the database refuses a second, so two starts at once make one run.

"Scan now", the ``scan`` command and beat each start a run; before, each looked for an active
run and then inserted, and two at once both inserted. The race itself needs PostgreSQL (SQLite
serialises writers): run with ``DATABASE_URL=postgres://…``.
"""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from adoption import tasks
from adoption.models import Group, ScanRun
from adoption.scans import runs as scanning

from ..locks import a_session_waits_for_a_lock
from ..migrating import migrating

State = ScanRun.State
# The longest the race test waits for a thread (a bound, not a timing).
WAIT_SECONDS = 30


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_run_of_a_scope():
    group = Group.objects.create(name="中央省庁")
    ScanRun.objects.create(state=State.RUNNING)  # the whole registry
    ScanRun.objects.create(state=State.FINISHING, group=group)
    for scope in (None, group):
        with pytest.raises(IntegrityError), transaction.atomic():
            ScanRun.objects.create(state=State.QUEUED, group=scope)
    # Finished runs hold nothing; another group is another scope.
    ScanRun.objects.create(state=State.DONE)
    ScanRun.objects.create(state=State.FAILED, group=group)
    ScanRun.objects.create(state=State.QUEUED, group=Group.objects.create(name="外局"))


@pytest.mark.django_db
def test_create_run_answers_run_already_active_with_the_active_run():
    active = scanning.create_run()
    with pytest.raises(scanning.RunAlreadyActive) as refused:
        scanning.create_run()
    assert refused.value.active == active
    ScanRun.objects.filter(pk=active.pk).update(state=State.DONE)
    assert scanning.create_run().pk != active.pk


@pytest.mark.django_db
def test_scan_now_and_the_scan_command_refuse_a_second_active_run(
    staff, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.start_run, "delay", lambda run_id: None)
    active = ScanRun.objects.create(state=State.RUNNING)
    staff.cookies["django_language"] = "en"
    response = staff.post(reverse("runs:scan_now"), {"group": ""}, follow=True)
    assert "A run of this scope is still going." in response.content.decode()
    with pytest.raises(CommandError, match=f"run {active.pk} of this scope is active"):
        call_command("scan", stdout=StringIO())
    assert list(ScanRun.objects.values_list("pk", flat=True)) == [active.pk]


def _blocked_or_done(thread: threading.Thread) -> bool:
    """The thread finished, or its connection waits for a lock (the unique index)."""
    if not thread.is_alive():
        return True
    return a_session_waits_for_a_lock()


@pytest.mark.django_db(transaction=True)
def test_scan_now_and_beat_at_once_create_one_run_on_postgresql(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL: SQLite serialises writers")
    sent: list[int] = []
    monkeypatch.setattr(tasks.start_run, "delay", sent.append)
    inserted, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def scan_now() -> None:  # the page's path: inserted, not committed yet
        try:
            with transaction.atomic():
                outcome["page"] = tasks.queue_run().pk
                inserted.set()
                release.wait(WAIT_SECONDS)
        finally:
            connection.close()

    def beat() -> None:  # beat's path, meanwhile: it sees no committed active run
        try:
            outcome["beat"] = tasks.scheduled_scan.run()
        finally:
            connection.close()

    page = threading.Thread(target=scan_now)
    page.start()
    assert inserted.wait(WAIT_SECONDS)
    scheduled = threading.Thread(target=beat)
    scheduled.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not _blocked_or_done(scheduled) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the other connection's state, bounded
    release.set()
    page.join(WAIT_SECONDS)
    scheduled.join(WAIT_SECONDS)

    assert list(ScanRun.objects.values_list("pk", flat=True)) == [outcome["page"]]
    assert outcome["beat"] is None
    assert sent == [outcome["page"]]


@pytest.mark.django_db(transaction=True)
def test_the_migration_stops_duplicate_active_runs_before_adding_the_constraint():
    """Duplicates the race made before the constraint would stop the migration: the oldest
    active run of each scope goes on, the others are failed with the reason."""
    with migrating("0008_national_scale", "0009_one_active_run_per_scope") as old:
        old_run = old.get_model("adoption", "ScanRun")
        first = old_run.objects.create(state="running").pk
        second = old_run.objects.create(state="queued").pk
        group = old.get_model("adoption", "Group").objects.create(name="外局")
        other_scope = old_run.objects.create(state="queued", group=group).pk
    states = dict(ScanRun.objects.values_list("pk", "state"))
    assert states == {
        first: State.RUNNING,
        second: State.FAILED,
        other_scope: State.QUEUED,
    }
    assert "another run of the same scope" in ScanRun.objects.get(pk=second).error
