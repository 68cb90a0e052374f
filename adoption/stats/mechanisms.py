"""What each figure means, stated once: "SPF valid", "DMARC enforcing", "adopted", "could not
be measured", as lookups on a stored result's summary columns (``adoption.models.summary``).

The same lookups are read two ways: as SQL conditions (:func:`where`, :meth:`Mechanism.state`,
:func:`unmeasured_q`) for the counts, the tallies and the domain lists, and as Python
predicates (:func:`matches`, :meth:`Mechanism.adopted`, :func:`is_unmeasured`) for a run's
report, which compares two results of one domain. Changing a definition here changes both.

This module imports no models, so ``adoption.models`` may use it (the mechanism choices of a
``ReferenceSeries``) without reaching up into the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VERSION = "version__"  # prefix of the summary columns seen from RunResult
TALLY = ""  # ... and from RunTally

# The states of one domain for one mechanism; they partition a run's results.
ADOPTED = "adopted"
NOT_ADOPTED = "not_adopted"
UNKNOWN = "unknown"  # temperror: DNS did not answer
NXDOMAIN = "nxdomain"  # the registry domain does not exist
NOT_APPLICABLE = (
    "not_applicable"  # e.g. a mail domain, for "null MX on non-mail domains"
)
MEASURED = "measured"  # the denominator: adopted + not adopted
STATES = (ADOPTED, NOT_ADOPTED, UNKNOWN, NXDOMAIN, NOT_APPLICABLE, MEASURED)

TEMPERROR = (
    "temperror"  # a protocol's state when DNS did not answer (docs/result-schema.md)
)

# ``(("spf_state", ("valid",)), ("spf_all", ("-all",)))``: every column holds one of its values.
Lookups = tuple[tuple[str, tuple[object, ...]], ...]

# A domain could not be measured in a run when its apex did not resolve (status ``error``) or
# DNS did not answer for one of these (run counts, the report's "newly unknown" and its list).
# ADSP and Sender ID are historic and do not make a domain unknown. Any one suffices.
MEASURED_STATE_FIELDS = ("spf_state", "dmarc_state", "dkim_state", "mx_state")
UNMEASURED_WHEN: tuple[Lookups, ...] = (
    (("status", ("error",)),),
    *(((field, (TEMPERROR,)),) for field in MEASURED_STATE_FIELDS),
)


def where(lookups: Lookups, prefix: str = VERSION) -> Q:
    """``(("spf_state", ("valid",)),)`` -> ``Q(version__spf_state__in=["valid"])``."""
    condition = Q()
    for field, values in lookups:
        condition &= Q(**{f"{prefix}{field}__in": list(values)})
    return condition


def matches(lookups: Lookups, columns: Mapping[str, object]) -> bool:
    """:func:`where` in Python: do one result's summary columns meet ``lookups``?"""
    return all(columns[field] in values for field, values in lookups)


def nothing(prefix: str = VERSION) -> Q:
    """A condition no row meets."""
    return Q(**{f"{prefix}status__in": []})


def unmeasured_q(prefix: str = VERSION) -> Q:
    """Rows whose domain could not be measured (``UNMEASURED_WHEN``)."""
    first, *others = UNMEASURED_WHEN
    condition = where(first, prefix)
    for lookups in others:
        condition |= where(lookups, prefix)
    return condition


def is_unmeasured(columns: Mapping[str, object]) -> bool:
    """:func:`unmeasured_q` in Python, on one result's summary columns."""
    return any(matches(lookups, columns) for lookups in UNMEASURED_WHEN)


def nxdomain_q(prefix: str = VERSION) -> Q:
    """Rows whose registry domain does not exist (NXDOMAIN), for every mechanism alike."""
    return _is("status", "nxdomain", prefix)


def _is(field: str, value: object, prefix: str) -> Q:
    return Q(**{f"{prefix}{field}": value})


@dataclass(frozen=True)
class Mechanism:
    key: str
    label: Promise
    state_field: str
    adopted_when: Lookups
    applies_when: Lookups = ()  # which measured domains the figure is about
    historic: bool = False

    @property
    def scope_key(self) -> str:
        """Equal for mechanisms with the same denominator (e.g. the three SPF figures)."""
        return self.state_field + ("_applies_" + self.key if self.applies_when else "")

    def adopted(self, columns: Mapping[str, object]) -> bool:
        """Python's reading of ``adopted_when``, for one result measured for this mechanism."""
        return matches(self.adopted_when, columns)

    def measured(self, prefix: str = VERSION) -> Q:
        return (
            _is("status", "ok", prefix)
            & ~_is(self.state_field, TEMPERROR, prefix)
            & where(self.applies_when, prefix)
        )

    def unknown(self, prefix: str = VERSION) -> Q:
        return _is("status", "error", prefix) | (
            _is("status", "ok", prefix) & _is(self.state_field, TEMPERROR, prefix)
        )

    def state(self, state: str, prefix: str = VERSION) -> Q:
        """The results in ``state`` for this mechanism (one of ``STATES``)."""
        adopted = where(self.adopted_when, prefix)
        if state == ADOPTED:
            return self.measured(prefix) & adopted
        if state == NOT_ADOPTED:
            return self.measured(prefix) & ~adopted
        if state == MEASURED:
            return self.measured(prefix)
        if state == UNKNOWN:
            return self.unknown(prefix)
        if state == NXDOMAIN:
            return nxdomain_q(prefix)
        if state == NOT_APPLICABLE:
            if not self.applies_when:
                return nothing(prefix)  # the figure is about every measured domain
            return (
                _is("status", "ok", prefix)
                & ~_is(self.state_field, TEMPERROR, prefix)
                & ~where(self.applies_when, prefix)
            )
        raise ValueError(f"unknown state {state!r}")


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "spf_published",
        _("SPF published"),
        "spf_state",
        (("spf_state", ("valid", "permerror")),),
    ),
    Mechanism("spf_valid", _("SPF valid"), "spf_state", (("spf_state", ("valid",)),)),
    Mechanism(
        "spf_strict",
        _("SPF strict (-all)"),
        "spf_state",
        (("spf_state", ("valid",)), ("spf_all", ("-all",))),
    ),
    Mechanism("dkim", _("DKIM key found"), "dkim_state", (("dkim_state", ("found",)),)),
    Mechanism(
        "dmarc_published",
        _("DMARC record published"),
        "dmarc_state",
        (("dmarc_state", ("valid", "permerror")), ("dmarc_inherited", (False,))),
    ),
    Mechanism(
        "dmarc_valid",
        _("DMARC policy applies"),
        "dmarc_state",
        (("dmarc_state", ("valid",)),),
    ),
    Mechanism(
        "dmarc_enforcing",
        _("DMARC enforcing (quarantine/reject at 100%)"),
        "dmarc_state",
        (("dmarc_enforcement", ("quarantine", "reject")),),
    ),
    Mechanism(
        "null_mx",
        _("Null MX on non-mail domains"),
        "mx_state",
        (("mx_state", ("null_mx",)),),
        applies_when=(("mx_state", ("none", "null_mx")),),
    ),
    Mechanism(
        "adsp",
        _("ADSP (historic)"),
        "adsp_state",
        (("adsp_state", ("found",)),),
        historic=True,
    ),
    Mechanism(
        "sender_id",
        _("Sender ID (historic)"),
        "sender_id_state",
        (("sender_id_state", ("found",)),),
        historic=True,
    ),
)
MECHANISM_KEYS = tuple(m.key for m in MECHANISMS)
BY_KEY = {m.key: m for m in MECHANISMS}


def mechanism(key: str) -> Mechanism:
    return BY_KEY[key]
