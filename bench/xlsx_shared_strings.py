"""Benchmark: what an .xlsx upload's shared-string table costs before its first row is read.

    .venv/bin/python bench/xlsx_shared_strings.py [--counts 100000 300000 1000000]

openpyxl loads the whole table when it opens a workbook, even in read-only mode. For each
count, a workbook with that many distinct strings (and a two-row sheet) is written; then:

- **openpyxl open**: ``openpyxl.load_workbook(read_only=True)``, i.e. the cost with no cap;
- **count pass**: our streaming count of the table (``adoption.registry.xlsx``), paid by every
  workbook that is read;
- **parse with the cap**: ``parse_registry_csv`` with the default caps (refused past 300,000);
- **peak**: Python allocations (tracemalloc) of the openpyxl open.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings_test")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402

from adoption.registry import xlsx  # noqa: E402
from adoption.registry.parse import FileRejected, parse_registry_csv  # noqa: E402
from tests.adoption.registry.files import workbook  # noqa: E402


def seconds(action: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def peak_mib(action: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def parse_or_refuse(data: bytes) -> str:
    try:
        parse_registry_csv(data)
    except FileRejected as error:
        return error.code
    return "parsed"


def measure(count: int) -> None:
    strings = ["domain"] + [f"host{i}.city{i % 1789}.lg.jp" for i in range(count - 1)]
    data = workbook(strings, rows=2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        table = archive.getinfo("xl/sharedStrings.xml").file_size

    def open_book() -> None:
        openpyxl.load_workbook(io.BytesIO(data), read_only=True).close()

    def count_pass() -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                xlsx._check_shared_strings(archive, count)
            except FileRejected:
                pass

    outcome: list[str] = []
    capped = seconds(lambda: outcome.append(parse_or_refuse(data)))
    print(
        f"| {count:,} | {len(data) / 2**20:.1f} MB | {table / 2**20:.0f} MB "
        f"| {seconds(open_book):.1f} s | {peak_mib(open_book):.0f} MiB "
        f"| {seconds(count_pass):.2f} s | {capped:.2f} s ({outcome[0]}) |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--counts", type=int, nargs="+", default=[100_000, 300_000, 1_000_000]
    )
    args = parser.parse_args()
    print(
        "| strings | upload | table inflated | openpyxl open | its peak (Python) "
        "| count pass | parse with the cap |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for count in args.counts:
        measure(count)


if __name__ == "__main__":
    main()
