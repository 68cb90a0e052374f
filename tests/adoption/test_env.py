from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from adoption.env import (
    env_bool,
    env_cache,
    env_float,
    env_int,
    env_list,
    env_proxy_header,
    env_secret,
    env_url,
)


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


def test_env_url_takes_an_http_address_and_drops_the_trailing_slash(monkeypatch):
    monkeypatch.setenv("SITE", "https://dashboard.example.go.jp/")
    assert env_url("SITE") == "https://dashboard.example.go.jp"
    monkeypatch.setenv("SITE", "")
    assert env_url("SITE", "http://localhost:8000") == ""
    for wrong in (
        "dashboard.example.go.jp",
        "ftp://x.example",
        "https://",
        "https://a b",
    ):
        monkeypatch.setenv("SITE", wrong)
        with pytest.raises(ImproperlyConfigured, match="SITE"):
            env_url("SITE")


def test_cache_url_picks_process_memory_or_redis_and_refuses_anything_else(monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    assert env_cache("CACHE_URL")["BACKEND"].endswith("LocMemCache")
    monkeypatch.setenv("CACHE_URL", "redis://cache.internal:6379/1")
    assert env_cache("CACHE_URL") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }
    monkeypatch.setenv("CACHE_URL", "memcached://cache.internal:11211")
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        env_cache("CACHE_URL")


def test_proxy_ssl_header_is_a_header_name_with_https_or_a_given_value(monkeypatch):
    monkeypatch.delenv("PROXY", raising=False)
    assert env_proxy_header("PROXY") is None
    monkeypatch.setenv("PROXY", "X-Forwarded-Proto")
    assert env_proxy_header("PROXY") == ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.setenv("PROXY", "X-Forwarded-Ssl=on")
    assert env_proxy_header("PROXY") == ("HTTP_X_FORWARDED_SSL", "on")
    monkeypatch.setenv("PROXY", "X Forwarded: https")
    with pytest.raises(ImproperlyConfigured, match="PROXY"):
        env_proxy_header("PROXY")
