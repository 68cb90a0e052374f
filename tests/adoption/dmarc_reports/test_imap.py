"""IMAP ingestion against a real Dovecot (tests/imapserver.py): fetch, hand over, then move.

Every test has a mailbox user of its own on one server for the module, so folder contents
never leak between tests. Messages are small RFC 5322 messages carrying a gzip'd XML report,
built here.
"""

from __future__ import annotations

import email
import email.policy
import gzip
import imaplib
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from adoption.dmarc_reports.imap import (
    ImapSettings,
    MailboxError,
    MessageRef,
    Outcome,
    PollSummary,
    poll_mailbox,
)
from adoption.dmarc_reports.imap_session import Session
from adoption.dmarc_reports.imap_wire import encode_mutf7, message_id
from tests.imapserver import ImapAccount, ImapServer, generate_certificates

REPORT_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata><org_name>reporter.example</org_name><email>noreply@reporter.example</email>
    <report_id>%(id)s</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>
  </report_metadata>
  <policy_published><domain>example.jp</domain><p>none</p></policy_published>
  <record><row><source_ip>192.0.2.1</source_ip><count>1</count>
    <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>
    <identifiers><header_from>example.jp</header_from></identifiers>
    <auth_results><spf><domain>example.jp</domain><result>pass</result></spf></auth_results>
  </record>
</feedback>
"""


def report_message(report_id: str = "r1", padding: int = 0) -> tuple[bytes, str]:
    """An aggregate report e-mail (RFC 7489 §7.2.1.1) and its Message-ID."""
    message = EmailMessage()
    message["From"] = "noreply@reporter.example"
    message["To"] = "dmarc@example.jp"
    message["Subject"] = (
        f"Report domain: example.jp Submitter: reporter.example Report-ID: {report_id}"
    )
    message["Date"] = "Wed, 15 Nov 2023 00:00:00 +0000"
    message_id = make_msgid(domain="reporter.example")
    message["Message-ID"] = message_id
    message.set_content("A DMARC aggregate report is attached.\n" + "x" * padding)
    message.add_attachment(
        gzip.compress(REPORT_XML % {b"id": report_id.encode()}, mtime=0),
        maintype="application",
        subtype="gzip",
        filename=f"reporter.example!example.jp!1700000000!1700086399!{report_id}.xml.gz",
    )
    return message.as_bytes(policy=email.policy.SMTP), message_id


class Recorder:
    """A handler answering from a script of outcomes (the last repeats), recording its calls."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes) or [Outcome.STORED]
        self.calls: list[tuple[bytes, MessageRef]] = []

    def __call__(self, raw: bytes, ref: MessageRef) -> Outcome:
        self.calls.append((raw, ref))
        return self.outcomes[min(len(self.calls), len(self.outcomes)) - 1]

    @property
    def refs(self) -> list[MessageRef]:
        return [ref for _, ref in self.calls]


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with ImapServer() as server:
        yield server


@pytest.fixture
def account(imap_server: ImapServer) -> ImapAccount:
    return imap_server.add_account()


@pytest.fixture
def settings(imap_server: ImapServer, account: ImapAccount) -> ImapSettings:
    return ImapSettings(
        host=imap_server.host,
        port=imap_server.port,
        user=account.user,
        password=account.password,
        cafile=str(imap_server.cafile),
        timeout=10.0,
    )


