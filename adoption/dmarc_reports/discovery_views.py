"""The staff page listing domains found in reports under registered parents, with an "add to
the registry" button each (``adoption.dmarc_reports.discovery``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from adoption.access import staff_required
from adoption.dmarc_reports import discovery
from adoption.models.dmarc_reports import NAME_CHARS

# Rows on the page, most mail first: each has a form, and 2,000 of them took 0.4 s to render
# (bench/volume_queries.py); the long tail is seldom worth a look.
SHOWN = 200


@require_http_methods(["GET", "POST"])
@staff_required
def discovered(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _add(request)
    rows = discovery.discovered()
    context = {
        "rows": rows[:SHOWN],
        "total": len(rows),
        "hidden": max(0, len(rows) - SHOWN),
    }
    return render(request, "adoption/dmarc_reports/discovered.html", context)


def _add(request: HttpRequest) -> HttpResponse:
    """Add one listed domain, then back to the list (a reload never posts twice)."""
    name = request.POST.get("domain", "")[:NAME_CHARS]
    try:
        domain, _outcome = discovery.add_discovered(name, request.user)  # type: ignore[arg-type]
    except discovery.NotDiscovered:
        messages.error(
            request,
            _("%(domain)s is not a domain found in reports under a registered parent.")
            % {"domain": name},
        )
    else:
        messages.success(
            request,
            _("%(domain)s was added to the registry, in the groups of its parent.")
            % {"domain": domain.unicode_name or domain.name},
        )
    return HttpResponseRedirect(reverse("dmarc_reports:discovered"))
