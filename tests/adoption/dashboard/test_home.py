"""The home page: registry size and groups, in Japanese and English, behind the login."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse


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
