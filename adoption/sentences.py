"""Sentences put one after another as the page's language writes them.

English leaves a space between two sentences; Japanese writes the next one straight after
「。」 (after 「？」 a space stays, as ``adoption.scans.waiting`` writes it). The pattern is
translated, not the space: an empty translation would read as none.
"""

from __future__ import annotations

from django.utils.translation import pgettext


def one_after_another(first: str, second: str) -> str:
    """``first`` then ``second``, two sentences already in the active language; ``first``
    ends with a full stop."""
    return pgettext("two sentences one after the other", "%(first)s %(second)s") % {
        "first": first,
        "second": second,
    }
