"""Report files for the storage tests: the hand-written XML in tests/data/dmarc/ as sent, or
wrapped the ways reporters wrap it (gzip, zip, an e-mail with a mislabelled attachment)."""

from __future__ import annotations

import email.policy
import gzip
import io
import zipfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "dmarc"

SOUMU = "ingest-soumu-daily.xml"  # 4 records, RFC 7489, soumu.go.jp, 2026-11-01 UTC
MLIT = "ingest-mlit-rfc9990.xml"  # 2 records, RFC 9990 namespace, quirks
BAD_COUNT = "ingest-soumu-bad-count.xml"  # 5 good records, then a broken count
KOKUSAI = "ingest-kokusai-template.xml"  # names selector kokusai2025 (dates filled in)
BUNKA = "ingest-bunka-template.xml"  # d=mail.bunka.learned.test, selector s2024-10
KYU_2019 = "ingest-kyu-2019.xml"  # a selector last reported in 2019


def xml(name: str) -> bytes:
    return (DATA / name).read_bytes()


def recent(name: str, days_ago: int = 2, now: datetime | None = None) -> bytes:
    """A template report covering the UTC day ``days_ago`` days before ``now``."""
    today = (now or datetime.now(UTC)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    begin = today - timedelta(days=days_ago)
    end = begin + timedelta(seconds=86399)
    text = xml(name)
    for mark, moment in ((b"@BEGIN@", begin), (b"@END@", end)):
        text = text.replace(mark, str(int(moment.timestamp())).encode())
    return text


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zipped(data: bytes, member: str = "report.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return buffer.getvalue()


def emailed(
    data: bytes, *, subtype: str = "octet-stream", filename: str = "report.xml.gz"
) -> bytes:
    """An RFC 5322 report message; the attachment's type is wrong on purpose by default."""
    message = EmailMessage()
    message["From"] = "noreply-dmarc@receiver.example.jp"
    message["To"] = "rua@dmarc.example.go.jp"
    message["Subject"] = "Report Domain: soumu.go.jp Submitter: receiver.example.jp"
    message["Message-ID"] = "<report-1@receiver.example.jp>"
    message.set_content("This is an aggregate report.\n")
    message.add_attachment(
        gzipped(data), maintype="application", subtype=subtype, filename=filename
    )
    return message.as_bytes(policy=email.policy.SMTP)
