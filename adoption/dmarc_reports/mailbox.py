"""The DMARC report mailbox, polled by beat: settings in, reports stored, messages filed.

:func:`adoption.dmarc_reports.imap.poll_mailbox` does the IMAP side and calls
:func:`store_message` for each message. The message's reports are committed before it
returns (each in its own transaction), and only then does the poller move the message, to
``DMARC_IMAP_DONE_FOLDER`` or ``DMARC_IMAP_INVALID_FOLDER``: a crash in between leaves the
message where it was, and the next poll finds its reports already stored (duplicates).
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError

from adoption.dmarc_reports.imap import (
    ImapSettings,
    MailboxError,
    MessageRef,
    Outcome,
    PollSummary,
)
from adoption.dmarc_reports.imap import poll_mailbox as poll_imap
from adoption.dmarc_reports.ingest import ingest_file
from adoption.dmarc_reports.outcomes import IngestOutcome, Status
from adoption.dmarc_reports.store import Origin
from adoption.models import DmarcReport

# A database that is away is no reason to call a message invalid: leave it for the next poll.
RETRY_ERRORS = (OperationalError, InterfaceError)


def imap_settings() -> ImapSettings | None:
    """The mailbox from settings, or None when ``DMARC_IMAP_HOST`` is empty; settings that
    cannot work raise ``MailboxError``, which the task logs at each poll."""
    if not settings.DMARC_IMAP_HOST:
        return None
    try:
        return _imap_settings()
    except (
        ValueError
    ) as error:  # plain IMAP to a remote host, a folder polled and filed to
        raise MailboxError(f"DMARC_IMAP_* settings: {error}") from None


def _imap_settings() -> ImapSettings:
    return ImapSettings(
        host=settings.DMARC_IMAP_HOST,
        port=settings.DMARC_IMAP_PORT,
        user=settings.DMARC_IMAP_USER,
        password=settings.DMARC_IMAP_PASSWORD,
        folder=settings.DMARC_IMAP_FOLDER,
        done_folder=settings.DMARC_IMAP_DONE_FOLDER,
        invalid_folder=settings.DMARC_IMAP_INVALID_FOLDER,
        tls=settings.DMARC_IMAP_TLS,
        cafile=settings.DMARC_IMAP_CAFILE or None,
        max_message_bytes=settings.DMARC_MAX_UPLOAD_BYTES,
    )


def poll() -> PollSummary | None:
    """One poll of the configured mailbox; None when none is configured.

    Raises ``imap.MailboxError`` when the server cannot be used.
    """
    mailbox = imap_settings()
    if mailbox is None:
        return None
    return poll_imap(mailbox, store_message)


def store_message(raw: bytes, ref: MessageRef) -> Outcome:
    """Store the reports in one message; the outcome decides where the poller files it."""
    name = f"{ref.mailbox} UID {ref.uid}"
    origin = Origin(
        source=DmarcReport.Source.IMAP,
        file_name=name,
        mailbox=ref.mailbox,
        uidvalidity=ref.uidvalidity,
        uid=ref.uid,
        message_id=ref.message_id or "",
    )
    try:
        outcomes = ingest_file(raw, name, DmarcReport.Source.IMAP, origin=origin)
    except RETRY_ERRORS:
        return Outcome.RETRY
    return message_outcome(outcomes)


def message_outcome(outcomes: list[IngestOutcome]) -> Outcome:
    """Stored if any report in it was stored; duplicate if all usable ones were stored
    before; otherwise invalid (no report in it could be used)."""
    statuses = {outcome.status for outcome in outcomes}
    if Status.ACCEPTED in statuses:
        return Outcome.STORED
    if Status.DUPLICATE in statuses:
        return Outcome.DUPLICATE
    return Outcome.INVALID
