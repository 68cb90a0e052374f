"""Pure SPF record parsing: record selection and the RFC 7208 ABNF (sections 4.5, 4.6.1, 5-7, 12).

Nothing here touches the network. :func:`parse_spf` checks the whole record before anything is
evaluated (RFC 7208 4.6: a syntax error anywhere is a ``permerror``, even after a matching
term) and returns the terms as plain values for the tree walk in :mod:`scanner.spf_tree`.
Macros are syntax-checked only: a scanner has no sender, client IP or HELO name to expand them
with (docs/scanner-decisions.md 1.5).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import PermError

# RFC 7208 4.6.2: qualifier -> result when the mechanism matches ("+" is the default).
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
# RFC 7208 4.6.4: the mechanisms that cost a DNS query (plus the redirect modifier).
DNS_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MAX_IP4_CIDR = 32  # RFC 7208 5.6 (ip4-cidr-length 0-32)
MAX_IP6_CIDR = 128  # RFC 7208 5.6 (ip6-cidr-length 0-128)
# RFC 7208 7.2: macro letters for domain-specs; "c", "r", "t" are allowed only in exp= text.
MACRO_LETTERS = frozenset("slodiphv")
EXP_ONLY_MACRO_LETTERS = frozenset("crt")

# RFC 7208 4.5: "v=spf1" followed by SP or the end of the record; ABNF literals are
# case-insensitive (RFC 5234 2.3), so "V=SPF1" counts and "v=spf10"/"v=spf1-all" do not.
_VERSION_TAG = re.compile(rb"v=spf1(?: |$)", re.IGNORECASE)
_VERSION_TEXT = re.compile(r"v=spf1(?: |$)", re.IGNORECASE)
# RFC 7208 12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=" (a modifier).
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)")
# RFC 7208 7.1: macro-expand = "%{" letter *DIGIT ["r"] *delimiter "}" / "%%" / "%_" / "%-".
_MACRO = re.compile(
    r"%(?:\{(?P<letter>[A-Za-z])(?P<digits>[0-9]*)[rR]?[.\-+,/_=]*\}|[%_-])",
)
# RFC 7208 7.1: toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" )
# alphanum ); matched against the whole last label so ".xn--zckzah" is not cut short.
_TOPLABEL = re.compile(
    r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])",
)
# RFC 7208 12: ip4-network = qnum "." qnum "." qnum "." qnum (no leading zeros).
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4 = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}")
_IP6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
# CIDR suffixes without leading zeros (the official test suite's cidr4-032 is a permerror);
# the value ranges are checked separately. The dual form "//" is stripped first.
_CIDR6_SUFFIX = re.compile(r"//(0|[1-9][0-9]{0,3})$")
_CIDR_SUFFIX = re.compile(r"/(0|[1-9][0-9]{0,3})$")


@dataclass(frozen=True, slots=True)
class Mechanism:
    """One directive. ``target`` is the domain-spec (``None``: the current domain) or, for
    ``ip4``/``ip6``, the address text; ``macros`` holds the macro letters it uses."""

    text: str
    qualifier: str
    kind: str
    target: str | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    macros: frozenset[str] = frozenset()

    @property
    def counts_lookup(self) -> bool:
        """RFC 7208 4.6.4: include, a, mx, ptr and exists each cost one DNS-querying term."""
        return self.kind in DNS_MECHANISMS


@dataclass(frozen=True, slots=True)
class Modifier:
    """``name=value``; ``name`` is lower-case, ``value`` as published."""

    text: str
    name: str
    value: str
    macros: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SpfRecord:
    """A syntactically valid SPF record, terms in published order."""

    text: str
    mechanisms: tuple[Mechanism, ...]
    modifiers: tuple[Modifier, ...]

    @property
    def redirect(self) -> Modifier | None:
        return self._modifier("redirect")

    @property
    def exp(self) -> Modifier | None:
        return self._modifier("exp")

    @property
    def unknown_modifiers(self) -> tuple[Modifier, ...]:
        """RFC 7208 6: unrecognised modifiers MUST be ignored (they are still syntax-checked)."""
        return tuple(m for m in self.modifiers if m.name not in ("redirect", "exp"))

    @property
    def all(self) -> Mechanism | None:
        """The first ``all``: evaluation always stops there (RFC 7208 5.1)."""
        return next((m for m in self.mechanisms if m.kind == "all"), None)

    @property
    def evaluated(self) -> tuple[Mechanism, ...]:
        """The mechanisms a receiver can reach: everything up to and including the first all."""
        for index, mechanism in enumerate(self.mechanisms):
            if mechanism.kind == "all":
                return self.mechanisms[: index + 1]
        return self.mechanisms

    @property
    def after_all(self) -> tuple[Mechanism, ...]:
        """Mechanisms after the first ``all``: never evaluated (RFC 7208 5.1)."""
        return self.mechanisms[len(self.evaluated) :]

    @property
    def uses_redirect(self) -> bool:
        """RFC 7208 5.1/6.1: redirect is ignored when the record has an ``all`` anywhere."""
        return self.redirect is not None and self.all is None

    def _modifier(self, name: str) -> Modifier | None:
        return next((m for m in self.modifiers if m.name == name), None)


def is_spf_record(raw: bytes) -> bool:
    """RFC 7208 4.5: the record starts with ``v=spf1`` then SP or its end (any case)."""
    return _VERSION_TAG.match(raw) is not None


def select_spf_records(txts: Sequence[bytes]) -> list[bytes]:
    """Keep the TXT RRs (strings already joined) that are SPF version 1 records.

    Others (``spf2.0/pra``, ``v=spf10``, ``v=spf1-all``, verification tokens, non-ASCII text)
    are none of SPF's business and are ignored (RFC 7208 4.5); the caller treats zero records
    as ``none`` and more than one as ``permerror``.
    """
    return [raw for raw in txts if is_spf_record(raw)]


def decode_record(raw: bytes) -> str:
    """ASCII text of a selected record; non-ASCII bytes are a syntax error (RFC 7208 3.1, 12)."""
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as error:
        raise PermError(
            "non-ascii",
            f"byte 0x{raw[error.start]:02x} at offset {error.start}: SPF records are 7-bit ASCII",
        ) from None


def parse_spf(text: str) -> SpfRecord:
    """Parse and fully syntax-check one SPF record; raise :class:`PermError` on any error."""
    for offset, char in enumerate(text):
        if not " " <= char <= "~":
            # RFC 7208 4.6.1: terms are separated by SP only; tabs, CR/LF, NUL, non-ASCII
            # are syntax errors (official tests control-char-policy, non-ascii-policy).
            kind = "non-ascii" if ord(char) > 0x7E else "control-character"
            raise PermError(
                kind, f"character {char!r} at offset {offset} (RFC 7208 4.6.1)"
            )
    if not _VERSION_TEXT.match(text):
        raise PermError(
            "not-spf1", "the record does not start with 'v=spf1 ' (RFC 7208 4.5)"
        )
    mechanisms: list[Mechanism] = []
    modifiers: list[Modifier] = []
    for term in text[len("v=spf1") :].split(" "):
        if not term:
            continue  # 1*SP: several spaces in a row, and trailing spaces, are fine
        modifier = _MODIFIER.fullmatch(term)
        if modifier:
            modifiers.append(
                _parse_modifier(term, modifier.group(1).lower(), modifier.group(2))
            )
        else:
            mechanisms.append(_parse_mechanism(term))
    for name in ("redirect", "exp"):
        if sum(1 for m in modifiers if m.name == name) > 1:
            raise PermError(
                "duplicate-modifier", f"{name}= appears more than once (RFC 7208 6)"
            )
    return SpfRecord(
        text=text, mechanisms=tuple(mechanisms), modifiers=tuple(modifiers)
    )


def _parse_modifier(term: str, name: str, value: str) -> Modifier:
    if name in ("redirect", "exp"):
        # RFC 7208 6.1, 6.2: redirect = "redirect" "=" domain-spec; an empty exp= is a
        # permerror too (official test exp-empty-domain, RFC 7208 erratum).
        macros = check_domain_spec(value, term)
    else:
        # RFC 7208 6: unknown-modifier = name "=" macro-string; ignored, but syntax-checked.
        macros, _ = _scan_macros(value, term, allow_exp_letters=True)
    return Modifier(text=term, name=name, value=value, macros=macros)


def _parse_mechanism(term: str) -> Mechanism:
    qualifier = "+"
    body = term
    if term[0] in QUALIFIERS:
        qualifier, body = term[0], term[1:]
    split = re.search(r"[:/]", body)
    kind = (body[: split.start()] if split else body).lower()
    rest = body[split.start() :] if split else ""
    if kind not in MECHANISMS:
        raise PermError(
            "unknown-mechanism", f"{term!r} is not an SPF mechanism (RFC 7208 4.6.1)"
        )
    if kind in ("ip4", "ip6"):
        return _parse_ip(term, qualifier, kind, rest)
    cidr4 = cidr6 = None
    if kind in ("a", "mx"):
        rest, cidr4, cidr6 = _strip_dual_cidr(term, rest)
    if kind == "all":
        if rest:
            raise PermError(
                "syntax", f"{term!r}: 'all' takes no argument (RFC 7208 5.1)"
            )
        return Mechanism(text=term, qualifier=qualifier, kind=kind)
    if not rest:
        if kind in ("include", "exists"):
            raise PermError(
                "syntax", f"{term!r}: {kind} needs ':' and a domain (RFC 7208 5)"
            )
        return Mechanism(term, qualifier, kind, None, cidr4, cidr6)
    if not rest.startswith(":"):
        raise PermError(
            "syntax", f"{term!r}: unexpected {rest!r} after {kind} (RFC 7208 5)"
        )
    target = rest[1:]
    macros = check_domain_spec(target, term)
    return Mechanism(term, qualifier, kind, target, cidr4, cidr6, macros)


def _strip_dual_cidr(term: str, rest: str) -> tuple[str, int | None, int | None]:
    """RFC 7208 5.3/5.4: a and mx end in an optional ``/v4`` and an optional ``//v6``."""
    cidr4 = cidr6 = None
    match = _CIDR6_SUFFIX.search(rest)
    if match:
        cidr6, rest = int(match.group(1)), rest[: match.start()]
    match = _CIDR_SUFFIX.search(rest)
    if match:
        cidr4, rest = int(match.group(1)), rest[: match.start()]
    if cidr4 is not None and cidr4 > MAX_IP4_CIDR:
        raise PermError(
            "invalid-cidr", f"{term!r}: IPv4 prefix length {cidr4} > 32 (RFC 7208 5.6)"
        )
    if cidr6 is not None and cidr6 > MAX_IP6_CIDR:
        raise PermError(
            "invalid-cidr", f"{term!r}: IPv6 prefix length {cidr6} > 128 (RFC 7208 5.6)"
        )
    return rest, cidr4, cidr6


