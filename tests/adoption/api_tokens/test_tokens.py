"""API tokens: a machine client reads the statistics API of a non-public dashboard with
``Authorization: Bearer <token>``; the token is stored hashed and only ever reads."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from adoption.access import api_reader_required
from adoption.api_tokens import tokens
from adoption.models import ApiToken, ScanRun

API = "/api/adoption.json"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def reporting_user(db):
    return get_user_model().objects.create_user("reporting", password="pw")


@pytest.fixture
def secret(reporting_user) -> str:
    return tokens.issue(reporting_user, "ministry reporting").secret


@pytest.mark.django_db
def test_a_token_reads_the_api_of_a_non_public_dashboard(
    client: Client, secret, history
):
    assert client.get(API).status_code == 401
    response = client.get(API, **bearer(secret))
    assert response.status_code == 200
    assert [r["run"] for r in response.json()["runs"]] == [r.pk for r in history.runs]
    assert client.get("/api/groups.json", **bearer(secret)).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db
def test_without_a_token_the_api_answers_401_with_a_bearer_challenge(client: Client):
    response = client.get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "error" in response.json()


@pytest.mark.parametrize(
    "header",
    ["Bearer adt_not-a-token-we-issued", "Bearer ", "bearer " + "x" * 500],
)
@pytest.mark.django_db
def test_a_bad_token_is_401_invalid_token(client: Client, secret, header):
    response = client.get(API, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


@pytest.mark.django_db
def test_a_revoked_token_is_refused_even_on_a_public_dashboard(client: Client, secret):
    tokens.revoke(ApiToken.objects.all())
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(API).status_code == 200
        assert client.get(API, **bearer(secret)).status_code == 401


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused(client: Client, secret, reporting_user):
    reporting_user.is_active = False
    reporting_user.save()
    assert client.get(API, **bearer(secret)).status_code == 401


@pytest.mark.django_db
def test_only_the_sha256_of_the_token_is_stored(secret):
    row = ApiToken.objects.get()
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[: tokens.SHOWN_LENGTH]
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(secret in value for value in stored)
    assert len(secret) > 40 and secret.startswith("adt_")


@pytest.mark.django_db
def test_a_staff_members_token_opens_no_page_and_posts_nothing(client: Client):
    staff = get_user_model().objects.create_user(
        "boss", password="pw", is_staff=True, is_superuser=True
    )
    secret = tokens.issue(staff).secret
    for url in ("/runs/", "/registry/", "/admin/", "/"):
        response = client.get(url, **bearer(secret))
        assert response.status_code == 302, url
        assert "login" in response["Location"], url
    response = client.post(reverse("runs:scan_now"), {"group": ""}, **bearer(secret))
    assert response.status_code in {302, 403}
    assert not ScanRun.objects.exists()
    assert client.post(API, **bearer(secret)).status_code == 405


@pytest.mark.django_db
def test_the_read_only_rule_holds_in_the_check_itself(rf, secret):
    """Were an API view ever to accept POST, a token still would not: 403 insufficient_scope."""
    view = api_reader_required(lambda request: HttpResponse("written"))
    response = view(rf.post(API, **bearer(secret)))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert view(rf.get(API, **bearer(secret))).status_code == 200


@pytest.mark.django_db
def test_command_creates_lists_and_revokes(client: Client, reporting_user):
    out, err = StringIO(), StringIO()
    call_command(
        "api_token",
        "create",
        "--user",
        "reporting",
        "--name",
        "sheet",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    assert "shown once" in err.getvalue()
    assert client.get(API, **bearer(secret)).status_code == 200

    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    prefix = secret[: tokens.SHOWN_LENGTH]
    assert prefix in listing.getvalue() and "active" in listing.getvalue()
    assert secret not in listing.getvalue()

    call_command("api_token", "revoke", prefix, stdout=StringIO())
    assert client.get(API, **bearer(secret)).status_code == 401
    listing = StringIO()
    call_command("api_token", "list", "--user", "reporting", stdout=listing)
    assert "revoked" in listing.getvalue()


@pytest.mark.django_db
def test_command_refuses_an_unknown_user_or_prefix():
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("api_token", "create", "--user", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="no token with prefix"):
        call_command("api_token", "revoke", "adt_missing", stdout=StringIO())


@pytest.mark.django_db
def test_admin_lists_tokens_and_revokes_them(staff: Client, secret, client: Client):
    row = ApiToken.objects.get()
    listing = staff.get(reverse("admin:adoption_apitoken_changelist"))
    assert listing.status_code == 200
    assert row.prefix in listing.content.decode()
    assert secret not in listing.content.decode()
    assert staff.get(reverse("admin:adoption_apitoken_add")).status_code == 403
    staff.post(
        reverse("admin:adoption_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert client.get(API, **bearer(secret)).status_code == 401
