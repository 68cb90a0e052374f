"""Bytes of a text file to text: the strict encoding detection of registry imports.

UTF-8 (with or without BOM) when the whole file decodes as UTF-8; UTF-16 only with its BOM
(Excel's "Unicode text"); else CP932 when the whole file decodes as CP932 (Excel's "CSV" on a
Japanese Windows, a superset of Shift_JIS). Never a guess: a file that mixes UTF-8 and CP932
lines, EUC-JP, or binary data is refused with a :class:`FileRejected` naming the reason.
"""

from __future__ import annotations

import codecs

# How many title rows above the header the delimiter sniffing looks at.
SNIFF_LINES = 10

# C0 controls except tab, LF, CR; and DEL. A text file has next to none.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# Formats people rename to .csv by mistake, by their first bytes.
_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"PK\x03\x04", "zip"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"\x1f\x8b", "gzip"),
)


class FileRejected(Exception):
    """The whole file cannot be read (encoding, format, size); ``code`` names the reason."""

    def __init__(self, code: str, **params: str | int) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code} {params}")


# --- Encoding ---------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding name): UTF-8 (BOM or not), UTF-16 with a BOM, or CP932."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise FileRejected("undecodable", encoding="UTF-16", line=1) from None
    _reject_binary(data)
    if data.endswith(b"\x1a"):  # the end-of-file mark of old DOS tools
        data = data[:-1]
    has_bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if has_bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    utf8_lines, other_lines = _line_encodings(body)
    if has_bom or utf8_lines:
        raise FileRejected(
            "mixed_encoding",
            utf8_lines=_line_list(utf8_lines) or "1 (BOM)",
            other_lines=_line_list(other_lines)
            or str(_line_of(body, utf8_error.start)),
        )
    try:
        text = body.decode("cp932")
    except UnicodeDecodeError as error:
        raise FileRejected(
            "undecodable", encoding="UTF-8, CP932", line=_line_of(body, error.start)
        ) from None
    if _looks_like_euc_jp(body):
        raise FileRejected("euc_jp")
    return text, "cp932"


def _reject_binary(data: bytes) -> None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise FileRejected("legacy_xls" if kind == "xls" else "binary", kind=kind)
    if b"\x00" in data:
        raise FileRejected("binary", kind="NUL")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > max(8, len(data) // 1000):
        raise FileRejected("binary", kind="control")


def _line_encodings(body: bytes) -> tuple[list[int], list[int]]:
    """Lines that are clearly UTF-8 Japanese, and lines that are not UTF-8 at all.

    A CP932 line can happen to be valid UTF-8 (half-width katakana pairs read as Latin
    letters), so only lines whose non-ASCII text is all Japanese script count as UTF-8.
    """
    utf8: list[int] = []
    other: list[int] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
            continue
        if _is_japanese_text(text):
            utf8.append(number)
    return utf8, other


def _is_japanese_text(text: str) -> bool:
    wide = [char for char in text if not char.isascii()]
    return len(wide) >= 2 and all(
        "\u3000" <= char <= "\u30ff"
        or "\u3400" <= char <= "\u9fff"
        or "\uff00" <= char <= "\uffef"
        for char in wide
    )


def _looks_like_euc_jp(body: bytes) -> bool:
    """CP932 Japanese (hiragana lead byte 0x82, most kanji 0x88-0x9f) is never valid EUC-JP,
    so a file that decodes as both and reads as Japanese in EUC-JP is EUC-JP."""
    try:
        text = body.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    return _is_japanese_text("".join(c for c in text if not c.isascii())[:200])


def _line_of(body: bytes, offset: int) -> int:
    return body.count(b"\n", 0, offset) + 1


def _line_list(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (" …" if len(numbers) > limit else "")


def sniff_delimiter(text: str) -> str:
    """Tab when the first lines have more tabs than commas (Excel's "text" format), else comma."""
    head = [line for line in text[:65536].splitlines()[:SNIFF_LINES] if line]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    return "\t" if tabs > commas else ","