@pytest.fixture
def imap_commands(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every UID command sent from here on, as (command, *arguments)."""
    sent: list[tuple[str, ...]] = []
    original = imaplib.IMAP4.uid

    def uid(self: imaplib.IMAP4, command: str, *args: str) -> Any:
        sent.append((command.upper(), *args))
        return original(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", uid)
    return sent


def without_capabilities(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Hide server capabilities from the poller (Dovecot offers MOVE and UIDPLUS)."""
    original = imaplib.IMAP4.capability

    def capability(self: imaplib.IMAP4) -> Any:
        typ, data = original(self)
        words = [w for w in data[-1].split() if w.decode().upper() not in names]
        return typ, [b" ".join(words)]

    monkeypatch.setattr(imaplib.IMAP4, "capability", capability)


def flags_of(account: ImapAccount, folder: str) -> list[frozenset[str]]:
    return [flags for _, _, flags in account.messages(folder)]


# =============================================================================================
# Filing by outcome
# =============================================================================================


def test_stored_and_duplicate_move_to_the_done_folder_unread(
    account: ImapAccount, settings: ImapSettings
) -> None:
    first, first_id = report_message("r1")
    second, second_id = report_message("r2")
    account.append("INBOX", first)
    account.append("INBOX", second)
    handler = Recorder(Outcome.STORED, Outcome.DUPLICATE)

    summary = poll_mailbox(settings, handler)

    assert [raw for raw, _ in handler.calls] == [first, second]
    refs = handler.refs
    assert [ref.message_id for ref in refs] == [first_id, second_id]
    assert [ref.uid for ref in refs] == [1, 2]
    assert {ref.uidvalidity for ref in refs} == {summary.uidvalidity}
    assert refs[0].mailbox == "INBOX"
    assert refs[0].account == f"{account.user}@{settings.host}:{settings.port}"
    assert refs[0].size == len(first)
    assert account.list_folder("INBOX") == []
    assert account.list_folder("Archive/Aggregate") == [first, second]
    # BODY.PEEK[] never set \Seen (RFC 3501 6.4.5); nothing was left flagged \Deleted
    assert all(
        not flags & {"\\Seen", "\\Deleted"}
        for flags in flags_of(account, "Archive/Aggregate")
    )
    assert summary == PollSummary(
        uidvalidity=summary.uidvalidity, found=2, stored=1, duplicate=1, moved=2
    )


def test_the_handler_gets_the_whole_message_with_its_attachment(
    account: ImapAccount, settings: ImapSettings
) -> None:
    raw, _ = report_message("attached")
    account.append("INBOX", raw)
    handler = Recorder(Outcome.STORED)

    poll_mailbox(settings, handler)

    ((got, _),) = handler.calls
    message = email.message_from_bytes(got, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    (part,) = list(message.iter_attachments())
    assert part.get_content_type() == "application/gzip"
    assert b"<report_id>attached</report_id>" in gzip.decompress(part.get_content())


def test_invalid_goes_to_the_invalid_folder(
    account: ImapAccount, settings: ImapSettings
) -> None:
    raw, _ = report_message()
    account.append("INBOX", raw)

    summary = poll_mailbox(settings, Recorder(Outcome.INVALID))

    assert account.list_folder("INBOX") == []
    assert account.list_folder("Archive/Invalid") == [raw]
    assert "Archive/Aggregate" not in account.folders()
    assert (summary.invalid, summary.moved) == (1, 1)


def test_retry_leaves_the_message_in_place_and_unread(
    account: ImapAccount, settings: ImapSettings
) -> None:
    raw, _ = report_message()
    account.append("INBOX", raw)
    handler = Recorder(Outcome.RETRY, Outcome.STORED)

    first = poll_mailbox(settings, handler)

    assert (first.retry, first.moved) == (1, 0)
    assert account.list_folder("INBOX") == [raw]
    assert not flags_of(account, "INBOX")[0] & {"\\Seen", "\\Deleted"}

    second = poll_mailbox(settings, handler)

    assert handler.refs[0] == handler.refs[1]
    assert (second.stored, second.moved) == (1, 1)
    assert account.list_folder("Archive/Aggregate") == [raw]


def test_a_failing_handler_leaves_its_message_and_the_poll_goes_on(
    account: ImapAccount, settings: ImapSettings
) -> None:
    bad, _ = report_message("bad")
    good, _ = report_message("good")
    account.append("INBOX", bad)
    account.append("INBOX", good)

    def handler(raw: bytes, ref: MessageRef) -> Outcome:
        if b"bad" in raw:
            raise RuntimeError("parser bug")
        return Outcome.STORED

    summary = poll_mailbox(settings, handler)

    assert (summary.failed, summary.stored) == (1, 1)
    assert account.list_folder("INBOX") == [bad]
    assert account.list_folder("Archive/Aggregate") == [good]


def test_an_oversized_message_goes_to_invalid_without_its_body_being_read(
    account: ImapAccount,
    settings: ImapSettings,
    imap_commands: list[tuple[str, ...]],
) -> None:
    small, _ = report_message("small")
    large, large_id = report_message("large", padding=4000)
    account.append("INBOX", large)
    account.append("INBOX", small)
    handler = Recorder(Outcome.STORED)

    summary = poll_mailbox(
        replace(settings, max_message_bytes=len(small) + 100), handler
    )
    sent = list(imap_commands)

    assert [raw for raw, _ in handler.calls] == [small]
    assert account.list_folder("Archive/Invalid") == [large]
    assert account.list_folder("Archive/Aggregate") == [small]
    assert (summary.oversized, summary.stored, summary.moved) == (1, 1, 2)
    body_fetches = [
        command
        for command in sent
        if command[0] == "FETCH" and "BODY.PEEK[]" in command[-1]
    ]
    assert [command[1] for command in body_fetches] == ["2"]  # the small one only
    assert large_id not in [ref.message_id for ref in handler.refs]


# =============================================================================================
# Crash safety, limits, folders
# =============================================================================================


class Crash(BaseException):
    """The worker dying: nothing catches it."""


def test_a_crash_after_commit_before_move_hands_the_message_over_again(
    account: ImapAccount, settings: ImapSettings
) -> None:
    raw, message_id = report_message()
    account.append("INBOX", raw)
    committed: list[MessageRef] = []

    def crashing(got: bytes, ref: MessageRef) -> Outcome:
        committed.append(ref)  # the report is stored and committed ...
        raise Crash  # ... and the process dies before the message is moved

    with pytest.raises(Crash):
        poll_mailbox(settings, crashing)
    assert account.list_folder("INBOX") == [raw]

    def deduplicating(got: bytes, ref: MessageRef) -> Outcome:
        committed.append(ref)
        return Outcome.DUPLICATE if committed.count(ref) > 1 else Outcome.STORED

    summary = poll_mailbox(settings, deduplicating)

    assert len(committed) == 2 and committed[0] == committed[1]
    assert committed[0].message_id == message_id
    assert (summary.duplicate, summary.moved) == (1, 1)
    assert account.list_folder("INBOX") == []
    assert account.list_folder("Archive/Aggregate") == [raw]


def test_a_poll_takes_at_most_max_messages_in_uid_order(
    account: ImapAccount, settings: ImapSettings
) -> None:
    for index in range(5):
        account.append("INBOX", report_message(f"r{index}")[0])
    handler = Recorder(Outcome.STORED)
    capped = replace(settings, batch_size=2, max_messages=3)

    first = poll_mailbox(capped, handler)
    second = poll_mailbox(capped, handler)

    assert [ref.uid for ref in handler.refs] == [1, 2, 3, 4, 5]
    assert (first.found, first.deferred, first.stored) == (5, 2, 3)
    assert (second.found, second.deferred, second.stored) == (2, 0, 2)
    assert len(account.list_folder("Archive/Aggregate")) == 5


def test_missing_folders_are_created_and_existing_ones_reused(
    account: ImapAccount, settings: ImapSettings
) -> None:
    old, _ = report_message("old")
    account.append("Reports/Done", old)  # exists already, with a message in it
    raw, _ = report_message("new")
    account.append("Reports/Incoming", raw)
    account.append("Reports/Incoming", report_message("broken")[0])
    assert "Reports/Rejected/Ungültig" not in account.folders()

    summary = poll_mailbox(
        replace(
            settings,
            folder="Reports/Incoming",
            done_folder="Reports/Done",
            invalid_folder="Reports/Rejected/Ungültig",
        ),
        Recorder(Outcome.STORED, Outcome.INVALID),
    )

    assert summary.moved == 2
    assert account.list_folder("Reports/Incoming") == []
    assert account.list_folder("Reports/Done") == [old, raw]
    # RFC 3501 5.1.3: the server stores the name in modified UTF-7
    assert "Reports/Rejected/Ung&APw-ltig" in account.folders()
    assert len(account.list_folder("Reports/Rejected/Ung&APw-ltig")) == 1


def test_an_empty_folder_is_a_quiet_poll(
    account: ImapAccount, settings: ImapSettings
) -> None:
    summary = poll_mailbox(settings, Recorder())

    assert summary == PollSummary(uidvalidity=summary.uidvalidity)
    assert "Archive/Aggregate" not in account.folders()


# =============================================================================================
# Servers without MOVE (RFC 6851) or UIDPLUS (RFC 4315)
# =============================================================================================


def test_without_move_it_copies_flags_and_expunges_that_uid_only(
    account: ImapAccount,
    settings: ImapSettings,
    monkeypatch: pytest.MonkeyPatch,
    imap_commands: list[tuple[str, ...]],
) -> None:
    without_capabilities(monkeypatch, "MOVE")
    bystander, _ = report_message("bystander")
    account.append("INBOX", bystander, flags="\\Deleted")  # flagged by someone else
    raw, _ = report_message()
    account.append("INBOX", raw)

    summary = poll_mailbox(settings, Recorder(Outcome.STORED))
    sent = [command[0] for command in imap_commands]

    assert "MOVE" not in sent
    assert sent[-3:] == ["COPY", "STORE", "EXPUNGE"]
    assert (summary.found, summary.moved) == (1, 1)
    assert account.list_folder("Archive/Aggregate") == [raw]
    assert account.list_folder("INBOX") == [bystander]  # not ours to expunge


def test_without_uidplus_the_original_stays_flagged_deleted(
    account: ImapAccount,
    settings: ImapSettings,
    monkeypatch: pytest.MonkeyPatch,
    imap_commands: list[tuple[str, ...]],
) -> None:
    without_capabilities(monkeypatch, "MOVE", "UIDPLUS")
    raw, _ = report_message()
    account.append("INBOX", raw)
    handler = Recorder(Outcome.STORED)

    summary = poll_mailbox(settings, handler)
    again = poll_mailbox(settings, handler)

    assert "EXPUNGE" not in [command[0] for command in imap_commands]
    assert summary.moved == 1
    assert account.list_folder("Archive/Aggregate") == [raw]
    assert account.list_folder("INBOX") == [raw]
    assert "\\Deleted" in flags_of(account, "INBOX")[0]
    assert len(handler.calls) == 1  # the flagged original is not handed over again
    assert again.found == 0


# =============================================================================================
# Failures: TLS, login, folder, settings
# =============================================================================================


def test_a_server_certificate_from_another_ca_is_refused(
    settings: ImapSettings, tmp_path: Path
) -> None:
    other = generate_certificates(tmp_path, common_name="some other CA")
    handler = Recorder()

    with pytest.raises(MailboxError, match="certificate .* is not trusted"):
        poll_mailbox(replace(settings, cafile=str(other.cafile)), handler)
    with pytest.raises(MailboxError, match="not trusted"):
        poll_mailbox(replace(settings, cafile=None), handler)  # the system's CAs
    assert handler.calls == []


def test_an_unreadable_cafile_is_a_mailbox_error(
    settings: ImapSettings, tmp_path: Path
) -> None:
    with pytest.raises(MailboxError, match="CA file"):
        poll_mailbox(
            replace(settings, cafile=str(tmp_path / "missing.pem")), Recorder()
        )


@pytest.mark.parametrize("wrong", ["wrong-password-123", "pässwörd-ünïcode"])
def test_a_refused_login_does_not_show_the_password(
    account: ImapAccount, settings: ImapSettings, wrong: str
) -> None:
    raw, _ = report_message()
    account.append("INBOX", raw)
    bad = replace(settings, password=wrong)

    with pytest.raises(MailboxError) as caught:
        poll_mailbox(bad, Recorder())

    text = f"{caught.value} {caught.value!r} {bad!r}"
    assert "refused" in str(caught.value) and account.user in str(caught.value)
    assert wrong not in text and account.password not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert account.list_folder("INBOX") == [raw]


def test_a_missing_folder_is_a_mailbox_error(settings: ImapSettings) -> None:
    with pytest.raises(MailboxError, match="cannot select IMAP folder 'Nowhere'"):
        poll_mailbox(replace(settings, folder="Nowhere"), Recorder())


def test_a_closed_port_is_a_mailbox_error(settings: ImapSettings) -> None:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(MailboxError, match="cannot connect"):
            poll_mailbox(replace(settings, port=port), Recorder())


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"host": "imap.example.jp", "tls": False}, "loopback only"),
        ({"done_folder": "inbox"}, "must differ"),
        ({"invalid_folder": "INBOX"}, "must differ"),
        ({"folder": "Reports/*"}, "wildcards"),
        ({"done_folder": "Done\r\nX"}, "control"),
        ({"batch_size": 0}, "positive"),
        ({"port": 0}, "not a TCP port"),
    ],
)
def test_settings_are_checked(changes: dict[str, Any], message: str) -> None:
    base = ImapSettings("127.0.0.1", 993, "user", "secret")
    with pytest.raises(ValueError, match=message):
        replace(base, **changes)