def _parse_ip(term: str, qualifier: str, kind: str, rest: str) -> Mechanism:
    """RFC 7208 5.6: ``ip4:<ip4-network>[/0-32]`` and ``ip6:<ip6-network>[/0-128]`` (no dual)."""
    if not rest.startswith(":"):
        raise PermError(
            "syntax", f"{term!r}: {kind} needs ':' and an address (RFC 7208 5.6)"
        )
    address, cidr = rest[1:], None
    match = _CIDR_SUFFIX.search(address)
    if match:
        address, cidr = address[: match.start()], int(match.group(1))
    limit = MAX_IP4_CIDR if kind == "ip4" else MAX_IP6_CIDR
    if cidr is not None and cidr > limit:
        raise PermError(
            "invalid-cidr", f"{term!r}: prefix length {cidr} > {limit} (RFC 7208 5.6)"
        )
    valid = _IP4.fullmatch(address) if kind == "ip4" else _is_ip6(address)
    if not valid:
        raise PermError(
            f"invalid-{kind}", f"{term!r}: {address!r} is not an {kind} address"
        )
    return Mechanism(
        term,
        qualifier,
        kind,
        address,
        cidr if kind == "ip4" else None,
        cidr if kind == "ip6" else None,
    )


def _is_ip6(text: str) -> bool:
    """RFC 4291 2.2 text forms (incl. embedded IPv4); no zone index, no brackets."""
    if ":" not in text or not _IP6_CHARS.fullmatch(text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def check_domain_spec(spec: str, term: str) -> frozenset[str]:
    """Syntax-check ``domain-spec = macro-string domain-end`` (RFC 7208 7.1); return its macro
    letters. ``domain-end`` is ``"." toplabel ["."]`` or a macro-expand."""
    if not spec:
        raise PermError("invalid-domain-spec", f"{term!r}: empty domain (RFC 7208 7.1)")
    macros, tail = _scan_macros(spec, term, allow_exp_letters=False)
    if tail is None:
        return macros  # ends in a macro-expand
    name = tail[:-1] if tail.endswith(".") else tail
    dot = name.rfind(".")
    if dot < 0 or not _TOPLABEL.fullmatch(name[dot + 1 :]):
        raise PermError(
            "invalid-domain-spec",
            f"{term!r}: {spec!r} does not end in a valid top label (RFC 7208 7.1)",
        )
    return macros


def _scan_macros(
    text: str, term: str, *, allow_exp_letters: bool
) -> tuple[frozenset[str], str | None]:
    """Check every ``%`` sequence (RFC 7208 7.1); return the macro letters used and the literal
    text after the last macro-expand (``None`` when the text ends with one)."""
    letters: set[str] = set()
    position = last_end = 0
    ends_with_macro = False
    while (start := text.find("%", position)) >= 0:
        match = _MACRO.match(text, start)
        if match is None:
            raise PermError(
                "invalid-macro",
                f"{term!r}: bad macro at {text[start : start + 8]!r} (RFC 7208 7.1)",
            )
        letter = match.group("letter")
        if letter is not None:
            _check_macro_letter(
                letter.lower(), match.group("digits"), term, allow_exp_letters
            )
            letters.add(letter.lower())
        position = last_end = match.end()
        ends_with_macro = last_end == len(text)
    return frozenset(letters), None if ends_with_macro else text[last_end:]


def _check_macro_letter(
    letter: str, digits: str, term: str, allow_exp_letters: bool
) -> None:
    allowed = (
        MACRO_LETTERS | EXP_ONLY_MACRO_LETTERS if allow_exp_letters else MACRO_LETTERS
    )
    if letter not in allowed:
        where = (
            " (c, r, t only in explanation text)"
            if letter in EXP_ONLY_MACRO_LETTERS
            else ""
        )
        raise PermError(
            "invalid-macro",
            f"{term!r}: unknown macro letter {letter!r}{where} (RFC 7208 7.2)",
        )
    if digits and not digits.strip("0"):
        raise PermError(
            "invalid-macro",
            f"{term!r}: macro digit transformer must be nonzero (RFC 7208 7.3)",
        )
