"""A private Dovecot IMAP server on loopback, for the DMARC report ingestion tests.

Debian's ``dovecot-imapd`` (Dovecot 2.3) runs unprivileged with a configuration written into a
temporary directory: IMAP over TLS only (the plaintext listener is port 0, so a client that
logs in has proven TLS; Dovecot would otherwise accept plaintext LOGIN from loopback as
"secure"), a self-signed test CA and a server certificate for ``localhost``/``127.0.0.1``,
maildir storage with ``/`` as the hierarchy separator, and users in a passwd-file with
generated passwords. When the tests run as root (here and in CI) Dovecot is started as
``nobody``; otherwise as the current user.

Dovecot runs in the foreground (``dovecot -F``, under ``runuser -u nobody`` as root) so that
this process reaps it, and is stopped by SIGTERM to the pid in ``base_dir/master.pid``.
Readiness is a TLS connection that gets the IMAP greeting. Users can be added while it runs, so
one server can serve a whole test module while every test has its own empty mailbox::

    with ImapServer() as server:
        account = server.add_account()
        account.append("INBOX", message_bytes)

Run alone to try the ingestion by hand: ``python -m tests.imapserver`` prints the port, user,
password and CA file, and serves until interrupted.

Only Dovecot 2.3's configuration syntax is written; 2.4 rejects it (its configuration needs
``dovecot_config_version`` and renamed settings), so 2.4 stops with a clear error.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.testcerts import TestCertificates, generate_certificates

__all__ = ["ImapAccount", "ImapServer", "TestCertificates", "generate_certificates"]

HOST = "127.0.0.1"
DOVECOT_MISSING = "Debian's dovecot-imapd is needed: apt-get install dovecot-imapd"
START_SECONDS = 20.0  # Dovecot starts in well under a second; this only bounds a hang
STOP_SECONDS = 10.0
POLL_SECONDS = 0.02
CLIENT_TIMEOUT = 10.0
SPARE_ACCOUNTS = 32  # users written to the passwd-file ahead of need (see add_account)
START_ATTEMPTS = 3  # a free port found by bind(0) can be taken before Dovecot binds it


def find_dovecot() -> str:
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(DOVECOT_MISSING)


def dovecot_version(binary: str) -> tuple[int, int]:
    output = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.match(r"\s*(\d+)\.(\d+)", output)
    if match is None:
        raise RuntimeError(f"cannot read the version of {binary}: {output!r}")
    return int(match.group(1)), int(match.group(2))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# =============================================================================================
# Dovecot 2.3 configuration
# =============================================================================================

CONFIG_23 = """\
# Written by tests/imapserver.py for one test session; see its docstring.
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}

ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain
# Refused logins answer at once: the tests of a wrong password must not wait 2 s.
auth_failure_delay = 0

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}

mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  # maildir's default separator "." refuses names such as Archive/Invalid
  separator = /
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins from one IP (the auth penalty): the tests of a
  # wrong password would otherwise wait seconds each.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class ImapAccount:
    """One mailbox user, with helpers that go through real IMAP commands."""

    server: ImapServer
    user: str
    password: str = field(repr=False)

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4_SSL]:
        """A logged-in ``IMAP4_SSL`` client that verifies the server against the test CA."""
        context = ssl.create_default_context(cafile=str(self.server.cafile))
        imap = imaplib.IMAP4_SSL(
            self.server.host,
            self.server.port,
            ssl_context=context,
            timeout=CLIENT_TIMEOUT,
        )
        try:
            imap.login(self.user, self.password)
            yield imap
        finally:
            try:
                imap.logout()  # never CLOSE: it would expunge \Deleted messages
            except (imaplib.IMAP4.error, OSError):
                pass

    def create(self, folder: str) -> None:
        with self.client() as imap:
            check(imap.create(quote(folder)), f"CREATE {folder}")

    def append(self, folder: str, message: bytes, flags: str = "") -> int:
        """APPEND ``message`` to ``folder`` (created if missing); returns its UID (UIDPLUS)."""
        with self.client() as imap:
            if not self._exists(imap, folder):
                check(imap.create(quote(folder)), f"CREATE {folder}")
            # typeshed declares append() -> str; imaplib returns (typ, data) like every command
            response: Any = imap.append(
                quote(folder), f"({flags})" if flags else "", "", message
            )
            typ, data = response
            check((typ, data), f"APPEND {folder}")
            # RFC 4315 3: OK [APPENDUID uidvalidity uid]
            match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            return int(match.group(1)) if match else 0

    def list_folder(self, folder: str) -> list[bytes]:
        """Every message in ``folder`` in UID order, read without setting \\Seen."""
        return [raw for _, raw, _ in self.messages(folder)]

    def messages(self, folder: str) -> list[tuple[int, bytes, frozenset[str]]]:
        """(UID, message, flags) for every message in ``folder``, by EXAMINE (read-only)."""
        with self.client() as imap:
            check(imap.select(quote(folder), readonly=True), f"EXAMINE {folder}")
            typ, data = imap.uid("SEARCH", "ALL")
            check((typ, data), "UID SEARCH")
            result = []
            for uid in (data[0] or b"").split():
                typ, data = imap.uid("FETCH", uid.decode(), "(UID FLAGS BODY.PEEK[])")
                check((typ, data), "UID FETCH")
                head, raw = next(part for part in data if isinstance(part, tuple))
                flags = re.search(rb"FLAGS \(([^)]*)\)", head)
                names = flags.group(1).decode().split() if flags else []
                result.append((int(uid), raw, frozenset(names)))
            return result

    def folders(self) -> set[str]:
        """Every mailbox name the user has (as on the wire, separator ``/``)."""
        with self.client() as imap:
            typ, data = imap.list()
            check((typ, data), "LIST")
            names = set()
            for line in data:
                if isinstance(line, bytes):
                    match = re.match(rb'\([^)]*\) (?:"[^"]*"|NIL) "?(.*?)"?$', line)
                    if match:
                        names.add(match.group(1).decode())
            return names

    def _exists(self, imap: imaplib.IMAP4, folder: str) -> bool:
        typ, data = imap.list('""', quote(folder))
        return typ == "OK" and any(item for item in data if item)


def quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(response: tuple[str, Sequence[object]], what: str) -> None:
    typ, data = response
    if typ != "OK":
        raise RuntimeError(f"{what}: {typ} {data!r}")


