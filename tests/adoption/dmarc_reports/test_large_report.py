"""A large report is parsed in bounded memory: records stream, none is kept.

The measure is tracemalloc's peak of Python allocations while every record of a 20,000-record
report (about 14 MB of XML, spooled to disk by ``archives``) is read. A parser that built the
whole tree would need about 100 MB for it; a streaming one needs a few, whatever the count.
The count is a fifth of the brief's 100,000 because tracing slows the pure-Python parser
about six times (100,000 records took 46 s of CPU traced); bench/dmarc_reportgen.py makes the
400,000-record file for the untraced benchmark.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from adoption.dmarc_reports.archives import SPOOL_IN_MEMORY_BYTES, unpack
from adoption.dmarc_reports.xmlparse import parse_report
from bench.dmarc_reportgen import write_report

RECORDS = 20_000
PEAK_BYTES = 8 * 1024 * 1024


def test_large_report_records_are_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "mail-receiver.example!soumu.go.jp!1767225600!1767311999.xml.gz"
    messages = write_report(path, RECORDS, "soumu.go.jp", seed=1)
    with path.open("rb") as compressed:
        payload = unpack(compressed)

    tracemalloc.start()
    try:
        with payload.xml:
            report = parse_report(payload.xml)
            batches = sum(1 for _ in report.batches(1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert payload.size > max(
        SPOOL_IN_MEMORY_BYTES, PEAK_BYTES
    )  # more XML than the bound
    assert (report.record_count, report.message_count, batches) == (
        RECORDS,
        messages,
        20,
    )
    assert report.warnings == []
    assert peak < PEAK_BYTES
