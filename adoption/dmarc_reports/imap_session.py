"""An IMAP session with the DMARC report mailbox: connect (IMAPS, certificate verified), log
in, find and create folders, select, fetch without setting ``\\Seen``, and move.

Nothing is ever deleted without a copy. A move is ``UID MOVE`` when the server offers MOVE
(RFC 6851 §3.2); otherwise ``UID COPY``, then ``\\Deleted`` on the original, then
``UID EXPUNGE`` of that one UID when the server offers UIDPLUS (RFC 4315 §2.1). Without
UIDPLUS the original stays flagged ``\\Deleted`` and unexpunged: a plain EXPUNGE (or CLOSE,
RFC 3501 §6.4.2) would also remove messages someone else flagged. The session ends with
LOGOUT only, never CLOSE, for the same reason.

Folder names are written with ``/`` between levels; they are mapped onto the server's
hierarchy separator and personal namespace prefix (RFC 2342 NAMESPACE, or ``LIST "" ""`` per
RFC 3501 §6.3.8) and encoded in modified UTF-7 (§5.1.3). Missing destination folders are
created (§6.3.3) and subscribed. The poll itself is :mod:`adoption.dmarc_reports.imap`.
"""

from __future__ import annotations

import enum
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from adoption.dmarc_reports.imap_wire import (
    canonical,
    encode_mutf7,
    error_text,
    fetch_responses,
    is_loopback,
    message_id,
    quote,
    response_text,
    unquote,
)

logger = logging.getLogger(__name__)

DEFAULT_PORT = 993  # IMAPS (RFC 8314 §7.3)
DEFAULT_TIMEOUT = 60.0  # seconds per socket operation
# Reports are small once compressed (a 300,000-record report is about 1 MB of gzip); the cap
# covers base64's 4/3 and leaves room, and the parser caps the decompressed size on its own.
DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
DEFAULT_BATCH_SIZE = 10
DEFAULT_MAX_MESSAGES = 500

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_QUOTED = rb'"((?:[^"\\]|\\.)*)"'
# RFC 2342 §5: the first personal namespace, ("prefix" "delimiter") or ("prefix" NIL)
_NAMESPACE = re.compile(rb"^\(\(" + _QUOTED + rb" (?:" + _QUOTED + rb"|NIL)")
# RFC 3501 §7.2.2: (flags) "delimiter" name, or NIL for a flat server
_LIST = re.compile(rb"^\(([^)]*)\) (?:" + _QUOTED + rb"|NIL)")


class Moved(enum.Enum):
    """What became of a move: done, the message was already gone, or the server refused."""

    MOVED = "moved"
    GONE = "gone"
    REFUSED = "refused"


class MailboxError(Exception):
    """The mailbox cannot be used: connection, TLS, login, folder. Never carries the password."""


