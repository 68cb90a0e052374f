"""Domain names: user input to A-label, A-label to display form, and the PSL org domain.

Registries arrive as CSV files typed by people: full-width letters, the ideographic full stop,
URLs, e-mail addresses, trailing dots. :func:`normalize_domain` turns all of that into the one
form the scanner stores and queries (lower-case A-label, no trailing dot), or refuses with an
:class:`InvalidDomain` whose ``code`` the dashboard translates (docs/scanner-decisions.md 7.6).

IDN handling is IDNA 2008 with the UTS 46 mapping (``idna`` package), never Python's built-in
IDNA 2003 codec: ``faß.de`` is ``xn--fa-hia.de`` under IDNA 2008 and ``fass.de`` — a different
domain — under IDNA 2003.

The organizational domain under RFC 7489 3.2 comes from the Public Suffix List snapshot bundled
in the ``publicsuffixlist`` wheel (no network at run time), ICANN and private sections both.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Mapping

import idna
import publicsuffixlist

MAX_LABEL_OCTETS = 63  # RFC 1035 2.3.4
MAX_NAME_OCTETS = (
    253  # RFC 1035 2.3.4 (255 on the wire = 253 in text without the final dot)
)
# A registry cell longer than this is not a domain name plus URL noise; refuse before parsing.
MAX_INPUT_CHARS = 2048

# Characters people paste around names that str.strip() does not remove (zero-width, BOM).
_EDGE_JUNK = "\u200b\u200c\u200d\u2060\ufeff"
# Label separators after NFKC: U+FF0E and U+FF61 become "." and U+3002; U+3002 remains.
_DOT_VARIANTS = str.maketrans({"\u3002": "."})
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_MAILTO_RE = re.compile(r"^mailto:", re.IGNORECASE)
_LDH_RE = re.compile(r"^[a-z0-9-]+$")

MESSAGES: Mapping[str, str] = {
    "empty": "No domain name was given.",
    "empty_label": "The name has an empty part: two dots in a row, or a dot at the start or end.",
    "single_label": "A domain name needs at least two parts, such as example.jp.",
    "label_too_long": "One part of the name (between dots) is longer than 63 characters.",
    "name_too_long": "The domain name is longer than 253 characters.",
    "ip_address": "This is an IP address, not a domain name.",
    "numeric_tld": "The last part of a domain name cannot be only digits.",
    "invalid_idn": "Not a valid international domain name (IDNA 2008); emoji and symbols are not allowed.",
    "invalid_characters": "The name contains characters not allowed in a domain name: {chars}",
    "invalid_hyphen": "A part of the name cannot start or end with a hyphen.",
}


class InvalidDomain(ValueError):
    """Input that is not a usable domain name.

    ``code`` is stable (the dashboard translates by it), ``params`` fills the message's
    placeholders, ``text`` is the input as given.
    """

    def __init__(self, code: str, text: str, **params: str) -> None:
        self.code = code
        self.text = text
        self.params = params
        super().__init__(MESSAGES[code].format(**params))


def normalize_domain(text: str) -> str:
    """User input (IDN or A-label, URL, e-mail address, any case) -> lower-case A-label.

    Raises :class:`InvalidDomain` for anything that is not a multi-label host name.
    """
    if len(text) > MAX_INPUT_CHARS:
        raise InvalidDomain("name_too_long", text[:80])
    host = _extract_host(_clean(text), text)
    if not host:
        raise InvalidDomain("empty", text)
    if host.endswith("."):
        host = host[:-1]  # one trailing dot: the root
    if not host:
        raise InvalidDomain("empty", text)
    _reject_ip_literal(host, text)
    try:
        mapped = idna.uts46_remap(host, std3_rules=False)
    except idna.IDNAError as error:
        raise _idna_error(error, text) from None
    labels = mapped.split(".")
    if "" in labels:
        raise InvalidDomain("empty_label", text)
    name = ".".join(_to_a_label(label, text) for label in labels)
    if len(labels) < 2:
        raise InvalidDomain("single_label", text)
    if len(name) > MAX_NAME_OCTETS:
        raise InvalidDomain("name_too_long", text)
    if labels[-1].isdigit():
        raise InvalidDomain("numeric_tld", text)
    return name


def _clean(text: str) -> str:
    """Surrounding whitespace (incl. U+3000), NFKC (full-width ASCII), dot variants."""
    text = text.strip().strip(_EDGE_JUNK).strip()
    return unicodedata.normalize("NFKC", text).translate(_DOT_VARIANTS)


def _extract_host(text: str, original: str) -> str:
    """Reduce a URL (scheme, userinfo, port, path, query) or e-mail address to its host."""
    if _MAILTO_RE.match(text):
        text = _MAILTO_RE.sub("", text, count=1)
    elif _SCHEME_RE.match(text):
        text = text.split("://", 1)[1]
    elif text.startswith("//"):  # a scheme-relative URL, as copied from HTML
        text = text[2:]
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rpartition("@")[2]  # userinfo or e-mail local part
    if text.startswith("["):  # [IPv6]:port in a URL
        raise InvalidDomain("ip_address", original)
    if text.count(":") == 1:
        head, _, port = text.partition(":")
        if port.isdigit() or not port:
            text = head
    return text.strip()


def _reject_ip_literal(host: str, original: str) -> None:
    # Fast path: an IPv4 literal ends in digits, an IPv6 one has a colon; parsing every
    # ordinary name as an address costs a raised exception each (registry imports, 100k rows).
    if ":" not in host and not host.rstrip(".").rpartition(".")[2].isdigit():
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if ":" in host:
            raise InvalidDomain("invalid_characters", original, chars="':'") from None
        return
    raise InvalidDomain("ip_address", original)


def _to_a_label(label: str, original: str) -> str:
    """One UTS 46-mapped label -> A-label (ASCII labels are checked as LDH host labels)."""
    if label.isascii():
        return _check_ascii_label(label.lower(), original)
    try:
        a_label = idna.alabel(label).decode("ascii")
    except idna.IDNAError as error:
        if "too long" in str(error).lower():
            raise InvalidDomain("label_too_long", original) from None
        raise _idna_error(error, original) from None
    if len(a_label) > MAX_LABEL_OCTETS:
        raise InvalidDomain("label_too_long", original)
    return a_label


def _check_ascii_label(label: str, original: str) -> str:
    """RFC 1123 2.1 host label: letters, digits, hyphen; not starting or ending with a hyphen.

    Labels with "--" in positions 3-4 other than "xn--" (reserved LDH labels, RFC 5890 2.3.1)
    are accepted: real host names use them. "xn--" labels must be valid IDNA 2008 A-labels.
    """
    if len(label) > MAX_LABEL_OCTETS:
        raise InvalidDomain("label_too_long", original)
    if not _LDH_RE.match(label):
        bad = sorted({c for c in label if not (c.isalnum() or c == "-")})
        raise InvalidDomain(
            "invalid_characters", original, chars=" ".join(map(repr, bad))
        )
    if label.startswith("-") or label.endswith("-"):
        raise InvalidDomain("invalid_hyphen", original)
    if label.startswith("xn--"):
        try:
            round_trip = idna.alabel(idna.ulabel(label)).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise InvalidDomain("invalid_idn", original) from None
        if round_trip != label:
            raise InvalidDomain("invalid_idn", original)
    return label


def _idna_error(error: idna.IDNAError, original: str) -> InvalidDomain:
    """An ASCII culprit (``_``, ``$``, space) is a character error; the rest is IDN validity."""
    found = re.search(r"U\+([0-9A-Fa-f]{4,6})", str(error))
    if found:
        char = chr(int(found.group(1), 16))
        if char.isascii():
            return InvalidDomain("invalid_characters", original, chars=repr(char))
    return InvalidDomain("invalid_idn", original)


def to_unicode(name: str) -> str:
    """A-label name -> display form with U-labels; labels that do not decode stay as they are."""
    labels = []
    for label in name.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = idna.ulabel(label)
            except (idna.IDNAError, UnicodeError):
                pass  # display only: show the stored A-label rather than fail
        labels.append(label)
    return ".".join(labels)


@functools.cache
def _psl() -> publicsuffixlist.PublicSuffixList:
    """The bundled list, parsed once per process (immutable data, not a cache of DNS)."""
    return publicsuffixlist.PublicSuffixList(only_icann=False, accept_unknown=True)


def public_suffix(name: str) -> str:
    """The longest PSL rule matching ``name`` (``*`` and ``!`` rules applied); unknown TLD: itself."""
    suffix = _psl().publicsuffix(name.lower().rstrip("."))
    return suffix if suffix is not None else name.lower().rstrip(".").rpartition(".")[2]


def org_domain_psl(name: str) -> str:
    """RFC 7489 3.2 organizational domain: the public suffix plus one label.

    A name that is itself a public suffix (``go.jp``) is its own organizational domain, as a
    PSD is in RFC 9091 / RFC 9989.
    """
    name = name.lower().rstrip(".")
    org = _psl().privatesuffix(name)
    return org if org is not None else name


def is_public_suffix(name: str) -> bool:
    """``go.jp``, ``lg.jp``, ``jp``, ``foo.kawasaki.jp`` (wildcard rule) are public suffixes."""
    return bool(_psl().is_public(name.lower().rstrip(".")))


@functools.cache
def psl_version() -> str:
    """The snapshot's ``// VERSION:`` line, else the package version (it carries the date)."""
    try:
        with open(publicsuffixlist.PSLFILE, encoding="utf-8") as source:
            for _, line in zip(range(50), source, strict=False):
                if line.startswith("// VERSION:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return str(publicsuffixlist.__version__)
