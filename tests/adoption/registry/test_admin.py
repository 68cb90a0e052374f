"""The registry in Django's admin: search, filters, and retiring instead of deleting."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from adoption.models import Domain, Group, RegistryPeriod


@pytest.mark.django_db
def test_changelists_search_and_filter(admin_client: Client, registry):
    url = reverse("admin:adoption_domain_changelist")
    assert "soumu.go.jp" in admin_client.get(url, {"q": "総務省"}).content.decode()
    agencies = Group.objects.get(name="外局")
    html = admin_client.get(url, {"group": agencies.pk}).content.decode()
    assert "kaiho.mlit.go.jp" in html and "soumu.go.jp" not in html
    for model in ("organisation", "group", "importbatch"):
        response = admin_client.get(
            reverse(f"admin:adoption_{model}_changelist"), {"q": "x"}
        )
        assert response.status_code == 200


@pytest.mark.django_db
def test_adding_a_domain_normalises_it_and_opens_its_period(admin_client: Client):
    response = admin_client.post(
        reverse("admin:adoption_domain_add"),
        {
            "name": "https://ＷＷＷ.総務省.JP/",
            "selectors": "Selector1, google",
            "note": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "periods-TOTAL_FORMS": "0",
            "periods-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    domain = Domain.objects.get()
    assert domain.name == "www.xn--lhr645fjve.jp"
    assert domain.unicode_name == "www.総務省.jp"
    assert domain.dkim_selectors == ["selector1", "google"]
    assert RegistryPeriod.objects.filter(domain=domain, left_at=None).count() == 1


@pytest.mark.django_db
def test_public_suffix_cannot_be_added(admin_client: Client):
    response = admin_client.post(
        reverse("admin:adoption_domain_add"),
        {
            "name": "lg.jp",
            "selectors": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "periods-TOTAL_FORMS": "0",
            "periods-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert Domain.objects.count() == 0


@pytest.mark.django_db
def test_domains_are_retired_not_deleted(admin_client: Client, registry):
    soumu = registry[0]
    assert (
        admin_client.get(
            reverse("admin:adoption_domain_delete", args=[soumu.pk])
        ).status_code
        == 403
    )
    admin_client.post(
        reverse("admin:adoption_domain_changelist"),
        {"action": "retire", "_selected_action": [soumu.pk]},
    )
    soumu.refresh_from_db()
    assert not soumu.active and soumu.retired_at is not None
    assert soumu.memberships.filter(left_at=None).count() == 0
    admin_client.post(
        reverse("admin:adoption_domain_changelist"),
        {"action": "restore", "_selected_action": [soumu.pk]},
    )
    soumu.refresh_from_db()
    assert soumu.active and soumu.periods.count() == 2
