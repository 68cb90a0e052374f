"""Mail volume per day for the whole registry and each group, by reporter.

The volume figures of the overview and the group pages would otherwise sum one
``DmarcDailyVolume`` row per domain and day: 900,000 rows for 10,000 domains over 90 days, on
every page view. A report adds to a handful of rows here when it is stored (see
``adoption.dmarc_reports.scope_volume``), so a chart over a period reads days × reporters rows
of one scope: a few hundred. The reporter is part of the key because the figures name their
denominator as "n messages reported by k receivers", and distinct counts do not add up.

A domain counts for the registry and the groups it is in when the report is stored, which for
reports arriving daily is the registry of the day they cover. Reports imported in bulk for
past months count for today's registry (a newly built registry still shows the quarter
behind it); ``manage.py rebuild_dmarc_volume`` counts every stored report again with the
registry as it is now, after groups were changed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from adoption.models.dmarc_reports import TEXT_CHARS, VolumeCounts

# ``scope`` of the rows counting the whole registry; a group's rows carry its id.
WHOLE_REGISTRY = 0


class DmarcScopeVolume(VolumeCounts):
    """Messages one reporter saw on one UTC day from the domains of one scope, with the
    reporter's DMARC verdicts (``policy_evaluated``, RFC 9990 §3.1.1.9).

    ``scope`` is ``WHOLE_REGISTRY`` or a ``Group`` id. It is a plain integer, not a foreign
    key: the rows are upserted with one ``INSERT … ON CONFLICT`` on (day, scope, reporter),
    which a nullable key could not serve (NULLs never conflict). A deleted group's rows are
    never read again.
    """

    day = models.DateField()
    scope = models.PositiveIntegerField()
    reporter = models.CharField(_("reporter"), max_length=TEXT_CHARS)

    class Meta:
        ordering = ["scope", "day", "reporter"]
        verbose_name = _("DMARC volume of a scope")
        verbose_name_plural = _("DMARC volumes of scopes")
        constraints = [
            # The upsert's conflict target; also serves "scope S, days D1..D2" (the volume
            # series of the overview and of a group page) through its first two columns.
            models.UniqueConstraint(
                fields=["scope", "day", "reporter"], name="dmarcscopevolume_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.day} {self.reporter} ({self.messages})"
