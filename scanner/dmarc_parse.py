"""Pure DMARC record parsing: text in, :class:`DmarcRecord` out, no DNS.

The record is a DKIM tag-list (RFC 6376 3.2): tag *names* are case-sensitive, so ``P=reject``
is an unknown tag and not a policy; whitespace is allowed around ``=`` and ``;``; a duplicate
tag invalidates the whole list. ``v=DMARC1`` must be the first tag, value case-sensitive
(RFC 7489 6.4 ABNF, RFC 9989 4.7/4.8); anything else is not a DMARC record at all. Values of
the other tags are ABNF literals and so case-insensitive (RFC 5234 2.3).

Errors (``errors``) make the record unusable (``permerror``); everything RFC 9989 4.8 says to
"discard in favor of default values" becomes a warning and the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import PermError
from .names import InvalidDomain, normalize_domain

POLICIES = ("none", "quarantine", "reject")  # RFC 9989 4.8 dmarc-request
MAX_PCT = 100  # RFC 7489 6.3 pct: 0-100
# A record listing more report URIs than this is broken or hostile; the rest are ignored.
MAX_REPORT_URIS = 20
# Tags we understand. pct, rf, ri are RFC 7489 tags removed by RFC 9989 (Appendix C.5.2);
# np and psd come from RFC 9091 / RFC 9989, t from RFC 9989.
KNOWN_TAGS = frozenset(
    {
        "v",
        "p",
        "sp",
        "np",
        "pct",
        "t",
        "psd",
        "adkim",
        "aspf",
        "fo",
        "rua",
        "ruf",
        "rf",
        "ri",
    }
)

_WSP = " \t\r\n"  # WSP plus the CRLF of folding white space (RFC 6376 2.8 FWS)
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # RFC 6376 3.2 tag-name
_VERSION_RE = re.compile(r"[ \t\r\n]*v[ \t\r\n]*=[ \t\r\n]*DMARC1[ \t\r\n]*(?:;|$)")
_LOOKALIKE_RE = re.compile(r"(?:^|;)\s*v\s*=\s*dmarc", re.IGNORECASE)
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")  # RFC 3986 scheme ":" rest
_SIZE_RE = re.compile(
    r"!\d+[kmgtKMGT]?"
)  # RFC 7489 6.4 / RFC 9989 4.8 obs-dmarc-report-size
_FO_VALUES = frozenset({"0", "1", "d", "s"})


@dataclass(frozen=True, slots=True)
class ReportUri:
    """One ``rua``/``ruf`` URI. ``host`` is the A-label of the mailbox or web host, if any."""

    uri: str
    scheme: str
    host: str | None
    size: str | None = None


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """A parsed record. Policy fields hold valid published values (lower case) or ``None``.

    ``p`` is the policy a receiver acts on: the published one, or ``"none"`` when ``p`` is
    missing or invalid (or ``sp``/``np`` invalid) but ``rua`` has a valid URI (RFC 7489 6.6.3,
    RFC 9989 4.10.1). ``p_published`` keeps the raw value for display.
    """

    text: str
    tags: tuple[tuple[str, str], ...] = ()
    p: str | None = None
    p_published: str | None = None
    sp: str | None = None
    np: str | None = None
    pct: int | None = None
    t: str | None = None
    psd: str | None = None
    adkim: str | None = None
    aspf: str | None = None
    fo: str | None = None
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """A receiver would apply DMARC with this record."""
        return not self.errors and self.p is not None


def is_dmarc_record(text: str) -> bool:
    """The first tag is ``v=DMARC1`` (RFC 9989 4.10 steps 2 and 6): a DMARC record."""
    return _VERSION_RE.match(text) is not None


def version_problem(text: str) -> str | None:
    """Why a TXT that mentions ``v=DMARC`` is not a DMARC record, or ``None`` if it doesn't."""
    if is_dmarc_record(text) or not _LOOKALIKE_RE.search(text):
        return None
    first = text.split(";", 1)[0].strip(_WSP)
    name, _, value = first.partition("=")
    name, value = name.strip(_WSP), value.strip(_WSP)
    if name != "v":
        return "version_tag_case" if name == "V" else "version_not_first"
    if value.lower() == "dmarc1":
        return "version_value_case"
    if value.startswith("DMARC1") and value[6:7] in (" ", "\t", ",", ":"):
        return "missing_semicolon"
    return "version_invalid"


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse one DMARC record (one TXT RR, strings already joined).

    Raises :class:`PermError` when ``text`` is not a DMARC record (``v=DMARC1`` not the first
    tag). Everything else is reported inside the returned record.
    """
    if not is_dmarc_record(text):
        raise PermError(version_problem(text) or "not_dmarc", text[:80])
    bad = sorted({f"U+{ord(c):04X}" for c in text if not _printable(c)})
    if bad:
        return DmarcRecord(
            text, errors=("non_ascii",), warnings=(f"bad_chars:{','.join(bad)}",)
        )
    warnings: list[str] = []
    if text[:1] in _WSP:
        warnings.append("leading_whitespace")
    tags, problems = split_tag_list(text)
    warnings.extend(problems)
    names = [name for name, _ in tags]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        return DmarcRecord(
            text, tuple(tags), errors=tuple(f"duplicate_tag:{n}" for n in duplicates)
        )
    return _build(text, dict(tags), tuple(tags), warnings)


def _printable(char: str) -> bool:
    return " " <= char <= "~" or char in "\t\r\n"


def split_tag_list(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """RFC 6376 3.2 tag-list -> [(name, value)], with a warning for each malformed tag-spec."""
    tags: list[tuple[str, str]] = []
    problems: list[str] = []
    specs = text.split(";")
    for index, spec in enumerate(specs):
        spec = spec.strip(_WSP)
        if not spec:
            if index != len(specs) - 1:  # a final ";" (and trailing space) is allowed
                problems.append("empty_tag")
            continue
        name, equals, value = spec.partition("=")
        name, value = name.strip(_WSP), value.strip(_WSP)
        if not equals or not _TAG_NAME_RE.fullmatch(name):
            problems.append(f"malformed_tag:{spec[:20]}")
            continue
        tags.append((name, value))
    return tags, problems


def _build(
    text: str,
    values: dict[str, str],
    tags: tuple[tuple[str, str], ...],
    warnings: list[str],
) -> DmarcRecord:
    for name in values:
        if name not in KNOWN_TAGS:
            known_case = name.lower() in KNOWN_TAGS
            warnings.append(
                f"tag_name_case:{name}" if known_case else f"unknown_tag:{name}"
            )
    rua = _uri_list("rua", values.get("rua"), warnings)
    ruf = _uri_list("ruf", values.get("ruf"), warnings)
    fo = _fo(values.get("fo"), warnings)
    if fo is not None and "ruf" not in values:
        warnings.append("fo_without_ruf")  # RFC 9989 4.7: fo is ignored without ruf
    p, sp, np, errors = _policies(values, bool(rua), warnings)
    return DmarcRecord(
        text,
        tags,
        p=p,
        p_published=values.get("p"),
        sp=sp,
        np=np,
        pct=_pct(values.get("pct"), warnings),
        t=_choice("t", values.get("t"), ("y", "n"), warnings),
        psd=_choice("psd", values.get("psd"), ("y", "n", "u"), warnings),
        adkim=_choice("adkim", values.get("adkim"), ("r", "s"), warnings),
        aspf=_choice("aspf", values.get("aspf"), ("r", "s"), warnings),
        fo=fo,
        rua=rua,
        ruf=ruf,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _policies(
    values: dict[str, str], has_rua: bool, warnings: list[str]
) -> tuple[str | None, str | None, str | None, list[str]]:
    """p/sp/np and the RFC 7489 6.6.3 / RFC 9989 4.10.1 fallback to p=none."""
    p = _policy_value(values.get("p"))
    sp = _policy_value(values.get("sp"))
    np = _policy_value(values.get("np"))
    problems = []
    if "p" not in values:
        problems.append("p_missing")
    elif p is None:
        problems.append("p_invalid")
    problems += [
        f"{tag}_invalid"
        for tag, v in (("sp", sp), ("np", np))
        if tag in values and v is None
    ]
    if not problems:
        return p, sp, np, []
    if has_rua:
        # "act as if a record containing p=none was retrieved": sp and np go with it.
        warnings.extend(f"{problem}_treated_as_none" for problem in problems)
        return "none", None, None, []
    if problems == ["p_missing"]:
        # RFC 9989 4.7 reads a record without p as p=none; 4.10.1 (and RFC 7489) as no DMARC.
        warnings.append("p_missing_rfc9989_4_7_reads_none")
    return None, sp, np, problems


def _policy_value(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.lower()
    return value if value in POLICIES else None


def _choice(
    tag: str, value: str | None, allowed: tuple[str, ...], warnings: list[str]
) -> str | None:
    if value is None:
        return None
    if value.lower() in allowed:
        return value.lower()
    warnings.append(f"{tag}_invalid")
    return None


def _pct(value: str | None, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if not (
        value.isascii()
        and value.isdigit()
        and len(value) <= 3
        and int(value) <= MAX_PCT
    ):
        warnings.append("pct_invalid")
        return None
    if int(value) != MAX_PCT:
        warnings.append(
            "pct_removed_in_rfc9989"
        )  # RFC 9989 Appendix A.6: use t=y instead
    return int(value)


def _fo(value: str | None, warnings: list[str]) -> str | None:
    if value is None:
        return None
    options = [item.strip(_WSP).lower() for item in value.split(":")]
    valid = (
        all(item in _FO_VALUES for item in options)
        and len(set(options)) == len(options)
        and not {"0", "1"} <= set(options)
    )
    if not valid:
        warnings.append("fo_invalid")
        return None
    return ":".join(options)


def _uri_list(
    tag: str, value: str | None, warnings: list[str]
) -> tuple[ReportUri, ...]:
    """RFC 9989 4.8 dmarc-urilist; invalid URIs are dropped with a warning."""
    if value is None:
        return ()
    uris: list[ReportUri] = []
    items = [item.strip(_WSP) for item in value.split(",")]
    if len(items) > MAX_REPORT_URIS:
        warnings.append(f"{tag}_too_many_uris")
    for item in items[:MAX_REPORT_URIS]:
        uri = parse_report_uri(item)
        if uri is None:
            warnings.append(f"{tag}_invalid_uri:{item[:60]}")
            continue
        if uri.size is not None:
            warnings.append(f"{tag}_size_suffix_obsolete")  # RFC 9989 Appendix C.4
        if uri.scheme != "mailto":
            warnings.append(
                f"{tag}_not_mailto:{uri.scheme}"
            )  # RFC 9990 requires mailto only
        uris.append(uri)
    return tuple(uris)


def parse_report_uri(item: str) -> ReportUri | None:
    """``mailto:dmarc@example.jp!10m`` -> ReportUri, or ``None`` if it is not a usable URI."""
    size: str | None = None
    match = _SIZE_RE.search(item)
    if match and match.end() == len(item):
        item, size = item[: match.start()], match.group()[1:]
    if not _URI_RE.fullmatch(item) or "!" in item:
        return None
    scheme, _, rest = item.partition(":")
    scheme = scheme.lower()
    if scheme == "mailto":
        address = rest.split("?", 1)[0]
        local, at, host_text = address.rpartition("@")
        if not at or not local:
            return None
    elif scheme in ("http", "https"):
        host_text = urlsplit(item).hostname or ""
    else:
        return ReportUri(item, scheme, None, size)
    try:
        host = normalize_domain(host_text)
    except InvalidDomain:
        return None
    return ReportUri(item, scheme, host, size)


__all__ = [
    "DmarcRecord",
    "ReportUri",
    "is_dmarc_record",
    "parse_dmarc",
    "parse_report_uri",
    "split_tag_list",
    "version_problem",
]
