"""``manage.py export_registry [--format csv|json] [--encoding cp932] [--output FILE]``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from adoption.registry.export import (
    ENCODINGS,
    CsvEncoder,
    registry_csv,
    registry_domains,
    registry_json,
)


class Command(BaseCommand):
    help = "Export the registry as CSV (UTF-8 with BOM by default, for Excel) or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument(
            "--encoding",
            choices=ENCODINGS,
            default="utf-8",
            help="CSV only: utf-8 (with BOM, Excel's CSV UTF-8) or cp932 (Shift_JIS)",
        )
        parser.add_argument(
            "--include-retired",
            action="store_true",
            help="also domains no longer in the registry",
        )
        parser.add_argument(
            "--output", "-o", type=Path, help="write here instead of stdout"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        domains = registry_domains(include_retired=options["include_retired"])
        encoding = options["encoding"] if options["format"] == "csv" else "utf-8"
        output: Path | None = options["output"]
        try:
            if output is None:
                self._write(_binary(self.stdout._out, encoding), domains, options)
            else:
                with output.open("wb") as handle:
                    self._write(handle, domains, options)
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror}") from None

    def _write(self, handle: BinaryIO, domains: Any, options: dict[str, Any]) -> None:
        if options["format"] == "json":
            for text in registry_json(domains):
                handle.write(text.encode())
            handle.flush()
            return
        encoder = CsvEncoder(options["encoding"])
        for chunk in registry_csv(domains, encoder):
            handle.write(chunk)
        handle.flush()
        if encoder.replaced_cells:
            self.stderr.write(
                _(
                    "%(count)s cells had characters that %(encoding)s cannot hold; "
                    "they became “?”."
                )
                % {"count": encoder.replaced_cells, "encoding": options["encoding"]}
            )


class _TextSink(io.RawIOBase):
    """Bytes to a text stream (``call_command(stdout=StringIO())``), decoded again."""

    def __init__(self, text: Any, encoding: str) -> None:
        self.text = text
        self.encoding = encoding

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.text.write(bytes(data).decode(self.encoding, errors="replace"))
        return len(data)


def _binary(stream: Any, encoding: str) -> BinaryIO:
    """The byte stream under stdout; a decoding sink when stdout is a text buffer."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer  # type: ignore[no-any-return]
    return _TextSink(stream, encoding)  # type: ignore[return-value]
