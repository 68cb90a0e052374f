"""Registry files for import tests: the committed fixtures and generated ones."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"


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


# --- .xlsx written part by part -------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def workbook(
    strings: list[str],
    *,
    strings_part: str = "xl/sharedStrings.xml",
    sheet_padding: int = 0,
    rows: int | None = None,
) -> bytes:
    """One sheet whose column A lists the shared strings in order (the first is the header),
    all of them or the first ``rows``; ``sheet_padding`` spaces inside the sheet XML make its
    part that much larger inflated."""
    shown = len(strings) if rows is None else rows
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c></row>'
        for n in range(1, shown + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CONTENT}.worksheet+xml"/>'
            f'<Override PartName="/{strings_part}" ContentType="{CONTENT}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="登録簿" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="/{strings_part}"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData>'
            f"{' ' * sheet_padding}</worksheet>"
        ),
        strings_part: (
            f'<sst xmlns="{MAIN}">'
            + "".join(f"<si><t>{text}</t></si>" for text in strings)
            + "</sst>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()
