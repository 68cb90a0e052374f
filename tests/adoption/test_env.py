from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from adoption.env import env_bool, env_float, env_int, env_list, env_secret


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("False", False), ("0", False)]
)
def test_env_bool_accepts_only_true_false_one_zero(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["yes", "Flase", "on", "2"])
def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_env_bool_unset_gives_default(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True


def test_env_int_rejects_text_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N must be a whole number"):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("N", 5, minimum=1)
    monkeypatch.setenv("N", " 7 ")
    assert env_int("N", 5, minimum=1) == 7


def test_env_float_must_be_positive(monkeypatch):
    monkeypatch.setenv("T", "-1")
    with pytest.raises(ImproperlyConfigured):
        env_float("T", 2.0)
    monkeypatch.setenv("T", "0.5")
    assert env_float("T", 2.0) == 0.5


def test_env_list_splits_commas_and_spaces(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example  c.example,")
    assert env_list("HOSTS") == ["a.example", "b.example", "c.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


def test_env_secret_reads_the_file_variant(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    monkeypatch.delenv("API_KEY", raising=False)
    monkeypatch.setenv("API_KEY_FILE", str(secret_file))
    assert env_secret("API_KEY") == "s3cret"
    monkeypatch.setenv("API_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="API_KEY_FILE"):
        env_secret("API_KEY")
