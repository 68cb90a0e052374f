"""Turn parsed ``<report_metadata>``, ``<policy_published>`` and ``<record>`` elements into values.

Elements are matched by local name in the report's own namespace, the RFC 7489 or RFC 9990
namespace, or none (RFC 7489 Appendix C declares ``http://dmarc.org/dmarc-xml/0.1`` without
``elementFormDefault``; RFC 9990 §3.1.1.1 puts every element in
``urn:ietf:params:xml:ns:dmarc-2.0``; many reporters send neither). Elements in any other
namespace are extensions and are ignored (RFC 9990 §3.2, §5).

Reporters' deviations handled here, each kept as sent where possible:
- whitespace around values and mixed-case enumerations (``Pass``, `` quarantine``): stripped and
  lower-cased; a word outside the RFC's list is kept (stripped) and named in a warning;
- ``<identities>`` for ``<identifiers>``;
- an empty ``<selector/>``, a missing envelope_from or an SPF result without scope: ``None``,
  never a derived value (RFC 9990 §3.1.1.8 lets envelope_from be empty);
- ``<reason>`` as bare text: its text is taken as the type;
- a null record (count 0, empty source_ip): ``source_ip`` ``None``;
- ``begin``/``end`` with a fractional part or surrounding whitespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from adoption.dmarc_reports.types import (
    USUAL_SPAN,
    PolicyPublished,
    ReportMeta,
    ReportRejected,
)

NS_RFC7489 = "http://dmarc.org/dmarc-xml/0.1"  # RFC 7489 Appendix C targetNamespace
NS_RFC9990 = "urn:ietf:params:xml:ns:dmarc-2.0"  # RFC 9990 §6.1
DMARC_NAMESPACES = frozenset({"", NS_RFC7489, NS_RFC9990})

# Enumerations, RFC 7489 Appendix C and RFC 9990 Appendix A; RFC 9990's additions marked.
# "pass": RFC 9990 §3.1.1.9 ("passing DMARC with an enforcing policy").
DISPOSITIONS = frozenset({"none", "quarantine", "reject", "pass"})
ALIGNMENT_RESULTS = frozenset({"pass", "fail"})  # policy_evaluated dkim/spf
# RFC 8601 §2.7.1.
DKIM_RESULTS = frozenset(
    {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}
)
# RFC 8601 §2.7.2; "policy" added by RFC 9990 §3.1.1.13.
SPF_RESULTS = frozenset(
    {"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror", "policy"}
)
SPF_SCOPES = frozenset({"helo", "mfrom"})
REASON_TYPES = frozenset(
    {
        "forwarded",  # RFC 7489 only
        "sampled_out",  # RFC 7489 only
        "trusted_forwarder",
        "mailing_list",
        "local_policy",
        "other",
        "policy_test_mode",  # RFC 9990 §3.1.1.10
    }
)
POLICIES = frozenset({"none", "quarantine", "reject"})  # p, sp, np
ALIGNMENT_MODES = frozenset({"r", "s"})  # adkim, aspf
TESTING = frozenset({"n", "y"})  # RFC 9990 §3.1.1.5
DISCOVERY_METHODS = frozenset({"psl", "treewalk"})  # RFC 9990 §3.1.1.5

# Any one value; free text (comments, human_result) is far shorter.
MAX_TEXT_CHARS = 10_000
MAX_DKIM_RESULTS = 100  # RFC 9990 §3.1.3: at most 100 DKIM results per row
# RFC 9990 allows one SPF result; RFC 7489 one per scope (helo, mfrom).
MAX_SPF_RESULTS = 10
# RFC 7489 Appendix C defines six reason types, RFC 9990 §3.1.1.10 five.
MAX_REASONS = 20
MAX_ERRORS = 100  # report_metadata/error: RFC 9990 §3.1.1.3 allows one
MAX_COUNT = 2**63 - 1  # messages in one record: what a 64-bit column holds
_MAX_CACHED_TAGS = 1_000

# An lxml element (``xmlwalk``); lxml ships no type stubs.
Element = Any
Warn = Callable[[str], None]
Children = dict[str, Element]


class Names:
    """Match children by local name in the DMARC namespaces only (see the module docstring).

    ``index`` maps each local name to its first child, so a record's dozen lookups cost one
    pass over each element's children.
    """

    def __init__(self, root_namespace: str) -> None:
        self._namespaces = DMARC_NAMESPACES | {root_namespace}
        self._locals: dict[str, str] = {}

    def local(self, tag: str) -> str:
        """The local name, or "" for an element in a foreign (extension) namespace."""
        name = self._locals.get(tag)
        if name is None:
            name = local_name(tag) if namespace_of(tag) in self._namespaces else ""
            if len(self._locals) < _MAX_CACHED_TAGS:
                self._locals[tag] = name
        return name

    def index(self, elem: Element | None) -> Children:
        found: Children = {}
        if elem is not None:
            cached = self._locals.get
            for child in elem:
                tag = child.tag
                name = cached(tag) or self.local(tag)
                if name not in found:
                    found[name] = child
        return found

    def texts(self, elem: Element | None) -> dict[str, str | None]:
        """Like ``index``, but the stripped text of each first child (one pass, no lookups
        afterwards): for the leaf-holding elements of a record, its hot path."""
        found: dict[str, str | None] = {}
        if elem is not None:
            cached = self._locals.get
            for child in elem:
                tag = child.tag
                name = cached(tag) or self.local(tag)
                if name not in found:
                    value = child.text  # text_of, inlined: the parser's hottest line
                    if value is not None:
                        if len(value) > MAX_TEXT_CHARS:
                            text_of(child)  # raises, naming the element
                        value = value.strip() or None
                    found[name] = value
        return found

    def all(self, elem: Element | None, name: str) -> list[Element]:
        if elem is None:
            return []
        return [child for child in elem if self.local(child.tag) == name]


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def digits(value: str | None) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return value is not None and value.isascii() and value.isdigit()


def text(children: Children, name: str) -> str | None:
    """The stripped text of the child ``name``; ``None`` when absent or empty."""
    return text_of(children.get(name))


def text_of(elem: Element | None) -> str | None:
    """The stripped text; values longer than any report needs are refused."""
    if elem is None:
        return None
    value = elem.text
    if value is None:
        return None
    if len(value) > MAX_TEXT_CHARS:
        name = local_name(elem.tag)
        raise ReportRejected(
            f"<{name}> text is longer than {MAX_TEXT_CHARS:,} characters"
        )
    return value.strip() or None


def enum(
    value: str | None, allowed: frozenset[str], field: str, warn: Warn
) -> str | None:
    """Strip and lower-case an enumeration word; keep an unknown one as sent, with a warning."""
    if (
        value in allowed or value is None
    ):  # the common case first: spelled as the RFC does
        return value
    word = value.lower()
    if word in allowed:
        return word
    warn(f"unknown {field} value {value!r} kept as sent")
    return value


def domain(value: str | None) -> str | None:
    """Domain names compare case-insensitively (RFC 4343): lower-case, no trailing dot."""
    if value is None:
        return None
    return value.lower().rstrip(".") or None


def epoch(value: str | None, field: str) -> datetime:
    """Epoch seconds, UTC (RFC 9990 §3.1.1.4); a fractional part is kept."""
    if value is None:
        raise ReportRejected(f"report_metadata/date_range has no <{field}>")
    try:
        seconds = int(value) if digits(value) else float(value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ReportRejected(
            f"date_range {field} {value!r} is not a time in epoch seconds"
        ) from None


def required(value: str | None, what: str) -> str:
    if value is None:
        raise ReportRejected(f"{what} is missing or empty")
    return value


def capped(
    items: list[Element], limit: int, what: str, warn: Warn
) -> Iterable[Element]:
    if len(items) <= limit:
        return items
    warn(f"more than {limit} {what}: only the first {limit} kept")
    return items[:limit]


def build_meta(
    elem: Element, names: Names, warn: Warn, *, version: str | None
) -> ReportMeta:
    """``<report_metadata>``, children in any order (RFC 9990 §3.1.1.3 uses ``xs:all``).

    ``schema`` is left at "rfc7489"; the caller decides it once the policy is known.
    """
    meta = names.index(elem)
    if "date_range" not in meta:
        raise ReportRejected("report_metadata has no <date_range>")
    dates = names.index(meta["date_range"])
    begin = epoch(text(dates, "begin"), "begin")
    end = epoch(text(dates, "end"), "end")
    if end < begin:
        warn("date_range ends before it begins")
    elif end - begin > USUAL_SPAN:
        warn(f"date_range spans {end - begin}, more than one day (RFC 9990 §3.1.1.4)")
    if "email" not in meta:
        warn("report_metadata has no <email>")
    errors = capped(names.all(elem, "error"), MAX_ERRORS, "report errors", warn)
    return ReportMeta(
        schema="rfc7489",
        org_name=required(text(meta, "org_name"), "report_metadata/org_name"),
        email=text(meta, "email"),
        extra_contact_info=text(meta, "extra_contact_info"),
        report_id=required(text(meta, "report_id"), "report_metadata/report_id"),
        begin=begin,
        end=end,
        generator=text(meta, "generator"),
        errors=tuple(value for value in map(text_of, errors) if value is not None),
        version=version,
    )


def build_policy(elem: Element, names: Names, warn: Warn) -> PolicyPublished:
    """``<policy_published>`` (RFC 7489 Appendix C, RFC 9990 §3.1.1.5); absent tags stay None."""
    policy = names.index(elem)

    def word(name: str, allowed: frozenset[str]) -> str | None:
        return enum(text(policy, name), allowed, f"policy_published/{name}", warn)

    return PolicyPublished(
        domain=required(domain(text(policy, "domain")), "policy_published/domain"),
        adkim=word("adkim", ALIGNMENT_MODES),
        aspf=word("aspf", ALIGNMENT_MODES),
        p=required(word("p", POLICIES), "policy_published/p"),
        sp=word("sp", POLICIES),
        np=word("np", POLICIES),
        pct=_pct(text(policy, "pct"), warn),
        fo=text(policy, "fo"),
        testing=word("testing", TESTING),
        discovery_method=word("discovery_method", DISCOVERY_METHODS),
    )


def _pct(value: str | None, warn: Warn) -> int | None:
    if value is None:
        return None
    if not digits(value) or int(value) > 100:
        warn(f"policy_published/pct {value!r} is not a percentage: ignored")
        return None
    return int(value)
