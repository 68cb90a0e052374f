"""Turn one ``<record>`` element into a ``Record`` (RFC 7489 Appendix C, RFC 9990 §3.1.1.6-13).

This runs once per record, 400,000 times for a big receiver's daily report, so each element is
visited once: leaf values are read with ``Names.texts`` in the same pass that finds them, and
``auth_results`` is split into DKIM and SPF results in one loop. The reporters' deviations
handled are those listed in ``fields``.
"""

from __future__ import annotations

import ipaddress
import socket

from adoption.dmarc_reports.fields import (
    ALIGNMENT_RESULTS,
    DISPOSITIONS,
    DKIM_RESULTS,
    MAX_COUNT,
    MAX_DKIM_RESULTS,
    MAX_REASONS,
    MAX_SPF_RESULTS,
    REASON_TYPES,
    SPF_RESULTS,
    SPF_SCOPES,
    Children,
    Element,
    Names,
    Warn,
    capped,
    digits,
    domain,
    enum,
    required,
    text,
    text_of,
)
from adoption.dmarc_reports.types import (
    DkimAuth,
    Reason,
    Record,
    ReportRejected,
    SpfAuth,
)


def build_record(elem: Element, names: Names, warn: Warn) -> Record:
    """One ``<record>``; a missing header_from or disposition rejects the report."""
    record = names.index(elem)
    row = names.index(record.get("row"))
    evaluated_elem = row.get("policy_evaluated")
    evaluated = names.texts(evaluated_elem)
    ids = names.texts(_identifiers(record, warn))
    disposition = enum(evaluated.get("disposition"), DISPOSITIONS, "disposition", warn)
    dkim, spf = _auth_results(record.get("auth_results"), names)
    return Record(
        source_ip=_source_ip(text(row, "source_ip"), warn),
        count=_count(text(row, "count")),
        header_from=required(domain(ids.get("header_from")), "header_from"),
        envelope_from=domain(ids.get("envelope_from")),
        envelope_to=domain(ids.get("envelope_to")),
        disposition=required(disposition, "policy_evaluated/disposition"),
        dkim=enum(evaluated.get("dkim"), ALIGNMENT_RESULTS, "aligned DKIM", warn),
        spf=enum(evaluated.get("spf"), ALIGNMENT_RESULTS, "aligned SPF", warn),
        reasons=_reasons(evaluated_elem, names, warn) if "reason" in evaluated else (),
        auth_dkim=_dkim_results(dkim, names, warn),
        auth_spf=_spf_results(spf, names, warn),
    )


def _identifiers(record: Children, warn: Warn) -> Element | None:
    if "identifiers" in record:
        return record["identifiers"]
    if "identities" in record:
        warn("<identities> read as <identifiers>")
    return record.get("identities")


def _auth_results(
    results: Element | None, names: Names
) -> tuple[list[Element], list[Element]]:
    dkim: list[Element] = []
    spf: list[Element] = []
    if results is not None:
        for child in results:
            name = names.local(child.tag)
            if name == "dkim":
                dkim.append(child)
            elif name == "spf":
                spf.append(child)
    return dkim, spf


def _source_ip(value: str | None, warn: Warn) -> str | None:
    """Compressed form (``2001:db8::1``); None for a null record's empty source_ip.

    A dotted quad that ``inet_pton`` accepts is already in that form (glibc's, like
    ``ipaddress``, refuses leading zeros); the rest go through ``ipaddress``.
    """
    if value is None:
        return None
    try:
        socket.inet_pton(socket.AF_INET, value)
        return value
    except OSError:
        pass
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        warn(f"source_ip {value!r} is not an IP address: stored as empty")
        return None


def _count(value: str | None) -> int:
    if value is None or not digits(value) or int(value) > MAX_COUNT:
        raise ReportRejected(f"a record's count {value!r} is not a message count")
    return int(value)


def _reasons(evaluated: Element | None, names: Names, warn: Warn) -> tuple[Reason, ...]:
    reasons = []
    for elem in capped(names.all(evaluated, "reason"), MAX_REASONS, "reasons", warn):
        reason = names.texts(elem)
        type_ = reason.get("type")
        if type_ is None and len(elem) == 0 and text_of(elem) is not None:
            type_ = text_of(elem)
            warn("a <reason> given as bare text was read as its type")
        type_ = enum(type_, REASON_TYPES, "reason type", warn)
        if type_ is None:
            warn("a reason without a type was skipped")
            continue
        reasons.append(Reason(type=type_, comment=reason.get("comment")))
    return tuple(reasons)


def _dkim_results(
    elems: list[Element], names: Names, warn: Warn
) -> tuple[DkimAuth, ...]:
    found = []
    for elem in capped(elems, MAX_DKIM_RESULTS, "DKIM results", warn):
        dkim = names.texts(elem)
        signer = domain(dkim.get("domain"))
        result = enum(dkim.get("result"), DKIM_RESULTS, "DKIM result", warn)
        if signer is None or result is None:
            warn("a DKIM result without domain or result was skipped")
            continue
        found.append(
            DkimAuth(signer, dkim.get("selector"), result, dkim.get("human_result"))
        )
    return tuple(found)


def _spf_results(elems: list[Element], names: Names, warn: Warn) -> tuple[SpfAuth, ...]:
    found = []
    for elem in capped(elems, MAX_SPF_RESULTS, "SPF results", warn):
        spf = names.texts(elem)
        result = enum(spf.get("result"), SPF_RESULTS, "SPF result", warn)
        if result is None:
            warn("an SPF result without result was skipped")
            continue
        scope = enum(spf.get("scope"), SPF_SCOPES, "SPF scope", warn)
        found.append(
            SpfAuth(domain(spf.get("domain")), scope, result, spf.get("human_result"))
        )
    return tuple(found)
