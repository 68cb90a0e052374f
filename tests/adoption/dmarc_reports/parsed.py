"""Helpers for the parsing tests: parse bytes the way the importer does, or get the reason."""

from __future__ import annotations

import io

import pytest

from adoption.dmarc_reports.types import ParsedReport, Record, ReportRejected
from adoption.dmarc_reports.xmlparse import parse_report
from tests.adoption.dmarc_reports.reportfiles import DATA


def data_file(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(data: bytes, **limits: int) -> tuple[ParsedReport, list[Record]]:
    """The report and all its records (read to the end, so ``warnings`` is final)."""
    report = parse_report(io.BytesIO(data), **limits)
    return report, list(report.records())


def rejection(data: bytes, **limits: int) -> str:
    """The reason ``data`` is rejected, whether at the head or while reading records."""
    with pytest.raises(ReportRejected) as caught:
        parse(data, **limits)
    return caught.value.reason
