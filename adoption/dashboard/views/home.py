"""Views: parse the request, call a service or query module, render. No logic here."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from adoption import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health.health()
    ok = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        **{name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()},
    }
    return JsonResponse(body, status=200 if ok else 503)
