"""Registry files for import tests: the committed fixtures and generated ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def make_csv(
    rows: Iterable[Sequence[str]],
    header: Sequence[str] = ("domain", "organization", "group"),
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    """A small CSV as Excel would save it (CRLF); cells must not need quoting."""
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def many_rows(count: int, *, group: str = "大量", encoding: str = "utf-8") -> bytes:
    """``count`` distinct good rows, each with an organisation (a tenth as many of them)."""
    lines = ["ドメイン,組織,グループ,DKIMセレクタ"]
    lines += [
        f"host{i}.example{i % 997}.jp,組織{i % (count // 10 or 1)},{group},s{i % 7}"
        for i in range(count)
    ]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