def test_plain_imap_is_allowed_on_loopback_and_the_password_is_not_in_repr() -> None:
    settings = ImapSettings("localhost", 143, "user", "s3cret-value", tls=False)
    assert "s3cret-value" not in repr(settings)


# =============================================================================================
# Folder names on servers with another separator or a namespace prefix
# =============================================================================================


def session_with(prefix: str, separator: str | None) -> Session:
    session = Session.__new__(Session)
    session.prefix, session.separator = prefix, separator
    return session


@pytest.mark.parametrize(
    "prefix, separator, folder, expected",
    [
        ("", "/", "Archive/Invalid", "Archive/Invalid"),
        ("INBOX.", ".", "Archive/Invalid", "INBOX.Archive.Invalid"),  # Courier, Cyrus
        ("INBOX.", ".", "INBOX/Archive", "INBOX.Archive"),
        ("INBOX.", ".", "inbox", "INBOX"),
        (
            "",
            None,
            "Archive/Invalid",
            "Archive/Invalid",
        ),  # flat: "/" is just a character
        ("", "/", "Archive/Agrégés", "Archive/Agr&AOk-g&AOk-s"),
    ],
)
def test_folder_names_follow_the_server_separator_and_namespace(
    prefix: str, separator: str | None, folder: str, expected: str
) -> None:
    assert session_with(prefix, separator).server_name(folder) == expected


def test_modified_utf7_matches_rfc_3501() -> None:
    # RFC 3501 5.1.3's example, and "&" escaped as "&-"
    assert encode_mutf7("台北") == "&U,BTFw-"
    assert encode_mutf7("日本語") == "&ZeVnLIqe-"
    assert encode_mutf7("R&D") == "R&-D"


def test_the_server_fixture_names_the_missing_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(RuntimeError, match="apt-get install dovecot-imapd"):
        ImapServer()


def test_a_message_id_with_control_characters_is_shown_escaped():
    header = b"Message-ID: <r1\x1b[2J\x07@receiver.example.jp>\r\n\r\n"
    assert message_id(header) == "<r1\\x1b[2J\\x07@receiver.example.jp>"
    assert message_id(b"Subject: no id\r\n\r\n") is None