@dataclass(frozen=True)
class ImapSettings:
    """Where the reports arrive. Folder names use ``/`` between levels, whatever the server's
    own separator. ``tls=False`` (plain IMAP) is accepted only for a loopback host."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    done_folder: str = "Archive/Aggregate"
    invalid_folder: str = "Archive/Invalid"
    tls: bool = True
    cafile: str | None = None  # None: the system's trusted CAs
    timeout: float = DEFAULT_TIMEOUT
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    batch_size: int = DEFAULT_BATCH_SIZE
    # per poll; the rest waits for the next one
    max_messages: int = DEFAULT_MAX_MESSAGES

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"IMAP port {self.port} is not a TCP port")
        if not self.tls and not is_loopback(self.host):
            raise ValueError(
                f"plain IMAP would send the password in clear: tls=False is for loopback "
                f"only, not {self.host!r}"
            )
        for name, value in (
            ("timeout", self.timeout),
            ("max_message_bytes", self.max_message_bytes),
            ("batch_size", self.batch_size),
            ("max_messages", self.max_messages),
        ):
            if value <= 0:
                raise ValueError(f"IMAP {name} must be positive, not {value!r}")
        for name, folder in (
            ("folder", self.folder),
            ("done_folder", self.done_folder),
            ("invalid_folder", self.invalid_folder),
        ):
            if not folder or _CONTROL.search(folder) or "*" in folder or "%" in folder:
                raise ValueError(
                    f"IMAP {name} {folder!r} must be a non-empty name without control "
                    "characters or the LIST wildcards * and %"
                )
        source = canonical(self.folder)
        if source in (canonical(self.done_folder), canonical(self.invalid_folder)):
            raise ValueError(
                "the IMAP done and invalid folders must differ from the folder polled"
            )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@contextmanager
def session(settings: ImapSettings) -> Iterator[Session]:
    imap = _connect(settings)
    try:
        _login(imap, settings)
        yield Session(imap, settings)
    finally:
        try:
            imap.logout()  # never CLOSE: it expunges every \Deleted message (RFC 3501 §6.4.2)
        except (imaplib.IMAP4.error, OSError):
            pass


def _connect(settings: ImapSettings) -> imaplib.IMAP4:
    where = settings.where
    try:
        if not settings.tls:
            return imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        try:
            context = ssl.create_default_context(cafile=settings.cafile)
        except (OSError, ssl.SSLError) as error:
            raise MailboxError(
                f"cannot load the IMAP CA file {settings.cafile!r}: {error}"
            ) from None
        return imaplib.IMAP4_SSL(
            settings.host,
            settings.port,
            ssl_context=context,
            timeout=settings.timeout,
        )
    except ssl.SSLCertVerificationError as error:
        raise MailboxError(
            f"TLS: the certificate of IMAP server {where} is not trusted "
            f"({error.verify_message})"
        ) from None
    except ssl.SSLError as error:
        raise MailboxError(
            f"TLS handshake with IMAP server {where} failed: {error.reason or error}"
        ) from None
    except imaplib.IMAP4.error as error:
        raise MailboxError(
            f"IMAP server {where} did not greet: {error_text(error)}"
        ) from None
    except OSError as error:  # refused, unreachable, timed out, unknown host
        raise MailboxError(f"cannot connect to IMAP server {where}: {error}") from None


def _login(imap: imaplib.IMAP4, settings: ImapSettings) -> None:
    try:
        if settings.user.isascii() and settings.password.isascii():
            imap.login(settings.user, settings.password)
        else:
            # LOGIN's strings are ASCII in imaplib; SASL PLAIN carries UTF-8 (RFC 4616 §2).
            credentials = f"\0{settings.user}\0{settings.password}".encode()
            imap.authenticate("PLAIN", lambda _challenge: credentials)
    except (imaplib.IMAP4.error, OSError) as error:
        # The server's words only (imaplib never echoes the password; scrubbed regardless).
        reason = error_text(error)
        if settings.password:
            reason = reason.replace(settings.password, "***")
        raise MailboxError(
            f"IMAP login to {settings.where} as {settings.user!r} refused: {reason}"
        ) from None


class Session:
    def __init__(self, imap: imaplib.IMAP4, settings: ImapSettings) -> None:
        self.imap = imap
        self.settings = settings
        self.account = f"{settings.user}@{settings.where}"
        # Capabilities change at login (RFC 3501 §6.2.3, §7.2.1): ask again.
        typ, data = imap.capability()
        words = data[-1] if typ == "OK" and data and data[-1] else b""
        self.capabilities = frozenset(
            bytes(words).decode("ascii", "replace").upper().split()
        )
        self.prefix, self.separator = self._namespace()
        self._ready: set[str] = set()  # destination folders known to exist

    # --- folders ---------------------------------------------------------------------------

    def _namespace(self) -> tuple[str, str | None]:
        """The personal namespace's prefix and the hierarchy separator (None: flat)."""
        imap = self.imap
        if "NAMESPACE" in self.capabilities:
            typ, data = imap.namespace()
            match = _NAMESPACE.match(data[0] or b"") if typ == "OK" and data else None
            if match:
                prefix, separator = match.group(1), match.group(2)
                return unquote(prefix), unquote(separator) if separator else None
        typ, data = imap.list('""', '""')
        for line in data if typ == "OK" else []:
            match = _LIST.match(line) if isinstance(line, bytes) else None
            if match:
                return "", unquote(match.group(2)) if match.group(2) else None
        return "", "/"

    def server_name(self, folder: str) -> str:
        """``folder`` ("/" between levels) as this server names it, ready to quote."""
        parts = folder.split("/")
        if parts[0].upper() == "INBOX":  # INBOX is case-insensitive (RFC 3501 §5.1)
            parts[0] = "INBOX"
            if len(parts) == 1:
                return "INBOX"
        name = (self.separator or "/").join(encode_mutf7(part) for part in parts)
        if self.prefix and not name.startswith(self.prefix):
            name = self.prefix + name
        return name

    def ensure_folder(self, folder: str) -> str:
        """The server's name of ``folder``, created (and subscribed) if missing."""
        name = self.server_name(folder)
        if name in self._ready:
            return name
        imap = self.imap
        typ, data = imap.list('""', quote(name))
        listed = (
            [line for line in data if isinstance(line, bytes)] if typ == "OK" else []
        )
        if listed:
            match = _LIST.match(listed[0])
            flags = match.group(1).lower() if match else b""
            if b"\\noselect" in flags or b"\\nonexistent" in flags:
                raise MailboxError(
                    f"IMAP folder {folder!r} on {self.settings.where} cannot hold messages"
                )
        else:
            typ, data = imap.create(quote(name))
            reason = response_text(data)
            if typ != "OK" and "ALREADYEXISTS" not in reason.upper():  # RFC 5530 §3
                raise MailboxError(
                    f"cannot create IMAP folder {folder!r} on {self.settings.where}: {reason}"
                )
            imap.subscribe(
                quote(name)
            )  # so that mail clients show it; failure is harmless
            logger.info(
                "DMARC mailbox %s: created folder %s", self.settings.where, folder
            )
        self._ready.add(name)
        return name

    def select(self) -> int:
        """SELECT the polled folder read-write; its UIDVALIDITY (RFC 3501 §6.3.1)."""
        folder = self.settings.folder
        try:
            typ, data = self.imap.select(quote(self.server_name(folder)))
        except imaplib.IMAP4.readonly:
            raise MailboxError(
                f"IMAP folder {folder!r} on {self.settings.where} is read-only"
            ) from None
        if typ != "OK":
            raise MailboxError(
                f"cannot select IMAP folder {folder!r} on {self.settings.where}: "
                f"{response_text(data)}"
            )
        _, values = self.imap.response("UIDVALIDITY")
        value = values[-1] if values else None
        if not isinstance(value, bytes) or not value.strip().isdigit():
            raise MailboxError(
                f"IMAP server {self.settings.where} gave no UIDVALIDITY for {folder!r}"
            )
        return int(value)

    # --- the poll --------------------------------------------------------------------------

    # --- fetching --------------------------------------------------------------------------

    def fetch_heads(self, uids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
        """UID -> (RFC822.SIZE, Message-ID) for one batch, without reading bodies."""
        typ, data = self.imap.uid(
            "FETCH",
            ",".join(map(str, uids)),
            "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
        )
        if typ != "OK":
            raise MailboxError(
                f"IMAP FETCH on {self.settings.where} failed: {response_text(data)}"
            )
        heads: dict[int, tuple[int, str | None]] = {}
        for text, literals in fetch_responses(data):
            uid, size = _UID.search(text), _SIZE.search(text)
            if uid and size:
                header = literals[0] if literals else b""
                heads[int(uid.group(1))] = (int(size.group(1)), message_id(header))
        return heads

    def fetch_body(self, uid: int) -> bytes | None:
        """The whole message (None if it is gone), without setting \\Seen (RFC 3501 §6.4.5).

        A partial fetch one byte past the limit bounds what a lying RFC822.SIZE can cost.
        """
        typ, data = self.imap.uid(
            "FETCH",
            str(uid),
            f"(UID BODY.PEEK[]<0.{self.settings.max_message_bytes + 1}>)",
        )
        if typ != "OK":
            raise MailboxError(
                f"IMAP FETCH on {self.settings.where} failed: {response_text(data)}"
            )
        for text, literals in fetch_responses(data):
            found = _UID.search(text)
            if found and int(found.group(1)) == uid and literals:
                return literals[0]
        return None

    # --- moving ----------------------------------------------------------------------------

    def move(self, uid: int, folder: str) -> Moved:
        """Move one message; never removes the original unless the copy succeeded."""
        imap, where = self.imap, self.settings.where
        target = quote(self.ensure_folder(folder))
        uid_text = str(uid)
        if "MOVE" in self.capabilities:  # RFC 6851 §3.2: copy, then expunge, atomically
            typ, data = imap.uid("MOVE", uid_text, target)
            if typ != "OK" and "EXPUNGEISSUED" in response_text(data).upper():
                # RFC 5530 §3: expunged meanwhile, by an overlapping poll or a person.
                return Moved.GONE
            if typ != "OK":
                logger.error(
                    "DMARC mailbox %s: UID MOVE %d to %s refused: %s",
                    where,
                    uid,
                    folder,
                    response_text(data),
                )
            return Moved.MOVED if typ == "OK" else Moved.REFUSED
        typ, data = imap.uid("COPY", uid_text, target)
        if typ != "OK":
            logger.error(
                "DMARC mailbox %s: UID COPY %d to %s refused: %s",
                where,
                uid,
                folder,
                response_text(data),
            )
            return Moved.REFUSED
        typ, data = imap.uid("STORE", uid_text, "+FLAGS.SILENT", "(\\Deleted)")
        if typ != "OK":
            # The copy exists; the original stays and is handed over again (a duplicate).
            logger.error(
                "DMARC mailbox %s: UID %d copied to %s but not flagged \\Deleted: %s",
                where,
                uid,
                folder,
                response_text(data),
            )
            return Moved.REFUSED
        if "UIDPLUS" in self.capabilities:  # RFC 4315 §2.1: expunge this UID only
            imap.uid("EXPUNGE", uid_text)
        return Moved.MOVED
