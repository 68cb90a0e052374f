from __future__ import annotations

import pytest
from celery import Celery
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse


@pytest.fixture
def viewer(db: None) -> Client:
    """A logged-in user who is not staff: may read the dashboard, not change anything."""
    client = Client()
    client.force_login(get_user_model().objects.create_user("viewer"))
    return client


@pytest.mark.django_db
def test_home_shows_registry_size_in_japanese_by_default(viewer: Client, registry):
    response = viewer.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert settings.LANGUAGE_CODE == "ja"
    assert '<html lang="ja">' in html
    assert 'id="registry-size"' in html
    assert '<div class="card-value">3</div>' in html
    assert "登録ドメイン数" in html
    assert "中央省庁" in html


@pytest.mark.django_db
def test_language_switcher_turns_the_page_english(viewer: Client, registry):
    response = viewer.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = viewer.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert "domains in the registry" in html
    assert "Central government" in html


@pytest.mark.django_db
def test_retired_domains_are_not_counted(viewer: Client, registry):
    registry[0].active = False
    registry[0].save()
    html = viewer.get(reverse("home")).content.decode()
    assert '<div class="card-value">2</div>' in html


@pytest.mark.django_db
def test_home_needs_login_unless_the_dashboard_is_public(client: Client, registry):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"
    with override_settings(DASHBOARD_PUBLIC=True):
        html = client.get(reverse("home")).content.decode()
    assert '<div class="card-value">3</div>' in html


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_reachable(client: Client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client: Client, monkeypatch):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    # Celery lets the CELERY_BROKER_URL variable override any configured broker.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    unreachable = Celery(
        "unreachable", broker="redis://127.0.0.1:1/0", set_as_current=False
    )
    monkeypatch.setattr("adoption.health.celery_app", unreachable)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_static_files_and_plotly_are_served_locally():
    from django.contrib.staticfiles import finders

    assert finders.find("css/site.css")
    assert finders.find("vendor/plotly.min.js")
    assert finders.find("js/charts.js")
