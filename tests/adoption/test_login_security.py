"""Logins: repeated failures lock one user name out for a while (django-axes), and passwords
pass Django's validators."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

PASSWORD = "kasumigaseki-1-2-3"  # noqa: S105


@pytest.fixture
def users(db: None) -> None:
    for name in ("suzuki", "sato"):
        get_user_model().objects.create_user(name, f"{name}@example.go.jp", PASSWORD)


def log_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_repeated_failed_logins_lock_that_user_name_out(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "suzuki", "guess").status_code == 200  # the form again
    locked = log_in(client, "suzuki", "guess")
    assert locked.status_code == 429
    assert 'id="locked-out"' in locked.content.decode()
    # Now even the right password is refused, and nobody is logged in.
    assert log_in(client, "suzuki", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user name from the same address is not affected.
    assert log_in(client, "sato", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "suzuki", "guess")
    assert log_in(client, "suzuki", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "suzuki", "guess").status_code == 200


@pytest.mark.parametrize("weak", ["12345678", "password", "suzuki-example", "short"])
def test_weak_passwords_are_refused(weak):
    user = get_user_model()(username="suzuki-example", email="suzuki@example.go.jp")
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak, user)
