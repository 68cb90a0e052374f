"""What the server answers besides pages: the health check and locally served static files."""

from __future__ import annotations

import pytest
from celery import Celery
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse


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
    assert finders.find("css/site.css")
    assert finders.find("vendor/plotly.min.js")
    assert finders.find("js/charts.js")
