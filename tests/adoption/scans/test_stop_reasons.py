"""Why a run stopped, said in the reader's language on its page and by ``manage.py scan``
from the reason and figures stored with it (adoption/scans/stop_reasons.py). A run stopped
before reasons were stored shows its English ``error``; migration 0011 gave the reasons to
those whose text it knows."""

from __future__ import annotations

import html
import importlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from adoption import tasks
from adoption.models import ScanRun
from adoption.scans import stop_reasons
from adoption.scans.stop_reasons import stop_message
from scanner.errors import ResolverUnreachable

from ..migrating import migrating

migration = importlib.import_module("adoption.migrations.0011_run_stop_reasons")

State = ScanRun.State
SILENCE = ResolverUnreachable.silent(["127.0.0.1:53"], 6.4, 6110)
STOP_TEXT = re.compile(r'<span class="error" id="run-stop">(.*?)</span>', re.S)
# As the code before reasons wrote it (adoption.scans.runs, scanner.stub).
OLD_DNS_ERROR = (
    "DNS resolver unreachable (chunk 5): no reply from 127.0.0.1:53 for 6 s: 6110 query "
    "attempts and a query for the root's NS went unanswered"
)


def stopped(stop: stop_reasons.Stop, state: str = State.PARTIAL) -> ScanRun:
    return ScanRun.objects.create(state=state, **stop.fields())


def said(client: Client, run: ScanRun, language: str) -> str | None:
    """What the run's page says about why it stopped, None when it says nothing."""
    page = client.get(
        reverse("runs:detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    found = STOP_TEXT.search(page)
    return html.unescape(found[1]) if found else None


@pytest.mark.django_db
def test_a_run_stopped_for_dns_says_so_and_that_it_resumes_by_itself(
    staff: Client, viewer: Client
):
    """Parts count from 1 for readers (chunk 3 is part 4); the resolvers' addresses are
    for staff only."""
    run = stopped(stop_reasons.dns_stop(3, SILENCE))
    assert (run.stop_reason, run.stop_chunk) == (ScanRun.StopReason.DNS, 3)
    assert run.stop_detail == {
        "servers": ["127.0.0.1:53"],
        "seconds": 6,
        "attempts": 6110,
    }
    assert run.error == f"DNS resolver unreachable (chunk 3): {SILENCE}"

    assert said(staff, run, "ja") == (
        "DNS リゾルバーが応答しないため、パート 4 で停止しました（127.0.0.1:53、6 秒間応答なし）。"
        "リゾルバーが再び応答すると、この測定は自動的に再開します。"
    )
    assert said(staff, run, "en") == (
        "Stopped at part 4: no DNS resolver answered (127.0.0.1:53, silent for 6 s)."
        " The run resumes by itself once a resolver answers."
    )
    assert said(viewer, run, "ja") == (
        "DNS リゾルバーが応答しないため、パート 4 で停止しました（6 秒間応答なし）。"
        "リゾルバーが再び応答すると、この測定は自動的に再開します。"
    )
    assert said(viewer, run, "en") == (
        "Stopped at part 4: no DNS resolver answered (silent for 6 s)."
        " The run resumes by itself once a resolver answers."
    )


@pytest.mark.django_db
def test_a_run_stopped_for_dns_with_a_newer_run_of_its_scope_says_it_stays_stopped(
    staff: Client,
):
    run = stopped(stop_reasons.dns_stop(3, SILENCE))
    ScanRun.objects.create(state=State.DONE)  # the next run of the whole registry
    assert said(staff, run, "ja") == (
        "DNS リゾルバーが応答しないため、パート 4 で停止しました（127.0.0.1:53、6 秒間応答なし）。"
        "同じ対象の新しい測定が始まっているため、この測定は自動では再開しません。"
    )
    assert said(staff, run, "en") == (
        "Stopped at part 4: no DNS resolver answered (127.0.0.1:53, silent for 6 s)."
        " A newer run of the same scope has started, so this run does not resume by itself."
    )


@pytest.mark.django_db
def test_a_dns_stop_whose_figures_are_unknown_is_told_without_them(staff: Client):
    """A verdict carried by its text only (a worker process's) has no figures."""
    run = stopped(stop_reasons.dns_stop(0, ResolverUnreachable("no reply")))
    assert run.stop_detail == {}
    assert said(staff, run, "ja") == (
        "DNS リゾルバーが応答しないため、パート 1 で停止しました。"
        "リゾルバーが再び応答すると、この測定は自動的に再開します。"
    )
    assert said(staff, run, "en") == (
        "Stopped at part 1: no DNS resolver answered."
        " The run resumes by itself once a resolver answers."
    )


@pytest.mark.django_db
def test_a_part_that_did_not_finish_is_told_with_its_attempts(viewer: Client):
    run = stopped(stop_reasons.chunk_failed(2, 3), State.FAILED)
    assert (run.stop_reason, run.stop_chunk, run.stop_detail) == (
        ScanRun.StopReason.CHUNK_FAILED,
        2,
        {"attempts": 3},
    )
    assert said(viewer, run, "ja") == "パート 3 は 3 回試みても完了しませんでした。"
    assert said(viewer, run, "en") == "Part 3 did not finish after 3 attempts."
    once = stopped(stop_reasons.chunk_failed(4, 1), State.FAILED)
    with translation.override("en"):
        assert stop_message(once) == "Part 5 did not finish after 1 attempt."


@pytest.mark.django_db
def test_a_run_stopped_before_reasons_were_stored_shows_its_error(viewer: Client):
    old = ScanRun.objects.create(state=State.PARTIAL, error="stopped by <hand>")
    assert said(viewer, old, "ja") == said(viewer, old, "en") == "stopped by <hand>"
    # A run that did not stop says nothing.
    assert said(viewer, ScanRun.objects.create(state=State.DONE), "ja") is None


@pytest.mark.django_db
def test_the_scan_command_says_why_the_run_stopped_in_the_active_language(
    monkeypatch: pytest.MonkeyPatch,
):
    run = stopped(stop_reasons.chunk_failed(2, 3))
    monkeypatch.setattr(tasks, "queue_run", lambda **_options: run)
    for language, queued, said in [
        (
            "ja",
            f"測定 #{run.pk} を登録しました",
            f"測定 #{run.pk} は「一部未完了」で終わりました: "
            "パート 3 は 3 回試みても完了しませんでした。",
        ),
        (
            "en",
            f"run {run.pk} queued",
            f"run {run.pk} ended partial: Part 3 did not finish after 3 attempts.",
        ),
    ]:
        out = StringIO()
        with (
            translation.override(language),
            pytest.raises(CommandError) as ended,
        ):
            call_command("scan", "--wait", stdout=out, stderr=StringIO())
        assert out.getvalue().splitlines()[0] == queued
        assert str(ended.value) == said


def test_the_migration_reads_the_texts_runs_were_stopped_with():
    """Stops written now, read back as the migration reads the text they leave in ``error``,
    give the stored fields: the migration knows every text the code wrote before."""
    for stop in (
        stop_reasons.dns_stop(3, SILENCE),
        stop_reasons.dns_stop(
            0, ResolverUnreachable.silent(["192.0.2.53:53", "::1:53"], 12.5, 40)
        ),
        stop_reasons.chunk_failed(2, 3),
    ):
        assert migration.stop_fields(stop.error) == {
            "stop_reason": stop.reason,
            "stop_chunk": stop.chunk,
            "stop_detail": stop.detail,
        }
    assert migration.stop_fields(OLD_DNS_ERROR) == {
        "stop_reason": "dns",
        "stop_chunk": 5,
        "stop_detail": {"servers": ["127.0.0.1:53"], "seconds": 6, "attempts": 6110},
    }
    assert migration.stop_fields("DNS resolver unreachable (chunk 4): no reply") == {
        "stop_reason": "dns",
        "stop_chunk": 4,
        "stop_detail": {},
    }
    assert migration.stop_fields(
        "stopped: another run of the same scope was active"
    ) == {"stop_reason": "duplicate", "stop_chunk": None, "stop_detail": {}}
    for unknown in ("gave up", "chunk 1 did not finish after 3 attempts, twice", ""):
        assert migration.stop_fields(unknown) is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_runs_stopped_before_their_reasons():
    errors = {
        "dns": OLD_DNS_ERROR,
        "chunk": "chunk 2 did not finish after 3 attempts",
        "duplicate": "stopped: another run of the same scope was active",
        "unknown": "gave up",
        "none": "",
    }
    with migrating("0010_chunk_deferred_domains", "0011_run_stop_reasons") as old:
        old_run = old.get_model("adoption", "ScanRun")
        pks = {
            name: old_run.objects.create(state="partial", error=error).pk
            for name, error in errors.items()
        }
    runs = {name: ScanRun.objects.get(pk=pk) for name, pk in pks.items()}
    assert {
        name: (run.stop_reason, run.stop_chunk, run.stop_detail)
        for name, run in runs.items()
    } == {
        "dns": (
            "dns",
            5,
            {"servers": ["127.0.0.1:53"], "seconds": 6, "attempts": 6110},
        ),
        "chunk": ("chunk_failed", 2, {"attempts": 3}),
        "duplicate": ("duplicate", None, {}),
        "unknown": ("", None, {}),
        "none": ("", None, {}),
    }
    assert {name: run.error for name, run in runs.items()} == errors  # kept as it was
    with translation.override("en"):
        assert stop_message(runs["duplicate"]) == (
            "Stopped because another run of the same scope was already going."
        )
        assert stop_message(runs["unknown"]) == "gave up"
    with translation.override("ja"):
        assert stop_message(runs["duplicate"]) == (
            "同じ対象の別の測定がすでに実行中だったため、停止しました。"
        )
