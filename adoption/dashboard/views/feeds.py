"""Atom feeds (RFC 4287) of changes: a domain adopted, dropped, strengthened or weakened a
mechanism, for the registry, a group, an organisation or one domain.

The events are :mod:`adoption.scans.changes`; each entry has a stable id (a ``tag:`` URI,
RFC 4151, naming the run, the domain, the mechanism and the kind, so a reader that sees the
same event in two feeds shows it once), the run's finish as its ``updated`` time, and a title
that is plain text: the generator escapes it for XML, and control characters (which XML 1.0
cannot carry and which DNS and registry text may hold) are replaced first. Access is that of
the statistics API: a session, a public dashboard, or an API token on GET, so a feed reader
needs no browser login.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _

from adoption.dashboard import domain_states
from adoption.dashboard.wording import localised
from adoption.models import Group, Organisation
from adoption.scans import changes
from adoption.scans.change_words import describe

# XML 1.0 (§2.2) has no place for these; Django's generator refuses them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The date in every tag: URI (RFC 4151 §2.1): any date on which the authority held the name
# does; a fixed one keeps the ids stable.
TAG_DATE = "2024"


def plain(text: str) -> str:
    """``text`` with control characters shown as U+FFFD, safe for an XML text node."""
    return CONTROL.sub("\ufffd", text)


def tag_authority(request: HttpRequest) -> str:
    """The host in the ids: SITE_URL's when set (ids stay the same whichever name a reader
    uses), else the request's."""
    host = urlsplit(settings.SITE_URL).hostname if settings.SITE_URL else None
    return host or request.get_host().rsplit(":", 1)[0] or "localhost"


@dataclass(frozen=True)
class Scope:
    """What a feed follows, read once per request."""

    path: str  # in the feed's id: "registry", "groups/3", …
    name: str
    link: str  # the page of the scope
    events: list[changes.Event]
    authority: str


@dataclass(frozen=True)
class Entry:
    event: changes.Event
    authority: str


class ChangesFeed(Feed[Entry, Scope]):
    """The whole registry's feed; the others differ only in :meth:`scope`."""

    feed_type = Atom1Feed

    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        return Scope(
            "registry",
            _("Whole registry"),
            reverse("home"),
            changes.scope_events(),
            tag_authority(request),
        )

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        return self.scope(request, **kwargs)

    def title(self, scope: Scope) -> str:
        return plain(_("Changes: %(scope)s") % {"scope": scope.name})

    def subtitle(self, scope: Scope) -> str:
        return _(
            "Domains that adopted, dropped, strengthened or weakened SPF, DKIM or DMARC between consecutive scan runs."
        )

    def link(self, scope: Scope) -> str:
        return scope.link

    def feed_guid(self, scope: Scope) -> str:
        return f"tag:{scope.authority},{TAG_DATE}:feeds/{scope.path}/changes"

    def items(self, scope: Scope) -> list[Entry]:
        return [Entry(event, scope.authority) for event in scope.events]

    def item_title(self, entry: Entry) -> str:
        e = entry.event
        return plain(f"{e.unicode_name}: {describe(asdict(e.change))}")

    def item_description(self, entry: Entry) -> str:
        e = entry.event
        return format_html(
            "<p>{}</p><p>{}</p>",
            self.item_title(entry),
            _("Scan run #%(run)s, compared with run #%(previous)s.")
            % {"run": e.run_id, "previous": e.previous_run_id},
        )

    def item_link(self, entry: Entry) -> str:
        return reverse("domains:detail", args=[entry.event.domain])

    def item_guid(self, entry: Entry) -> str:
        e = entry.event
        path = "/".join(
            quote(part, safe="")
            for part in (e.domain, e.change.mechanism, e.change.kind)
        )
        return f"tag:{entry.authority},{TAG_DATE}:runs/{e.run_id}/changes/{path}"

    item_guid_is_permalink = False

    def item_updateddate(self, entry: Entry) -> dt.datetime:
        return entry.event.finished_at

    def item_pubdate(self, entry: Entry) -> dt.datetime:
        return entry.event.finished_at


class GroupFeed(ChangesFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        group = get_object_or_404(Group, pk=kwargs["group_id"])
        return Scope(
            f"groups/{group.pk}",
            localised(group.name, group.name_en),
            f"{reverse('home')}?group={group.pk}",
            changes.scope_events(group=group),
            tag_authority(request),
        )


class OrganisationFeed(ChangesFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        org = get_object_or_404(Organisation, pk=kwargs["org_id"])
        return Scope(
            f"organisations/{org.pk}",
            localised(org.name_ja, org.name_en),
            reverse("organisations:detail", args=[org.pk]),
            changes.scope_events(organisation=org),
            tag_authority(request),
        )


class DomainFeed(ChangesFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        domain = domain_states.find_domain(kwargs["name"])
        if domain is None:
            raise Http404("not a registry domain")
        return Scope(
            f"domains/{quote(domain.name, safe='')}",
            domain.unicode_name or domain.name,
            reverse("domains:detail", args=[domain.name]),
            changes.domain_events(domain),
            tag_authority(request),
        )
