"""One domain's scan result: the docs/result-schema.md object.

The protocol modules each return a frozen result with ``to_json()``; :class:`DomainResult`
gathers them and adds what the whole domain needs: its ``status`` (does the apex exist, could
it be resolved at all), the input as given, its display form and provenance (when, which
scanner and which Public Suffix List snapshot), so a stored result can be explained later.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, Protocol

from .text import dumps_escaped, escape_strings

Status = Literal["ok", "nxdomain", "error"]

# The contract's protocol keys, in the order docs/result-schema.md lists them (JSON output keeps
# it).
PROTOCOLS = (
    "spf",
    "dmarc",
    "dkim",
    "adsp",
    "mx",
    "sender_id",
    "mta_sts",
    "tls_rpt",
    "bimi",
)
PACKAGE = "mailauth-adoption"


@functools.cache
def scanner_version() -> str:
    """The installed distribution's version; a source checkout that is not installed says so.

    Cached: the metadata lookup parses files, and every result records the version.
    """
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "0+unknown"


class CheckResult(Protocol):
    """What every protocol module returns: a ``state`` word and its contract JSON."""

    @property
    def state(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ApexUnresolved:
    """A check of a domain whose apex did not resolve (``status: error``): ``temperror``.

    docs/scanner-decisions.md 7.3: when the apex cannot be resolved, every protocol is
    ``temperror``, even if a name below it answered (a ``_dmarc`` record beside an apex CNAME
    that SERVFAILs): the domain is unknown, and the end-of-run retry asks again. What the check
    saw is kept in the JSON for diagnosis (``state_seen``, the check's own fields), never
    counted.
    """

    check: CheckResult

    @property
    def state(self) -> str:
        return "temperror"

    def to_json(self) -> dict[str, Any]:
        data = self.check.to_json()
        if self.check.state == "temperror":
            return data
        errors = [*data.get("errors", []), "apex_unresolved"]
        return {
            **data,
            "state": "temperror",
            "state_seen": self.check.state,
            "errors": errors,
        }


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class DomainResult:
    """The checks of one domain. Protocol fields are None only when nothing was checked
    (the input was not a domain name); then ``status`` is ``error`` and ``errors`` says why."""

    domain: str
    status: Status
    spf: CheckResult | None = None
    dmarc: CheckResult | None = None
    dkim: CheckResult | None = None
    adsp: CheckResult | None = None
    mx: CheckResult | None = None
    sender_id: CheckResult | None = None
    mta_sts: CheckResult | None = None
    tls_rpt: CheckResult | None = None
    bimi: CheckResult | None = None
    input: str = ""
    unicode: str = ""
    wildcard: bool | None = None
    # secure | insecure | unknown: the AD bit of the apex TXT and MX (docs/scanner-decisions.md
    # 6.5)
    dnssec: str = "unknown"
    errors: tuple[str, ...] = ()
    scanned_at: dt.datetime = field(default_factory=utc_now)
    scanner_version: str = field(default_factory=scanner_version)
    psl_version: str = ""

    def checks(self) -> dict[str, CheckResult | None]:
        """The protocol results by contract key, in contract order."""
        return {name: getattr(self, name) for name in PROTOCOLS}

    @property
    def has_temperror(self) -> bool:
        """DNS left something unanswered: worth the end-of-run retry (docs/scanner-decisions.md
        7.2)."""
        if self.status == "error" and self.spf is not None:
            return True
        return any(
            check is not None and check.state == "temperror"
            for check in self.checks().values()
        )

    @property
    def needs_retry(self) -> bool:
        """A temperror, a failed random-label probe (``wildcard`` null on a domain that
        exists), or DKIM probes that failed beside a key that answered: each is stored as it
        stands unless the end-of-run retry asks again, and a busy resolver's passing failure
        would make an unchanged domain's result differ from the last run's."""
        if self.has_temperror or (self.status == "ok" and self.wildcard is None):
            return True
        return bool(getattr(self.dkim, "errors", ()))

    def to_json(self) -> dict[str, Any]:
        """The docs/result-schema.md object: contract keys first, in contract order, then the
        extras.

        Control characters in any string (records, the input) are shown as ``\\xNN``.
        """
        # DNS text is hostile: no control character leaves the scanner (scanner.text).
        escaped: dict[str, Any] = escape_strings(self._data())
        return escaped

    def to_json_text(self) -> str:
        """``json.dumps(self.to_json())``, in one serialisation instead of two."""
        return dumps_escaped(self._data())

    def _data(self) -> dict[str, Any]:
        """The result object before control characters are escaped."""
        data: dict[str, Any] = {"domain": self.domain, "status": self.status}
        for name, check in self.checks().items():
            data[name] = None if check is None else check.to_json()
        data.update(
            input=self.input,
            unicode=self.unicode,
            wildcard=self.wildcard,
            dnssec=self.dnssec,
            errors=list(self.errors),
            scanned_at=self.scanned_at.isoformat(timespec="seconds"),
            scanner_version=self.scanner_version,
            psl_version=self.psl_version,
        )
        return data


__all__ = [
    "PROTOCOLS",
    "ApexUnresolved",
    "CheckResult",
    "DomainResult",
    "Status",
    "scanner_version",
]
