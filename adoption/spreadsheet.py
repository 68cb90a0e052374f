"""Cells that a spreadsheet would run as a formula (CSV injection), in one place.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, and some also after a leading tab or carriage return (OWASP "CSV Injection").
Japanese IMEs type the full-width forms ``＝ ＋ － ＠``, which Excel converts to formulas too.
Exports prefix such cells with an apostrophe, which the spreadsheet shows as text; imports
remove that one apostrophe again, so an export can be imported back unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def neutralise(cell: str) -> str:
    """``=1+1`` -> ``'=1+1``; anything else unchanged."""
    if cell and cell[0] in FORMULA_STARTS:
        return "'" + cell
    return cell


def unneutralise(cell: str) -> str:
    """The inverse of :func:`neutralise` for imported cells: ``'=1+1`` -> ``=1+1``."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell
