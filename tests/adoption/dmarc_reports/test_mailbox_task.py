"""The beat task that polls the report mailbox, against a real Dovecot (tests/imapserver.py):
reports stored, then messages filed, never deleted."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from django.db import OperationalError
from django.test import override_settings
from django_celery_beat.models import PeriodicTask

from adoption import tasks
from adoption.dmarc_reports import mailbox
from adoption.models import DmarcRecord, DmarcReport
from adoption.scans.schedules import (
    DMARC_MAILBOX,
    DMARC_RAW_CLEANUP,
    ensure_default_schedules,
)
from tests.imapserver import ImapAccount, ImapServer

from .reportfiles import MLIT, SOUMU, emailed, xml, zipped

pytestmark = pytest.mark.django_db
DONE, INVALID = "Archive/Aggregate", "Archive/Invalid"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with ImapServer() as server:
        yield server


@pytest.fixture
def account(imap_server: ImapServer) -> Iterator[ImapAccount]:
    account = imap_server.add_account()
    with override_settings(
        DMARC_IMAP_HOST=imap_server.host,
        DMARC_IMAP_PORT=imap_server.port,
        DMARC_IMAP_USER=account.user,
        DMARC_IMAP_PASSWORD=account.password,
        DMARC_IMAP_CAFILE=str(imap_server.cafile),
        DMARC_IMAP_TLS=True,
        DMARC_IMAP_FOLDER="INBOX",
        DMARC_IMAP_DONE_FOLDER=DONE,
        DMARC_IMAP_INVALID_FOLDER=INVALID,
    ):
        yield account


def message(subject: str, attachment: bytes | None, *, message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "noreply@receiver.example.jp"
    mail["To"] = "rua@dmarc.example.go.jp"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail.set_content("Aggregate report attached.\n")
    if attachment is not None:
        mail.add_attachment(
            attachment, maintype="application", subtype="zip", filename="report.zip"
        )
    return mail.as_bytes(policy=email.policy.SMTP)


def test_reports_are_stored_then_messages_filed_and_a_second_poll_adds_nothing(
    account: ImapAccount, registry
):
    account.append("INBOX", emailed(xml(SOUMU)))  # gzip labelled octet-stream
    account.append(
        "INBOX",
        message("Report Domain: mlit.go.jp", zipped(xml(MLIT)), message_id="<m@x.jp>"),
    )
    account.append("INBOX", message("Lunch on Friday?", None, message_id="<j@x.jp>"))
    account.append(
        "INBOX",
        message(
            "Report Domain: soumu.go.jp", zipped(xml(SOUMU)), message_id="<d@x.jp>"
        ),
    )

    summary = tasks.poll_dmarc_mailbox()

    assert summary is not None
    assert (summary["stored"], summary["duplicate"], summary["invalid"]) == (2, 1, 1)
    assert account.list_folder("INBOX") == []
    assert len(account.list_folder(DONE)) == 3
    [junk] = account.list_folder(INVALID)
    assert b"Lunch on Friday?" in junk
    reports = {r.policy_domain: r for r in DmarcReport.objects.all()}
    assert set(reports) == {"soumu.go.jp", "mlit.go.jp"}
    soumu = reports["soumu.go.jp"]
    assert (soumu.source, soumu.mailbox, soumu.uid) == ("imap", "INBOX", 1)
    assert soumu.uidvalidity
    assert soumu.message_id == "<report-1@receiver.example.jp>"
    assert reports["mlit.go.jp"].message_id == "<m@x.jp>"
    assert DmarcRecord.objects.count() == 6

    assert tasks.poll_dmarc_mailbox() == {"uidvalidity": summary["uidvalidity"]}
    assert DmarcReport.objects.count() == 2


def test_a_database_outage_leaves_the_message_for_the_next_poll(
    account: ImapAccount, registry, monkeypatch
):
    account.append("INBOX", emailed(xml(SOUMU)))

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(mailbox, "ingest_file", database_down)
    summary = tasks.poll_dmarc_mailbox()
    assert summary is not None and summary["retry"] == 1
    assert len(account.list_folder("INBOX")) == 1
    monkeypatch.undo()

    assert tasks.poll_dmarc_mailbox()["stored"] == 1
    assert account.list_folder("INBOX") == []
    assert DmarcReport.objects.count() == 1


def test_a_wrong_password_is_logged_and_nothing_moves(
    account: ImapAccount, caplog, registry
):
    account.append("INBOX", emailed(xml(SOUMU)))
    with override_settings(DMARC_IMAP_PASSWORD="wrong"):
        assert tasks.poll_dmarc_mailbox() is None
    assert "DMARC mailbox not polled" in caplog.text
    assert "wrong" not in caplog.text
    assert len(account.list_folder("INBOX")) == 1
    assert not DmarcReport.objects.exists()


@override_settings(DMARC_IMAP_HOST="")
def test_without_a_mailbox_the_task_does_nothing(db):
    assert tasks.poll_dmarc_mailbox() is None


def test_the_poll_is_scheduled_only_when_a_mailbox_is_configured(db):
    PeriodicTask.objects.filter(name__in=[DMARC_MAILBOX, DMARC_RAW_CLEANUP]).delete()
    with override_settings(DMARC_IMAP_HOST=""):
        ensure_default_schedules()
    assert not PeriodicTask.objects.filter(name=DMARC_MAILBOX).exists()
    cleanup = PeriodicTask.objects.get(name=DMARC_RAW_CLEANUP)
    assert cleanup.task == "adoption.tasks.delete_expired_dmarc_raw"

    with override_settings(
        DMARC_IMAP_HOST="imap.example.go.jp", DMARC_IMAP_POLL_SECONDS=120
    ):
        ensure_default_schedules()
    poll = PeriodicTask.objects.get(name=DMARC_MAILBOX)
    assert poll.task == "adoption.tasks.poll_dmarc_mailbox"
    assert (poll.interval.every, poll.interval.period) == (120, "seconds")
    assert poll.expire_seconds == 120  # a poll that waited a whole interval is dropped


def test_overlapping_polls_store_each_report_once_and_lose_no_message(
    account: ImapAccount, registry, monkeypatch
):
    """A poll that outlasts its interval may meet the next one: here a whole second poll
    runs while the first is still handling its first message. Both see the same messages;
    the reports are stored once, every message ends up filed once, none is lost."""
    account.append("INBOX", emailed(xml(SOUMU)))
    account.append(
        "INBOX",
        message("Report Domain: mlit.go.jp", zipped(xml(MLIT)), message_id="<m@x.jp>"),
    )
    store = mailbox.store_message
    second: list[dict[str, int] | None] = []

    def store_then_overlap(raw, ref):
        if not second:
            second.append(None)
            second[0] = tasks.poll_dmarc_mailbox()
        return store(raw, ref)

    monkeypatch.setattr(mailbox, "store_message", store_then_overlap)
    first = tasks.poll_dmarc_mailbox()

    assert second[0] is not None and second[0]["stored"] == 2
    # Message 1 was handed over before the overlap: a duplicate, already filed by the
    # other poll; message 2 was gone before it was fetched. Neither is a failed move.
    assert first == {
        "uidvalidity": second[0]["uidvalidity"],
        "found": 2,
        "duplicate": 1,
        "vanished": 2,
    }
    assert account.list_folder("INBOX") == []
    assert len(account.list_folder(DONE)) == 2
    assert DmarcReport.objects.count() == 2
    assert DmarcRecord.objects.count() == 6


@override_settings(DMARC_IMAP_HOST="imap.example.go.jp", DMARC_IMAP_TLS=False)
def test_plain_imap_to_a_remote_host_is_logged_not_attempted(db, caplog):
    assert tasks.poll_dmarc_mailbox() is None
    assert "DMARC mailbox not polled: DMARC_IMAP_* settings: plain IMAP" in caplog.text
