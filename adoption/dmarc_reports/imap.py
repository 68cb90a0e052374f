"""Reading DMARC aggregate reports from an IMAP mailbox: fetch, hand over, then move.

No Django here: the caller passes plain :class:`ImapSettings` and a handler that stores one
message and says what became of it; the IMAP commands are
:mod:`adoption.dmarc_reports.imap_session`'s. :func:`poll_mailbox` logs in (IMAPS, certificate verified),
selects the folder and, for every message not flagged ``\\Deleted`` (RFC 3501 §6.4.4), in UID
order and at most ``max_messages`` per poll:

1. reads ``RFC822.SIZE`` and the Message-ID in batches of ``batch_size`` (RFC 3501 §6.4.5); a
   message over ``max_message_bytes`` goes to ``invalid_folder`` without its body being read;
2. fetches the message with ``BODY.PEEK[]``, which leaves ``\\Seen`` unset (§6.4.5), capped by
   a partial fetch in case the server's size was wrong;
3. calls ``handle(raw, ref)``; the handler commits whatever it stores *before* returning;
4. acts on the :class:`Outcome`: ``stored``/``duplicate`` move the message to ``done_folder``,
   ``invalid`` to ``invalid_folder``, ``retry`` leaves it in place for the next poll. A
   handler that raises counts as ``failed`` and also leaves the message in place.

Commit first, then move: a crash between the two leaves the message in the folder, the next
poll hands it over again with the same :class:`MessageRef` (mailbox, UIDVALIDITY, UID:
RFC 3501 §2.3.1.1), and the handler's deduplication answers ``duplicate``. Nothing is ever
deleted without a copy (:meth:`Session.move`).
"""

from __future__ import annotations

import enum
import imaplib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from adoption.dmarc_reports.imap_session import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_MESSAGES,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    ImapSettings,
    MailboxError,
    Moved,
    Session,
    session,
)
from adoption.dmarc_reports.imap_wire import error_text, response_text

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_MESSAGES",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "Handler",
    "ImapSettings",
    "MailboxError",
    "MessageRef",
    "Outcome",
    "PollSummary",
    "poll_mailbox",
]

logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What the handler did with one message, and so where the message goes."""

    STORED = "stored"  # committed: move to done_folder
    DUPLICATE = "duplicate"  # already stored earlier: move to done_folder
    INVALID = "invalid"  # not a usable report: move to invalid_folder
    RETRY = "retry"  # nothing committed (say, the database is down): leave it in place


@dataclass(frozen=True)
class MessageRef:
    """Which message the handler got: enough to record where a report came from.

    (account, mailbox, uidvalidity, uid) names one message for as long as UIDVALIDITY holds
    (RFC 3501 §2.3.1.1); ``message_id`` is the sender's Message-ID, None when absent.
    """

    account: str  # user@host:port
    mailbox: str  # the folder as configured
    uidvalidity: int
    uid: int
    message_id: str | None
    size: int  # RFC822.SIZE as the server reported it


Handler = Callable[[bytes, MessageRef], Outcome]


@dataclass
class PollSummary:
    """Counts of one poll. ``found`` is every undeleted message in the folder; ``deferred`` the
    ones beyond ``max_messages``, left for the next poll."""

    uidvalidity: int = 0
    found: int = 0
    deferred: int = 0
    stored: int = 0
    duplicate: int = 0
    invalid: int = 0  # the handler's verdict
    oversized: int = 0  # over max_message_bytes: moved to invalid_folder unread
    retry: int = 0
    failed: int = 0  # the handler raised; the message stays
    vanished: int = 0  # expunged by someone else (an overlapping poll) meanwhile
    moved: int = 0
    move_failed: int = 0  # the server refused the move; the message stays

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def poll_mailbox(settings: ImapSettings, handle: Handler) -> PollSummary:
    """Hand every message in ``settings.folder`` to ``handle`` and file it by the outcome.

    Raises :class:`MailboxError` when the server cannot be reached, its certificate is not
    trusted, the login is refused, the folder cannot be selected or a destination folder cannot
    be created, or the connection breaks; messages already filed stay filed.
    """
    summary = PollSummary()
    try:
        with session(settings) as opened:
            _Poll(opened).poll(handle, summary)
    except imaplib.IMAP4.abort as error:
        raise MailboxError(
            f"IMAP connection to {settings.where} lost: {error_text(error)}"
        ) from None
    except imaplib.IMAP4.error as error:  # a BAD answer
        raise MailboxError(
            f"IMAP server {settings.where} refused a command: {error_text(error)}"
        ) from None
    except OSError as error:  # the handler's own errors never get here (see _one)
        raise MailboxError(
            f"IMAP connection to {settings.where} failed: {error}"
        ) from None
    logger.info(
        "DMARC mailbox %s %s: %s",
        settings.where,
        settings.folder,
        ", ".join(f"{name} {value}" for name, value in vars(summary).items() if value),
    )
    return summary


class _Poll:
    """One poll over a logged-in :class:`Session`: hand over, then file, message by message."""

    def __init__(self, opened: Session) -> None:
        self.session = opened
        self.settings = opened.settings

    def poll(self, handle: Handler, summary: PollSummary) -> None:
        settings = self.settings
        summary.uidvalidity = self.session.select()
        typ, data = self.session.imap.uid("SEARCH", "UNDELETED")
        if typ != "OK":
            raise MailboxError(
                f"IMAP SEARCH in {settings.folder!r} on {settings.where} failed: "
                f"{response_text(data)}"
            )
        uids = sorted(int(word) for word in b" ".join(d for d in data if d).split())
        summary.found = len(uids)
        summary.deferred = max(0, len(uids) - settings.max_messages)
        uids = uids[: settings.max_messages]
        for start in range(0, len(uids), settings.batch_size):
            batch = uids[start : start + settings.batch_size]
            heads = self.session.fetch_heads(batch)
            for uid in batch:
                head = heads.get(uid)
                if head is None:
                    summary.vanished += 1
                    continue
                size, message_id = head
                ref = MessageRef(
                    account=self.session.account,
                    mailbox=settings.folder,
                    uidvalidity=summary.uidvalidity,
                    uid=uid,
                    message_id=message_id,
                    size=size,
                )
                self._one(ref, handle, summary)

    def _one(self, ref: MessageRef, handle: Handler, summary: PollSummary) -> None:
        settings = self.settings
        limit = settings.max_message_bytes
        if ref.size > limit:
            self._oversized(
                ref, f"RFC822.SIZE {ref.size} exceeds {limit} bytes", summary
            )
            return
        raw = self.session.fetch_body(ref.uid)
        if raw is None:
            summary.vanished += 1
            return
        if len(raw) > limit:  # the server's RFC822.SIZE was wrong
            self._oversized(ref, f"the message exceeds {limit} bytes", summary)
            return
        try:
            outcome = Outcome(handle(raw, ref))
        except Exception:
            logger.exception(
                "DMARC mailbox %s: handler failed on UID %d %s; left in %s",
                settings.where,
                ref.uid,
                ref.message_id,
                settings.folder,
            )
            summary.failed += 1
            return
        summary.count(outcome)
        if outcome is Outcome.RETRY:
            logger.warning(
                "DMARC mailbox %s: UID %d %s to be retried; left in %s",
                settings.where,
                ref.uid,
                ref.message_id,
                settings.folder,
            )
            return
        target = (
            settings.invalid_folder
            if outcome is Outcome.INVALID
            else settings.done_folder
        )
        self._file(ref, target, outcome.value, summary)

    def _oversized(self, ref: MessageRef, reason: str, summary: PollSummary) -> None:
        summary.oversized += 1
        logger.warning(
            "DMARC mailbox %s: UID %d %s rejected unread: %s",
            self.settings.where,
            ref.uid,
            ref.message_id,
            reason,
        )
        self._file(ref, self.settings.invalid_folder, "oversized", summary)

    def _file(
        self, ref: MessageRef, folder: str, why: str, summary: PollSummary
    ) -> None:
        moved = self.session.move(ref.uid, folder)
        if moved is Moved.GONE:  # filed by an overlapping poll: nothing lost
            summary.vanished += 1
        elif moved is Moved.MOVED:
            summary.moved += 1
            logger.info(
                "DMARC mailbox %s: UID %d %s %s, moved to %s",
                self.settings.where,
                ref.uid,
                ref.message_id,
                why,
                folder,
            )
        else:
            summary.move_failed += 1
