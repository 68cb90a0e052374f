"""One pass of libxml2 (through lxml) over a report: the children of ``<feedback>``, bounded.

lxml's pull parser builds the tree in C and hands Python only the elements it asks for: the
root's start and the start and end of each ``report_metadata``, ``policy_published``,
``version`` and ``record``. ElementTree's iterparse handed Python a start and an end event
for every element, about fifty a record; with this walk the CPU time of parsing a report fell
by about 40% (docs/benchmarks.md, "DMARC aggregate reports: import").

Bounds, checked on the tree after each chunk of bytes is fed (so memory stays bounded whatever
the document holds between two events): each child of ``<feedback>`` at most
``MAX_ELEMENTS_PER_CHILD`` elements and ``MAX_DEPTH`` levels; libxml2 itself caps depth at 256
and a text node at 10 MB without ``huge_tree``, and ``XmlBytes`` caps a text run at 1 MiB.

Entities are refused before the parser sees them: a DMARC report declares none, and libxml2
would otherwise stop a billion-laughs document with an error that names no entity. The check
reads the prolog bytes (a DTD can only come before the root element, XML 1.0 §2.8).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from lxml import etree  # type: ignore[import-untyped]  # no stubs installed: narrow use here

from adoption.dmarc_reports.fields import (
    DMARC_NAMESPACES,
    Element,
    Names,
    local_name,
    namespace_of,
)
from adoption.dmarc_reports.types import ReportRejected
from adoption.dmarc_reports.xmlbytes import CHUNK_BYTES, XmlBytes

# feedback/record/auth_results/dkim/human_result is depth 5; extensions may nest a little more.
MAX_DEPTH = 16
# Elements in one child of <feedback>: a record with 100 DKIM results (RFC 9990 §3.1.3) has
# about 520; report_metadata and policy_published have about a dozen.
MAX_ELEMENTS_PER_CHILD = 2_000
# The root element must start within this many bytes (a DTD and comments may come first).
MAX_PROLOG_BYTES = 1024 * 1024

# The children of <feedback> handed to Python; any other child is seen when it is removed.
READ = ("report_metadata", "policy_published", "record", "version")
_TAGS = ("{*}feedback", *(f"{{*}}{name}" for name in READ))
_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s*)?([^\s\"'>]+)(\s+(?:SYSTEM|PUBLIC)\b)?")
# Any child holding an element MAX_DEPTH - 1 levels below it (the root is level 1), and the
# first child with too many elements. Compiled per walk: one XPath object is not shared
# between threads (the upload page may parse two reports at once); compiling costs microseconds.
_TOO_DEEP = "boolean(*/" + "/".join(["*"] * (MAX_DEPTH - 1)) + ")"
_TOO_BIG = f"*[descendant::*[{MAX_ELEMENTS_PER_CHILD}]][1]"
# libxml2 error codes (xmlerror.h) met when the bytes end early: no element, unclosed tag.
_TRUNCATED = frozenset({4, 5, 77})
# libxml2 messages name internals; these say the same in the words expat used to.
_MESSAGES = {76: "mismatched tag", 5: "junk after document element"}


class Walk:
    """One pass over the document: yields each complete child of ``<feedback>`` it reads."""

    def __init__(self, stream: BinaryIO, warn: Callable[[str], None]) -> None:
        self._bytes = XmlBytes(stream, warn)
        self._warn = warn
        self.names = Names("")
        self.namespace = ""
        self._root: Element | None = None
        self._prolog = b""
        self._too_deep = etree.XPath(_TOO_DEEP)
        self._too_big = etree.XPath(_TOO_BIG)
        self._parser = etree.XMLPullParser(
            events=("start", "end"),
            tag=_TAGS,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )

    def children(self) -> Iterator[Element]:
        """Children of the root, each removed from the tree once the consumer is done."""
        at_eof = False
        while not at_eof:
            data = self._bytes.read(CHUNK_BYTES)
            at_eof = not data
            events = self._feed(data)
            if self._root is None:
                self._find_root(events)
            if self._root is not None:
                self._check_bounds(self._root)
            for event, elem in events:
                if event == "end" and elem.getparent() is self._root:
                    yield elem
                    self._drop_before(elem)
        if self._root is not None:
            self._drop_before(None)

    def _feed(self, data: bytes) -> list[tuple[str, Element]]:
        try:
            if data:
                if self._root is None:
                    self._check_prolog(data)
                self._parser.feed(data)
            else:
                root = self._parser.close()
                if self._root is None:
                    self._check_root(root)
        except etree.XMLSyntaxError as error:
            raise self._parse_error(error, at_eof=not data) from None
        return list(self._parser.read_events())

    def _check_prolog(self, data: bytes) -> None:
        """Refuse entity declarations (RFC 9990 §8.1 names XML bombs) before parsing them."""
        self._prolog += data
        declared = _ENTITY.search(self._prolog)
        if declared is not None:
            name = declared.group(1).decode("utf-8", errors="replace")
            kind = "an external entity" if declared.group(2) else "an entity"
            raise ReportRejected(
                f"forbidden XML: the document declares {kind} ({name!r}); DMARC reports use none"
            )
        if len(self._prolog) > MAX_PROLOG_BYTES:
            raise ReportRejected(
                f"not a DMARC aggregate report: no <feedback> in the first {MAX_PROLOG_BYTES:,} bytes"
            )

    def _find_root(self, events: list[tuple[str, Element]]) -> None:
        if events:
            self._check_root(events[0][1].getroottree().getroot())
            self._prolog = b""

    def _check_root(self, root: Element) -> None:
        if local_name(root.tag) != "feedback":
            raise ReportRejected(
                f"not a DMARC aggregate report: root element is <{local_name(root.tag)}>"
            )
        self.namespace = namespace_of(root.tag)
        if self.namespace not in DMARC_NAMESPACES:
            self._warn(f"unknown namespace {self.namespace!r} read as DMARC's")
        self.names = Names(self.namespace)
        self._root = root

    def _check_bounds(self, root: Element) -> None:
        if self._too_deep(root):
            raise ReportRejected(f"XML nested deeper than {MAX_DEPTH} elements")
        big = self._too_big(root)
        if big:
            raise ReportRejected(
                f"<{local_name(big[0].tag)}> holds more than {MAX_ELEMENTS_PER_CHILD:,} elements"
            )

    def _drop_before(self, elem: Element | None) -> None:
        """Remove the children read so far; warn about those never handed out."""
        root: Element = self._root
        while len(root) and root[0] is not elem:
            other_child(root[0], self._warn)
            del root[0]
        if elem is not None:
            root.remove(elem)

    def _parse_error(
        self, error: etree.XMLSyntaxError, *, at_eof: bool
    ) -> ReportRejected:
        if at_eof and error.code in _TRUNCATED:
            return ReportRejected("XML ends before </feedback>: truncated report")
        line, column = error.position
        message = _MESSAGES.get(error.code) or error.msg.partition(", line ")[0]
        return ReportRejected(
            f"malformed XML at line {line}, column {column}: {message}"
        )


def other_child(elem: Element, warn: Callable[[str], None]) -> None:
    """``<extension>`` and foreign-namespace elements are ignored (RFC 9990 §3.2, §5)."""
    if not isinstance(elem.tag, str):
        return
    name = local_name(elem.tag)
    if (
        name not in READ
        and name != "extension"
        and namespace_of(elem.tag) in DMARC_NAMESPACES
    ):
        warn(f"unknown element <{name}> ignored")
