"""Who may see what: viewers read (everyone when ``DASHBOARD_PUBLIC``), staff change things,
and machine clients read the statistics API with a token (``Authorization: Bearer``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from adoption.api_tokens import tokens

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def can_view(request: HttpRequest) -> bool:
    return settings.DASHBOARD_PUBLIC or request.user.is_authenticated


def is_staff(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.user.is_staff)


def can_view_volume(request: HttpRequest) -> bool:
    """The figures by mail volume from DMARC aggregate reports: staff, or whoever may see
    the DNS figures when ``DMARC_VOLUME_PUBLIC``. The reports' own rows (sources, reporters,
    learned selectors) name mail servers and partners: staff only (:func:`is_staff`)."""
    return is_staff(request) or (settings.DMARC_VOLUME_PUBLIC and can_view(request))


def viewer_required(view: View) -> View:
    """Logged-in users, or anyone when the dashboard is public (read-only pages only)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view(request):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def staff_required(view: View) -> View:
    """Staff only: imports, scans, edits. Anonymous users are sent to log in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


# A token reads; it never writes, whatever the view would accept.
TOKEN_METHODS = {"GET", "HEAD"}


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), or None when
    the request does not use that scheme."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _unauthorized(message: str, error: str = "") -> JsonResponse:
    """401 with the challenge of RFC 6750 §3; ``error`` only when a token was sent."""
    response = JsonResponse(
        {"error": message}, status=401, json_dumps_params={"ensure_ascii": False}
    )
    challenge = 'Bearer realm="api"'
    if error:
        challenge += f', error="{error}"'
    response["WWW-Authenticate"] = challenge
    return response


def api_can_view_volume(request: HttpRequest) -> bool:
    """:func:`can_view_volume` for the API, where a token stands for its user."""
    token = bearer_token(request)
    if token is None:
        return can_view_volume(request)
    user = tokens.user_for(token)
    return user is not None and bool(user.is_staff or settings.DMARC_VOLUME_PUBLIC)


def api_reader_required(view: View) -> View:
    """The statistics API and the feeds of changes: readers of the dashboard (a session, or
    anyone when it is public), or a valid API token on a GET. A script gets 401 JSON, never a
    login page; a token that is sent must be valid even on a public dashboard, so a revoked
    one is noticed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        token = bearer_token(request)
        if token is None:
            if not can_view(request):
                return _unauthorized(_("Log in, or send an API token."))
            return view(request, *args, **kwargs)
        if tokens.user_for(token) is None:
            return _unauthorized(
                _("This API token is not valid: it was revoked or never issued."),
                "invalid_token",
            )
        if request.method not in TOKEN_METHODS:
            # RFC 6750 §3.1: a valid token without the right to do this.
            response = JsonResponse(
                {"error": _("An API token only reads.")},
                status=403,
                json_dumps_params={"ensure_ascii": False},
            )
            response["WWW-Authenticate"] = (
                'Bearer realm="api", error="insufficient_scope"'
            )
            return response
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]
