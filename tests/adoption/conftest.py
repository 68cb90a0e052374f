"""Fixtures for the Django side: a small registry cast, the three-run history, logged-in clients
and eager tasks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from adoption.celery import app as celery_app
from adoption.models import Domain, Group, Membership, Organisation

from .dashboard_history import History, build_history


@pytest.fixture
def registry(db: None) -> list[Domain]:
    """Three domains: two ministries in one group, one agency subdomain in two groups."""
    ministries = Group.objects.create(name="中央省庁", name_en="Central government")
    agencies = Group.objects.create(name="外局", name_en="External agencies")
    domains = []
    for name, org_ja, org_en, groups in [
        (
            "soumu.go.jp",
            "総務省",
            "Ministry of Internal Affairs and Communications",
            [ministries],
        ),
        (
            "mlit.go.jp",
            "国土交通省",
            "Ministry of Land, Infrastructure, Transport and Tourism",
            [ministries],
        ),
        ("kaiho.mlit.go.jp", "海上保安庁", "Japan Coast Guard", [ministries, agencies]),
    ]:
        org = Organisation.objects.create(name_ja=org_ja, name_en=org_en)
        domain = Domain.objects.create(name=name, unicode_name=name, organisation=org)
        for group in groups:
            Membership.objects.create(domain=domain, group=group)
        domains.append(domain)
    return domains


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache: cached SPF checks and rate-limit counts (keyed by
    user ids, which a rolled-back database hands out again) must not leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in-process: for the logic of the scan service, not for pipeline tests."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def history(db: None) -> History:
    """The registry of dashboard_history.py with its three runs."""
    return build_history()


def logged_in(username: str, **fields: object) -> Client:
    """A new client logged in as a new user ``username`` (e-mail ``username@example.jp``).

    The one login helper: page tests use the fixtures below, browser tests copy its session
    cookie into the browser.
    """
    user = get_user_model().objects.create_user(
        username, f"{username}@example.jp", "pw", **fields
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(db: None) -> Client:
    """A logged-in user who is not staff: may read the dashboard, not change anything."""
    return logged_in("viewer")


@pytest.fixture
def staff(db: None) -> Client:
    """A logged-in staff member (and superuser): may import, scan and use the admin."""
    return logged_in("staff", is_staff=True, is_superuser=True)
