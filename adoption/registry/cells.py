"""Cells that a spreadsheet would run as a formula (CSV injection), in one place.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, and some also after a leading tab or carriage return (OWASP "CSV Injection").
Japanese IMEs type the full-width forms ``＝ ＋ － ＠``, which Excel converts to formulas too.
Exports prefix such cells with an apostrophe, which the spreadsheet shows as text; imports
remove that one apostrophe again, so an export can be imported back unchanged.

What counts is the character the spreadsheet reads, after the file's encoding: CP932 has no
MINUS SIGN (U+2212), and Python's codec writes it as the byte pair a reader decodes as the
full-width ``－`` (U+FF0D), a formula start. So the first character is judged as it comes back
from the export's encoding.
"""

from __future__ import annotations

from functools import lru_cache

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def neutralise(cell: str, encoding: str = "utf-8") -> str:
    """``=1+1`` -> ``'=1+1`` (and ``−1`` -> ``'−1`` for CP932); anything else unchanged."""
    if cell and _read_back(cell[0], encoding) in FORMULA_STARTS:
        return "'" + cell
    return cell


@lru_cache(maxsize=4096)
def _read_back(char: str, encoding: str) -> str:
    """``char`` as a reader of a file in ``encoding`` sees it (``?`` when it cannot be held)."""
    return char.encode(encoding, errors="replace").decode(encoding, errors="replace")


def unneutralise(cell: str) -> str:
    """The inverse of :func:`neutralise` for imported cells: ``'=1+1`` -> ``=1+1``."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell
