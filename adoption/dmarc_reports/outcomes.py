"""What became of each report found in a file: accepted, duplicate or rejected, and why.

A file may hold several reports (a zip with several members, an e-mail with several
attachments), so one file gives a list of outcomes. Reasons are codes with parameters, put
into words in the reader's language by :mod:`adoption.dmarc_reports.messages`; ``detail``
keeps the parser's own English sentence (``ReportRejected.reason``) where there is one, for
logs and for the mailbox's invalid folder.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Reason(enum.StrEnum):
    """Why a report was not accepted; the parameters each needs are in ``messages``."""

    UNREADABLE = "unreadable"  # the parser refused it: detail says why
    FILE_TOO_LARGE = "file_too_large"  # size, limit
    FILE_UNREADABLE = "file_unreadable"  # the file could not be opened: detail
    FIELD_TOO_LONG = "field_too_long"  # field, limit
    FUTURE_PERIOD = "future_period"  # begin, end (ISO 8601 UTC)
    SAME_REPORT = "same_report"  # identity already stored: pk
    SAME_CONTENT = "same_content"  # XML hash already stored: pk


@dataclass(frozen=True)
class IngestOutcome:
    """One report payload's fate. ``file_name`` is the file as given; ``part`` the member or
    attachment inside it ("" when the file is the report itself)."""

    file_name: str
    part: str
    status: Status
    reason: Reason | None = None
    params: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    report_pk: int | None = None
    org_name: str = ""
    report_id: str = ""
    policy_domain: str = ""
    record_count: int = 0
    message_count: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The file, and the part inside it when there is one: ``reports.zip: a.xml``."""
        return f"{self.file_name}: {self.part}" if self.part else self.file_name
