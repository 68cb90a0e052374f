"""Deleting raw reports past ``DMARC_RAW_RETENTION_DAYS``; the parsed data is never deleted.

The raw XML is kept so a report that was parsed with warnings (or by an older parser) can be
read again; after the retention period only the parsed rows remain. Run daily by beat
(``tasks.delete_expired_dmarc_raw``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from adoption.models import DmarcRawReport

logger = logging.getLogger(__name__)


def delete_expired_raw(now: dt.datetime | None = None) -> int:
    """Delete the raw reports stored more than ``DMARC_RAW_RETENTION_DAYS`` ago; -> count."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        days=settings.DMARC_RAW_RETENTION_DAYS
    )
    deleted, _by_model = DmarcRawReport.objects.filter(stored_at__lt=cutoff).delete()
    if deleted:
        logger.info("deleted %s raw DMARC reports stored before %s", deleted, cutoff)
    return deleted