class ImapServer:
    """A private Dovecot on 127.0.0.1 serving IMAPS only; a context manager.

    ``cafile`` is the CA clients must trust; ``user``/``password`` belong to the account made
    at start, whose helpers ``append``, ``list_folder`` and ``create`` the server exposes;
    :meth:`add_account` makes more (an empty mailbox per test).
    """

    def __init__(self, host: str = HOST) -> None:
        self.host = host
        self.port = 0
        self.binary = find_dovecot()
        major_minor = dovecot_version(self.binary)
        if major_minor[0] != 2 or major_minor[1] != 3:
            raise RuntimeError(
                f"tests/imapserver.py writes Dovecot 2.3 configuration; found Dovecot "
                f"{major_minor[0]}.{major_minor[1]} (2.4 needs its own configuration file)"
            )
        self.root: Path | None = None
        self.cafile = Path()
        self.account: ImapAccount | None = None
        # (user, password) in the passwd-file, and those written but not yet handed out
        self._accounts: list[tuple[str, str]] = []
        self._spare: list[tuple[str, str]] = []
        self._run_as = self._service_user()
        self._process: subprocess.Popen[bytes] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> ImapServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _service_user() -> tuple[str, str, int, int]:
        """(user, group, uid, gid) that Dovecot runs as: nobody under root, else ourselves."""
        if os.geteuid() == 0:
            entry = pwd.getpwnam("nobody")
        else:
            entry = pwd.getpwuid(os.geteuid())
        return (
            entry.pw_name,
            grp.getgrgid(entry.pw_gid).gr_name,
            entry.pw_uid,
            entry.pw_gid,
        )

    def start(self) -> None:
        user, _, uid, gid = self._run_as
        self.root = Path(tempfile.mkdtemp(prefix="imapserver-"))
        try:
            certificates = generate_certificates(self.root / "tls")
            self.cafile = certificates.cafile
            for sub in ("run", "state", "mail"):
                (self.root / sub).mkdir()
            self._make_accounts(SPARE_ACCOUNTS)
            if os.geteuid() == 0:
                for path in (self.root, *self.root.rglob("*")):
                    os.chown(path, uid, gid)
            for attempt in range(START_ATTEMPTS):
                self.port = free_port()
                self._write_config(certificates)
                if self._launch(last=attempt == START_ATTEMPTS - 1):
                    break
            self.account = self.add_account()
        except BaseException:
            self.stop()
            raise

    def _write_config(self, certificates: TestCertificates) -> None:
        assert self.root is not None
        user, group, uid, gid = self._run_as
        text = CONFIG_23.format(
            host=self.host,
            root=self.root,
            user=user,
            group=group,
            uid=uid,
            gid=gid,
            cert=certificates.cert,
            key=certificates.key,
            port=self.port,
        )
        config = self.root / "dovecot.conf"
        config.write_text(text, encoding="utf-8")

    def _launch(self, last: bool) -> bool:
        """Start Dovecot and wait for its greeting; False if the port was taken meanwhile.

        ``dovecot -F`` stays in the foreground under ``runuser``, which reaps it: a daemonised
        master would be reparented to PID 1, which in a container may never reap it.
        """
        assert self.root is not None
        command = [self.binary, "-F", "-c", str(self.root / "dovecot.conf")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", self._run_as[0], "--", *command]
        output = self.root / "start.out"
        with output.open("wb") as sink:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self._greeted():
                return True
            if self._process.poll() is not None:
                log = output.read_text(errors="replace") + self.log()
                self._process = None
                if not last and "Address already in use" in log:
                    return False
                raise RuntimeError(f"dovecot exited while starting: {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dovecot did not answer on {self.port}: {self.log()}"
                )
            time.sleep(POLL_SECONDS)

    def _greeted(self) -> bool:
        """Whether a TLS client gets Dovecot's IMAP greeting (RFC 3501 7.1.1)."""
        context = ssl.create_default_context(cafile=str(self.cafile))
        try:
            with socket.create_connection((self.host, self.port), timeout=2.0) as sock:
                with context.wrap_socket(sock, server_hostname=self.host) as tls:
                    return tls.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to the pid in ``base_dir/master.pid``; wait; remove every file."""
        if self.root is None:
            return
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            pid = self._master_pid()
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
            else:
                process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _master_pid(self) -> int | None:
        assert self.root is not None
        try:
            return int((self.root / "run" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def log(self) -> str:
        """Dovecot's log so far (for failure messages)."""
        if self.root is None:
            return ""
        try:
            return (self.root / "dovecot.log").read_text(errors="replace")
        except OSError:
            return ""

    # --- accounts --------------------------------------------------------------------------

    def add_account(self) -> ImapAccount:
        """A user of its own, with a generated password and an empty mailbox.

        Dovecot re-reads the passwd-file at most once a second, so users are written in
        batches ahead of need: taking one is instant; a new batch waits for the first login.
        """
        assert self.root is not None, "start the server first"
        if not self._spare:
            self._make_accounts(SPARE_ACCOUNTS)
            self._await_login(self._spare[0])
        name, password = self._spare.pop(0)
        return ImapAccount(self, name, password)

    def _make_accounts(self, count: int) -> None:
        assert self.root is not None
        for _ in range(count):
            name = f"user{len(self._accounts)}"
            entry = (name, secrets.token_urlsafe(18))
            self._accounts.append(entry)
            self._spare.append(entry)
            home = self.root / "mail" / name
            home.mkdir()
            if os.geteuid() == 0:
                os.chown(home, self._run_as[2], self._run_as[3])
        self._write_users()

    def _await_login(self, entry: tuple[str, str]) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with ImapAccount(self, *entry).client():
                    return
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(POLL_SECONDS)

    def _write_users(self) -> None:
        """The passwd-file, replaced atomically: Dovecot re-reads it when it changes."""
        assert self.root is not None
        _, _, uid, gid = self._run_as
        lines = [
            f"{name}:{{PLAIN}}{password}:{uid}:{gid}::{self.root / 'mail' / name}\n"
            for name, password in self._accounts
        ]
        staging = self.root / "users.new"
        staging.write_text("".join(lines), encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(staging, uid, gid)
        staging.chmod(0o600)
        staging.replace(self.root / "users")

    # --- the first account's helpers ----------------------------------------------------

    def _default(self) -> ImapAccount:
        assert self.account is not None, "start the server first"
        return self.account

    @property
    def user(self) -> str:
        return self._default().user

    @property
    def password(self) -> str:
        return self._default().password

    def append(self, folder: str, message: bytes, flags: str = "") -> int:
        return self._default().append(folder, message, flags)

    def list_folder(self, folder: str) -> list[bytes]:
        return self._default().list_folder(folder)

    def create(self, folder: str) -> None:
        self._default().create(folder)


def main() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with ImapServer() as server:
        print(
            f"listening {server.host}:{server.port} user {server.user} "
            f"password {server.password} cafile {server.cafile}",
            flush=True,
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
